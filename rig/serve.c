#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "container.h"
#include "diag.h"
#include "err.h"
#include "forge.h"
#include "fsutil.h"
#include "http.h"
#include "intake.h"
#include "log.h"
#include "proc.h"
#include "report.h"
#include "run.h"
#include "store.h"
#include "webhook.h"

#define IDLE_LOOK_MS 2000		/* an idle thread looks at the store this often anyway */
#define EVENTS_MAX 10000		/* webhook events waiting for the intake; more get 503 */
#define SWEEP_EVERY_MS (5 * 60 * 1000)
#define REPORT_BACK_MS ((int64_t)24 * 3600 * 1000)	/* statuses a start-up checks were delivered */
/* A kernel that did not boot in this many cases in a row on a target is not booted for the job's others. */
#define BOOT_FAIL_FAST 3
#define DEFAULT_SHUTDOWN_MS 30000
#define DEFAULT_RECONCILE_MS (10 * 60 * 1000)
#define DEFAULT_SWEEP_AFTER_MS (2 * 3600 * 1000)

/* One configuration and what is made from it, swapped whole on SIGHUP. */
struct gen {
	int refs;			/* under serve.lock */
	unsigned number;
	struct config *cfg;
	struct container ctr;
	bool have_ctr;
	struct report *report;
};

enum worker_kind { WORKER_BUILDER, WORKER_TARGET, WORKER_DEVICE };

struct worker {
	struct serve *sv;
	enum worker_kind kind;
	char name[16];			/* the thread's name, for ps and gdb */
	char target[96];		/* a target worker's board; a device worker's device */
	char board[64];			/* a device worker's board */
	pthread_t thread;
	bool started, joined;
	bool retire;			/* under serve.lock: end after the current work */
	struct worker *next;
};

/* A webhook event, copied out of the request that brought it. */
struct event {
	struct event *next;
	enum webhook_kind kind;
	int64_t number;
	char *forge, *kind_name, *ref, *sha, *base_ref, *base_sha, *title, *author;
};

/* A status to post. */
struct note {
	struct note *next;
	int64_t change_id;
	enum report_state state;
	char *description;
};

struct serve {
	const struct serve_opts *opts;
	pthread_mutex_t lock;		/* guards what follows, up to the threads */
	pthread_cond_t work_cv, intake_cv, report_cv, poll_cv, slot_cv;
	size_t building;		/* builds running, at most build_parallelism */
	struct gen *gen;
	unsigned generations;
	bool poll_now, reporter_quit;
	struct event *events, **events_tail;
	size_t nevents;
	struct note *notes, **notes_tail;
	size_t nnotes;
	struct worker *workers;
	atomic_bool stopping;

	/* fixed for the daemon's life */
	char *config_path, *store_url, *data_dir, *listen;
	char url[200];			/* http://host:port/ */
	int shutdown_ms, reconcile_ms, sweep_after_ms;
	int lock_fd;

	pthread_t poller, intake, reporter;
	bool poller_started, intake_started, reporter_started;
	struct http_server *http;
	struct webhook *webhooks;
	void **mount_state;
	size_t nmounts;
};

static const char *const from_building[] = { "building", NULL };
static const char *const from_testing[] = { "testing", NULL };

/* ---- small things ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static bool stopping(struct serve *sv)
{
	return atomic_load(&sv->stopping);
}

static void abs_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Waits on cv (sv->lock held) at most ms. */
static void wait_ms(struct serve *sv, pthread_cond_t *cv, int ms)
{
	struct timespec ts;

	abs_after(&ts, ms > 0 ? ms : 1);
	pthread_cond_timedwait(cv, &sv->lock, &ts);
}

static void wake_all(struct serve *sv)
{
	pthread_mutex_lock(&sv->lock);
	pthread_cond_broadcast(&sv->work_cv);
	pthread_cond_broadcast(&sv->intake_cv);
	pthread_cond_broadcast(&sv->report_cv);
	pthread_cond_broadcast(&sv->poll_cv);
	pthread_mutex_unlock(&sv->lock);
}

void serve_wake(struct serve *sv)
{
	pthread_mutex_lock(&sv->lock);
	pthread_cond_broadcast(&sv->work_cv);
	pthread_mutex_unlock(&sv->lock);
}

/* A thread's own store connection; retried while the store cannot be opened (a full disk clears). */
static struct store *thread_store(struct serve *sv, const char *who)
{
	struct store *st = NULL;

	while (store_open(&st, sv->store_url) != 0) {
		log_error("%s: %s; trying again", who, err_msg());
		pthread_mutex_lock(&sv->lock);
		if (!stopping(sv))
			wait_ms(sv, &sv->work_cv, IDLE_LOOK_MS);
		pthread_mutex_unlock(&sv->lock);
		if (stopping(sv))
			return NULL;
	}
	return st;
}

/* ---- configurations ---- */

static void gen_free(struct gen *g)
{
	if (!g)
		return;
	report_free(g->report);
	if (g->have_ctr)
		container_release(&g->ctr);
	config_free(g->cfg);
	free(g);
}

/* Loads the configuration at path and makes what the daemon needs from it; problems go to diags. */
static int gen_new(struct gen **out, const char *path, struct diags *diags)
{
	struct container_opts co;
	struct gen *g = calloc(1, sizeof(*g));
	int rc;

	*out = NULL;
	if (!g)
		return err_set(ERR_NOMEM, "out of memory");
	g->refs = 1;
	if ((rc = config_load(&g->cfg, path, diags)) != 0)
		goto fail;
	container_opts_from_config(&co, g->cfg);
	if ((rc = container_init(&g->ctr, &co)) != 0)
		goto fail;
	g->have_ctr = true;
	if ((rc = report_new(&g->report, g->cfg, NULL)) != 0)
		goto fail;
	*out = g;
	return 0;
fail:
	gen_free(g);
	return rc;
}

static struct gen *gen_hold(struct serve *sv)
{
	struct gen *g;

	pthread_mutex_lock(&sv->lock);
	g = sv->gen;
	g->refs++;
	pthread_mutex_unlock(&sv->lock);
	return g;
}

static void gen_put(struct serve *sv, struct gen *g)
{
	bool last;

	pthread_mutex_lock(&sv->lock);
	last = --g->refs == 0;
	pthread_mutex_unlock(&sv->lock);
	if (last) {
		log_debug("configuration %u released", g->number);
		gen_free(g);
	}
}

const struct config *serve_config_get(struct serve *sv, void **hold)
{
	struct gen *g = gen_hold(sv);

	*hold = g;
	return g->cfg;
}

void serve_config_put(struct serve *sv, void *hold)
{
	if (hold)
		gen_put(sv, hold);
}

const char *serve_store_url(const struct serve *sv)
{
	return sv->store_url;
}

