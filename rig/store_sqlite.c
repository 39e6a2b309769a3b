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
	  "  artifact TEXT NOT NULL, section TEXT NOT NULL, class TEXT NOT NULL, region TEXT NOT NULL,"
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
	{ 2, "symbols, TAP checks",
	  "CREATE TABLE symbols ("
	  "  build_id INTEGER NOT NULL REFERENCES builds(id),"
	  "  artifact TEXT NOT NULL, name TEXT NOT NULL, section TEXT NOT NULL, kind TEXT NOT NULL,"
	  "  file TEXT, size INTEGER NOT NULL);"
	  "CREATE INDEX symbols_build ON symbols(build_id);"
	  "CREATE TABLE checks ("
	  "  result_id INTEGER NOT NULL REFERENCES results(id),"
	  "  number INTEGER NOT NULL, description TEXT, ok INTEGER NOT NULL,"
	  "  directive TEXT, reason TEXT);"
	  "CREATE INDEX checks_result ON checks(result_id);" },
	{ 3, "devices, leases, webhook deliveries, forge statuses",
	  "CREATE TABLE devices ("
	  "  id TEXT PRIMARY KEY, board TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'idle',"
	  "  lease_job INTEGER, lease_holder TEXT, lease_expires INTEGER,"
	  "  locked_reason TEXT, offline_reason TEXT, infra_errors INTEGER NOT NULL DEFAULT 0,"
	  "  health_status TEXT, health_reason TEXT, health_at INTEGER);"
	  "CREATE TABLE deliveries ("
	  "  id TEXT PRIMARY KEY, forge TEXT NOT NULL, event TEXT NOT NULL,"
	  "  received_at INTEGER NOT NULL);"
	  "CREATE TABLE statuses ("
	  "  id INTEGER PRIMARY KEY, change_id INTEGER NOT NULL REFERENCES changes(id),"
	  "  state TEXT NOT NULL, description TEXT, target_url TEXT, http_status INTEGER,"
	  "  posted_at INTEGER NOT NULL);" },
	/* dashboard: a job's results, a board's builds by commit (base builds, size history) */
	{ 4, "indexes for the dashboard",
	  "CREATE INDEX results_job ON results(job_id);"
	  "CREATE INDEX builds_board_sha ON builds(board, sha);" },
	/* serve: the daemon's queue, what it has seen of each forge, size thresholds crossed */
	{ 5, "forge refs, resumable jobs, size findings",
	  "CREATE TABLE forge_refs ("
	  "  forge TEXT NOT NULL, ref TEXT NOT NULL, sha TEXT NOT NULL, seen_at INTEGER NOT NULL,"
	  "  PRIMARY KEY (forge, ref));"
	  "ALTER TABLE jobs ADD COLUMN resume INTEGER NOT NULL DEFAULT 0;"
	  "CREATE INDEX jobs_claim ON jobs(state, target_kind, target, priority);"
	  "CREATE INDEX changes_state ON changes(state);"
	  "CREATE INDEX changes_forge_ref ON changes(forge, ref);"
	  "CREATE TABLE size_findings ("
	  "  build_id INTEGER NOT NULL REFERENCES builds(id),"
	  "  region TEXT NOT NULL, action TEXT NOT NULL, text TEXT NOT NULL,"
	  "  delta INTEGER NOT NULL, percent REAL NOT NULL DEFAULT 0);"
	  "CREATE INDEX size_findings_build ON size_findings(build_id);" },
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
		/* Another connection may have applied it while we waited for the write lock. */
		if ((rc = sq_version(&s->base, &current)) != 0) {
			exec_sql(s, "ROLLBACK");
			return rc;
		}
		if (m->version <= current) {
			exec_sql(s, "COMMIT");
			continue;
		}
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

static int prepare(struct sqlite_store *s, sqlite3_stmt **st, const char *sql, const char *what)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_error(s, what);
	return 0;
}

/* Steps a statement that returns no rows, finalizes it, reports failure as `what`. */
static int step_done(struct sqlite_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		db_error(s, what);
		sqlite3_finalize(st);
		return ERR_IO;
	}
	sqlite3_finalize(st);
	return 0;
}

static int sq_build_add(struct store *base, struct store_build *b)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int64_t now = store_now_ms();
	int rc;

	if ((rc = prepare(s, &st,
			  "INSERT INTO builds(change_id, board, sha, tree, cache_key, image_id, status, cached,"
			  " source_build_id, duration_ms, reason, log_path, output_dir, created_at, finished_at)"
			  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", "adding a build")))
		return rc;
	if (b->change_id)
		sqlite3_bind_int64(st, 1, b->change_id);
	bind_text(st, 2, b->board);
	bind_text(st, 3, b->sha);
	bind_text(st, 4, b->tree);
	bind_text(st, 5, b->cache_key);
	bind_text(st, 6, b->image_id);
	bind_text(st, 7, b->status ? b->status : "running");
	sqlite3_bind_int(st, 8, b->cached);
	if (b->source_build_id)
		sqlite3_bind_int64(st, 9, b->source_build_id);
	sqlite3_bind_int64(st, 10, b->duration_ms);
	bind_text(st, 11, b->reason);
	bind_text(st, 12, b->log_path);
	bind_text(st, 13, b->output_dir);
	sqlite3_bind_int64(st, 14, now);
	if (b->cached)
		sqlite3_bind_int64(st, 15, now);
	if ((rc = step_done(s, st, "adding a build")))
		return rc;
	b->id = sqlite3_last_insert_rowid(s->db);
	b->created_at = now;
	return 0;
}

static int sq_build_finish(struct store *base, int64_t id, const char *status, int64_t duration_ms,
			   const char *reason, const char *output_dir, const char *log_path)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st,
			  "UPDATE builds SET status = ?, duration_ms = ?, reason = ?,"
			  " output_dir = coalesce(?, output_dir), log_path = coalesce(?, log_path),"
			  " finished_at = ? WHERE id = ?", "finishing a build")))
		return rc;
	bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, duration_ms);
	bind_text(st, 3, reason);
	bind_text(st, 4, output_dir);
	bind_text(st, 5, log_path);
	sqlite3_bind_int64(st, 6, store_now_ms());
	sqlite3_bind_int64(st, 7, id);
	if ((rc = step_done(s, st, "finishing a build")))
		return rc;
	return sqlite3_changes(s->db) ? 0 : err_set(ERR_NOTFOUND, "no build %lld", (long long)id);
}

#define BUILD_COLUMNS \
	"id, coalesce(change_id, 0), board, sha, tree, cache_key, image_id, status, cached," \
	" coalesce(source_build_id, 0), coalesce(duration_ms, 0), reason, log_path, output_dir," \
	" created_at, coalesce(finished_at, 0)"

static int read_build(sqlite3_stmt *st, void *row)
{
	struct store_build *b = row;

	b->id = sqlite3_column_int64(st, 0);
	b->change_id = sqlite3_column_int64(st, 1);
	b->board = column_dup(st, 2);
	b->sha = column_dup(st, 3);
	b->tree = column_dup(st, 4);
	b->cache_key = column_dup(st, 5);
	b->image_id = column_dup(st, 6);
	b->status = column_dup(st, 7);
	b->cached = sqlite3_column_int(st, 8) != 0;
	b->source_build_id = sqlite3_column_int64(st, 9);
	b->duration_ms = sqlite3_column_int64(st, 10);
	b->reason = column_dup(st, 11);
	b->log_path = column_dup(st, 12);
	b->output_dir = column_dup(st, 13);
	b->created_at = sqlite3_column_int64(st, 14);
	b->finished_at = sqlite3_column_int64(st, 15);
	return 0;
}

static int build_query(struct sqlite_store *s, sqlite3_stmt *st, struct store_build *out, const char *what,
		       const char *missing)
{
	int rc = sqlite3_step(st);

	memset(out, 0, sizeof(*out));
	if (rc == SQLITE_ROW)
		read_build(st, out);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return err_set(ERR_NOTFOUND, "%s", missing);
	return db_error(s, what);
}

static int sq_build_find(struct store *base, const char *cache_key, struct store_build *out)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	/* The build that did the work, not a reuse of it: its output folder is the real one. */
	if ((rc = prepare(s, &st,
			  "SELECT " BUILD_COLUMNS " FROM builds WHERE cache_key = ? AND cached = 0"
			  " AND status IN ('ok', 'fail') ORDER BY id DESC LIMIT 1", "finding a build")))
		return rc;
	bind_text(st, 1, cache_key);
	return build_query(s, st, out, "finding a build", "no finished build with that key");
}

static int sq_build_get(struct store *base, int64_t id, struct store_build *out)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st, "SELECT " BUILD_COLUMNS " FROM builds WHERE id = ?", "reading a build")))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return build_query(s, st, out, "reading a build", "no such build");
}

/* Makes room for one more element of size bytes in *v; ERR_NOMEM leaves *v as it was. */
static int grow(void **v, size_t *alloc, size_t count, size_t size)
{
	void *nv;
	size_t na;

	if (count < *alloc)
		return 0;
	na = *alloc ? *alloc * 2 : 16;
	nv = realloc(*v, na * size);
	if (!nv)
		return err_set(ERR_NOMEM, "out of memory");
	memset((char *)nv + *alloc * size, 0, (na - *alloc) * size);
	*v = nv;
	*alloc = na;
	return 0;
}

/*
 * Steps st to its end, reading each row into a growing array of elem_size-byte
 * elements (zeroed first) with read_row(st, elem); finalizes st. *out and *n are
 * set only on success. On failure frees what was read with free_rows: a step
 * error is reported as `what`, running out of memory as ERR_NOMEM. A reader
 * fails with a negative ERR_* of its own; the row it stopped in is freed with
 * the others, so it need not tidy up after itself.
 */
