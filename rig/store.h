/*
 * store: what the rig records — changes, builds, artifacts, sizes, jobs,
 * results, devices — behind an interface that names no database.
 *
 * A struct store is one connection and belongs to one thread (open one per
 * thread). Backends are tables of function pointers (struct store_ops): the
 * embedded default is SQLite in WAL mode; racks spread over several hosts will
 * share a PostgreSQL database through the same table. The schema is versioned
 * by numbered migrations, applied in order on open; a database newer than
 * this rig knows is refused rather than misread.
 *
 * Strings returned inside records are owned by the record; *_release() frees
 * them. Every function returns 0 or a negative ERR_* with the last error set.
 */
#ifndef RIG_STORE_H
#define RIG_STORE_H

#include <stdbool.h>
#include <stdint.h>

struct store;

struct store_change {
	int64_t id;
	char *repo, *forge, *kind, *ref, *sha, *base_ref, *base_sha, *merge_base;
	int64_t number;			/* PR number, 0 when none */
	char *title, *author;
	char *state;			/* queued | building | testing | done | cancelled | superseded */
	char *gate;			/* pass | fail | error, NULL while undecided */
	char *reason;
	int64_t created_at, updated_at, finished_at;	/* unix ms */
};

/* Opens (creating when absent) the store at url: "sqlite:PATH" or a plain PATH. */
int store_open(struct store **out, const char *url);
void store_close(struct store *s);

/* The schema version of the open store, and the newest this rig knows. */
int store_version(struct store *s, int *out);
int store_latest_version(void);

int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);

int store_change_add(struct store *s, struct store_change *c);	/* sets c->id */
int store_change_get(struct store *s, int64_t id, struct store_change *out);
int store_change_set_state(struct store *s, int64_t id, const char *state, const char *gate,
			   const char *reason);
void store_change_release(struct store_change *c);

/* ---- for backends ---- */

struct store_ops {
	const char *name;
	void (*close)(struct store *s);
	int (*version)(struct store *s, int *out);
	int (*exec)(struct store *s, const char *sql);	/* transactions */
	int (*change_add)(struct store *s, struct store_change *c);
	int (*change_get)(struct store *s, int64_t id, struct store_change *out);
	int (*change_set_state)(struct store *s, int64_t id, const char *state, const char *gate,
				const char *reason);
};

struct store {
	const struct store_ops *ops;
};

/* SQLite backend; target_version < 0 migrates to the latest (tests stop earlier). */
int store_sqlite_open(struct store **out, const char *path, int target_version);

int64_t store_now_ms(void);

#endif