struct webhook *serve_webhooks(struct serve *sv)
{
	return sv->webhooks;
}

static const struct forge *forge_named(const struct config *cfg, const char *name)
{
	for (size_t i = 0; name && i < cfg->forges.n; i++)
		if (strcmp(cfg->forges.v[i].name, name) == 0)
			return &cfg->forges.v[i];
	return NULL;
}

/* ---- statuses ---- */

static void note_free(struct note *n)
{
	if (n) {
		free(n->description);
		free(n);
	}
}

/* Hands a status to the reporter; statuses go out in the order they were decided. */
static void note(struct serve *sv, int64_t change_id, enum report_state state, const char *description)
{
	struct note *n = calloc(1, sizeof(*n));

	if (!n || (description && !(n->description = strdup(description)))) {
		log_error("change %" PRId64 ": out of memory for its status", change_id);
		note_free(n);
		return;
	}
	n->change_id = change_id;
	n->state = state;
	pthread_mutex_lock(&sv->lock);
	*sv->notes_tail = n;
	sv->notes_tail = &n->next;
	sv->nnotes++;
	pthread_cond_signal(&sv->report_cv);
	pthread_mutex_unlock(&sv->lock);
}

static void note_ids(struct serve *sv, const struct intake_list *l, enum report_state state, const char *description)
{
	for (size_t i = 0; i < l->n; i++)
		note(sv, l->v[i], state, description);
}

static enum report_state gate_state(enum gate g)
{
	return g == GATE_PASS ? REPORT_PASS : g == GATE_FAIL ? REPORT_FAIL : REPORT_ERROR;
}

/* The change's dashboard page, for the status's link. */
static void change_url(char *out, size_t n, const struct serve *sv, int64_t id)
{
	snprintf(out, n, "%schanges/%" PRId64, sv->url, id);
}

static void post_note(struct serve *sv, struct store *st, struct gen *g, const struct note *n)
{
	struct store_change c;
	char url[300], branch[256] = "";
	int http = 0, rc;

	if (store_change_get(st, n->change_id, &c) != 0) {
		log_warn("status of change %" PRId64 ": %s", n->change_id, err_msg());
		return;
	}
	/* A change typed in by hand (rig run) has nobody on the forge waiting for it. */
	if (c.forge && strcmp(c.kind, "manual") != 0) {
		const struct forge *f = forge_named(g->cfg, c.forge);
		struct report_status rs = {
			.change_id = c.id, .forge = c.forge, .sha = c.sha, .state = n->state,
			.description = n->description, .target_url = url,
		};

		if (strncmp(c.ref, "refs/heads/", 11) == 0) {
			snprintf(branch, sizeof(branch), "%s", c.ref + 11);
			rs.ref = branch;
		}
		change_url(url, sizeof(url), sv, c.id);
		rc = report_post(&http, g->report, st, &rs);
		if (rc == 0)
			log_info("change %" PRId64 ": status %s posted to %s for %.12s", c.id,
				 report_forge_state(f ? f->kind : "github", n->state), c.forge, c.sha);
		else if (rc == ERR_NOTFOUND)
			log_debug("change %" PRId64 ": forge %s reports no statuses", c.id, c.forge);
		else
			log_warn("change %" PRId64 ": status: %s", c.id, err_msg());
	}
	store_change_release(&c);
}

static void *reporter_main(void *arg)
{
	struct serve *sv = arg;
	struct store *st = thread_store(sv, "reporter");
	long long next_sweep = proc_now_ms() + SWEEP_EVERY_MS;

	while (st) {
		struct note *n = NULL;
		struct gen *g;
		bool sweep;

		pthread_mutex_lock(&sv->lock);
		while (!sv->notes && !sv->reporter_quit && proc_now_ms() < next_sweep)
			wait_ms(sv, &sv->report_cv, (int)(next_sweep - proc_now_ms()));
		if ((n = sv->notes) != NULL) {
			sv->notes = n->next;
			if (!sv->notes)
				sv->notes_tail = &sv->notes;
			sv->nnotes--;
		}
		sweep = !n && !sv->reporter_quit && proc_now_ms() >= next_sweep;
		if (!n && !sweep) {
			pthread_mutex_unlock(&sv->lock);
			break;
		}
		pthread_mutex_unlock(&sv->lock);
		g = gen_hold(sv);
		if (n) {
			post_note(sv, st, g, n);
			note_free(n);
		} else {
			size_t swept = 0;

			if (report_sweep(&swept, g->report, st, sv->sweep_after_ms) != 0)
				log_warn("status sweep: %s", err_msg());
			if (swept)
				log_info("status sweep: %zu stale status%s ended", swept, swept == 1 ? "" : "es");
			next_sweep = proc_now_ms() + SWEEP_EVERY_MS;
		}
		gen_put(sv, g);
	}
	store_close(st);
	return NULL;
}

/* ---- finishing a change ---- */

/* Decides the gate of a change whose work is over and, when it still counts, marks it done and reports it. */
static void finish_change(struct serve *sv, struct store *st, struct run_report *r, const char *const *from)
{
	run_decide(r);
	if (store_change_transition(st, r->change_id, from, "done", gate_name(r->gate), r->reason) != 0) {
		log_info("change %" PRId64 ": %s; its verdict is not reported", r->change_id, err_msg());
		return;
	}
	log_info("change %" PRId64 " done: %s: %s", r->change_id, gate_name(r->gate), r->reason);
	note(sv, r->change_id, gate_state(r->gate), r->reason);
}

/* After a job ended: when none of its change's jobs is left, the gate is decided from what they recorded. */
static void maybe_finish(struct serve *sv, struct store *st, struct gen *g, int64_t change_id)
{
	struct run_env env = { .cfg = g->cfg, .store = st, .containers = &g->ctr };
	struct store_job_state *jobs = NULL;
	struct run_report r;
	size_t n = 0;
	bool open = false;

	if (store_jobs_of_change(st, change_id, &jobs, &n) != 0) {
		log_warn("change %" PRId64 ": %s", change_id, err_msg());
		return;
	}
	for (size_t i = 0; i < n; i++)
		open |= strcmp(jobs[i].state, "queued") == 0 || strcmp(jobs[i].state, "running") == 0;
	store_job_states_free(jobs, n);
	if (open)
		return;
	if (run_load(&r, &env, change_id) != 0) {
		log_warn("change %" PRId64 ": cannot decide its gate: %s", change_id, err_msg());
		return;
	}
	finish_change(sv, st, &r, from_testing);
	run_report_release(&r);
}

/* ---- builders ---- */

/* The rig could not even record what happened: the change ends in error. */
static void infra_error(struct run_report *r, int64_t change_id)
{
	r->change_id = change_id;
	r->decided = true;
	r->gate = GATE_ERROR;
	snprintf(r->reason, sizeof(r->reason), "%s", err_msg());
}