static int collect_rows(struct sqlite_store *s, sqlite3_stmt *st, size_t elem_size,
			int (*read_row)(sqlite3_stmt *, void *), void (*free_rows)(void *, size_t), void **out,
			size_t *n, const char *what)
{
	void *v = NULL;
	size_t count = 0, alloc = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = grow(&v, &alloc, count, elem_size)) != 0 ||
		    (rc = read_row(st, (char *)v + count++ * elem_size)) != 0) {
			sqlite3_finalize(st);
			free_rows(v, count);
			return rc;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free_rows(v, count);
		return db_error(s, what);
	}
	*out = v;
	*n = count;
	return 0;
}

static int sq_artifact_add(struct store *base, int64_t build_id, const struct store_artifact *a)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st,
			  "INSERT INTO artifacts(build_id, name, kind, sha256, size, path) VALUES (?,?,?,?,?,?)",
			  "adding an artifact")))
		return rc;
	sqlite3_bind_int64(st, 1, build_id);
	bind_text(st, 2, a->name);
	bind_text(st, 3, a->kind);
	bind_text(st, 4, a->sha256);
	sqlite3_bind_int64(st, 5, a->size);
	bind_text(st, 6, a->path);
	return step_done(s, st, "adding an artifact");
}

static int read_artifact(sqlite3_stmt *st, void *row)
{
	struct store_artifact *a = row;

	a->name = column_dup(st, 0);
	a->kind = column_dup(st, 1);
	a->sha256 = column_dup(st, 2);
	a->size = sqlite3_column_int64(st, 3);
	a->path = column_dup(st, 4);
	return 0;
}

static void artifacts_free(void *v, size_t n)
{
	store_artifacts_free(v, n);
}

static int sq_artifacts_list(struct store *base, int64_t build_id, struct store_artifact **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st,
			  "SELECT name, kind, sha256, size, path FROM artifacts WHERE build_id = ? ORDER BY name",
			  "listing artifacts")))
		return rc;
	sqlite3_bind_int64(st, 1, build_id);
	return collect_rows(s, st, sizeof(**out), read_artifact, artifacts_free, (void **)out, n, "listing artifacts");
}

/* Many rows in one transaction: a kernel has hundreds of symbols. */
static int insert_rows(struct sqlite_store *s, const char *sql, int64_t build_id, const void *rows,
		       size_t n, size_t row_size, int (*bind)(sqlite3_stmt *, const void *), const char *what)
{
	sqlite3_stmt *st;
	bool own_tx = sqlite3_get_autocommit(s->db) != 0;
	int rc;

	if (own_tx && (rc = exec_sql(s, "BEGIN IMMEDIATE")))
		return rc;
	if ((rc = prepare(s, &st, sql, what)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, build_id);
		bind(st, (const char *)rows + i * row_size);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_error(s, what);
			break;
		}
	}
	sqlite3_finalize(st);
out:
	if (own_tx)
		exec_sql(s, rc ? "ROLLBACK" : "COMMIT");
	return rc;
}

static int bind_size(sqlite3_stmt *st, const void *row)
{
	const struct store_size *z = row;

	bind_text(st, 2, z->artifact);
	bind_text(st, 3, z->section);
	bind_text(st, 4, z->cls);
	bind_text(st, 5, z->region);
	return sqlite3_bind_int64(st, 6, z->size);
}

static int bind_symbol(sqlite3_stmt *st, const void *row)
{
	const struct store_symbol *z = row;

	bind_text(st, 2, z->artifact);
	bind_text(st, 3, z->name);
	bind_text(st, 4, z->section);
	bind_text(st, 5, z->kind);
	bind_text(st, 6, z->file);
	return sqlite3_bind_int64(st, 7, z->size);
}

static int sq_sizes_add(struct store *base, int64_t build_id, const struct store_size *v, size_t n)
{
	return insert_rows(ss(base), "INSERT INTO sizes(build_id, artifact, section, class, region, size) VALUES (?,?,?,?,?,?)",
			   build_id, v, n, sizeof(*v), bind_size, "adding sizes");
}

static int sq_symbols_add(struct store *base, int64_t build_id, const struct store_symbol *v, size_t n)
{
	return insert_rows(ss(base), "INSERT INTO symbols(build_id, artifact, name, section, kind, file, size) VALUES (?,?,?,?,?,?,?)",
			   build_id, v, n, sizeof(*v), bind_symbol, "adding symbols");
}

static int sq_job_add(struct store *base, struct store_job *j)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st,
			  "INSERT INTO jobs(change_id, build_id, suite, target, target_kind, device, state,"
			  " priority, created_at) VALUES (?,?,?,?,?,?, 'queued', ?, ?)", "adding a job")))
		return rc;
	sqlite3_bind_int64(st, 1, j->change_id);
	if (j->build_id)
		sqlite3_bind_int64(st, 2, j->build_id);
	bind_text(st, 3, j->suite);
	bind_text(st, 4, j->target);
	bind_text(st, 5, j->target_kind);
	bind_text(st, 6, j->device);
	sqlite3_bind_int64(st, 7, j->priority);
	sqlite3_bind_int64(st, 8, store_now_ms());
	if ((rc = step_done(s, st, "adding a job")))
		return rc;
	j->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int sq_job_set_state(struct store *base, int64_t id, const char *state, const char *reason)
{
	struct sqlite_store *s = ss(base);
	bool running = strcmp(state, "running") == 0;
	bool final = !running && strcmp(state, "queued") != 0;
	sqlite3_stmt *st;
	int64_t now = store_now_ms();
	int rc;

	if ((rc = prepare(s, &st,
			  "UPDATE jobs SET state = ?, reason = coalesce(?, reason),"
			  " attempts = attempts + ?,"
			  " started_at = CASE WHEN ? THEN ? ELSE started_at END,"
			  " finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE id = ?",
			  "updating a job")))
		return rc;
	bind_text(st, 1, state);
	bind_text(st, 2, reason);
	sqlite3_bind_int(st, 3, running);
	sqlite3_bind_int(st, 4, running);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int(st, 6, final);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, id);
	if ((rc = step_done(s, st, "updating a job")))
		return rc;
	return sqlite3_changes(s->db) ? 0 : err_set(ERR_NOTFOUND, "no job %lld", (long long)id);
}

static int sq_result_add(struct store *base, struct store_result *r)
{
	struct sqlite_store *s = ss(base);
	bool own_tx = sqlite3_get_autocommit(s->db) != 0;
	sqlite3_stmt *st = NULL;
	int rc;

	if (own_tx && (rc = exec_sql(s, "BEGIN IMMEDIATE")))
		return rc;
	if ((rc = prepare(s, &st,
			  "INSERT INTO results(job_id, change_id, suite, case_name, target, status, attempt,"
			  " duration_ms, reason, log_path, flaky, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
			  "adding a result")))
		goto out;
	if (r->job_id)
		sqlite3_bind_int64(st, 1, r->job_id);
	sqlite3_bind_int64(st, 2, r->change_id);
	bind_text(st, 3, r->suite);
	bind_text(st, 4, r->case_name);
	bind_text(st, 5, r->target);
	bind_text(st, 6, r->status);
	sqlite3_bind_int(st, 7, r->attempt ? r->attempt : 1);
	sqlite3_bind_int64(st, 8, r->duration_ms);
	bind_text(st, 9, r->reason);
	bind_text(st, 10, r->log_path);
	sqlite3_bind_int(st, 11, r->flaky);
	sqlite3_bind_int64(st, 12, store_now_ms());
	if ((rc = step_done(s, st, "adding a result")))
		goto out;
	r->id = sqlite3_last_insert_rowid(s->db);
	if ((rc = prepare(s, &st,
			  "INSERT INTO checks(result_id, number, description, ok, directive, reason)"
			  " VALUES (?,?,?,?,?,?)", "adding checks")))
		goto out;
	for (size_t i = 0; i < r->nchecks; i++) {
		const struct store_check *c = &r->checks[i];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, r->id);
		sqlite3_bind_int(st, 2, c->number);
		bind_text(st, 3, c->description);
		sqlite3_bind_int(st, 4, c->ok);
		bind_text(st, 5, c->directive);
		bind_text(st, 6, c->reason);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_error(s, "adding checks");
			break;
		}
	}
	sqlite3_finalize(st);
out:
	if (own_tx)
		exec_sql(s, rc ? "ROLLBACK" : "COMMIT");
	return rc;
}

/* ---- devices and leases ---- */

#define DEVICE_COLUMNS \
	"id, board," \
	" CASE WHEN state = 'idle' AND lease_job IS NOT NULL AND lease_expires > ?1 THEN 'leased' ELSE state END," \
	" CASE WHEN lease_expires > ?1 THEN coalesce(lease_job, 0) ELSE 0 END," \
	" CASE WHEN lease_expires > ?1 THEN lease_holder END," \
	" CASE WHEN lease_expires > ?1 THEN lease_expires ELSE 0 END," \
	" locked_reason, offline_reason, infra_errors, health_status, health_reason, coalesce(health_at, 0)"

static int read_device(sqlite3_stmt *st, void *row)
{
	struct store_device *d = row;

	d->id = column_dup(st, 0);
	d->board = column_dup(st, 1);
	d->state = column_dup(st, 2);
	d->lease_job = sqlite3_column_int64(st, 3);
	d->lease_holder = column_dup(st, 4);
	d->lease_expires = sqlite3_column_int64(st, 5);
	d->locked_reason = column_dup(st, 6);
	d->offline_reason = column_dup(st, 7);
	d->infra_errors = sqlite3_column_int64(st, 8);
	d->health_status = column_dup(st, 9);
	d->health_reason = column_dup(st, 10);
	d->health_at = sqlite3_column_int64(st, 11);
	return 0;
}

