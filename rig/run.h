/*
 * run: one change from the forge to a verdict (DESIGN.md, "The flow of one
 * change"), used by `rig run` in the foreground and by the daemon per change.
 *
 *   fetch the repository into its mirror → resolve the ref, the base and
 *   their merge-base → (optionally merge onto the base) → record the change →
 *   check the tree out → build every target board → run every suite's cases
 *   on every target → record results → decide the gate.
 *
 * The report owns everything in it; run_report_release frees it. Every step
 * is recorded in the store as it happens, so a reader (the dashboard) sees a
 * change progress and nothing recorded is lost if the rig stops.
 */
#ifndef RIG_RUN_H
#define RIG_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "build.h"
#include "buf.h"
#include "forge.h"
#include "runner.h"
#include "sizes.h"

struct config;
struct container;
struct store;

enum gate { GATE_PASS, GATE_FAIL, GATE_ERROR };

const char *gate_name(enum gate g);

struct run_env {
	const struct config *cfg;
	struct store *store;
	const struct container *containers;
};

struct run_opts {
	const char *repo;		/* URL or path */
	const char *ref;		/* branch, pull/N, refs/…, or sha */
	const char *base;		/* NULL: no base */
	const char *const *targets;	/* board names; NULL: the configuration's */
	size_t ntargets;
	const char *const *suites;	/* NULL: the configuration's */
	size_t nsuites;
	bool merge;			/* test the change merged onto its base */
	const char *forge;		/* the configured forge it came from, for refspecs; may be NULL */
	const char *kind;		/* pr | push | merge_group | manual; NULL: manual */
	int64_t number;			/* PR number, 0 when none */
	/* serve: the daemon queues a change before it is resolved */
	const char *sha;		/* the commit to test; NULL: what ref resolves to */
	int64_t change_id;		/* its row, already queued; 0: run_prepare adds one */
};

struct run_build {
	char board[64];
	struct build_result result;
	struct size_report size;	/* kernel totals; delta against the merge-base build */
	char size_note[600];		/* why there is no delta, when there is none */
};

struct run_case {
	char suite[64], name[96], target[96];
	enum verdict verdict;
	char reason[512];
	long duration_ms;
	int attempts;
	bool flaky;
	char log_path[4096];
	/* rack: QEMU and device results side by side */
	char kind[16];			/* qemu | device */
	char board[64];
	long boot_ms;			/* reset to banner, -1 when none */
	char retried_after[96];		/* the device of an error the case was retried after, or "" */
	char retried_reason[512];
};

/* One planned job: a suite's cases on one target, from one build. */
struct run_job_hooks;

struct run_job {
	int64_t id;			/* its row in jobs */
	size_t build;			/* index into the report's builds */
	const struct suite *suite;
	char kind[16];			/* qemu | device */
	char target[96];		/* board name for QEMU, device id for a device */
	/* serve: a device job the daemon claimed (running already), maybe resumed */
	bool claimed;
	int64_t resume_since;		/* as in struct run_job_spec */
	const struct run_job_hooks *hooks;	/* NULL: none */
};

struct run_report {
	char *repo, *ref;
	char sha[FORGE_SHA_SIZE], base_sha[FORGE_SHA_SIZE], merge_base[FORGE_SHA_SIZE];
	char tree[FORGE_SHA_SIZE];
	int64_t change_id;
	enum gate gate;
	bool usage_error;		/* the request itself was wrong (unknown ref): exit 2 */
	char reason[1024];
	struct run_build *builds;
	size_t nbuilds;
	struct run_case *cases;
	size_t ncases, cases_alloc;
	struct run_job *jobs;
	size_t njobs;

	/* between stages */
	bool decided;			/* a stage settled the gate: the later ones do nothing */
	struct forge_mirror *mirror;
	char src[4096];			/* the checked-out tree */
};