/* ---- build slots: at most build_parallelism builds at once, whatever changes they are for ---- */

static void slot_take(struct serve *sv)
{
	pthread_mutex_lock(&sv->lock);
	while (sv->building >= (size_t)(sv->gen->cfg->build_parallelism > 0 ? sv->gen->cfg->build_parallelism : 1))
		wait_ms(sv, &sv->slot_cv, IDLE_LOOK_MS);
	sv->building++;
	pthread_mutex_unlock(&sv->lock);
}

static void slot_give(struct serve *sv)
{
	pthread_mutex_lock(&sv->lock);
	sv->building--;
	pthread_cond_signal(&sv->slot_cv);
	pthread_mutex_unlock(&sv->lock);
}

/* One board of a change, built in a thread of its own. */
struct board_task {
	struct serve *sv;
	struct gen *g;
	struct run_report *r;
	size_t i;
	pthread_t thread;
	bool started;
	int rc;
	char err[ERR_MSG_MAX];
};

static void *board_main(void *arg)
{
	struct board_task *t = arg;
	struct store *st = NULL;

	if ((t->rc = store_open(&st, t->sv->store_url)) == 0) {
		struct run_env env = { .cfg = t->g->cfg, .store = st, .containers = &t->g->ctr };

		slot_take(t->sv);
		t->rc = run_build_board(t->r, t->i, &env);
		slot_give(t->sv);
	}
	if (t->rc)
		snprintf(t->err, sizeof(t->err), "%s", err_msg());
	store_close(st);
	return NULL;
}

/* run_build, with the change's boards built at once as build slots allow. */
static int build_boards(struct serve *sv, struct gen *g, const struct run_env *env, struct run_report *r,
			const struct run_opts *o)
{
	struct board_task *tasks;
	int rc;

	if ((rc = run_build_begin(r, env, o)) != 0 || r->decided)
		return rc;
	tasks = calloc(r->nbuilds + 1, sizeof(*tasks));
	if (!tasks)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->nbuilds; i++) {
		tasks[i] = (struct board_task){ .sv = sv, .g = g, .r = r, .i = i };
		tasks[i].started = pthread_create(&tasks[i].thread, NULL, board_main, &tasks[i]) == 0;
		if (!tasks[i].started)
			board_main(&tasks[i]);
	}
	for (size_t i = 0; i < r->nbuilds; i++) {
		if (tasks[i].started)
			pthread_join(tasks[i].thread, NULL);
		if (tasks[i].rc && !rc)
			rc = err_set(tasks[i].rc, "%s", tasks[i].err);
	}
	free(tasks);
	if (rc == 0)
		run_build_end(r, env);
	return rc;
}

static void build_change(struct serve *sv, struct store *st, struct gen *g, const struct store_change *c)
{
	struct run_env env = { .cfg = g->cfg, .store = st, .containers = &g->ctr };
	struct run_opts o = {
		.repo = c->repo, .ref = c->ref, .sha = c->sha, .base = c->base_ref ? c->base_ref : c->base_sha,
		.forge = c->forge, .kind = c->kind, .number = c->number, .change_id = c->id,
	};
	struct run_report r;
	bool current = false;
	int rc;

	o.merge = g->cfg->build_merge && o.base;
	log_info("change %" PRId64 ": building %s %s at %.12s", c->id, c->forge ? c->forge : c->repo, c->ref, c->sha);
	rc = run_prepare(&r, &env, &o);
	if (rc == 0 && !r.decided && !stopping(sv))
		rc = build_boards(sv, g, &env, &r, &o);
	if (rc == 0 && !r.decided && stopping(sv)) {
		/* Built (or about to be): the next daemon finds the builds in the cache. */
		if (store_change_transition(st, c->id, from_building, "queued", NULL, NULL) == 0)
			log_info("change %" PRId64 ": queued again, the daemon is stopping", c->id);
		goto out;
	}
	if (rc != 0)
		infra_error(&r, c->id);
	if (!r.decided) {
		/*
		 * The jobs appear together with the move to testing, and only if
		 * nothing superseded the change meanwhile: a worker that ends the
		 * last of them must find the change testing.
		 */
		if ((rc = store_begin(st)) == 0) {
			struct store_change now;

			if ((rc = store_change_get(st, c->id, &now)) == 0) {
				current = strcmp(now.state, "building") == 0;
				store_change_release(&now);
			}
			if (rc == 0 && current)
				rc = run_plan(&r, &env, &o);
			if (rc == 0 && current)
				rc = store_commit(st);
			else
				store_rollback(st);
		}
		if (rc != 0) {
			infra_error(&r, c->id);
		} else if (!current) {
			log_info("change %" PRId64 ": no longer current, not tested", c->id);
			goto out;
		} else if (r.njobs) {
			log_info("change %" PRId64 ": %zu job%s queued", c->id, r.njobs, r.njobs == 1 ? "" : "s");
			serve_wake(sv);
			goto out;
		}
	}
	finish_change(sv, st, &r, from_building);
out:
	run_report_release(&r);
}

static bool retired(struct worker *w)
{
	bool r;

	pthread_mutex_lock(&w->sv->lock);
	r = w->retire;
	pthread_mutex_unlock(&w->sv->lock);
	return r || stopping(w->sv);
}

/* Sleeps until woken or the idle look is due. */
static void idle(struct worker *w)
{
	struct serve *sv = w->sv;

	pthread_mutex_lock(&sv->lock);
	if (!stopping(sv) && !w->retire)
		wait_ms(sv, &sv->work_cv, IDLE_LOOK_MS);
	pthread_mutex_unlock(&sv->lock);
}

static void *builder_main(void *arg)
{
	struct worker *w = arg;
	struct serve *sv = w->sv;
	struct store *st = thread_store(sv, w->name);

	while (st && !retired(w)) {
		struct store_change c;
		struct gen *g = gen_hold(sv);
		int rc = store_change_claim(st, &c);

		if (rc == 0) {
			build_change(sv, st, g, &c);
			store_change_release(&c);
		}
		gen_put(sv, g);
		if (rc == ERR_NOTFOUND)
			idle(w);
		else if (rc != 0) {
			log_warn("%s: %s", w->name, err_msg());
			idle(w);
		}
	}
	store_close(st);
	return NULL;
}

/* ---- target workers ---- */

static bool job_should_stop(void *user)
{
	return stopping(user);
}

/*
 * Whether the change's kernel is known not to boot on this target: its other
 * jobs there recorded BOOT_FAIL_FAST cases without a banner and none with
 * one. Then this job need not find it out again, case by case.
 */