static void devices_free(void *v, size_t n)
{
	store_devices_free(v, n);
}

static int sq_device_sync(struct store *base, const char *id, const char *board)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st,
			  "INSERT INTO devices(id, board) VALUES (?, ?)"
			  " ON CONFLICT(id) DO UPDATE SET board = excluded.board", "adding a device")))
		return rc;
	bind_text(st, 1, id);
	bind_text(st, 2, board);
	return step_done(s, st, "adding a device");
}

static int sq_device_get(struct store *base, const char *id, struct store_device *out)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = prepare(s, &st, "SELECT " DEVICE_COLUMNS " FROM devices WHERE id = ?2", "reading a device")))
		return rc;
	sqlite3_bind_int64(st, 1, store_now_ms());
	bind_text(st, 2, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_device(st, out);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return err_set(ERR_NOTFOUND, "no device '%s' in the rack", id);
	return db_error(s, "reading a device");
}

static int sq_devices_list(struct store *base, struct store_device **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st, "SELECT " DEVICE_COLUMNS " FROM devices ORDER BY board, id", "listing devices")))
		return rc;
	sqlite3_bind_int64(st, 1, store_now_ms());
	return collect_rows(s, st, sizeof(**out), read_device, devices_free, (void **)out, n, "listing devices");
}

/* Why a lease could not be taken, as a sentence. */
static int lease_refused(struct store *base, const char *id)
{
	struct store_device d;
	int rc = sq_device_get(base, id, &d);

	if (rc)
		return rc;
	if (strcmp(d.state, "locked") == 0)
		rc = err_set(ERR_CONFLICT, "device %s is locked: %s", id, d.locked_reason ? d.locked_reason : "");
	else if (strcmp(d.state, "offline") == 0)
		rc = err_set(ERR_CONFLICT, "device %s is offline: %s", id, d.offline_reason ? d.offline_reason : "");
	else
		rc = err_set(ERR_CONFLICT, "device %s is leased by job %lld (%s)", id, (long long)d.lease_job,
			     d.lease_holder ? d.lease_holder : "?");
	store_device_release(&d);
	return rc;
}

static int sq_device_lease(struct store *base, const char *id, int64_t job, const char *holder, int64_t ttl_ms)
{
	struct sqlite_store *s = ss(base);
	int64_t now = store_now_ms();
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st,
			  "UPDATE devices SET lease_job = ?1, lease_holder = ?2, lease_expires = ?3"
			  " WHERE id = ?4 AND state = 'idle'"
			  " AND (lease_job IS NULL OR lease_expires <= ?5 OR lease_job = ?1)", "leasing a device")))
		return rc;
	sqlite3_bind_int64(st, 1, job);
	bind_text(st, 2, holder);
	sqlite3_bind_int64(st, 3, now + ttl_ms);
	bind_text(st, 4, id);
	sqlite3_bind_int64(st, 5, now);
	if ((rc = step_done(s, st, "leasing a device")))
		return rc;
	return sqlite3_changes(s->db) ? 0 : lease_refused(base, id);
}

static int sq_device_lease_any(struct store *base, const char *board, const char *exclude, int64_t job,
			       const char *holder, int64_t ttl_ms, char *out, size_t out_size)
{
	struct sqlite_store *s = ss(base);
	char ids[16][128];
	size_t n = 0;
	sqlite3_stmt *st;
	int rc;

	/* The device left idle longest first, so work spreads over the rack. */
	if ((rc = prepare(s, &st,
			  "SELECT id FROM devices WHERE board = ?1 AND state = 'idle'"
			  " AND (lease_job IS NULL OR lease_expires <= ?2) AND id != coalesce(?3, '')"
			  " ORDER BY coalesce(lease_expires, 0), id LIMIT 16", "choosing a device")))
		return rc;
	bind_text(st, 1, board);
	sqlite3_bind_int64(st, 2, store_now_ms());
	bind_text(st, 3, exclude);
	while (n < 16 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(ids[n++], sizeof(ids[0]), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		/* Another process may take it between the choice and the update; the update decides. */
		if (sq_device_lease(base, ids[i], job, holder, ttl_ms) == 0) {
			snprintf(out, out_size, "%s", ids[i]);
			return 0;
		}
	}
	return err_set(ERR_NOTFOUND, "no idle device of board %s%s%s", board, exclude ? " other than " : "",
		       exclude ? exclude : "");
}

/*
 * One conditional UPDATE of a device: ?1 is the id, ?2 to ?4 integers, ?5 a
 * text. ERR_NOTFOUND when no row matched (unknown id, or a condition failed).
 */
static int sq_device_update(struct store *base, const char *sql, const char *id, int64_t a, int64_t b,
			    int64_t c, const char *text, const char *what)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st, sql, what)))
		return rc;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	sqlite3_bind_int64(st, 4, c);
	bind_text(st, 5, text);
	if ((rc = step_done(s, st, what)))
		return rc;
	return sqlite3_changes(s->db) ? 0 : ERR_NOTFOUND;
}

static int sq_device_refresh(struct store *base, const char *id, int64_t job, int64_t ttl_ms)
{
	int64_t now = store_now_ms();
	int rc = sq_device_update(base,
				  "UPDATE devices SET lease_expires = ?3"
				  " WHERE id = ?1 AND lease_job = ?2 AND lease_expires > ?4",
				  id, job, now + ttl_ms, now, NULL, "refreshing a lease");

	if (rc == ERR_NOTFOUND)
		return err_set(ERR_CONFLICT, "the lease of device %s by job %lld was lost (expired or taken)", id,
			       (long long)job);
	return rc;
}

static int sq_device_unlease(struct store *base, const char *id, int64_t job)
{
	/* lease_expires keeps the release time: lease_any then picks the device idle longest. */
	int rc = sq_device_update(base,
				  "UPDATE devices SET lease_job = NULL, lease_holder = NULL, lease_expires = ?3"
				  " WHERE id = ?1 AND lease_job = ?2",
				  id, job, store_now_ms(), 0, NULL, "releasing a lease");

	/* Releasing a lease already lost is not an error: it is gone either way. */
	return rc == ERR_NOTFOUND ? 0 : rc;
}

static int not_found(int rc, const char *id)
{
	return rc == ERR_NOTFOUND ? err_set(ERR_NOTFOUND, "no device '%s' in the rack", id) : rc;
}

static int sq_device_lock(struct store *base, const char *id, const char *reason)
{
	return not_found(sq_device_update(base, "UPDATE devices SET state = 'locked', locked_reason = ?5 WHERE id = ?1",
					  id, 0, 0, 0, reason ? reason : "locked by hand", "locking a device"), id);
}

static int sq_device_unlock(struct store *base, const char *id)
{
	return not_found(sq_device_update(base,
					  "UPDATE devices SET state = 'idle', locked_reason = NULL,"
					  " offline_reason = NULL, infra_errors = 0 WHERE id = ?1",
					  id, 0, 0, 0, NULL, "unlocking a device"), id);
}

static int sq_device_health(struct store *base, const char *id, bool ok, const char *reason)
{
	/* A passing check ends an offline spell (not a lock: a person put that there). */
	return not_found(sq_device_update(base,
					  ok ? "UPDATE devices SET health_status = 'ok', health_reason = ?5,"
					       " health_at = ?2, infra_errors = 0, offline_reason = NULL,"
					       " state = CASE WHEN state = 'offline' THEN 'idle' ELSE state END"
					       " WHERE id = ?1"
					     : "UPDATE devices SET health_status = 'fail', health_reason = ?5,"
					       " health_at = ?2 WHERE id = ?1",
					  id, store_now_ms(), 0, 0, reason, "recording a health check"), id);
}

static int sq_device_infra_error(struct store *base, const char *id, const char *reason, int64_t offline_after,
				 bool *offline)
{
	struct store_device d;
	int rc;

	*offline = false;
	rc = sq_device_update(base,
			      "UPDATE devices SET infra_errors = infra_errors + 1,"
			      " state = CASE WHEN infra_errors + 1 >= ?2 AND state = 'idle' THEN 'offline' ELSE state END,"
			      " offline_reason = CASE WHEN infra_errors + 1 >= ?2 AND state = 'idle'"
			      "   THEN printf('%d consecutive infrastructure errors, last: %s', infra_errors + 1, ?5)"
			      "   ELSE offline_reason END"
			      " WHERE id = ?1",
			      id, offline_after, 0, 0, reason ? reason : "", "counting an infrastructure error");
	if (rc)
		return not_found(rc, id);
	if ((rc = sq_device_get(base, id, &d)) != 0)
		return rc;
	*offline = strcmp(d.state, "offline") == 0;
	store_device_release(&d);
	return 0;
}
/* hooks: webhook deliveries and forge statuses, defined at the end of this file */
static int sq_delivery_add(struct store *base, const char *id, const char *forge, const char *event);
static int sq_delivery_forget(struct store *base, const char *id);
static int sq_deliveries_prune(struct store *base, int64_t before_ms);
static int sq_status_add(struct store *base, struct store_status *st);
static int sq_statuses_list(struct store *base, int64_t change_id, struct store_status **out, size_t *n);
static int sq_statuses_stale(struct store *base, int64_t before_ms, struct store_status **out, size_t *n);
/* rack: health checks, defined at the end of this file */
static int sq_build_bootable(struct store *base, const char *board, struct store_build *out);
static int sq_job_set_device(struct store *base, int64_t job, const char *device);

/* dashboard: read-only views, defined at the end of this file */
static int sq_changes_list(struct store *base, const struct store_change_filter *f, struct store_change_row **out,
			   size_t *n);
