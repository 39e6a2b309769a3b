#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store.h"

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	char *path;
};

struct migration {
	int version;
	const char *what;
	const char *sql;
};

/*
 * Numbered migrations, applied in order, each in its own transaction. A
 * migration, once released, never changes: fixes are new migrations.
 */
static const struct migration migrations[] = {
	{ 1, "changes, builds, artifacts, sizes, jobs, results",
	  "CREATE TABLE changes ("
	  "  id INTEGER PRIMARY KEY,"
	  "  repo TEXT NOT NULL, forge TEXT, kind TEXT NOT NULL, number INTEGER,"
	  "  ref TEXT NOT NULL, sha TEXT NOT NULL,"
	  "  base_ref TEXT, base_sha TEXT, merge_base TEXT, title TEXT, author TEXT,"
	  "  state TEXT NOT NULL, gate TEXT, reason TEXT,"
	  "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER);"
	  "CREATE INDEX changes_sha ON changes(sha);"
	  "CREATE INDEX changes_created ON changes(created_at);"
	  "CREATE TABLE builds ("
	  "  id INTEGER PRIMARY KEY,"
	  "  change_id INTEGER REFERENCES changes(id),"
	  "  board TEXT NOT NULL, sha TEXT NOT NULL, tree TEXT NOT NULL,"
	  "  cache_key TEXT NOT NULL, image_id TEXT,"
	  "  status TEXT NOT NULL, cached INTEGER NOT NULL DEFAULT 0, source_build_id INTEGER,"
	  "  duration_ms INTEGER, reason TEXT, log_path TEXT, output_dir TEXT,"
	  "  created_at INTEGER NOT NULL, finished_at INTEGER);"
	  "CREATE INDEX builds_key ON builds(cache_key, status);"
	  "CREATE INDEX builds_change ON builds(change_id);"
	  "CREATE TABLE artifacts ("
	  "  id INTEGER PRIMARY KEY,"
	  "  build_id INTEGER NOT NULL REFERENCES builds(id),"
	  "  name TEXT NOT NULL, kind TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
	  "  path TEXT NOT NULL);"
	  "CREATE INDEX artifacts_build ON artifacts(build_id);"
	  "CREATE TABLE sizes ("
	  "  build_id INTEGER NOT NULL REFERENCES builds(id),"
	  "  artifact TEXT NOT NULL, section TEXT NOT NULL, region TEXT NOT NULL,"
	  "  size INTEGER NOT NULL);"
	  "CREATE INDEX sizes_build ON sizes(build_id);"
	  "CREATE TABLE jobs ("
	  "  id INTEGER PRIMARY KEY,"
	  "  change_id INTEGER NOT NULL REFERENCES changes(id),"
	  "  build_id INTEGER REFERENCES builds(id),"
	  "  suite TEXT NOT NULL, target TEXT NOT NULL, target_kind TEXT NOT NULL,"
	  "  device TEXT, state TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 0,"
	  "  attempts INTEGER NOT NULL DEFAULT 0, reason TEXT,"
	  "  created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER);"
	  "CREATE INDEX jobs_state ON jobs(state, priority);"
	  "CREATE INDEX jobs_change ON jobs(change_id);"
	  "CREATE TABLE results ("
	  "  id INTEGER PRIMARY KEY,"
	  "  job_id INTEGER REFERENCES jobs(id),"
	  "  change_id INTEGER NOT NULL REFERENCES changes(id),"
	  "  suite TEXT NOT NULL, case_name TEXT NOT NULL, target TEXT NOT NULL,"
	  "  status TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 1, duration_ms INTEGER,"
	  "  reason TEXT, log_path TEXT, flaky INTEGER NOT NULL DEFAULT 0,"
	  "  created_at INTEGER NOT NULL);"
	  "CREATE INDEX results_change ON results(change_id);"
	  "CREATE INDEX results_case ON results(suite, case_name, target);" },
	{ 2, "symbols, TAP checks, console logs",
	  "CREATE TABLE symbols ("
	  "  build_id INTEGER NOT NULL REFERENCES builds(id),"
	  "  artifact TEXT NOT NULL, name TEXT NOT NULL, section TEXT NOT NULL,"
	  "  size INTEGER NOT NULL);"
	  "CREATE INDEX symbols_build ON symbols(build_id);"
	  "CREATE TABLE checks ("
	  "  result_id INTEGER NOT NULL REFERENCES results(id),"
	  "  number INTEGER NOT NULL, description TEXT, ok INTEGER NOT NULL,"
	  "  directive TEXT, reason TEXT);"
	  "CREATE INDEX checks_result ON checks(result_id);"
	  "CREATE TABLE log_lines ("
	  "  job_id INTEGER NOT NULL REFERENCES jobs(id),"
	  "  seq INTEGER NOT NULL, t_ms INTEGER NOT NULL, stream TEXT NOT NULL, line TEXT NOT NULL,"
	  "  PRIMARY KEY (job_id, seq));" },
	{ 3, "devices, leases, webhook deliveries, forge statuses",
	  "CREATE TABLE devices ("
	  "  id TEXT PRIMARY KEY, board TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'idle',"
	  "  lease_job INTEGER, lease_holder TEXT, lease_expires INTEGER,"
	  "  locked_reason TEXT, offline_reason TEXT, infra_errors INTEGER NOT NULL DEFAULT 0,"
	  "  health_status TEXT, health_at INTEGER);"
	  "CREATE TABLE deliveries ("
	  "  id TEXT PRIMARY KEY, forge TEXT NOT NULL, event TEXT NOT NULL,"
	  "  received_at INTEGER NOT NULL);"
	  "CREATE TABLE statuses ("
	  "  id INTEGER PRIMARY KEY, change_id INTEGER NOT NULL REFERENCES changes(id),"
	  "  state TEXT NOT NULL, description TEXT, target_url TEXT, http_status INTEGER,"
	  "  posted_at INTEGER NOT NULL);" },
};