static int known_no_boot(struct store *st, const struct store_claimed_job *j)
{
	struct store_case_result *v = NULL;
	size_t n = 0;
	int no_banner = 0;

	if (store_results_of(st, j->change_id, 0, 0, &v, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].target, j->target) != 0 || v[i].job_id == j->id || strcmp(v[i].status, "skip") == 0)
			continue;
		if (strcmp(v[i].status, "fail") == 0 && v[i].reason && strstr(v[i].reason, "boot banner"))
			no_banner++;
		else {
			no_banner = 0;
			break;
		}
	}
	store_case_results_free(v, n);
	return no_banner >= BOOT_FAIL_FAST ? BOOT_FAIL_FAST : 0;
}

static void run_claimed(struct serve *sv, struct store *st, struct gen *g, const struct store_claimed_job *j)
{
	struct run_env env = { .cfg = g->cfg, .store = st, .containers = &g->ctr };
	const struct suite *suite = config_suite(g->cfg, j->suite);
	const struct board *board = NULL;
	struct store_build b;
	int rc;

	log_info("job %" PRId64 ": %s on %s%s", j->id, j->suite, j->target, j->resumed ? " (resumed)" : "");
	if ((rc = store_build_get(st, j->build_id, &b)) != 0) {
		store_job_set_state(st, j->id, "error", err_msg());
	} else {
		board = config_board(g->cfg, b.board);
		if (!board || !suite || !b.output_dir) {
			store_job_set_state(st, j->id, "error",
					    !b.output_dir ? "its build has no output"
							  : "its board or suite is no longer in the configuration");
		} else {
			struct run_job_spec spec = {
				.id = j->id, .change_id = j->change_id, .board = board, .suite = suite,
				.target = j->target, .output_dir = b.output_dir,
				.resume_since = j->resumed ? j->started_at : 0,
			};
			struct run_job_hooks hooks = { .stop = job_should_stop, .user = sv,
						       .boot_fail_fast = BOOT_FAIL_FAST,
						       .no_boot_before = known_no_boot(st, j) };

			rc = run_job_exec(&env, &spec, &hooks);
		}
		store_build_release(&b);
	}
	if (rc == ERR_CANCELLED) {
		if (store_job_requeue(st, j->id, "the daemon stopped; the job is resumed") == 0)
			log_info("job %" PRId64 ": queued again, to be resumed", j->id);
		return;
	}
	maybe_finish(sv, st, g, j->change_id);
}

static void *target_main(void *arg)
{
	struct worker *w = arg;
	struct serve *sv = w->sv;
	struct store *st = thread_store(sv, w->name);

	while (st && !retired(w)) {
		struct store_claimed_job j;
		struct gen *g = gen_hold(sv);
		int rc = store_job_claim(st, "qemu", w->target, &j);

		if (rc == 0) {
			run_claimed(sv, st, g, &j);
			store_claimed_job_release(&j);
		}
		gen_put(sv, g);
		if (rc == ERR_NOTFOUND)
			idle(w);
		else if (rc != 0) {
			log_warn("%s: %s", w->name, err_msg());
			idle(w);
		}
	}
	store_close(st);
	return NULL;
}

/* ---- device workers: one per device of the rack ---- */

/*
 * A device job from its row: the rack's code runs it from a report, which
 * run_load makes from the store. It leases a device of the job's board (or
 * the device the job names) for its length; a daemon killed meanwhile lets
 * the lease expire.
 */
static void run_device_claimed(struct serve *sv, struct store *st, struct gen *g, const struct store_claimed_job *j)
{
	struct run_env env = { .cfg = g->cfg, .store = st, .containers = &g->ctr };
	struct run_job_hooks hooks = { .stop = job_should_stop, .user = sv };
	struct run_job job = { .id = j->id, .claimed = true, .resume_since = j->resumed ? j->started_at : 0,
			       .hooks = &hooks, .suite = config_suite(g->cfg, j->suite) };
	struct run_report r;
	bool found = false;
	int rc;

	log_info("job %" PRId64 ": %s on a device of %s%s", j->id, j->suite, j->target, j->resumed ? " (resumed)" : "");
	if (run_load(&r, &env, j->change_id) != 0) {
		store_job_set_state(st, j->id, "error", err_msg());
		goto finish;
	}
	for (size_t i = 0; i < r.nbuilds; i++) {
		if (r.builds[i].result.id == j->build_id) {
			job.build = i;
			found = true;
		}
	}
	snprintf(job.kind, sizeof(job.kind), "device");
	snprintf(job.target, sizeof(job.target), "%s", j->target);
	if (!found || !job.suite || !config_board(g->cfg, r.builds[job.build].board)) {
		store_job_set_state(st, j->id, "error",
				    !found ? "its build is not the change's" : "its board or suite is no longer configured");
		run_report_release(&r);
		goto finish;
	}
	rc = run_job(&r, &env, &job);
	run_report_release(&r);
	if (rc == ERR_CANCELLED) {
		if (store_job_requeue(st, j->id, "the daemon stopped; the job is resumed") == 0)
			log_info("job %" PRId64 ": queued again, to be resumed", j->id);
		return;
	}
finish:
	maybe_finish(sv, st, g, j->change_id);
}

static void *device_main(void *arg)
{
	struct worker *w = arg;
	struct serve *sv = w->sv;
	struct store *st = thread_store(sv, w->name);

	while (st && !retired(w)) {
		struct store_claimed_job j;
		struct gen *g = gen_hold(sv);
		/* The jobs that name this device first, then any of its board's. */
		int rc = store_job_claim(st, "device", w->target, &j);

		if (rc == ERR_NOTFOUND)
			rc = store_job_claim(st, "device", w->board, &j);
		if (rc == 0) {
			run_device_claimed(sv, st, g, &j);
			store_claimed_job_release(&j);
		}
		gen_put(sv, g);
		if (rc == ERR_NOTFOUND)
			idle(w);
		else if (rc != 0) {
			log_warn("%s: %s", w->name, err_msg());
			idle(w);
		}
	}
	store_close(st);
	return NULL;
}

static int worker_start(struct serve *sv, enum worker_kind kind, const char *target, const char *board)
{
	static void *(*const main_of[])(void *) = { builder_main, target_main, device_main };
	struct worker *w = calloc(1, sizeof(*w));
	static const char *const prefix[] = { "rig-build", "rig-job", "rig-dev" };
	size_t n = 0;
	int rc;

	if (!w)
		return err_set(ERR_NOMEM, "out of memory");
	w->sv = sv;
	w->kind = kind;
	snprintf(w->target, sizeof(w->target), "%s", target ? target : "");
	snprintf(w->board, sizeof(w->board), "%s", board ? board : "");
	for (struct worker *o = sv->workers; o; o = o->next)
		n += o->kind == kind;
	snprintf(w->name, sizeof(w->name), "%s-%zu", prefix[kind], n + 1);
	if ((rc = pthread_create(&w->thread, NULL, main_of[kind], w)) != 0) {
		free(w);
		errno = rc;
		return err_errno(ERR_IO, "cannot start a thread");
	}
	w->started = true;
	pthread_setname_np(w->thread, w->name);
	pthread_mutex_lock(&sv->lock);
	w->next = sv->workers;
	sv->workers = w;
	pthread_mutex_unlock(&sv->lock);
	if (kind != WORKER_BUILDER)
		log_info("%s: runs the jobs of %s", w->name, w->target);
	return 0;
}