static int sq_change_builds(struct store *base, int64_t change_id, struct store_build_row **out, size_t *n);
static int sq_symbol_deltas(struct store *base, int64_t build, int64_t base_build, size_t limit,
			    struct store_symbol_delta **out, size_t *n);
static int sq_change_results(struct store *base, int64_t change_id, struct store_result_row **out, size_t *n);
static int sq_case_history(struct store *base, const char *suite, const char *case_name, size_t limit,
			   struct store_result_row **out, size_t *n);
static int sq_job_get(struct store *base, int64_t id, struct store_job_row *out);
static int sq_job_retry(struct store *base, int64_t id, const char *reason);
static int sq_size_history(struct store *base, const char *board, size_t limit, struct store_size_point **out,
			   size_t *n);
static int sq_boards_built(struct store *base, char ***out, size_t *n);
static int sq_metrics_read(struct store *base, struct store_metrics *out);

/* serve: the daemon's durable queue, defined at the end of this file */
static int sq_change_claim(struct store *base, struct store_change *out);
static int sq_change_transition(struct store *base, int64_t id, const char *const *from, const char *to,
				const char *gate, const char *reason);
static int sq_change_update(struct store *base, const struct store_change *c);
static int sq_change_exists(struct store *base, const char *forge, const char *ref, const char *sha, bool *out);
static int sq_changes_end(struct store *base, const char *forge, const char *ref, int64_t except_id, const char *to,
			  const char *reason, int64_t **ids, size_t *n);
static int sq_change_ids(struct store *base, const char *state, int64_t since_ms, int64_t **ids, size_t *n);
static int sq_builds_of_change(struct store *base, int64_t change_id, struct store_build **out, size_t *n);
static int sq_size_findings_add(struct store *base, int64_t build_id, const struct store_size_finding *v, size_t n);
static int sq_size_findings_list(struct store *base, int64_t build_id, struct store_size_finding **out, size_t *n);
static int sq_job_claim(struct store *base, const char *target_kind, const char *target,
			struct store_claimed_job *out);
static int sq_job_requeue(struct store *base, int64_t id, const char *reason);
static int sq_jobs_of_change(struct store *base, int64_t change_id, struct store_job_state **out, size_t *n);
static int sq_results_of(struct store *base, int64_t change_id, int64_t job_id, int64_t since_ms,
			 struct store_case_result **out, size_t *n);
static int sq_forge_refs_list(struct store *base, const char *forge, struct store_forge_ref **out, size_t *n);
static int sq_forge_ref_set(struct store *base, const char *forge, const char *ref, const char *sha);
static int sq_serve_recover(struct store *base, struct store_recovery *out);

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.version = sq_version,
	.exec = sq_exec,
	.change_add = sq_change_add,
	.change_get = sq_change_get,
	.change_set_state = sq_change_set_state,
	.build_add = sq_build_add,
	.build_finish = sq_build_finish,
	.build_find = sq_build_find,
	.build_get = sq_build_get,
	.artifact_add = sq_artifact_add,
	.artifacts_list = sq_artifacts_list,
	.sizes_add = sq_sizes_add,
	.symbols_add = sq_symbols_add,
	.job_add = sq_job_add,
	.job_set_state = sq_job_set_state,
	.result_add = sq_result_add,
	.device_sync = sq_device_sync,
	.device_get = sq_device_get,
	.devices_list = sq_devices_list,
	.device_lease = sq_device_lease,
	.device_lease_any = sq_device_lease_any,
	.device_refresh = sq_device_refresh,
	.device_unlease = sq_device_unlease,
	.device_lock = sq_device_lock,
	.device_unlock = sq_device_unlock,
	.device_health = sq_device_health,
	.device_infra_error = sq_device_infra_error,
	/* hooks */
	.delivery_add = sq_delivery_add,
	.delivery_forget = sq_delivery_forget,
	.deliveries_prune = sq_deliveries_prune,
	.status_add = sq_status_add,
	.statuses_list = sq_statuses_list,
	.statuses_stale = sq_statuses_stale,
	/* rack */
	.build_bootable = sq_build_bootable,
	.job_set_device = sq_job_set_device,
	/* dashboard */
	.changes_list = sq_changes_list,
	.change_builds = sq_change_builds,
	.symbol_deltas = sq_symbol_deltas,
	.change_results = sq_change_results,
	.case_history = sq_case_history,
	.job_get = sq_job_get,
	.job_retry = sq_job_retry,
	.size_history = sq_size_history,
	.boards_built = sq_boards_built,
	.metrics_read = sq_metrics_read,
	/* serve */
	.change_claim = sq_change_claim,
	.change_transition = sq_change_transition,
	.change_update = sq_change_update,
	.change_exists = sq_change_exists,
	.changes_end = sq_changes_end,
	.change_ids = sq_change_ids,
	.builds_of_change = sq_builds_of_change,
	.size_findings_add = sq_size_findings_add,
	.size_findings_list = sq_size_findings_list,
	.job_claim = sq_job_claim,
	.job_requeue = sq_job_requeue,
	.jobs_of_change = sq_jobs_of_change,
	.results_of = sq_results_of,
	.forge_refs_list = sq_forge_refs_list,
	.forge_ref_set = sq_forge_ref_set,
	.serve_recover = sq_serve_recover,
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

/* ---- hooks: webhook deliveries and forge statuses ---- */

static int sq_delivery_add(struct store *base, const char *id, const char *forge, const char *event)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	/* The primary key is the check: of two threads racing on one id, one inserts. */
	if ((rc = prepare(s, &st,
			  "INSERT OR IGNORE INTO deliveries(id, forge, event, received_at) VALUES (?,?,?,?)",
			  "remembering a webhook delivery")))
		return rc;
	bind_text(st, 1, id);
	bind_text(st, 2, forge);
	bind_text(st, 3, event);
	sqlite3_bind_int64(st, 4, store_now_ms());
	if ((rc = step_done(s, st, "remembering a webhook delivery")))
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return err_set(ERR_EXISTS, "webhook delivery %s was already received", id);
	return 0;
}

static int sq_delivery_forget(struct store *base, const char *id)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st, "DELETE FROM deliveries WHERE id = ?", "forgetting a webhook delivery")))
		return rc;
	bind_text(st, 1, id);
	return step_done(s, st, "forgetting a webhook delivery");
}

static int sq_deliveries_prune(struct store *base, int64_t before_ms)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st, "DELETE FROM deliveries WHERE received_at < ?", "pruning webhook deliveries")))
		return rc;
	sqlite3_bind_int64(st, 1, before_ms);
	return step_done(s, st, "pruning webhook deliveries");
}

static int sq_status_add(struct store *base, struct store_status *r)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int64_t now = store_now_ms();
	int rc;

	if ((rc = prepare(s, &st,
			  "INSERT INTO statuses(change_id, state, description, target_url, http_status, posted_at)"
			  " VALUES (?,?,?,?,?,?)", "recording a forge status")))
		return rc;
	sqlite3_bind_int64(st, 1, r->change_id);
	bind_text(st, 2, r->state);
	bind_text(st, 3, r->description);
	bind_text(st, 4, r->target_url);
	sqlite3_bind_int(st, 5, r->http_status);
	sqlite3_bind_int64(st, 6, now);
	if ((rc = step_done(s, st, "recording a forge status")))
		return rc;
	r->id = sqlite3_last_insert_rowid(s->db);
	r->posted_at = now;
	return 0;
}

#define STATUS_COLUMNS \
	"st.id, st.change_id, st.state, st.description, st.target_url, coalesce(st.http_status, 0)," \
	" st.posted_at, c.forge, c.sha"

static int read_status(sqlite3_stmt *st, void *row)
{
	struct store_status *r = row;

	r->id = sqlite3_column_int64(st, 0);
	r->change_id = sqlite3_column_int64(st, 1);
	r->state = column_dup(st, 2);
	r->description = column_dup(st, 3);
	r->target_url = column_dup(st, 4);
	r->http_status = sqlite3_column_int(st, 5);
	r->posted_at = sqlite3_column_int64(st, 6);
	r->forge = column_dup(st, 7);
	r->sha = column_dup(st, 8);
	return 0;
}

static void statuses_free(void *v, size_t n)
{
	store_statuses_free(v, n);
}

static int sq_statuses_list(struct store *base, int64_t change_id, struct store_status **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st,
			  "SELECT " STATUS_COLUMNS " FROM statuses st JOIN changes c ON c.id = st.change_id"
			  " WHERE st.change_id = ? ORDER BY st.id", "listing forge statuses")))
		return rc;
	sqlite3_bind_int64(st, 1, change_id);
	return collect_rows(s, st, sizeof(**out), read_status, statuses_free, (void **)out, n,
			    "listing forge statuses");
}

static int sq_statuses_stale(struct store *base, int64_t before_ms, struct store_status **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	/* accepted: what the forge shows now; newest: what the rig last meant to show. */
	if ((rc = prepare(s, &st,
			  "WITH accepted AS (SELECT change_id, max(id) AS id FROM statuses"
			  "                  WHERE http_status BETWEEN 200 AND 299 GROUP BY change_id),"
			  "     newest AS (SELECT change_id, max(id) AS id FROM statuses GROUP BY change_id)"
			  " SELECT " STATUS_COLUMNS " FROM accepted"
			  " JOIN statuses a ON a.id = accepted.id"
			  " JOIN newest ON newest.change_id = accepted.change_id"
			  " JOIN statuses st ON st.id = newest.id"
			  " JOIN changes c ON c.id = accepted.change_id"
			  " WHERE a.state IN ('pending', 'running') AND a.posted_at < ?"
			  " ORDER BY st.change_id", "finding stale forge statuses")))
		return rc;
	sqlite3_bind_int64(st, 1, before_ms);
	return collect_rows(s, st, sizeof(**out), read_status, statuses_free, (void **)out, n,
			    "finding stale forge statuses");
}