/*
 * The stages, in order; run_change calls them all. Each returns 0 with what
 * happened in the report (a stage that settles the gate early, such as an
 * unknown ref or a merge conflict, sets `decided` and the later stages do
 * nothing), or a negative ERR_* when even recording failed.
 *
 *  run_prepare  fetch, resolve ref and base, record the change, check out
 *  run_build    build every target board; sizes against the merge-base
 *  run_plan     one queued job row per (usable build, suite, target)
 *  run_job      one job: its cases on its target, results recorded (a device
 *               job the daemon stops between cases returns ERR_CANCELLED)
 *  run_finish   decide the gate from what was recorded, mark the change done
 *
 * The daemon calls them from its workers: the stages touch the report only
 * through the arrays they own (builds, jobs, cases), so run_job calls for
 * different jobs must still be serialized on one report.
 */
int run_prepare(struct run_report *r, const struct run_env *env, const struct run_opts *opts);
int run_build(struct run_report *r, const struct run_env *env, const struct run_opts *opts);
int run_plan(struct run_report *r, const struct run_env *env, const struct run_opts *opts);
int run_job(struct run_report *r, const struct run_env *env, const struct run_job *job);
void run_finish(struct run_report *r, const struct run_env *env);

/* ---- serve: a job and a gate from durable state, in any thread or process ---- */

/* What running one job needs, as its row in the jobs table and the configuration say it. */
struct run_job_spec {
	int64_t id, change_id;
	const struct board *board;
	const struct suite *suite;
	const char *target;		/* the board's name for QEMU */
	const char *output_dir;		/* the build's artifacts */
	int64_t resume_since;		/* unix ms: cases recorded by this job since then are not run again; 0: run all */
};

struct run_job_hooks {
	void (*on_case)(void *user, const struct run_case *c);	/* each case run, before it is recorded */
	bool (*stop)(void *user);	/* asked between cases: true stops the job there */
	void *user;
	/*
	 * After this many cases in a row failed for want of a boot banner, the
	 * kernel does not boot on this target: the job's other cases are
	 * recorded as failed without booting (each would wait out its boot
	 * deadline twice). 0: every case boots.
	 */
	int boot_fail_fast;
	/* Cases without a banner already seen in a row on this target (by the change's other jobs). */
	int no_boot_before;
};

/*
 * Runs the job's cases on its target, recording each result as it comes, and
 * marks the job done (or error, when the rig could not run it: then a
 * negative ERR_*). When hooks->stop says so between two cases it returns
 * ERR_CANCELLED and leaves the job running, for the caller to re-queue: the
 * results recorded stay, and a resumed run skips them. The caller has set
 * the job running (a claim does). hooks may be NULL.
 */
int run_job_exec(const struct run_env *env, const struct run_job_spec *job, const struct run_job_hooks *hooks);

/*
 * The report of a recorded change from the store — its builds (the newest
 * per board, with the size findings), the newest result of every case, a
 * job that could not run as an error — for deciding its gate in another
 * thread or process than the one that built it. out is released with
 * run_report_release.
 */
int run_load(struct run_report *out, const struct run_env *env, int64_t change_id);
/* Decides the gate from the report, unless a stage already did; records nothing. */
void run_decide(struct run_report *r);

/*
 * run_build in three steps, so that the daemon builds a change's boards at
 * once: begin names one build per target board (and marks the change
 * building), run_build_board builds builds[i] touching nothing else of the
 * report (so calls for different i may run in different threads, each with
 * its own env->store), end takes the sizes against the merge-base.
 */
int run_build_begin(struct run_report *r, const struct run_env *env, const struct run_opts *opts);
int run_build_board(struct run_report *r, size_t i, const struct run_env *env);
void run_build_end(struct run_report *r, const struct run_env *env);
/* ---- end serve ---- */

/* Runs the change; the report says what happened. Negative only when nothing could be recorded. */
int run_change(struct run_report *out, const struct run_env *env, const struct run_opts *opts);
void run_report_release(struct run_report *r);

/* The report as the JSON object of DESIGN.md's `rig run --json` contract. */
int run_report_json(struct buf *out, const struct run_report *r);

#endif