#define LATEST (int)(sizeof(migrations) / sizeof(migrations[0]))

int store_latest_version(void)
{
	return migrations[LATEST - 1].version;
}

static struct sqlite_store *ss(struct store *s)
{
	return (struct sqlite_store *)s;
}

static int db_error(struct sqlite_store *s, const char *what)
{
	int code = sqlite3_errcode(s->db);

	return err_set(code == SQLITE_BUSY || code == SQLITE_LOCKED ? ERR_TIMEOUT : ERR_IO,
		       "store %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int exec_sql(struct sqlite_store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(ERR_IO, "store %s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return ERR_IO;
	}
	return 0;
}

static int sq_version(struct store *base, int *out)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1,
			       &st, NULL) != SQLITE_OK)
		return db_error(s, "reading the schema version");
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_error(s, "reading the schema version");
}

static int migrate(struct sqlite_store *s, int target)
{
	int current, rc;

	rc = exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			 "  version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
			 "  applied_at INTEGER NOT NULL)");
	if (rc)
		return rc;
	rc = sq_version(&s->base, &current);
	if (rc)
		return rc;
	if (current > store_latest_version())
		return err_set(ERR_UNSUPPORTED,
			       "store %s: schema version %d is newer than this rig knows (%d); "
			       "use a newer rig, or another database",
			       s->path, current, store_latest_version());
	for (int i = 0; i < LATEST; i++) {
		const struct migration *m = &migrations[i];
		char record[256];

		if (m->version <= current || (target >= 0 && m->version > target))
			continue;
		if ((rc = exec_sql(s, "BEGIN IMMEDIATE")) != 0)
			return rc;
		snprintf(record, sizeof(record),
			 "INSERT INTO schema_migrations(version, description, applied_at) VALUES (%d, '%s', %lld)",
			 m->version, m->what, (long long)store_now_ms());
		if ((rc = exec_sql(s, m->sql)) != 0 || (rc = exec_sql(s, record)) != 0) {
			err_prefix("migration %d (%s)", m->version, m->what);
			exec_sql(s, "ROLLBACK");
			return ERR_IO;
		}
		if ((rc = exec_sql(s, "COMMIT")) != 0)
			return rc;
	}
	return 0;
}