/* ---- dashboard: read-only views for the pages, the JSON API and /metrics ---- */

/*
 * The kernel's bytes of some classes in the sizes of build X (an SQL
 * expression): the artifact of kind kernel, or, for a build that recorded
 * none, its ELFs outside any folder (apps live in one).
 */
#define KERNEL_SUM(X, CLASSES) \
	"(SELECT coalesce(sum(z.size), 0) FROM sizes z WHERE z.build_id = " X " AND z.class IN " CLASSES \
	" AND z.artifact = coalesce((SELECT a.name FROM artifacts a WHERE a.build_id = " X \
	" AND a.kind = 'kernel' LIMIT 1), CASE WHEN z.artifact NOT LIKE '%/%' THEN z.artifact END))"
#define FLASH_CLASSES "('text', 'data')"
#define RAM_CLASSES "('data', 'bss')"

/* The board's ok build at the merge-base of build B's change: the one whose sizes count. */
#define BASE_BUILD(B) \
	"(SELECT coalesce(b2.source_build_id, b2.id) FROM builds b2 WHERE b2.board = " B ".board" \
	" AND b2.sha = (SELECT merge_base FROM changes WHERE id = " B ".change_id) AND b2.status = 'ok'" \
	" ORDER BY b2.id DESC LIMIT 1)"

#define CHANGE_COLUMNS \
	"c.id, c.repo, c.forge, c.kind, coalesce(c.number, 0), c.ref, c.sha, c.base_ref, c.base_sha," \
	" c.merge_base, c.title, c.author, c.state, c.gate, c.reason, c.created_at, c.updated_at," \
	" coalesce(c.finished_at, 0)"
#define NCHANGE_COLUMNS 18

static void read_change(sqlite3_stmt *st, struct store_change *c)
{
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

static int read_change_row(sqlite3_stmt *st, void *row)
{
	struct store_change_row *r = row;

	read_change(st, &r->c);
	r->has_delta = sqlite3_column_int(st, NCHANGE_COLUMNS) != 0;
	r->flash_delta = sqlite3_column_int64(st, NCHANGE_COLUMNS + 1);
	r->ram_delta = sqlite3_column_int64(st, NCHANGE_COLUMNS + 2);
	r->results = sqlite3_column_int64(st, NCHANGE_COLUMNS + 3);
	r->failed = sqlite3_column_int64(st, NCHANGE_COLUMNS + 4);
	return 0;
}

static void change_rows_free(void *v, size_t n)
{
	store_change_rows_free(v, n);
}

static int sq_changes_list(struct store *base, const struct store_change_filter *f, struct store_change_row **out,
			   size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	/* The page of changes first, so sizes and counts are computed for those alone. */
	if ((rc = prepare(s, &st,
			  "WITH page AS (SELECT id FROM changes WHERE (?1 IS NULL OR state = ?1)"
			  "   AND (?2 IS NULL OR coalesce(gate, 'none') = ?2) AND (?3 = 0 OR id < ?3)"
			  "   ORDER BY id DESC LIMIT ?4),"
			  " bb AS (SELECT b.change_id, coalesce(b.source_build_id, b.id) AS sid, " BASE_BUILD("b") " AS bsid"
			  "   FROM builds b WHERE b.change_id IN (SELECT id FROM page) AND b.status = 'ok'),"
			  " ids AS (SELECT sid AS id FROM bb UNION SELECT bsid FROM bb WHERE bsid IS NOT NULL),"
			  /* Each build's kernel totals in one pass over its sizes, not a subquery per sum. */
			  " kt AS (SELECT z.build_id AS id,"
			  "   sum(CASE WHEN z.class IN " FLASH_CLASSES " THEN z.size ELSE 0 END) AS flash,"
			  "   sum(CASE WHEN z.class IN " RAM_CLASSES " THEN z.size ELSE 0 END) AS ram"
			  "   FROM ids JOIN sizes z ON z.build_id = ids.id"
			  "   LEFT JOIN artifacts a ON a.build_id = z.build_id AND a.kind = 'kernel'"
			  "   WHERE z.artifact = coalesce(a.name, CASE WHEN z.artifact NOT LIKE '%/%' THEN z.artifact END)"
			  "   GROUP BY z.build_id),"
			  " agg AS (SELECT bb.change_id, max(k1.flash - k2.flash) AS df, max(k1.ram - k2.ram) AS dr"
			  "   FROM bb JOIN kt k1 ON k1.id = bb.sid JOIN kt k2 ON k2.id = bb.bsid GROUP BY bb.change_id),"
			  " rc AS (SELECT change_id, count(*) AS n, sum(status IN ('fail', 'error')) AS f FROM results"
			  "   WHERE change_id IN (SELECT id FROM page) GROUP BY change_id)"
			  " SELECT " CHANGE_COLUMNS ", agg.df IS NOT NULL, coalesce(agg.df, 0), coalesce(agg.dr, 0),"
			  "  coalesce(rc.n, 0), coalesce(rc.f, 0)"
			  " FROM changes c JOIN page ON page.id = c.id LEFT JOIN agg ON agg.change_id = c.id"
			  " LEFT JOIN rc ON rc.change_id = c.id"
			  " ORDER BY c.id DESC", "listing changes")))
		return rc;
	bind_text(st, 1, f && f->state ? f->state : NULL);
	bind_text(st, 2, f && f->gate ? f->gate : NULL);
	sqlite3_bind_int64(st, 3, f ? f->before : 0);
	sqlite3_bind_int64(st, 4, f && f->limit ? (int64_t)f->limit : 50);
	return collect_rows(s, st, sizeof(**out), read_change_row, change_rows_free, (void **)out, n,
			    "listing changes");
}

static int read_build_row(sqlite3_stmt *st, void *row)
{
	struct store_build_row *r = row;

	read_build(st, &r->b);
	r->sizes_build = sqlite3_column_int64(st, 16);
	r->base_build = sqlite3_column_int64(st, 17);
	r->has_sizes = sqlite3_column_int(st, 18) != 0;
	r->has_base = r->base_build != 0;
	r->text = sqlite3_column_int64(st, 19);
	r->data = sqlite3_column_int64(st, 20);
	r->bss = sqlite3_column_int64(st, 21);
	r->base_text = sqlite3_column_int64(st, 22);
	r->base_data = sqlite3_column_int64(st, 23);
	r->base_bss = sqlite3_column_int64(st, 24);
	return 0;
}

static void build_rows_free(void *v, size_t n)
{
	store_build_rows_free(v, n);
}

static int sq_change_builds(struct store *base, int64_t change_id, struct store_build_row **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st,
			  "WITH bb AS (SELECT b.*, coalesce(b.source_build_id, b.id) AS sid, " BASE_BUILD("b") " AS bsid"
			  "   FROM builds b WHERE b.change_id = ?1)"
			  " SELECT " BUILD_COLUMNS ", sid, coalesce(bsid, 0),"
			  "  EXISTS (SELECT 1 FROM sizes WHERE build_id = sid),"
			  "  " KERNEL_SUM("sid", "('text')") ", " KERNEL_SUM("sid", "('data')") ", "
			  KERNEL_SUM("sid", "('bss')") ","
			  "  " KERNEL_SUM("bsid", "('text')") ", " KERNEL_SUM("bsid", "('data')") ", "
			  KERNEL_SUM("bsid", "('bss')")
			  " FROM bb ORDER BY board, id", "listing a change's builds")))
		return rc;
	sqlite3_bind_int64(st, 1, change_id);
	return collect_rows(s, st, sizeof(**out), read_build_row, build_rows_free, (void **)out, n,
			    "listing a change's builds");
}

static int read_symbol_delta(sqlite3_stmt *st, void *row)
{
	struct store_symbol_delta *d = row;

	d->name = column_dup(st, 0);
	d->section = column_dup(st, 1);
	d->base = sqlite3_column_int64(st, 2);
	d->size = sqlite3_column_int64(st, 3);
	d->delta = sqlite3_column_int64(st, 4);
	return 0;
}

static void symbol_deltas_free(void *v, size_t n)
{
	store_symbol_deltas_free(v, n);
}

static int sq_symbol_deltas(struct store *base, int64_t build, int64_t base_build, size_t limit,
			    struct store_symbol_delta **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	/* A name's sizes summed per build, so a symbol split in two (or present in one build only) still compares. */
	if ((rc = prepare(s, &st,
			  "WITH k AS (SELECT y.build_id, y.name, y.section, y.size FROM symbols y"
			  "   WHERE y.build_id IN (?1, ?2) AND y.artifact = coalesce((SELECT a.name FROM artifacts a"
			  "     WHERE a.build_id = y.build_id AND a.kind = 'kernel' LIMIT 1),"
			  "     CASE WHEN y.artifact NOT LIKE '%/%' THEN y.artifact END)),"
			  " g AS (SELECT name, max(section) AS section,"
			  "   sum(CASE WHEN build_id = ?2 THEN size ELSE 0 END) AS base,"
			  "   sum(CASE WHEN build_id = ?1 THEN size ELSE 0 END) AS size FROM k GROUP BY name)"
			  " SELECT name, section, base, size, size - base AS delta FROM g WHERE size != base"
			  " ORDER BY abs(size - base) DESC, name LIMIT ?3", "comparing symbols")))
		return rc;
	sqlite3_bind_int64(st, 1, build);
	sqlite3_bind_int64(st, 2, base_build);
	sqlite3_bind_int64(st, 3, (int64_t)limit);
	return collect_rows(s, st, sizeof(**out), read_symbol_delta, symbol_deltas_free, (void **)out, n,
			    "comparing symbols");
}

