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
#include <stddef.h>
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

struct store_build {
	int64_t id, change_id;
	char *board, *sha, *tree, *cache_key, *image_id;
	char *status;			/* running | ok | fail | error */
	bool cached;			/* reused from source_build_id */
	int64_t source_build_id;
	int64_t duration_ms;
	char *reason, *log_path, *output_dir;
	int64_t created_at, finished_at;
};

struct store_artifact {
	char *name;			/* kernel.elf, apps/sc_yield.tbf, … */
	char *kind;			/* kernel | kernel_bin | image | app | other */
	char *sha256;
	int64_t size;
	char *path;			/* in the content-addressed store */
};

struct store_size {
	const char *artifact, *section;
	const char *cls;		/* text | data | bss: .data counts in flash and RAM */
	const char *region;		/* flash | ram */
	int64_t size;
};

struct store_symbol {
	const char *artifact, *name, *section;
	const char *kind;		/* func | object */
	const char *file;		/* for local symbols, their source file; else NULL */
	int64_t size;
};

struct store_job {
	int64_t id, change_id, build_id;
	const char *suite, *target, *target_kind, *device;
	int64_t priority;
};

struct store_check {
	int number;
	bool ok;
	const char *description, *directive, *reason;
};

struct store_result {
	int64_t id, job_id, change_id;
	const char *suite, *case_name, *target;
	const char *status;		/* pass | fail | error | skip | xfail */
	int attempt;
	int64_t duration_ms;
	const char *reason, *log_path;
	bool flaky;
	const struct store_check *checks;
	size_t nchecks;
};