static bool is_target(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->targets.n; i++) {
		const struct board *b = config_board(cfg, cfg->targets.v[i]);

		if (b && b->has_qemu && strcmp(b->name, name) == 0)
			return true;
	}
	return false;
}

static bool is_device(const struct config *cfg, const char *id, const char *board)
{
	for (size_t i = 0; cfg->has_rack && i < cfg->rack.devices.n; i++)
		if (strcmp(cfg->rack.devices.v[i].id, id) == 0 && strcmp(cfg->rack.devices.v[i].board, board) == 0)
			return true;
	return false;
}

/*
 * Makes the workers fit cfg: one per QEMU target, one per device of the
 * rack, build_parallelism builders. Workers no longer wanted retire after
 * their current work.
 */
static int workers_fit(struct serve *sv, const struct config *cfg)
{
	size_t builders = 0;
	int rc = 0;

	pthread_mutex_lock(&sv->lock);
	for (struct worker *w = sv->workers; w; w = w->next) {
		if (w->retire)
			continue;
		if (w->kind == WORKER_TARGET && !is_target(cfg, w->target))
			w->retire = true;
		if (w->kind == WORKER_DEVICE && !is_device(cfg, w->target, w->board))
			w->retire = true;
		if (w->kind == WORKER_BUILDER && ++builders > (size_t)cfg->build_parallelism)
			w->retire = true;
	}
	pthread_cond_broadcast(&sv->work_cv);
	pthread_mutex_unlock(&sv->lock);
	for (; builders < (size_t)cfg->build_parallelism && !rc; builders++)
		rc = worker_start(sv, WORKER_BUILDER, NULL, NULL);
	for (size_t i = 0; cfg->has_rack && i < cfg->rack.devices.n && !rc; i++) {
		const struct device *d = &cfg->rack.devices.v[i];
		bool have = false;

		pthread_mutex_lock(&sv->lock);
		for (struct worker *w = sv->workers; w; w = w->next)
			have |= w->kind == WORKER_DEVICE && !w->retire && strcmp(w->target, d->id) == 0 &&
				strcmp(w->board, d->board) == 0;
		pthread_mutex_unlock(&sv->lock);
		if (!have)
			rc = worker_start(sv, WORKER_DEVICE, d->id, d->board);
	}
	for (size_t i = 0; i < cfg->targets.n && !rc; i++) {
		const struct board *b = config_board(cfg, cfg->targets.v[i]);
		bool have = false;

		if (!b || !b->has_qemu)
			continue;
		pthread_mutex_lock(&sv->lock);
		for (struct worker *w = sv->workers; w; w = w->next)
			have |= w->kind == WORKER_TARGET && !w->retire && strcmp(w->target, b->name) == 0;
		pthread_mutex_unlock(&sv->lock);
		if (!have)
			rc = worker_start(sv, WORKER_TARGET, b->name, NULL);
	}
	return rc;
}

/* ---- forges: the poller ---- */

static void poll_forge(struct serve *sv, struct store *st, const struct config *cfg, const struct forge *f)
{
	struct forge_fetch_opts fo = { .refspecs = f->refspecs.v, .refspecs_n = f->refspecs.n };
	struct forge_ref_list changed = { 0 }, refs = { 0 };
	struct intake_result res = { 0 };
	struct forge_mirror *m = NULL;

	if (forge_mirror_open(&m, cfg->data_dir, f->url) != 0 || forge_fetch(&changed, m, &fo) != 0 ||
	    forge_refs(&refs, m) != 0) {
		log_warn("forge %s: %s", f->name, err_msg());
		goto out;
	}
	if (intake_poll(&res, st, f, m, &refs, sv->opts->queue_first) != 0) {
		log_warn("forge %s: %s", f->name, err_msg());
		goto out;
	}
	log_debug("forge %s: fetched; %zu refs moved", f->name, changed.n);
	if (res.baseline)
		log_info("forge %s: first poll: %zu change%s there already, taken as they are", f->name, res.baseline,
			 res.baseline == 1 ? "" : "s");
	note_ids(sv, &res.queued, REPORT_QUEUED, NULL);
	if (res.queued.n)
		serve_wake(sv);
out:
	intake_result_release(&res);
	forge_ref_list_release(&changed);
	forge_ref_list_release(&refs);
	forge_mirror_free(m);
}

struct due {
	char name[128];
	long long at;
};

static void *poller_main(void *arg)
{
	struct serve *sv = arg;
	struct store *st = thread_store(sv, "poller");
	struct due *due = NULL;
	size_t ndue = 0;

	while (st && !stopping(sv)) {
		struct gen *g = gen_hold(sv);
		const struct config *cfg = g->cfg;
		long long now = proc_now_ms(), next = now + 3600 * 1000;
		bool all;
		struct due *nd = calloc(cfg->forges.n + 1, sizeof(*nd));

		pthread_mutex_lock(&sv->lock);
		all = sv->poll_now;
		sv->poll_now = false;
		pthread_mutex_unlock(&sv->lock);
		for (size_t i = 0; nd && i < cfg->forges.n && !stopping(sv); i++) {
			const struct forge *f = &cfg->forges.v[i];
			double interval = f->poll_interval * 1000;
			long long at = 0;

			if (interval <= 0 || interval > sv->reconcile_ms)
				interval = sv->reconcile_ms;
			for (size_t j = 0; j < ndue; j++)
				if (strcmp(due[j].name, f->name) == 0)
					at = due[j].at;
			if (all || at <= now) {
				poll_forge(sv, st, cfg, f);
				at = proc_now_ms() + (long long)interval;
			}
			snprintf(nd[i].name, sizeof(nd[i].name), "%s", f->name);
			nd[i].at = at;
			if (at < next)
				next = at;
		}
		if (nd) {
			free(due);
			due = nd;
			ndue = cfg->forges.n;
		}
		gen_put(sv, g);
		pthread_mutex_lock(&sv->lock);
		while (!stopping(sv) && !sv->poll_now && proc_now_ms() < next)
			wait_ms(sv, &sv->poll_cv, (int)(next - proc_now_ms()));
		pthread_mutex_unlock(&sv->lock);
	}
	free(due);
	store_close(st);
	return NULL;
}

/* ---- webhooks: the intake ---- */