#define RESULT_ROW_COLUMNS \
	"r.id, coalesce(r.job_id, 0), r.change_id, r.suite, r.case_name, r.target," \
	" coalesce(j.target_kind, 'qemu'), coalesce(b.board, r.target), j.device, r.status, r.reason," \
	" r.log_path, r.attempt, r.flaky, coalesce(r.duration_ms, 0), r.created_at, c.sha, c.ref" \
	" FROM results r LEFT JOIN jobs j ON j.id = r.job_id LEFT JOIN builds b ON b.id = j.build_id" \
	" JOIN changes c ON c.id = r.change_id"

static int read_result_row(sqlite3_stmt *st, void *row)
{
	struct store_result_row *r = row;

	r->id = sqlite3_column_int64(st, 0);
	r->job_id = sqlite3_column_int64(st, 1);
	r->change_id = sqlite3_column_int64(st, 2);
	r->suite = column_dup(st, 3);
	r->case_name = column_dup(st, 4);
	r->target = column_dup(st, 5);
	r->kind = column_dup(st, 6);
	r->board = column_dup(st, 7);
	r->device = column_dup(st, 8);
	r->status = column_dup(st, 9);
	r->reason = column_dup(st, 10);
	r->log_path = column_dup(st, 11);
	r->attempt = sqlite3_column_int(st, 12);
	r->flaky = sqlite3_column_int(st, 13) != 0;
	r->duration_ms = sqlite3_column_int64(st, 14);
	r->created_at = sqlite3_column_int64(st, 15);
	r->sha = column_dup(st, 16);
	r->ref = column_dup(st, 17);
	return 0;
}

static void result_rows_free(void *v, size_t n)
{
	store_result_rows_free(v, n);
}

static int sq_change_results(struct store *base, int64_t change_id, struct store_result_row **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st, "SELECT " RESULT_ROW_COLUMNS " WHERE r.change_id = ?"
			  " ORDER BY r.suite, r.case_name, r.target, r.id", "listing a change's results")))
		return rc;
	sqlite3_bind_int64(st, 1, change_id);
	return collect_rows(s, st, sizeof(**out), read_result_row, result_rows_free, (void **)out, n,
			    "listing a change's results");
}

static int sq_case_history(struct store *base, const char *suite, const char *case_name, size_t limit,
			   struct store_result_row **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st, "SELECT " RESULT_ROW_COLUMNS " WHERE r.suite = ? AND r.case_name = ?"
			  " ORDER BY r.id DESC LIMIT ?", "reading a case's history")))
		return rc;
	bind_text(st, 1, suite);
	bind_text(st, 2, case_name);
	sqlite3_bind_int64(st, 3, (int64_t)limit);
	return collect_rows(s, st, sizeof(**out), read_result_row, result_rows_free, (void **)out, n,
			    "reading a case's history");
}

static int sq_job_get(struct store *base, int64_t id, struct store_job_row *out)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = prepare(s, &st,
			  "SELECT j.id, j.change_id, coalesce(j.build_id, 0), j.suite, j.target, j.target_kind, j.device,"
			  " coalesce(b.board, j.target), j.state, j.reason,"
			  " (SELECT r.log_path FROM results r WHERE r.job_id = j.id AND r.log_path IS NOT NULL"
			  "  ORDER BY r.id DESC LIMIT 1),"
			  " j.attempts, j.created_at, coalesce(j.started_at, 0), coalesce(j.finished_at, 0)"
			  " FROM jobs j LEFT JOIN builds b ON b.id = j.build_id WHERE j.id = ?", "reading a job")))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->change_id = sqlite3_column_int64(st, 1);
		out->build_id = sqlite3_column_int64(st, 2);
		out->suite = column_dup(st, 3);
		out->target = column_dup(st, 4);
		out->kind = column_dup(st, 5);
		out->device = column_dup(st, 6);
		out->board = column_dup(st, 7);
		out->state = column_dup(st, 8);
		out->reason = column_dup(st, 9);
		out->log_path = column_dup(st, 10);
		out->attempts = sqlite3_column_int64(st, 11);
		out->created_at = sqlite3_column_int64(st, 12);
		out->started_at = sqlite3_column_int64(st, 13);
		out->finished_at = sqlite3_column_int64(st, 14);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return err_set(ERR_NOTFOUND, "no job %lld", (long long)id);
	return rc == SQLITE_ROW ? 0 : db_error(s, "reading a job");
}

static int sq_job_retry(struct store *base, int64_t id, const char *reason)
{
	struct sqlite_store *s = ss(base);
	struct store_job_row j;
	sqlite3_stmt *st;
	int rc;

	/* One conditional UPDATE: a job the scheduler takes meanwhile is not queued twice. */
	if ((rc = prepare(s, &st,
			  "UPDATE jobs SET state = 'queued', reason = ?2, started_at = NULL, finished_at = NULL"
			  " WHERE id = ?1 AND state NOT IN ('queued', 'running')", "queueing a job again")))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, reason);
	if ((rc = step_done(s, st, "queueing a job again")))
		return rc;
	if (sqlite3_changes(s->db))
		return 0;
	if ((rc = sq_job_get(base, id, &j)) != 0)
		return rc;
	rc = err_set(ERR_CONFLICT, "job %lld is %s already", (long long)id, j.state);
	store_job_row_release(&j);
	return rc;
}

static int read_size_point(sqlite3_stmt *st, void *row)
{
	struct store_size_point *p = row;

	p->build_id = sqlite3_column_int64(st, 0);
	p->change_id = sqlite3_column_int64(st, 1);
	p->at = sqlite3_column_int64(st, 2);
	p->sha = column_dup(st, 3);
	p->ref = column_dup(st, 4);
	p->text = sqlite3_column_int64(st, 5);
	p->data = sqlite3_column_int64(st, 6);
	p->bss = sqlite3_column_int64(st, 7);
	return 0;
}

static void size_points_free(void *v, size_t n)
{
	store_size_points_free(v, n);
}

static int sq_size_history(struct store *base, const char *board, size_t limit, struct store_size_point **out,
			   size_t *n)
{
	struct sqlite_store *s = ss(base);
	struct store_size_point *v;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	/*
	 * The base branch's commits are those built as a merge-base (no change
	 * of their own) or pushed to a protected branch; one point per commit.
	 */
	if ((rc = prepare(s, &st,
			  "WITH pts AS (SELECT min(b.id) AS id FROM builds b LEFT JOIN changes c ON c.id = b.change_id"
			  "   WHERE b.board = ?1 AND b.status = 'ok' AND (b.change_id IS NULL OR c.kind = 'push')"
			  "   GROUP BY b.sha),"
			  " bb AS (SELECT b.*, coalesce(b.source_build_id, b.id) AS sid FROM builds b JOIN pts ON pts.id = b.id)"
			  " SELECT bb.id, coalesce(bb.change_id, 0), coalesce(bb.finished_at, bb.created_at) AS at,"
			  "  bb.sha, c.ref, " KERNEL_SUM("bb.sid", "('text')") ", " KERNEL_SUM("bb.sid", "('data')") ", "
			  KERNEL_SUM("bb.sid", "('bss')")
			  " FROM bb LEFT JOIN changes c ON c.id = bb.change_id"
			  " WHERE EXISTS (SELECT 1 FROM sizes WHERE build_id = bb.sid)"
			  " ORDER BY at DESC, bb.id DESC LIMIT ?2", "reading size history")))
		return rc;
	bind_text(st, 1, board);
	sqlite3_bind_int64(st, 2, (int64_t)limit);
	if ((rc = collect_rows(s, st, sizeof(**out), read_size_point, size_points_free, (void **)out, n,
			       "reading size history")))
		return rc;
	/* Oldest first, as a chart reads. */
	v = *out;
	for (size_t i = 0; i < *n / 2; i++) {
		struct store_size_point t = v[i];

		v[i] = v[*n - 1 - i];
		v[*n - 1 - i] = t;
	}
	return 0;
}

static int read_name(sqlite3_stmt *st, void *row)
{
	char **name = row;

	/* The column is NOT NULL: no copy means no memory. */
	*name = column_dup(st, 0);
	return *name ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static void names_free(void *v, size_t n)
{
	store_names_free(v, n);
}

static int sq_boards_built(struct store *base, char ***out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st, "SELECT DISTINCT board FROM builds ORDER BY board", "listing boards")))
		return rc;
	return collect_rows(s, st, sizeof(**out), read_name, names_free, (void **)out, n, "listing boards");
}

/* Label-count pairs of a GROUP BY into a fixed array (labels past its size are dropped). */
static int read_counts(struct sqlite_store *s, const char *sql, struct store_count *v, size_t cap, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((rc = prepare(s, &st, sql, "counting for metrics")))
		return rc;
	sqlite3_bind_int64(st, 1, store_now_ms());
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *label = sqlite3_column_text(st, 0);

		if (*n == cap || !label)
			continue;
		snprintf(v[*n].label, sizeof(v[*n].label), "%s", (const char *)label);
		v[*n].n = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, "counting for metrics");
}