struct store_device {
	char *id, *board;
	char *state;			/* idle | leased | locked | offline (leased is derived from a live lease) */
	int64_t lease_job;		/* 0 when no live lease */
	char *lease_holder;
	int64_t lease_expires;		/* unix ms */
	char *locked_reason, *offline_reason;
	int64_t infra_errors;		/* consecutive */
	char *health_status;		/* ok | fail | NULL when never checked */
	char *health_reason;
	int64_t health_at;
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

/* Builds: a (change, board) pair; a finished ok or fail build is reused by cache key. */
int store_build_add(struct store *s, struct store_build *b);	/* sets b->id */
int store_build_finish(struct store *s, int64_t id, const char *status, int64_t duration_ms,
		       const char *reason, const char *output_dir, const char *log_path);
/* The newest finished ok/fail build with this key, or ERR_NOTFOUND. */
int store_build_find(struct store *s, const char *cache_key, struct store_build *out);
int store_build_get(struct store *s, int64_t id, struct store_build *out);
void store_build_release(struct store_build *b);

int store_artifact_add(struct store *s, int64_t build_id, const struct store_artifact *a);
/* *out is an array of n artifacts; store_artifacts_free releases it. */
int store_artifacts_list(struct store *s, int64_t build_id, struct store_artifact **out, size_t *n);
void store_artifacts_free(struct store_artifact *v, size_t n);

int store_sizes_add(struct store *s, int64_t build_id, const struct store_size *v, size_t n);
int store_symbols_add(struct store *s, int64_t build_id, const struct store_symbol *v, size_t n);

int store_job_add(struct store *s, struct store_job *j);		/* sets j->id */
int store_job_set_state(struct store *s, int64_t id, const char *state, const char *reason);

int store_result_add(struct store *s, struct store_result *r);	/* sets r->id, with its checks */

/*
 * Devices and their leases. A lease is held by one job at a time and lasts
 * until its expiry unless the holder refreshes it: a holder that dies (even by
 * SIGKILL) loses it when it expires, so no board stays locked forever. Every
 * change of a lease is one conditional UPDATE, atomic across processes.
 */
int store_device_sync(struct store *s, const char *id, const char *board);	/* adds or updates */
int store_device_get(struct store *s, const char *id, struct store_device *out);
int store_devices_list(struct store *s, struct store_device **out, size_t *n);
void store_device_release(struct store_device *d);
void store_devices_free(struct store_device *v, size_t n);
/* Takes the lease of device id: ERR_CONFLICT when another live lease, a lock or offline stands. */
int store_device_lease(struct store *s, const char *id, int64_t job, const char *holder, int64_t ttl_ms);
/* Takes any idle device of a board type, preferring the least recently checked; its id into out. */
int store_device_lease_any(struct store *s, const char *board, const char *exclude, int64_t job,
			   const char *holder, int64_t ttl_ms, char *out, size_t out_size);
/* Extends a lease still held by job; ERR_CONFLICT when it was lost. */
int store_device_refresh(struct store *s, const char *id, int64_t job, int64_t ttl_ms);
int store_device_unlease(struct store *s, const char *id, int64_t job);
int store_device_lock(struct store *s, const char *id, const char *reason);
int store_device_unlock(struct store *s, const char *id);
/* A health check's outcome; ok also clears the count of infrastructure errors and any offline state. */
int store_device_health(struct store *s, const char *id, bool ok, const char *reason);
/*
 * Counts one more consecutive infrastructure error; at offline_after the
 * device goes offline with reason. *offline tells whether it did.
 */
int store_device_infra_error(struct store *s, const char *id, const char *reason, int64_t offline_after,
			     bool *offline);
/* ---- hooks: webhook deliveries and forge statuses ---- */

/*
 * Remembers a webhook delivery id (X-GitHub-Delivery, X-Gitlab-Event-UUID).
 * Returns ERR_EXISTS when it was already remembered: the forge is replaying
 * it. The insert is the check, so two threads racing on one id see one 0 and
 * one ERR_EXISTS.
 */
int store_delivery_add(struct store *s, const char *id, const char *forge, const char *event);
/* Forgets a delivery whose work could not be queued, so the forge's redelivery is taken. */
int store_delivery_forget(struct store *s, const char *id);
/* Drops deliveries received before before_ms (forges redeliver for days, not forever). */
int store_deliveries_prune(struct store *s, int64_t before_ms);

/* One commit status the rig tried to set on a forge, successful or not. */
struct store_status {
	int64_t id, change_id;
	char *state;			/* as sent to the forge: pending, success, failure, error, failed, … */
	char *description, *target_url;
	int http_status;		/* the forge's answer; 0 when none came */
	int64_t posted_at;		/* unix ms */
	char *forge, *sha;		/* of the change; filled by the reads, ignored by status_add */
};

int store_status_add(struct store *s, struct store_status *st);	/* sets st->id and posted_at */
/* Every status of a change, oldest first; *out is freed with store_statuses_free. */
int store_statuses_list(struct store *s, int64_t change_id, struct store_status **out, size_t *n);
/*
 * Changes whose newest status the forge accepted (2xx) is pending or running
 * and was posted before before_ms: one entry per change, the change's newest
 * status row whatever its outcome (a pending, or a final state whose post
 * failed and still has to reach the forge).
 */
int store_statuses_stale(struct store *s, int64_t before_ms, struct store_status **out, size_t *n);
void store_statuses_free(struct store_status *v, size_t n);

/* ---- rack: health checks ---- */

/*
 * The newest ok build of board known to boot: one of its cases passed on
 * some target. A health check flashes its kernel, so that a change that
 * broke booting never makes a device look broken. ERR_NOTFOUND when none.
 */
int store_build_bootable(struct store *s, const char *board, struct store_build *out);
/* The device a device job runs on now (it may move to another after an error). */
int store_job_set_device(struct store *s, int64_t job, const char *device);

/* ---- dashboard: read-only views for the pages, the JSON API and /metrics ---- */

/*
 * Kernel sizes: the sections of a build's kernel ELF (the artifact of kind
 * kernel; a build without one counts its top-level ELFs). flash = text +
 * data, ram = data + bss, as rig size counts them. A cached build's sizes are
 * those of the build it reused.
 */

struct store_change_filter {
	const char *state;		/* NULL: any */
	const char *gate;		/* pass | fail | error | none (undecided); NULL: any */
	int64_t before;			/* only ids below it (paging); 0: from the newest */
	size_t limit;			/* 0: 50 */
};

/* A change as the list shows it. */
struct store_change_row {
	struct store_change c;
	bool has_delta;			/* some board has a base build to compare with */
	int64_t flash_delta, ram_delta;	/* the board that grew most (kernel, bytes) */
	int64_t results, failed;	/* cases recorded, and of those fail or error */
};

struct store_build_row {
	struct store_build b;
	bool has_sizes, has_base;
	int64_t text, data, bss;	/* kernel */
	int64_t base_text, base_data, base_bss;
	int64_t sizes_build;		/* the build whose sizes these are (itself, or the one it reused) */
	int64_t base_build;		/* the board's ok build at the merge-base (its sizes' build); 0: none */
};

struct store_symbol_delta {
	char *name, *section;
	int64_t base, size, delta;	/* 0 base: new; 0 size: removed */
};

/* A result with its job and the change it belongs to. */
struct store_result_row {
	int64_t id, job_id, change_id;
	char *suite, *case_name, *target;
	char *kind;			/* qemu | device */
	char *board;			/* the build's board (a device's board type) */
	char *device;			/* device id for a device job, else NULL */
	char *status, *reason, *log_path;
	int attempt;
	bool flaky;
	int64_t duration_ms, created_at;
	char *sha, *ref;		/* of the change */
};

struct store_job_row {
	int64_t id, change_id, build_id;
	char *suite, *target, *kind, *device, *board;
	char *state;			/* queued | running | done | error | cancelled */
	char *reason;
	char *log_path;			/* of its results, NULL before the first */
	int64_t attempts, created_at, started_at, finished_at;
};

/* One point of a board's kernel size over the base branch. */
struct store_size_point {
	int64_t build_id, change_id, at;	/* at: when it was built, unix ms */
	char *sha, *ref;
	int64_t text, data, bss;
};

/* Counts by a label, for /metrics. */
struct store_count {
	char label[32];
	int64_t n;
};

struct store_metrics {
	int64_t jobs_queued;
	struct store_count jobs[8];		/* by state */
	size_t njobs;
	struct store_count verdicts[8];		/* finished jobs by verdict: pass fail error skip xfail */
	size_t nverdicts;
	struct store_count changes[8];		/* by state */
	size_t nchanges;
	struct store_count devices[8];		/* by state, leased derived from a live lease */
	size_t ndevices;
	int64_t builds, builds_cached;		/* finished builds, and of those reused */
};

/* Newest first. */
int store_changes_list(struct store *s, const struct store_change_filter *f, struct store_change_row **out,
		       size_t *n);
void store_change_rows_free(struct store_change_row *v, size_t n);
/* The change's builds by board, with kernel sizes and those of the merge-base. */
int store_change_builds(struct store *s, int64_t change_id, struct store_build_row **out, size_t *n);
void store_build_rows_free(struct store_build_row *v, size_t n);
/* The kernel symbols whose size changed most from base_build to build (ids as in sizes_build). */
int store_symbol_deltas(struct store *s, int64_t build, int64_t base_build, size_t limit,
			struct store_symbol_delta **out, size_t *n);
void store_symbol_deltas_free(struct store_symbol_delta *v, size_t n);
/* Every result of a change, by suite, case, target, oldest attempt first. */
int store_change_results(struct store *s, int64_t change_id, struct store_result_row **out, size_t *n);
/* A case's last `limit` results on every target, newest first. */
int store_case_history(struct store *s, const char *suite, const char *case_name, size_t limit,
		       struct store_result_row **out, size_t *n);
void store_result_rows_free(struct store_result_row *v, size_t n);
int store_job_get(struct store *s, int64_t id, struct store_job_row *out);
void store_job_row_release(struct store_job_row *j);
/* Queues a finished job again; ERR_CONFLICT while it is queued or running, ERR_NOTFOUND for no job. */
int store_job_retry(struct store *s, int64_t id, const char *reason);
/* Kernel sizes of board at the base branch's commits (merge-base builds and branch pushes), oldest first. */
int store_size_history(struct store *s, const char *board, size_t limit, struct store_size_point **out,
		       size_t *n);
void store_size_points_free(struct store_size_point *v, size_t n);
/* Boards that have a build, by name; *out and its strings are freed with store_names_free. */
int store_boards_built(struct store *s, char ***out, size_t *n);
void store_names_free(char **v, size_t n);
int store_metrics_read(struct store *s, struct store_metrics *out);
/* ---- end dashboard ---- */

/* ---- serve: the daemon's durable queue (changes → builds → jobs), its forge refs ---- */

/*
 * The daemon keeps its work here and nowhere else, so a daemon killed at any
 * moment starts again where it was: a change is queued, claimed by a builder
 * (building), planned into jobs (testing), and finished (done) — or ended
 * early, cancelled (its PR closed) or superseded (a newer push). A job is
 * queued, claimed by the worker of its target (running), and done or error.
 * Every claim and every transition is one conditional statement or one
 * transaction, so two threads or processes never take the same work.
 */

/* Claims the oldest queued change: queued → building. ERR_NOTFOUND when none is queued. */
int store_change_claim(struct store *s, struct store_change *out);
/*
 * Moves change id to state `to` when its state is one of from (NULL-terminated);
 * ERR_CONFLICT (naming the state found) when it is not. gate and reason as in
 * store_change_set_state.
 */
int store_change_transition(struct store *s, int64_t id, const char *const *from, const char *to,
			    const char *gate, const char *reason);
/* What resolving a change found: each non-NULL of sha, base_sha, merge_base, title, author replaces the row's. */
int store_change_update(struct store *s, const struct store_change *c);
/* Whether forge has a change of ref at sha that still counts (neither cancelled nor superseded). */
int store_change_exists(struct store *s, const char *forge, const char *ref, const char *sha, bool *out);
/*
 * Ends the open changes (queued, building, testing) of (forge, ref) other than
 * except_id: their state becomes `to` (superseded | cancelled) with reason, and
 * their queued jobs are cancelled; running jobs run on, and what they record
 * is kept. The ids ended go to *ids (the caller's to free(); may be NULL).
 */
int store_changes_end(struct store *s, const char *forge, const char *ref, int64_t except_id, const char *to,
		      const char *reason, int64_t **ids, size_t *n);
/* Ids of the changes in state whose row changed at or after since_ms, oldest first; *ids is free()d. */
int store_change_ids(struct store *s, const char *state, int64_t since_ms, int64_t **ids, size_t *n);

/* Every build row of a change, oldest first; store_builds_free releases them. */
int store_builds_of_change(struct store *s, int64_t change_id, struct store_build **out, size_t *n);
void store_builds_free(struct store_build *v, size_t n);

/* A size threshold crossed by a build (sizes.h: struct size_finding), kept so a later gate sees it. */
struct store_size_finding {
	char *region;			/* flash | ram */
	char *action;			/* warn | fail */
	char *text;
	int64_t delta;
	double percent;
};

int store_size_findings_add(struct store *s, int64_t build_id, const struct store_size_finding *v, size_t n);
int store_size_findings_list(struct store *s, int64_t build_id, struct store_size_finding **out, size_t *n);
void store_size_findings_free(struct store_size_finding *v, size_t n);

/* A job as a worker claims it. */
struct store_claimed_job {
	int64_t id, change_id, build_id;
	char *suite, *target, *target_kind, *device;
	int64_t started_at;		/* unix ms: when this run of the job began */
	bool resumed;			/* a run cut short (restart, shutdown) goes on from its results */
};

/*
 * Claims the next queued job of (target_kind, target): queued → running,
 * highest priority first, then oldest. A job that store_job_requeue or
 * store_serve_recover put back keeps its started_at and comes back resumed:
 * the cases it recorded since then are not run again. ERR_NOTFOUND when none.
 */
int store_job_claim(struct store *s, const char *target_kind, const char *target, struct store_claimed_job *out);
void store_claimed_job_release(struct store_claimed_job *j);
/* running → queued, to be resumed. ERR_CONFLICT when the job is not running. */
int store_job_requeue(struct store *s, int64_t id, const char *reason);

/* A job's state, for deciding its change's gate. */
struct store_job_state {
	int64_t id;
	char *suite, *target, *state, *reason;
};

int store_jobs_of_change(struct store *s, int64_t change_id, struct store_job_state **out, size_t *n);
void store_job_states_free(struct store_job_state *v, size_t n);

/* A recorded case result, owned. */
struct store_case_result {
	int64_t id, job_id;
	char *suite, *case_name, *target, *status, *reason, *log_path;
	int attempt;
	bool flaky;
	int64_t duration_ms, created_at;
};

/*
 * The results of a change, in order of id; with job_id, only that job's
 * recorded at or after since_ms (the cases a resumed run already has).
 */
int store_results_of(struct store *s, int64_t change_id, int64_t job_id, int64_t since_ms,
		     struct store_case_result **out, size_t *n);
void store_case_results_free(struct store_case_result *v, size_t n);

/* The refs of a forge the daemon has acted on (queued, or taken as they were). */
struct store_forge_ref {
	char *ref, *sha;
};

int store_forge_refs_list(struct store *s, const char *forge, struct store_forge_ref **out, size_t *n);
/* Remembers ref at sha; a NULL sha forgets it. */
int store_forge_ref_set(struct store *s, const char *forge, const char *ref, const char *sha);
void store_forge_refs_free(struct store_forge_ref *v, size_t n);

struct store_recovery {
	size_t jobs;			/* running → queued, to be resumed */
	size_t builds;			/* running → error: a build cut off is never reused */
	size_t changes;			/* building → queued */
};

/*
 * What a daemon that stopped without finishing left: all of it put back in
 * one transaction. Only for the one daemon that owns the store (serve.h).
 */
int store_serve_recover(struct store *s, struct store_recovery *out);
/* ---- end serve ---- */

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
	int (*build_add)(struct store *s, struct store_build *b);
	int (*build_finish)(struct store *s, int64_t id, const char *status, int64_t duration_ms,
			    const char *reason, const char *output_dir, const char *log_path);
	int (*build_find)(struct store *s, const char *cache_key, struct store_build *out);
	int (*build_get)(struct store *s, int64_t id, struct store_build *out);
	int (*artifact_add)(struct store *s, int64_t build_id, const struct store_artifact *a);
	int (*artifacts_list)(struct store *s, int64_t build_id, struct store_artifact **out, size_t *n);
	int (*sizes_add)(struct store *s, int64_t build_id, const struct store_size *v, size_t n);
	int (*symbols_add)(struct store *s, int64_t build_id, const struct store_symbol *v, size_t n);
	int (*job_add)(struct store *s, struct store_job *j);
	int (*job_set_state)(struct store *s, int64_t id, const char *state, const char *reason);
	int (*result_add)(struct store *s, struct store_result *r);
	int (*device_sync)(struct store *s, const char *id, const char *board);
	int (*device_get)(struct store *s, const char *id, struct store_device *out);
	int (*devices_list)(struct store *s, struct store_device **out, size_t *n);
	int (*device_lease)(struct store *s, const char *id, int64_t job, const char *holder, int64_t ttl_ms);
	int (*device_lease_any)(struct store *s, const char *board, const char *exclude, int64_t job,
				const char *holder, int64_t ttl_ms, char *out, size_t out_size);
	int (*device_refresh)(struct store *s, const char *id, int64_t job, int64_t ttl_ms);
	int (*device_unlease)(struct store *s, const char *id, int64_t job);
	int (*device_lock)(struct store *s, const char *id, const char *reason);
	int (*device_unlock)(struct store *s, const char *id);
	int (*device_health)(struct store *s, const char *id, bool ok, const char *reason);
	int (*device_infra_error)(struct store *s, const char *id, const char *reason, int64_t offline_after,
				  bool *offline);