static void event_free(struct event *e)
{
	if (!e)
		return;
	free(e->forge);
	free(e->kind_name);
	free(e->ref);
	free(e->sha);
	free(e->base_ref);
	free(e->base_sha);
	free(e->title);
	free(e->author);
	free(e);
}

/* The webhook receiver's queue callback, on an HTTP thread: copies the event and returns. */
static int on_webhook(void *arg, const struct webhook_event *ev)
{
	static const char *const kinds[] = { "pr", "push", "merge_group", "cancel" };
	struct serve *sv = arg;
	struct event *e = calloc(1, sizeof(*e));
	int rc = 0;

	if (!e)
		return err_set(ERR_NOMEM, "out of memory");
	e->kind = ev->kind;
	e->number = ev->number;
	e->forge = dup_or_null(ev->forge);
	e->kind_name = dup_or_null(kinds[ev->kind]);
	e->ref = dup_or_null(ev->ref);
	e->sha = dup_or_null(ev->head_sha);
	e->base_ref = dup_or_null(ev->base_ref);
	e->base_sha = dup_or_null(ev->base_sha);
	e->title = dup_or_null(ev->title);
	e->author = dup_or_null(ev->author);
	if (!e->forge || !e->kind_name || !e->ref || !e->sha || (ev->base_ref && !e->base_ref) ||
	    (ev->base_sha && !e->base_sha) || (ev->title && !e->title) || (ev->author && !e->author)) {
		event_free(e);
		return err_set(ERR_NOMEM, "out of memory");
	}
	pthread_mutex_lock(&sv->lock);
	if (stopping(sv))
		rc = err_set(ERR_CANCELLED, "the daemon is stopping");
	else if (sv->nevents >= EVENTS_MAX)
		rc = err_set(ERR_LIMIT, "%d events wait already", EVENTS_MAX);
	if (!rc) {
		*sv->events_tail = e;
		sv->events_tail = &e->next;
		sv->nevents++;
		pthread_cond_signal(&sv->intake_cv);
	}
	pthread_mutex_unlock(&sv->lock);
	if (rc)
		event_free(e);
	return rc;
}

static void take_event(struct serve *sv, struct store *st, const struct event *e)
{
	struct gen *g = gen_hold(sv);
	const struct forge *f = forge_named(g->cfg, e->forge);
	struct intake_result res = { 0 };
	int rc;

	if (!f) {
		log_warn("webhook for forge %s, which the configuration no longer has: dropped", e->forge);
		goto out;
	}
	if (e->kind == WEBHOOK_CANCEL) {
		rc = intake_cancel(&res, st, f->name, e->ref);
	} else {
		struct intake_change c = {
			.forge = f->name, .repo = f->url, .kind = e->kind_name, .number = e->number, .ref = e->ref,
			.sha = e->sha, .base_ref = e->kind == WEBHOOK_PUSH ? NULL : e->base_ref,
			.base_sha = e->kind == WEBHOOK_PUSH ? e->base_sha : NULL, .title = e->title,
			.author = e->author,
		};

		rc = intake_queue(&res, st, &c);
	}
	if (rc) {
		/* The poll's reconcile queues it all the same once the forge's refs show it. */
		log_warn("webhook for %s %s: %s", f->name, e->ref, err_msg());
		goto out;
	}
	note_ids(sv, &res.queued, REPORT_QUEUED, NULL);
	note_ids(sv, &res.cancelled, REPORT_CANCELLED, "the pull request was closed");
	if (res.queued.n)
		serve_wake(sv);
out:
	intake_result_release(&res);
	gen_put(sv, g);
}

static void *intake_main(void *arg)
{
	struct serve *sv = arg;
	struct store *st = thread_store(sv, "intake");

	while (st) {
		struct event *e;

		pthread_mutex_lock(&sv->lock);
		while (!sv->events && !stopping(sv))
			wait_ms(sv, &sv->intake_cv, IDLE_LOOK_MS);
		/* What was accepted before the stop is still taken in: it is quick. */
		if ((e = sv->events) != NULL) {
			sv->events = e->next;
			if (!sv->events)
				sv->events_tail = &sv->events;
			sv->nevents--;
		}
		pthread_mutex_unlock(&sv->lock);
		if (!e)
			break;
		take_event(sv, st, e);
		event_free(e);
	}
	store_close(st);
	return NULL;
}

/* ---- HTTP ---- */

static void healthz(struct http_req *req, void *arg)
{
	struct serve *sv = arg;
	unsigned number;
	size_t events, notes;

	pthread_mutex_lock(&sv->lock);
	number = sv->gen->number;
	events = sv->nevents;
	notes = sv->nnotes;
	pthread_mutex_unlock(&sv->lock);
	http_respond_text(req, 200, "ok\nconfiguration %u\nwebhook events waiting %zu\nstatuses waiting %zu\n",
			  number, events, notes);
}

/* "http://host:port/" of the server, for links. */
static void make_url(struct serve *sv)
{
	char host[128] = "127.0.0.1";
	const char *colon = strrchr(sv->listen, ':');

	if (colon && colon > sv->listen)
		snprintf(host, sizeof(host), "%.*s", (int)(colon - sv->listen), sv->listen);
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0 || strcmp(host, "*") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	snprintf(sv->url, sizeof(sv->url), "http://%s:%d/", host, http_port(sv->http));
}

static int http_up(struct serve *sv, const struct config *cfg)
{
	struct webhook_opts wo = { .cfg = cfg, .store_url = sv->store_url, .queue = on_webhook, .queue_arg = sv };
	struct http_opts ho = { .listen = sv->listen };
	int rc;

	if ((rc = webhook_new(&sv->webhooks, &wo)) != 0)
		return rc;
	if ((rc = http_start(&sv->http, &ho)) != 0)
		return rc;
	if ((rc = webhook_mount(sv->webhooks, sv->http)) != 0 || (rc = http_route(sv->http, "/healthz", healthz, sv)) != 0)
		return rc;
	for (const struct serve_mount *m = sv->opts->mounts; m && m->name; m++)
		sv->nmounts++;
	sv->mount_state = calloc(sv->nmounts + 1, sizeof(*sv->mount_state));
	if (!sv->mount_state)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < sv->nmounts; i++) {
		const struct serve_mount *m = &sv->opts->mounts[i];

		if ((rc = m->mount(&sv->mount_state[i], sv->http, sv)) != 0)
			return err_prefix("%s", m->name);
		log_info("%s mounted", m->name);
	}
	make_url(sv);
	return 0;
}