static void sq_close(struct store *base)
{
	struct sqlite_store *s = ss(base);

	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static int sq_exec(struct store *base, const char *sql)
{
	return exec_sql(ss(base), sql);
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static char *column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

static int sq_change_add(struct store *base, struct store_change *c)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int64_t now = store_now_ms();
	int rc;

	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO changes(repo, forge, kind, number, ref, sha, base_ref, base_sha,"
			       " merge_base, title, author, state, gate, reason, created_at, updated_at)"
			       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(s, "adding a change");
	bind_text(st, 1, c->repo);
	bind_text(st, 2, c->forge);
	bind_text(st, 3, c->kind ? c->kind : "manual");
	if (c->number)
		sqlite3_bind_int64(st, 4, c->number);
	bind_text(st, 5, c->ref);
	bind_text(st, 6, c->sha);
	bind_text(st, 7, c->base_ref);
	bind_text(st, 8, c->base_sha);
	bind_text(st, 9, c->merge_base);
	bind_text(st, 10, c->title);
	bind_text(st, 11, c->author);
	bind_text(st, 12, c->state ? c->state : "queued");
	bind_text(st, 13, c->gate);
	bind_text(st, 14, c->reason);
	sqlite3_bind_int64(st, 15, now);
	sqlite3_bind_int64(st, 16, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(s, "adding a change");
	c->id = sqlite3_last_insert_rowid(s->db);
	c->created_at = c->updated_at = now;
	return 0;
}

static int sq_change_get(struct store *base, int64_t id, struct store_change *c)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	memset(c, 0, sizeof(*c));
	if (sqlite3_prepare_v2(s->db,
			       "SELECT id, repo, forge, kind, coalesce(number, 0), ref, sha, base_ref, base_sha,"
			       " merge_base, title, author, state, gate, reason, created_at, updated_at,"
			       " coalesce(finished_at, 0) FROM changes WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(s, "reading a change");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c->id = sqlite3_column_int64(st, 0);
		c->repo = column_dup(st, 1);
		c->forge = column_dup(st, 2);
		c->kind = column_dup(st, 3);
		c->number = sqlite3_column_int64(st, 4);
		c->ref = column_dup(st, 5);
		c->sha = column_dup(st, 6);
		c->base_ref = column_dup(st, 7);
		c->base_sha = column_dup(st, 8);
		c->merge_base = column_dup(st, 9);
		c->title = column_dup(st, 10);
		c->author = column_dup(st, 11);
		c->state = column_dup(st, 12);
		c->gate = column_dup(st, 13);
		c->reason = column_dup(st, 14);
		c->created_at = sqlite3_column_int64(st, 15);
		c->updated_at = sqlite3_column_int64(st, 16);
		c->finished_at = sqlite3_column_int64(st, 17);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return err_set(ERR_NOTFOUND, "no change %lld", (long long)id);
	return rc == SQLITE_ROW ? 0 : db_error(s, "reading a change");
}

static int sq_change_set_state(struct store *base, int64_t id, const char *state, const char *gate,
			       const char *reason)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int64_t now = store_now_ms();
	bool final = strcmp(state, "done") == 0 || strcmp(state, "cancelled") == 0 ||
		     strcmp(state, "superseded") == 0;
	int rc;

	if (sqlite3_prepare_v2(s->db,
			       "UPDATE changes SET state = ?, gate = coalesce(?, gate),"
			       " reason = coalesce(?, reason), updated_at = ?,"
			       " finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(s, "updating a change");
	bind_text(st, 1, state);
	bind_text(st, 2, gate);
	bind_text(st, 3, reason);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int(st, 5, final);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(s, "updating a change");
	if (sqlite3_changes(s->db) == 0)
		return err_set(ERR_NOTFOUND, "no change %lld", (long long)id);
	return 0;
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.version = sq_version,
	.exec = sq_exec,
	.change_add = sq_change_add,
	.change_get = sq_change_get,
	.change_set_state = sq_change_set_state,
};

int store_sqlite_open(struct store **out, const char *path, int target_version)
{
	struct sqlite_store *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return err_set(ERR_NOMEM, "out of memory");
	}
	s->base.ops = &sqlite_ops;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = err_set(ERR_IO, "store %s: cannot open: %s", path,
			     s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	/* Writers from other threads and processes wait instead of failing at once. */
	sqlite3_busy_timeout(s->db, 10000);
	if ((rc = exec_sql(s, "PRAGMA journal_mode=WAL")) != 0 ||
	    (rc = exec_sql(s, "PRAGMA synchronous=NORMAL")) != 0 ||
	    (rc = exec_sql(s, "PRAGMA foreign_keys=ON")) != 0)
		goto fail;
	if ((rc = migrate(s, target_version)) != 0)
		goto fail;
	*out = &s->base;
	return 0;
fail:
	sqlite3_close(s->db);
	free(s->path);
	free(s);
	return rc;
}