	/* hooks: webhook deliveries and forge statuses */
	int (*delivery_add)(struct store *s, const char *id, const char *forge, const char *event);
	int (*delivery_forget)(struct store *s, const char *id);
	int (*deliveries_prune)(struct store *s, int64_t before_ms);
	int (*status_add)(struct store *s, struct store_status *st);
	int (*statuses_list)(struct store *s, int64_t change_id, struct store_status **out, size_t *n);
	int (*statuses_stale)(struct store *s, int64_t before_ms, struct store_status **out, size_t *n);

	/* rack: health checks */
	int (*build_bootable)(struct store *s, const char *board, struct store_build *out);
	int (*job_set_device)(struct store *s, int64_t job, const char *device);

	/* dashboard */
	int (*changes_list)(struct store *s, const struct store_change_filter *f, struct store_change_row **out,
			    size_t *n);
	int (*change_builds)(struct store *s, int64_t change_id, struct store_build_row **out, size_t *n);
	int (*symbol_deltas)(struct store *s, int64_t build, int64_t base_build, size_t limit,
			     struct store_symbol_delta **out, size_t *n);
	int (*change_results)(struct store *s, int64_t change_id, struct store_result_row **out, size_t *n);
	int (*case_history)(struct store *s, const char *suite, const char *case_name, size_t limit,
			    struct store_result_row **out, size_t *n);
	int (*job_get)(struct store *s, int64_t id, struct store_job_row *out);
	int (*job_retry)(struct store *s, int64_t id, const char *reason);
	int (*size_history)(struct store *s, const char *board, size_t limit, struct store_size_point **out,
			    size_t *n);
	int (*boards_built)(struct store *s, char ***out, size_t *n);
	int (*metrics_read)(struct store *s, struct store_metrics *out);
	/* serve: the daemon's durable queue */
	int (*change_claim)(struct store *s, struct store_change *out);
	int (*change_transition)(struct store *s, int64_t id, const char *const *from, const char *to,
				 const char *gate, const char *reason);
	int (*change_update)(struct store *s, const struct store_change *c);
	int (*change_exists)(struct store *s, const char *forge, const char *ref, const char *sha, bool *out);
	int (*changes_end)(struct store *s, const char *forge, const char *ref, int64_t except_id, const char *to,
			   const char *reason, int64_t **ids, size_t *n);
	int (*change_ids)(struct store *s, const char *state, int64_t since_ms, int64_t **ids, size_t *n);
	int (*builds_of_change)(struct store *s, int64_t change_id, struct store_build **out, size_t *n);
	int (*size_findings_add)(struct store *s, int64_t build_id, const struct store_size_finding *v, size_t n);
	int (*size_findings_list)(struct store *s, int64_t build_id, struct store_size_finding **out, size_t *n);
	int (*job_claim)(struct store *s, const char *target_kind, const char *target,
			 struct store_claimed_job *out);
	int (*job_requeue)(struct store *s, int64_t id, const char *reason);
	int (*jobs_of_change)(struct store *s, int64_t change_id, struct store_job_state **out, size_t *n);
	int (*results_of)(struct store *s, int64_t change_id, int64_t job_id, int64_t since_ms,
			  struct store_case_result **out, size_t *n);
	int (*forge_refs_list)(struct store *s, const char *forge, struct store_forge_ref **out, size_t *n);
	int (*forge_ref_set)(struct store *s, const char *forge, const char *ref, const char *sha);
	int (*serve_recover)(struct store *s, struct store_recovery *out);
};

struct store {
	const struct store_ops *ops;
};

/* SQLite backend; target_version < 0 migrates to the latest (tests stop earlier). */
int store_sqlite_open(struct store **out, const char *path, int target_version);

int64_t store_now_ms(void);

#endif