static void http_down(struct serve *sv, int deadline_ms)
{
	if (sv->http && http_stop(sv->http, deadline_ms) != 0)
		log_warn("http: requests still running at the deadline were cut");
	sv->http = NULL;
	for (size_t i = 0; i < sv->nmounts; i++)
		if (sv->opts->mounts[i].unmount)
			sv->opts->mounts[i].unmount(sv->mount_state[i]);
	free(sv->mount_state);
	sv->mount_state = NULL;
	sv->nmounts = 0;
	webhook_free(sv->webhooks);
	sv->webhooks = NULL;
}

/* ---- start-up: what the store says was left ---- */

/* The newest status the rig posted for a change, or NULL when none. */
static bool newest_status(struct store *st, int64_t id, char *out, size_t n)
{
	struct store_status *v = NULL;
	size_t count = 0;
	bool any = false;

	if (store_statuses_list(st, id, &v, &count) == 0 && count) {
		snprintf(out, n, "%s", v[count - 1].state);
		any = true;
	}
	store_statuses_free(v, count);
	return any;
}

static void recover(struct serve *sv, struct store *st, struct gen *g)
{
	struct store_recovery rec;
	int64_t *ids = NULL;
	size_t n = 0;
	char state[32];

	if (store_serve_recover(st, &rec) != 0) {
		log_error("recovery: %s", err_msg());
		return;
	}
	if (rec.jobs || rec.builds || rec.changes)
		log_info("recovery: %zu job%s resumed, %zu change%s queued again, %zu interrupted build%s dropped",
			 rec.jobs, rec.jobs == 1 ? "" : "s", rec.changes, rec.changes == 1 ? "" : "s", rec.builds,
			 rec.builds == 1 ? "" : "s");
	/* Changes whose last job ended just before the daemon did. */
	if (store_change_ids(st, "testing", 0, &ids, &n) == 0)
		for (size_t i = 0; i < n; i++)
			maybe_finish(sv, st, g, ids[i]);
	free(ids);
	/* Statuses decided but never posted: the forge still shows nothing, or pending. */
	if (store_change_ids(st, "queued", store_now_ms() - REPORT_BACK_MS, &ids, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (!newest_status(st, ids[i], state, sizeof(state)))
				note(sv, ids[i], REPORT_QUEUED, NULL);
	free(ids);
	if (store_change_ids(st, "done", store_now_ms() - REPORT_BACK_MS, &ids, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct store_change c;

			if (newest_status(st, ids[i], state, sizeof(state)) && strcmp(state, "pending") != 0 &&
			    strcmp(state, "running") != 0)
				continue;
			if (store_change_get(st, ids[i], &c) != 0)
				continue;
			if (c.gate) {
				enum gate gt = strcmp(c.gate, "pass") == 0 ? GATE_PASS
					       : strcmp(c.gate, "fail") == 0 ? GATE_FAIL : GATE_ERROR;

				note(sv, c.id, gate_state(gt), c.reason);
			}
			store_change_release(&c);
		}
	}
	free(ids);
}

/* One daemon per data folder: the recovery above takes back everything the store says was running. */
static int take_lock(struct serve *sv)
{
	char path[4200], pid[32];

	snprintf(path, sizeof(path), "%s/serve.lock", sv->data_dir);
	sv->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (sv->lock_fd < 0)
		return err_errno(ERR_IO, "cannot open %s", path);
	if (flock(sv->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t got = pread(sv->lock_fd, pid, sizeof(pid) - 1, 0);

		pid[got > 0 ? got : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		return err_set(ERR_CONFLICT, "another rig serve (pid %s) uses the data folder %s", pid[0] ? pid : "?",
			       sv->data_dir);
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(sv->lock_fd, 0) != 0 || pwrite(sv->lock_fd, pid, strlen(pid), 0) < 0)
		log_warn("%s: cannot write the pid: %s", path, strerror(errno));
	return 0;
}

/* ---- SIGHUP ---- */

static void reload(struct serve *sv)
{
	struct gen *g, *old;
	struct diags diags;
	int rc;

	log_info("SIGHUP: loading %s", sv->config_path ? sv->config_path : "the built-in configuration");
	diags_init(&diags);
	rc = gen_new(&g, sv->config_path, &diags);
	if (rc) {
		diags_print(&diags, stderr);
		diags_release(&diags);
		log_error("SIGHUP: %s; the running configuration stays", err_msg());
		return;
	}
	diags_release(&diags);
	if (strcmp(g->cfg->data_dir, sv->data_dir) != 0 || strcmp(g->cfg->sqlite, sv->store_url) != 0) {
		log_error("SIGHUP: the data folder or the store changed; restart the daemon to move them. "
			  "The running configuration stays");
		gen_free(g);
		return;
	}
	if (!sv->opts->listen && strcmp(g->cfg->listen, sv->listen) != 0)
		log_warn("SIGHUP: the server keeps listening on %s until a restart", sv->listen);
	if (webhook_reload(sv->webhooks, g->cfg) != 0) {
		log_error("SIGHUP: %s; the running configuration stays", err_msg());
		gen_free(g);
		return;
	}
	pthread_mutex_lock(&sv->lock);
	g->number = ++sv->generations;
	old = sv->gen;
	sv->gen = g;
	sv->poll_now = true;
	pthread_cond_broadcast(&sv->poll_cv);
	pthread_mutex_unlock(&sv->lock);
	gen_put(sv, old);
	for (size_t i = 0; i < sv->nmounts; i++) {
		const struct serve_mount *m = &sv->opts->mounts[i];

		if (m->reload && m->reload(sv->mount_state[i], g->cfg) != 0)
			log_error("SIGHUP: %s keeps its configuration: %s", m->name, err_msg());
	}
	if (workers_fit(sv, g->cfg) != 0)
		log_error("SIGHUP: %s", err_msg());
	log_info("SIGHUP: configuration %u in force", g->number);
}

/* ---- SIGTERM ---- */

static bool join_by(pthread_t t, long long deadline)
{
	struct timespec ts;
	long long left = deadline - proc_now_ms();

	clock_gettime(CLOCK_REALTIME, &ts);
	if (left < 0)
		left = 0;
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

/* Whether the thread (if it was started) ended by the deadline. */
static bool join_thread(pthread_t *t, bool *started, long long deadline)
{
	if (*started && join_by(*t, deadline))
		*started = false;
	return !*started;
}

/*
 * Stops taking work and waits for what runs: jobs stop at their current
 * case, builds end. Returns whether every thread ended before the deadline.
 */
static bool wind_down(struct serve *sv, long long deadline)
{
	bool all = true;

	atomic_store(&sv->stopping, true);
	wake_all(sv);
	all &= join_thread(&sv->intake, &sv->intake_started, deadline);
	all &= join_thread(&sv->poller, &sv->poller_started, deadline);
	for (struct worker *w = sv->workers; w; w = w->next) {
		if (w->started && !w->joined)
			w->joined = join_by(w->thread, deadline);
		all &= !w->started || w->joined;
	}
	/* The reporter goes last: the workers' final statuses are in its queue. */
	pthread_mutex_lock(&sv->lock);
	sv->reporter_quit = true;
	pthread_cond_broadcast(&sv->report_cv);
	pthread_mutex_unlock(&sv->lock);
	all &= join_thread(&sv->reporter, &sv->reporter_started, deadline);
	return all;
}

/* At the deadline: what still runs is put back in the store as a restart would, and the process ends. */
static void abandon(struct serve *sv, struct store *st)
{
	struct store_recovery rec = { 0 };

	if (store_serve_recover(st, &rec) != 0)
		log_error("shutdown: %s", err_msg());
	log_warn("shutdown: deadline of %d ms passed; %zu job%s queued to resume, %zu change%s queued again; "
		 "exiting now",
		 sv->shutdown_ms, rec.jobs, rec.jobs == 1 ? "" : "s", rec.changes, rec.changes == 1 ? "" : "s");
	store_close(st);
	fflush(NULL);
	/* Threads still hold work: nothing may unwind under them. QEMU dies with us (die_with_parent). */
	_exit(0);
}

/* ---- the daemon ---- */

static void serve_free(struct serve *sv)
{
	struct worker *w = sv->workers;

	while (w) {
		struct worker *next = w->next;

		free(w);
		w = next;
	}
	while (sv->events) {
		struct event *e = sv->events;

		sv->events = e->next;
		event_free(e);
	}
	while (sv->notes) {
		struct note *n = sv->notes;

		sv->notes = n->next;
		note_free(n);
	}
	if (sv->gen)
		gen_put(sv, sv->gen);
	if (sv->lock_fd >= 0)
		close(sv->lock_fd);
	pthread_cond_destroy(&sv->work_cv);
	pthread_cond_destroy(&sv->intake_cv);
	pthread_cond_destroy(&sv->report_cv);
	pthread_cond_destroy(&sv->poll_cv);
	pthread_cond_destroy(&sv->slot_cv);
	pthread_mutex_destroy(&sv->lock);
	free(sv->config_path);
	free(sv->store_url);
	free(sv->data_dir);
	free(sv->listen);
	free(sv);
}

static void cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

static int start_thread(pthread_t *t, bool *started, void *(*fn)(void *), struct serve *sv, const char *name)
{
	int rc = pthread_create(t, NULL, fn, sv);

	if (rc) {
		errno = rc;
		return err_errno(ERR_IO, "cannot start the %s thread", name);
	}
	pthread_setname_np(*t, name);
	*started = true;
	return 0;
}

int serve_run(const struct serve_opts *opts)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct store *st = NULL;
	struct diags diags;
	sigset_t block, unblocked, original;
	int code = 3;

	if (!sv) {
		fprintf(stderr, "rig serve: out of memory\n");
		return 3;
	}
	/* Only the main thread takes signals, and only while it waits: every thread started below inherits the block. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &original);
	unblocked = original;
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGINT);
	sigdelset(&unblocked, SIGHUP);

	sv->opts = opts;
	sv->lock_fd = -1;
	pthread_mutex_init(&sv->lock, NULL);
	cond_init(&sv->work_cv);
	cond_init(&sv->intake_cv);
	cond_init(&sv->report_cv);
	cond_init(&sv->poll_cv);
	cond_init(&sv->slot_cv);
	sv->events_tail = &sv->events;
	sv->notes_tail = &sv->notes;
	sv->shutdown_ms = opts->shutdown_ms > 0 ? opts->shutdown_ms : DEFAULT_SHUTDOWN_MS;
	sv->reconcile_ms = opts->reconcile_ms > 0 ? opts->reconcile_ms : DEFAULT_RECONCILE_MS;
	sv->sweep_after_ms = opts->sweep_after_ms > 0 ? opts->sweep_after_ms : DEFAULT_SWEEP_AFTER_MS;
	sv->config_path = dup_or_null(opts->config_path);

	diags_init(&diags);
	if (gen_new(&sv->gen, opts->config_path, &diags) != 0) {
		diags_print(&diags, stderr);
		fprintf(stderr, "rig serve: %s\n", err_msg());
		diags_release(&diags);
		code = err_code() == ERR_INVALID ? 2 : 3;
		goto out;
	}
	diags_release(&diags);
	sv->gen->number = sv->generations = 1;
	sv->store_url = strdup(sv->gen->cfg->sqlite);
	sv->data_dir = strdup(sv->gen->cfg->data_dir);
	sv->listen = strdup(opts->listen ? opts->listen : sv->gen->cfg->listen);
	if (!sv->store_url || !sv->data_dir || !sv->listen) {
		fprintf(stderr, "rig serve: out of memory\n");
		goto out;
	}
	if (fs_mkdirs(sv->data_dir) != 0 || take_lock(sv) != 0 || store_open(&st, sv->store_url) != 0) {
		fprintf(stderr, "rig serve: %s\n", err_msg());
		goto out;
	}
	recover(sv, st, sv->gen);
	if (http_up(sv, sv->gen->cfg) != 0) {
		fprintf(stderr, "rig serve: %s\n", err_msg());
		http_down(sv, 1000);
		goto stop;
	}
	if (start_thread(&sv->reporter, &sv->reporter_started, reporter_main, sv, "rig-report") != 0 ||
	    start_thread(&sv->intake, &sv->intake_started, intake_main, sv, "rig-intake") != 0 ||
	    start_thread(&sv->poller, &sv->poller_started, poller_main, sv, "rig-poll") != 0 ||
	    workers_fit(sv, sv->gen->cfg) != 0) {
		fprintf(stderr, "rig serve: %s\n", err_msg());
		http_down(sv, 1000);
		goto stop;
	}
	log_info("rig serve: listening on %s (store %s)", sv->url, sv->store_url);
	if (opts->listening)
		opts->listening(opts->user, sv->url);

	while (!*opts->terminate) {
		struct timespec ts = { .tv_sec = 1 };

		/* Signals are taken here only: the flags main.c's handlers set are read right after. */
		ppoll(NULL, 0, &ts, &unblocked);
		if (*opts->hangup && !*opts->terminate) {
			*opts->hangup = 0;
			reload(sv);
		}
	}
	code = 0;
	log_info("rig serve: stopping; running jobs end at their current case (deadline %d ms)", sv->shutdown_ms);
	http_down(sv, sv->shutdown_ms / 4 < 2000 ? sv->shutdown_ms / 4 : 2000);
stop:
	{
		long long deadline = proc_now_ms() + sv->shutdown_ms;

		if (!wind_down(sv, deadline))
			abandon(sv, st);
	}
	log_info("rig serve: stopped");
out:
	store_close(st);
	serve_free(sv);
	pthread_sigmask(SIG_SETMASK, &original, NULL);
	return code;
}