static int sq_metrics_read(struct store *base, struct store_metrics *out)
{
	struct sqlite_store *s = ss(base);
	struct store_count builds[2];
	size_t nb;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = read_counts(s, "SELECT state, count(*) FROM jobs WHERE ?1 = ?1 GROUP BY state", out->jobs, 8,
			      &out->njobs)) ||
	    (rc = read_counts(s, "SELECT state, count(*) FROM changes WHERE ?1 = ?1 GROUP BY state", out->changes, 8,
			      &out->nchanges)) ||
	    /* A finished job's verdict: error when the rig failed it, else its worst case. */
	    (rc = read_counts(s,
			      "SELECT v, count(*) FROM (SELECT CASE WHEN j.state = 'error' THEN 'error' ELSE"
			      "  (SELECT CASE WHEN sum(r.status = 'fail') > 0 THEN 'fail'"
			      "   WHEN sum(r.status = 'error') > 0 THEN 'error' WHEN sum(r.status = 'pass') > 0 THEN 'pass'"
			      "   WHEN sum(r.status = 'xfail') > 0 THEN 'xfail' WHEN count(*) > 0 THEN 'skip' END"
			      "   FROM results r WHERE r.job_id = j.id) END AS v"
			      " FROM jobs j WHERE j.state NOT IN ('queued', 'running') AND ?1 = ?1)"
			      " WHERE v IS NOT NULL GROUP BY v", out->verdicts, 8, &out->nverdicts)) ||
	    (rc = read_counts(s,
			      "SELECT CASE WHEN state = 'idle' AND lease_job IS NOT NULL AND lease_expires > ?1"
			      " THEN 'leased' ELSE state END AS st, count(*) FROM devices GROUP BY st",
			      out->devices, 8, &out->ndevices)) ||
	    (rc = read_counts(s,
			      "SELECT 'all', count(*) FROM builds WHERE status IN ('ok', 'fail') AND ?1 = ?1"
			      " UNION ALL SELECT 'cached', count(*) FROM builds WHERE cached AND status IN ('ok', 'fail')",
			      builds, 2, &nb)))
		return rc;
	for (size_t i = 0; i < out->njobs; i++)
		if (strcmp(out->jobs[i].label, "queued") == 0)
			out->jobs_queued = out->jobs[i].n;
	for (size_t i = 0; i < nb; i++) {
		if (strcmp(builds[i].label, "all") == 0)
			out->builds = builds[i].n;
		else
			out->builds_cached = builds[i].n;
	}
	return 0;
}
/* ---- end dashboard ---- */

/* ---- rack: health checks ---- */

static int sq_build_bootable(struct store *base, const char *board, struct store_build *out)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st,
			  "SELECT " BUILD_COLUMNS " FROM builds b WHERE board = ? AND status = 'ok'"
			  " AND output_dir IS NOT NULL AND EXISTS (SELECT 1 FROM results r JOIN jobs j ON j.id = r.job_id"
			  "   WHERE j.build_id = b.id AND r.status = 'pass')"
			  " ORDER BY id DESC LIMIT 1", "finding a bootable build")))
		return rc;
	bind_text(st, 1, board);
	return build_query(s, st, out, "finding a bootable build", "no build of that board has passed a case yet");
}

static int sq_job_set_device(struct store *base, int64_t job, const char *device)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st, "UPDATE jobs SET device = ? WHERE id = ?", "recording a job's device")))
		return rc;
	bind_text(st, 1, device);
	sqlite3_bind_int64(st, 2, job);
	if ((rc = step_done(s, st, "recording a job's device")))
		return rc;
	return sqlite3_changes(s->db) ? 0 : err_set(ERR_NOTFOUND, "no job %lld", (long long)job);
}
/* ---- end rack ---- */

/* ---- serve: the daemon's durable queue (changes → builds → jobs), its forge refs ---- */

/* Begins a write transaction unless the caller holds one; *own says whether to end it. */
static int tx_begin(struct sqlite_store *s, bool *own)
{
	*own = sqlite3_get_autocommit(s->db) != 0;
	return *own ? exec_sql(s, "BEGIN IMMEDIATE") : 0;
}

static int tx_end(struct sqlite_store *s, bool own, int rc)
{
	if (!own)
		return rc;
	if (rc) {
		exec_sql(s, "ROLLBACK");
		return rc;
	}
	return exec_sql(s, "COMMIT");
}

static int read_id(sqlite3_stmt *st, void *row)
{
	*(int64_t *)row = sqlite3_column_int64(st, 0);
	return 0;
}

static void ids_free(void *v, size_t n)
{
	(void)n;
	free(v);
}

static int sq_change_claim(struct store *base, struct store_change *out)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int64_t id = 0;
	bool own;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tx_begin(s, &own)) != 0)
		return rc;
	if ((rc = prepare(s, &st, "SELECT id FROM changes WHERE state = 'queued' ORDER BY id LIMIT 1",
			  "claiming a change")))
		return tx_end(s, own, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tx_end(s, own, db_error(s, "claiming a change"));
	if (!id)
		return tx_end(s, own, err_set(ERR_NOTFOUND, "no queued change"));
	if ((rc = prepare(s, &st, "UPDATE changes SET state = 'building', updated_at = ? WHERE id = ?",
			  "claiming a change")))
		return tx_end(s, own, rc);
	sqlite3_bind_int64(st, 1, store_now_ms());
	sqlite3_bind_int64(st, 2, id);
	if ((rc = step_done(s, st, "claiming a change")) != 0 || (rc = sq_change_get(base, id, out)) != 0)
		return tx_end(s, own, rc);
	if ((rc = tx_end(s, own, 0)) != 0)
		store_change_release(out);
	return rc;
}

static int sq_change_transition(struct store *base, int64_t id, const char *const *from, const char *to,
				const char *gate, const char *reason)
{
	struct sqlite_store *s = ss(base);
	struct store_change c;
	bool own, allowed = false;
	int rc;

	if ((rc = tx_begin(s, &own)) != 0)
		return rc;
	if ((rc = sq_change_get(base, id, &c)) != 0)
		return tx_end(s, own, rc);
	for (size_t i = 0; from[i]; i++)
		allowed |= strcmp(c.state, from[i]) == 0;
	if (!allowed)
		rc = err_set(ERR_CONFLICT, "change %lld is %s, not to become %s", (long long)id, c.state, to);
	else
		rc = sq_change_set_state(base, id, to, gate, reason);
	store_change_release(&c);
	return tx_end(s, own, rc);
}

static int sq_change_update(struct store *base, const struct store_change *c)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st,
			  "UPDATE changes SET sha = coalesce(?1, sha), base_sha = coalesce(?2, base_sha),"
			  " merge_base = coalesce(?3, merge_base), title = coalesce(?4, title),"
			  " author = coalesce(?5, author), updated_at = ?6 WHERE id = ?7", "updating a change")))
		return rc;
	bind_text(st, 1, c->sha);
	bind_text(st, 2, c->base_sha);
	bind_text(st, 3, c->merge_base);
	bind_text(st, 4, c->title);
	bind_text(st, 5, c->author);
	sqlite3_bind_int64(st, 6, store_now_ms());
	sqlite3_bind_int64(st, 7, c->id);
	if ((rc = step_done(s, st, "updating a change")))
		return rc;
	return sqlite3_changes(s->db) ? 0 : err_set(ERR_NOTFOUND, "no change %lld", (long long)c->id);
}

static int sq_change_exists(struct store *base, const char *forge, const char *ref, const char *sha, bool *out)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = false;
	if ((rc = prepare(s, &st,
			  "SELECT 1 FROM changes WHERE forge = ? AND ref = ? AND sha = ?"
			  " AND state NOT IN ('cancelled', 'superseded') LIMIT 1", "looking a change up")))
		return rc;
	bind_text(st, 1, forge);
	bind_text(st, 2, ref);
	bind_text(st, 3, sha);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(s, "looking a change up");
}

static int sq_changes_end(struct store *base, const char *forge, const char *ref, int64_t except_id, const char *to,
			  const char *reason, int64_t **ids, size_t *n)
{
	struct sqlite_store *s = ss(base);
	int64_t *v = NULL, now = store_now_ms();
	size_t count = 0;
	sqlite3_stmt *st;
	bool own;
	int rc;

	if (ids)
		*ids = NULL;
	if (n)
		*n = 0;
	if ((rc = tx_begin(s, &own)) != 0)
		return rc;
	if ((rc = prepare(s, &st,
			  "SELECT id FROM changes WHERE forge = ? AND ref = ? AND id != ?"
			  " AND state IN ('queued', 'building', 'testing') ORDER BY id", "ending changes")))
		return tx_end(s, own, rc);
	bind_text(st, 1, forge);
	bind_text(st, 2, ref);
	sqlite3_bind_int64(st, 3, except_id);
	if ((rc = collect_rows(s, st, sizeof(*v), read_id, ids_free, (void **)&v, &count, "ending changes")) != 0)
		return tx_end(s, own, rc);
	for (size_t i = 0; i < count && !rc; i++) {
		if ((rc = sq_change_set_state(base, v[i], to, NULL, reason)) != 0)
			break;
		if ((rc = prepare(s, &st,
				  "UPDATE jobs SET state = 'cancelled', reason = ?, finished_at = ?"
				  " WHERE change_id = ? AND state = 'queued'", "cancelling jobs")))
			break;
		bind_text(st, 1, reason);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, v[i]);
		rc = step_done(s, st, "cancelling jobs");
	}
	if ((rc = tx_end(s, own, rc)) != 0) {
		free(v);
		return rc;
	}
	if (ids)
		*ids = v;
	else
		free(v);
	if (n)
		*n = count;
	return 0;
}

static int sq_change_ids(struct store *base, const char *state, int64_t since_ms, int64_t **ids, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = prepare(s, &st, "SELECT id FROM changes WHERE state = ? AND updated_at >= ? ORDER BY id",
			  "listing changes")))
		return rc;
	bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, since_ms);
	return collect_rows(s, st, sizeof(**ids), read_id, ids_free, (void **)ids, n, "listing changes");
}

static void builds_free(void *v, size_t n)
{
	store_builds_free(v, n);
}

static int sq_builds_of_change(struct store *base, int64_t change_id, struct store_build **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st, "SELECT " BUILD_COLUMNS " FROM builds WHERE change_id = ? ORDER BY id",
			  "listing builds")))
		return rc;
	sqlite3_bind_int64(st, 1, change_id);
	return collect_rows(s, st, sizeof(**out), read_build, builds_free, (void **)out, n, "listing builds");
}

static int bind_finding(sqlite3_stmt *st, const void *row)
{
	const struct store_size_finding *f = row;

	bind_text(st, 2, f->region);
	bind_text(st, 3, f->action);
	bind_text(st, 4, f->text);
	sqlite3_bind_int64(st, 5, f->delta);
	return sqlite3_bind_double(st, 6, f->percent);
}

static int sq_size_findings_add(struct store *base, int64_t build_id, const struct store_size_finding *v, size_t n)
{
	return insert_rows(ss(base),
			   "INSERT INTO size_findings(build_id, region, action, text, delta, percent) VALUES (?,?,?,?,?,?)",
			   build_id, v, n, sizeof(*v), bind_finding, "adding size findings");
}

static int read_size_finding(sqlite3_stmt *st, void *row)
{
	struct store_size_finding *f = row;

	f->region = column_dup(st, 0);
	f->action = column_dup(st, 1);
	f->text = column_dup(st, 2);
	f->delta = sqlite3_column_int64(st, 3);
	f->percent = sqlite3_column_double(st, 4);
	return 0;
}

static void size_findings_free(void *v, size_t n)
{
	store_size_findings_free(v, n);
}

static int sq_size_findings_list(struct store *base, int64_t build_id, struct store_size_finding **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st,
			  "SELECT region, action, text, delta, percent FROM size_findings WHERE build_id = ?"
			  " ORDER BY rowid", "listing size findings")))
		return rc;
	sqlite3_bind_int64(st, 1, build_id);
	return collect_rows(s, st, sizeof(**out), read_size_finding, size_findings_free, (void **)out, n,
			    "listing size findings");
}

static int sq_job_claim(struct store *base, const char *target_kind, const char *target,
			struct store_claimed_job *out)
{
	struct sqlite_store *s = ss(base);
	int64_t now = store_now_ms();
	sqlite3_stmt *st;
	bool own;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tx_begin(s, &own)) != 0)
		return rc;
	if ((rc = prepare(s, &st,
			  "SELECT id, change_id, coalesce(build_id, 0), suite, target, target_kind, device,"
			  " resume, coalesce(started_at, 0) FROM jobs"
			  " WHERE state = 'queued' AND target_kind = ? AND target = ?"
			  " ORDER BY priority DESC, id LIMIT 1", "claiming a job")))
		return tx_end(s, own, rc);
	bind_text(st, 1, target_kind);
	bind_text(st, 2, target);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->change_id = sqlite3_column_int64(st, 1);
		out->build_id = sqlite3_column_int64(st, 2);
		out->suite = column_dup(st, 3);
		out->target = column_dup(st, 4);
		out->target_kind = column_dup(st, 5);
		out->device = column_dup(st, 6);
		out->resumed = sqlite3_column_int(st, 7) != 0 && sqlite3_column_int64(st, 8) != 0;
		out->started_at = out->resumed ? sqlite3_column_int64(st, 8) : now;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? err_set(ERR_NOTFOUND, "no queued job for %s %s", target_kind, target)
				       : db_error(s, "claiming a job");
		store_claimed_job_release(out);
		return tx_end(s, own, rc);
	}
	if ((rc = prepare(s, &st,
			  "UPDATE jobs SET state = 'running', attempts = attempts + 1, resume = 0, started_at = ?"
			  " WHERE id = ?", "claiming a job")) == 0) {
		sqlite3_bind_int64(st, 1, out->started_at);
		sqlite3_bind_int64(st, 2, out->id);
		rc = step_done(s, st, "claiming a job");
	}
	if ((rc = tx_end(s, own, rc)) != 0)
		store_claimed_job_release(out);
	return rc;
}

static int sq_job_requeue(struct store *base, int64_t id, const char *reason)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st,
			  "UPDATE jobs SET state = 'queued', resume = 1, reason = coalesce(?, reason)"
			  " WHERE id = ? AND state = 'running'", "re-queueing a job")))
		return rc;
	bind_text(st, 1, reason);
	sqlite3_bind_int64(st, 2, id);
	if ((rc = step_done(s, st, "re-queueing a job")))
		return rc;
	return sqlite3_changes(s->db) ? 0 : err_set(ERR_CONFLICT, "job %lld is not running", (long long)id);
}

static int read_job_state(sqlite3_stmt *st, void *row)
{
	struct store_job_state *j = row;

	j->id = sqlite3_column_int64(st, 0);
	j->suite = column_dup(st, 1);
	j->target = column_dup(st, 2);
	j->state = column_dup(st, 3);
	j->reason = column_dup(st, 4);
	return 0;
}

static void job_states_free(void *v, size_t n)
{
	store_job_states_free(v, n);
}

static int sq_jobs_of_change(struct store *base, int64_t change_id, struct store_job_state **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st, "SELECT id, suite, target, state, reason FROM jobs WHERE change_id = ? ORDER BY id",
			  "listing jobs")))
		return rc;
	sqlite3_bind_int64(st, 1, change_id);
	return collect_rows(s, st, sizeof(**out), read_job_state, job_states_free, (void **)out, n, "listing jobs");
}

static int read_case_result(sqlite3_stmt *st, void *row)
{
	struct store_case_result *r = row;

	r->id = sqlite3_column_int64(st, 0);
	r->job_id = sqlite3_column_int64(st, 1);
	r->suite = column_dup(st, 2);
	r->case_name = column_dup(st, 3);
	r->target = column_dup(st, 4);
	r->status = column_dup(st, 5);
	r->reason = column_dup(st, 6);
	r->log_path = column_dup(st, 7);
	r->attempt = sqlite3_column_int(st, 8);
	r->flaky = sqlite3_column_int(st, 9) != 0;
	r->duration_ms = sqlite3_column_int64(st, 10);
	r->created_at = sqlite3_column_int64(st, 11);
	return 0;
}

static void case_results_free(void *v, size_t n)
{
	store_case_results_free(v, n);
}

static int sq_results_of(struct store *base, int64_t change_id, int64_t job_id, int64_t since_ms,
			 struct store_case_result **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st,
			  "SELECT id, coalesce(job_id, 0), suite, case_name, target, status, reason, log_path, attempt,"
			  " flaky, coalesce(duration_ms, 0), created_at FROM results"
			  " WHERE change_id = ?1 AND (?2 = 0 OR (job_id = ?2 AND created_at >= ?3)) ORDER BY id",
			  "listing results")))
		return rc;
	sqlite3_bind_int64(st, 1, change_id);
	sqlite3_bind_int64(st, 2, job_id);
	sqlite3_bind_int64(st, 3, since_ms);
	return collect_rows(s, st, sizeof(**out), read_case_result, case_results_free, (void **)out, n,
			    "listing results");
}

static int read_forge_ref(sqlite3_stmt *st, void *row)
{
	struct store_forge_ref *r = row;

	r->ref = column_dup(st, 0);
	r->sha = column_dup(st, 1);
	return 0;
}

static void forge_refs_free(void *v, size_t n)
{
	store_forge_refs_free(v, n);
}

static int sq_forge_refs_list(struct store *base, const char *forge, struct store_forge_ref **out, size_t *n)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, &st, "SELECT ref, sha FROM forge_refs WHERE forge = ? ORDER BY ref",
			  "listing a forge's refs")))
		return rc;
	bind_text(st, 1, forge);
	return collect_rows(s, st, sizeof(**out), read_forge_ref, forge_refs_free, (void **)out, n,
			    "listing a forge's refs");
}

static int sq_forge_ref_set(struct store *base, const char *forge, const char *ref, const char *sha)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, &st,
			  sha ? "INSERT INTO forge_refs(forge, ref, sha, seen_at) VALUES (?1, ?2, ?3, ?4)"
				" ON CONFLICT(forge, ref) DO UPDATE SET sha = excluded.sha, seen_at = excluded.seen_at"
			      : "DELETE FROM forge_refs WHERE forge = ?1 AND ref = ?2",
			  "remembering a forge ref")))
		return rc;
	bind_text(st, 1, forge);
	bind_text(st, 2, ref);
	if (sha) {
		bind_text(st, 3, sha);
		sqlite3_bind_int64(st, 4, store_now_ms());
	}
	return step_done(s, st, "remembering a forge ref");
}

static int sq_serve_recover(struct store *base, struct store_recovery *out)
{
	static const char *const sql[] = {
		"UPDATE jobs SET state = 'queued', resume = 1,"
		" reason = 'the daemon stopped while it ran: resumed' WHERE state = 'running'",
		"UPDATE builds SET status = 'error', reason = 'the daemon stopped while it built',"
		" finished_at = ?1 WHERE status = 'running'",
		"UPDATE changes SET state = 'queued', updated_at = ?1 WHERE state = 'building'",
	};
	struct sqlite_store *s = ss(base);
	size_t *counts[] = { &out->jobs, &out->builds, &out->changes };
	bool own;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tx_begin(s, &own)) != 0)
		return rc;
	for (size_t i = 0; i < 3 && !rc; i++) {
		sqlite3_stmt *st;

		if ((rc = prepare(s, &st, sql[i], "recovering the queue")) != 0)
			break;
		if (sqlite3_bind_parameter_count(st) > 0)
			sqlite3_bind_int64(st, 1, store_now_ms());
		if ((rc = step_done(s, st, "recovering the queue")) == 0)
			*counts[i] = (size_t)sqlite3_changes(s->db);
	}
	return tx_end(s, own, rc);
}
/* ---- end serve ---- */
