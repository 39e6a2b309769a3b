#include "run.h"

#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "image.h"
#include "log.h"
#include "proc.h"
#include "rack.h"
#include "store.h"
#include "target.h"

const char *gate_name(enum gate g)
{
	return g == GATE_PASS ? "pass" : g == GATE_FAIL ? "fail" : "error";
}

void run_report_release(struct run_report *r)
{
	forge_mirror_free(r->mirror);
	free(r->jobs);
	free(r->repo);
	free(r->ref);
	free(r->builds);
	free(r->cases);
	memset(r, 0, sizeof(*r));
}

static void decide(struct run_report *r, enum gate g, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void decide(struct run_report *r, enum gate g, const char *fmt, ...)
{
	va_list ap;

	r->gate = g;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/* The refspecs of the configured forge this repository belongs to, if any. */
static const struct forge *forge_of(const struct config *cfg, const struct run_opts *o)
{
	for (size_t i = 0; i < cfg->forges.n; i++) {
		const struct forge *f = &cfg->forges.v[i];

		if ((o->forge && strcmp(f->name, o->forge) == 0) || strcmp(f->url, o->repo) == 0)
			return f;
	}
	return NULL;
}

/* The tree, checked out once per tree id and shared by every board and later change. */
static int workspace(char *out, size_t n, const struct config *cfg, struct forge_mirror *m, const char *rev,
		     const char *tree)
{
	char tmp[PATH_MAX], got[FORGE_SHA_SIZE];
	int rc;

	snprintf(out, n, "%s/trees/%s", cfg->data_dir, tree);
	if (fs_is_dir(out))
		return 0;
	/* Per thread, not per process: the daemon's builders may check one tree out at once. */
	snprintf(tmp, sizeof(tmp), "%s/trees/.%s.%d", cfg->data_dir, tree, (int)gettid());
	fs_rmtree(tmp);
	if ((rc = forge_checkout(got, m, rev, tmp)) != 0) {
		fs_rmtree(tmp);
		return err_prefix("checkout of %s", rev);
	}
	if (rename(tmp, out) != 0 && !fs_is_dir(out)) {
		rc = err_errno(ERR_IO, "cannot move the checkout to %s", out);
		fs_rmtree(tmp);
		return rc;
	}
	fs_rmtree(tmp);
	return 0;
}

struct job_log {
	FILE *f;
	long long t0;
};

/* Every console line and step, with milliseconds since the job started. */
static void log_line(void *user, const char *stream, const char *line, long long t_ms)
{
	struct job_log *l = user;

	if (l->f) {
		fprintf(l->f, "%8lld %-7s %s\n", t_ms - l->t0, stream, line);
		fflush(l->f);
	}
	if (strcmp(stream, "rig") == 0)
		log_debug("%s", line);
}

static struct run_case *add_case(struct run_report *r)
{
	if (r->ncases == r->cases_alloc) {
		size_t n = r->cases_alloc ? r->cases_alloc * 2 : 32;
		struct run_case *v = realloc(r->cases, n * sizeof(*v));

		if (!v)
			return NULL;
		r->cases = v;
		r->cases_alloc = n;
	}
	memset(&r->cases[r->ncases], 0, sizeof(r->cases[0]));
	return &r->cases[r->ncases++];
}

static int record_case(const struct run_env *env, int64_t change_id, int64_t job_id, const struct run_case *rc,
		       const struct case_outcome *o)
{
	struct store_check *checks = calloc(o->tap.n + 1, sizeof(*checks));
	struct store_result res = {
		.job_id = job_id,
		.change_id = change_id,
		.suite = rc->suite,
		.case_name = rc->name,
		.target = rc->target,
		.status = verdict_name(rc->verdict),
		.attempt = rc->attempts,
		.duration_ms = rc->duration_ms,
		.reason = rc->reason[0] ? rc->reason : NULL,
		.log_path = rc->log_path[0] ? rc->log_path : NULL,
		.flaky = rc->flaky,
		.checks = checks,
	};
	int err;

	if (!checks)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < o->tap.n; i++) {
		const struct tap_point *p = &o->tap.points[i];

		checks[i].number = p->number;
		checks[i].ok = p->ok;
		checks[i].description = p->description;
		checks[i].directive = p->directive == TAP_SKIP ? "skip" : p->directive == TAP_TODO ? "todo" : NULL;
		checks[i].reason = p->reason;
	}
	res.nchecks = o->tap.n;
	err = store_result_add(env->store, &res);
	free(checks);
	return err;
}

/* The apps of a case, as paths to their images in a build's output. */
static int case_apps(const char ***out, const struct board *b, const char *output_dir, const struct suite_case *c)
{
	const char **apps = calloc(c->apps.n + 1, sizeof(*apps));

	if (!apps)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < c->apps.n; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s/%s.tbf", output_dir, b->build.artifacts.apps ? b->build.artifacts.apps : "apps",
			 c->apps.v[i]);
		apps[i] = strdup(path);
		if (!apps[i]) {
			for (size_t j = 0; j < i; j++)
				free((char *)apps[j]);
			free(apps);
			return err_set(ERR_NOMEM, "out of memory");
		}
	}
	*out = apps;
	return 0;
}

static void free_apps(const char **apps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)apps[i]);
	free(apps);
}

/* Whether a resumed job already recorded this case. */
static bool recorded(const struct store_case_result *done, size_t ndone, const char *case_name)
{
	for (size_t i = 0; i < ndone; i++)
		if (strcmp(done[i].case_name, case_name) == 0)
			return true;
	return false;
}

int run_job_exec(const struct run_env *env, const struct run_job_spec *job, const struct run_job_hooks *hooks)
{
	const struct config *cfg = env->cfg;
	const struct board *b = job->board;
	const struct suite *s = job->suite;
	char workdir[PATH_MAX], log_path[PATH_MAX], kernel_bin[PATH_MAX], kernel_elf[PATH_MAX], logs[PATH_MAX];
	struct job_log jl = { 0 };
	struct runner_sink sink = { .line = log_line, .user = &jl };
	struct runner_opts ropts = { 0 };
	struct store_case_result *done = NULL;
	size_t ndone = 0;
	struct target *t = NULL;
	char today[11];
	int rc, errors = 0, no_boot = 0;

	config_today(today);
	ropts.today = today;
	if (hooks)
		no_boot = hooks->no_boot_before;
	snprintf(workdir, sizeof(workdir), "%s/tmp/job-%" PRId64, cfg->data_dir, job->id);
	snprintf(logs, sizeof(logs), "%s/logs", cfg->data_dir);
	snprintf(log_path, sizeof(log_path), "%s/job-%" PRId64 ".log", logs, job->id);
	snprintf(kernel_bin, sizeof(kernel_bin), "%s/%s", job->output_dir,
		 b->build.artifacts.kernel_bin ? b->build.artifacts.kernel_bin : "kernel.bin");
	snprintf(kernel_elf, sizeof(kernel_elf), "%s/%s", job->output_dir, b->build.artifacts.kernel);
	if (job->resume_since &&
	    (rc = store_results_of(env->store, job->change_id, job->id, job->resume_since, &done, &ndone)) != 0)
		goto done;
	fs_rmtree(workdir);
	if ((rc = fs_mkdirs(workdir)) != 0 || (rc = fs_mkdirs(logs)) != 0)
		goto done;
	/* Appended: a resumed job keeps the log of the cases it already ran. */
	jl.f = fopen(log_path, job->resume_since ? "a" : "w");
	jl.t0 = proc_now_ms();
	if ((rc = target_qemu_new(&t, b, workdir)) != 0)
		goto done;

	for (size_t i = 0; i < s->cases.n; i++) {
		const struct suite_case *c = &s->cases.v[i];
		struct run_case rcase = { 0 };
		struct case_outcome o;
		char bin[PATH_MAX], elf[PATH_MAX];
		const char **apps = NULL;
		struct target_image img = { .image = bin, .image_elf = elf, .kernel = kernel_elf,
					    .address = b->memory.kernel_flash.origin };

		if (recorded(done, ndone, c->name))
			continue;
		if (hooks && hooks->stop && hooks->stop(hooks->user)) {
			rc = err_set(ERR_CANCELLED, "job %" PRId64 " stopped before %s/%s", job->id, s->name, c->name);
			goto done;
		}
		snprintf(rcase.suite, sizeof(rcase.suite), "%s", s->name);
		snprintf(rcase.name, sizeof(rcase.name), "%s", c->name);
		snprintf(rcase.target, sizeof(rcase.target), "%s", job->target);
		snprintf(rcase.log_path, sizeof(rcase.log_path), "%s", log_path);
		snprintf(rcase.kind, sizeof(rcase.kind), "qemu");
		snprintf(rcase.board, sizeof(rcase.board), "%s", b->name);
		snprintf(bin, sizeof(bin), "%s/%s.bin", workdir, c->name);
		snprintf(elf, sizeof(elf), "%s/%s.elf", workdir, c->name);

		memset(&o, 0, sizeof(o));
		tap_init(&o.tap);
		o.boot_ms = -1;
		if (!suite_case_runs_on(c, b->name)) {
			runner_case(&o, t, s, c, &img, &sink, &ropts);
		} else if (hooks && hooks->boot_fail_fast > 0 && no_boot >= hooks->boot_fail_fast) {
			o.verdict = VERDICT_FAIL;
			snprintf(o.reason, sizeof(o.reason),
				 "not booted: %d cases in a row had no boot banner; the kernel does not boot on %s",
				 hooks->boot_fail_fast, job->target);
			log_line(&jl, "rig", o.reason, proc_now_ms());
		} else if ((rc = case_apps(&apps, b, job->output_dir, c)) != 0) {
			goto done;
		} else if (image_compose(bin, elf, b, kernel_bin, apps, c->apps.n) != 0) {
			/* The build gave apps that do not fit this board: the change's doing. */
			o.verdict = VERDICT_FAIL;
			o.attempts = 1;
			snprintf(o.reason, sizeof(o.reason), "image: %s", err_msg());
			log_line(&jl, "rig", o.reason, proc_now_ms());
		} else {
			runner_case(&o, t, s, c, &img, &sink, &ropts);
		}
		if (apps)
			free_apps(apps, c->apps.n);
		rcase.verdict = o.verdict;
		rcase.duration_ms = o.duration_ms;
		rcase.attempts = o.attempts;
		rcase.flaky = o.flaky;
		rcase.boot_ms = o.boot_ms;
		snprintf(rcase.reason, sizeof(rcase.reason), "%s", o.reason);
		if (o.verdict == VERDICT_ERROR)
			errors++;
		/* A banner, or anything but a failure, shows the kernel boots (a skip boots nothing). */
		if (o.verdict == VERDICT_FAIL && o.boot_ms < 0 && strstr(o.reason, "boot banner"))
			no_boot++;
		else if (o.verdict != VERDICT_SKIP)
			no_boot = 0;
		log_info("%s/%s on %s: %s%s%s", s->name, c->name, job->target, verdict_name(o.verdict),
			 o.reason[0] ? ": " : "", o.reason);
		if (hooks && hooks->on_case)
			hooks->on_case(hooks->user, &rcase);
		rc = record_case(env, job->change_id, job->id, &rcase, &o);
		case_outcome_release(&o);
		if (rc)
			goto done;
	}
	rc = 0;
done:
	if (t) {
		t->ops->power(t, false);
		target_release(t);
	}
	if (jl.f)
		fclose(jl.f);
	fs_rmtree(workdir);
	store_case_results_free(done, ndone);
	/* A stopped job stays running: its caller puts it back in the queue. */
	if (rc != ERR_CANCELLED)
		store_job_set_state(env->store, job->id, rc ? "error" : "done",
				    rc ? err_msg() : errors ? "infrastructure errors" : NULL);
	return rc;
}

static void add_to_report(void *user, const struct run_case *c)
{
	struct run_report *r = user;
	struct run_case *rc = add_case(r);

	if (rc)
		*rc = *c;
}

/* Every case of the job's suite on its QEMU target, from the job's build. */
static int run_job_qemu(struct run_report *r, const struct run_env *env, const struct run_job *job)
{
	const struct run_build *bld = &r->builds[job->build];
	struct run_job_spec spec = {
		.id = job->id, .change_id = r->change_id, .board = config_board(env->cfg, bld->board),
		.suite = job->suite, .target = job->target, .output_dir = bld->result.output_dir,
	};
	struct run_job_hooks hooks = { .on_case = add_to_report, .user = r };

	store_job_set_state(env->store, job->id, "running", NULL);
	return run_job_exec(env, &spec, &hooks);
}

/* Kept with the change's build, so that a gate decided later (run_load) still sees them. */
static void record_findings(const struct run_env *env, const struct run_build *rb)
{
	struct store_size_finding v[sizeof(rb->size.findings) / sizeof(rb->size.findings[0])];
	size_t n = rb->size.nfindings;

	for (size_t i = 0; i < n; i++) {
		const struct size_finding *f = &rb->size.findings[i];

		v[i] = (struct store_size_finding){ .region = (char *)f->region, .action = (char *)(f->fail ? "fail" : "warn"),
						    .text = (char *)f->text, .delta = f->delta, .percent = f->percent };
	}
	if (n && store_size_findings_add(env->store, rb->result.id, v, n) != 0)
		log_warn("size findings of build %" PRId64 ": %s", rb->result.id, err_msg());
}

/* ---- rack: device jobs ---- */

static bool wanted(const char *name, const char *const *list, size_t n);

/* How long a device job waits while every device of its board is busy. */
#define DEVICE_WAIT_MS (10 * 60 * 1000)

static bool board_has_devices(const struct config *cfg, const char *board)
{
	for (size_t i = 0; cfg->has_rack && i < cfg->rack.devices.n; i++)
		if (strcmp(cfg->rack.devices.v[i].board, board) == 0)
			return true;
	return false;
}

/* The board a target names: itself, or a device's board. */
static const struct board *target_board(const struct config *cfg, const char *target)
{
	const struct device *d = config_device(cfg, target);

	return config_board(cfg, d && !config_board(cfg, target) ? d->board : target);
}

static bool board_built(const struct run_report *r, const char *board)
{
	for (size_t i = 0; i < r->nbuilds; i++)
		if (strcmp(r->builds[i].board, board) == 0)
			return true;
	return false;
}

static int add_device_job(struct run_report *out, const struct run_env *env, size_t build, const struct suite *s,
			  const char *target)
{
	struct run_job *job = &out->jobs[out->njobs];
	struct store_job row = { .change_id = out->change_id, .build_id = out->builds[build].result.id,
				 .suite = s->name, .target = target, .target_kind = "device",
				 .device = config_board(env->cfg, target) ? NULL : target };
	int rc;

	if ((rc = store_job_add(env->store, &row)) != 0)
		return rc;
	job->id = row.id;
	job->build = build;
	job->suite = s;
	snprintf(job->kind, sizeof(job->kind), "device");
	snprintf(job->target, sizeof(job->target), "%s", target);
	out->njobs++;
	return 0;
}

/*
 * After the QEMU jobs (a device's health check flashes a kernel whose cases
 * passed somewhere, and the QEMU results of the same build count): one
 * device job per (build, suite) of a targeted board with devices in the
 * rack, run on any of them, and one per (device named as a target, suite),
 * run on that device only.
 */
static int plan_device_jobs(struct run_report *out, const struct run_env *env, const char *const *suites,
			    size_t nsuites, const char *const *targets, size_t ntargets)
{
	const struct config *cfg = env->cfg;
	int rc;

	for (size_t i = 0; i < out->nbuilds; i++) {
		const struct board *b = config_board(cfg, out->builds[i].board);

		if (out->builds[i].result.status != BUILD_OK || !b->has_openocd || !board_has_devices(cfg, b->name))
			continue;
		for (size_t j = 0; j < cfg->all_suites.n; j++) {
			const struct suite *s = &cfg->all_suites.v[j];

			if (!wanted(s->name, suites, nsuites))
				continue;
			if (wanted(b->name, targets, ntargets) && (rc = add_device_job(out, env, i, s, b->name)) != 0)
				return rc;
			for (size_t k = 0; k < ntargets; k++) {
				const struct device *d = config_board(cfg, targets[k]) ? NULL : config_device(cfg, targets[k]);

				if (d && strcmp(d->board, b->name) == 0 && (rc = add_device_job(out, env, i, s, d->id)) != 0)
					return rc;
			}
		}
	}
	return 0;
}

static void device_log(void *user, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void device_log(void *user, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_line(user, "rig", line, proc_now_ms());
}

/*
 * A case on the device the hold gives; an error there is counted against
 * the device and retried once on another one (rack.h), and the case then
 * records where the error was.
 */
/* Flash, console and reset time on the devices so far: what a case spends before its board runs. */
static long device_overhead(const struct rack_hold *h)
{
	struct rack_times t;

	rack_hold_times(h, &t);
	return t.cases.flash_ms + t.cases.console_ms + t.cases.reset_ms;
}

static void device_case(struct case_outcome *o, struct run_case *rcase, struct rack_hold *h, const struct suite *s,
			const struct suite_case *c, const struct target_image *img, const struct runner_sink *sink,
			const struct runner_opts *ropts, long *overhead_ms)
{
	struct target *t = NULL;
	int rc = rack_hold_target(h, &t);
	long before = device_overhead(h);

	*overhead_ms = 0;
	if (rc == 0) {
		runner_case(o, t, s, c, img, sink, ropts);
		*overhead_ms = device_overhead(h) - before;
	} else {
		o->verdict = VERDICT_ERROR;
		o->attempts = 1;
		snprintf(o->reason, sizeof(o->reason), "%s", err_msg());
	}
	if (!rack_hold_device(h))
		return;		/* no device at all: an error on the board, where nothing ran */
	snprintf(rcase->target, sizeof(rcase->target), "%s", rack_hold_device(h));
	if (o->verdict != VERDICT_ERROR)
		return;
	snprintf(rcase->retried_after, sizeof(rcase->retried_after), "%s", rack_hold_device(h));
	snprintf(rcase->retried_reason, sizeof(rcase->retried_reason), "%s", o->reason);
	if ((rc = rack_hold_error(h, o->reason, &t)) == 0) {
		struct case_outcome again;
		int attempts = o->attempts;

		before = device_overhead(h);
		runner_case(&again, t, s, c, img, sink, ropts);
		*overhead_ms = device_overhead(h) - before;
		case_outcome_release(o);
		*o = again;
		o->attempts += attempts;
		snprintf(rcase->target, sizeof(rcase->target), "%s", t->name);
		if (o->verdict == VERDICT_ERROR && rack_hold_device(h))
			rack_hold_error(h, o->reason, NULL);
	} else {
		size_t len = strlen(o->reason);

		snprintf(o->reason + len, sizeof(o->reason) - len, " (not retried: %s)", err_msg());
		rcase->retried_after[0] = '\0';
		rcase->retried_reason[0] = '\0';
	}
}

/* Every case of the job's suite on a device of its board, from the job's build. */
static int run_job_device(struct run_report *r, const struct run_env *env, const struct run_job *job)
{
	const struct config *cfg = env->cfg;
	const struct run_build *bld = &r->builds[job->build];
	const struct board *b = config_board(cfg, bld->board);
	const struct suite *s = job->suite;
	char workdir[PATH_MAX], log_path[PATH_MAX], kernel_bin[PATH_MAX], kernel_elf[PATH_MAX], logs[PATH_MAX];
	char holder[160], host[64] = "localhost", bitstream[PATH_MAX];
	struct job_log jl = { 0 };
	struct runner_sink sink = { .line = log_line, .user = &jl };
	struct runner_opts ropts = { .no_error_retry = true };
	struct rack_hold *h = NULL;
	struct rack_times times;
	long boot_ms = 0, test_ms = 0;
	char today[11];
	struct store_case_result *done_cases = NULL;
	size_t ndone = 0;
	int rc, errors = 0;

	config_today(today);
	ropts.today = today;
	if (!job->claimed)
		store_job_set_state(env->store, job->id, "running", NULL);
	snprintf(workdir, sizeof(workdir), "%s/tmp/job-%" PRId64, cfg->data_dir, job->id);
	snprintf(logs, sizeof(logs), "%s/logs", cfg->data_dir);
	snprintf(log_path, sizeof(log_path), "%s/job-%" PRId64 ".log", logs, job->id);
	snprintf(kernel_bin, sizeof(kernel_bin), "%s/%s", bld->result.output_dir,
		 b->build.artifacts.kernel_bin ? b->build.artifacts.kernel_bin : "kernel.bin");
	snprintf(kernel_elf, sizeof(kernel_elf), "%s/%s", bld->result.output_dir, b->build.artifacts.kernel);
	snprintf(bitstream, sizeof(bitstream), "%s/%s", bld->result.output_dir,
		 b->has_fpga && b->fpga.bitstream ? b->fpga.bitstream : "");
	gethostname(host, sizeof(host) - 1);
	snprintf(holder, sizeof(holder), "%s:%d", host, (int)getpid());
	/* serve: a resumed job skips what it recorded; its log goes on */
	if (job->resume_since && (rc = store_results_of(env->store, r->change_id, job->id, job->resume_since,
							&done_cases, &ndone)) != 0)
		goto done;
	if ((rc = fs_mkdirs(workdir)) != 0 || (rc = fs_mkdirs(logs)) != 0)
		goto done;
	jl.f = fopen(log_path, job->resume_since ? "a" : "w");
	jl.t0 = proc_now_ms();
	{
		struct rack_env re = { .cfg = cfg, .store = env->store, .job = job->id, .holder = holder,
				       .workdir = workdir, .wait_ms = DEVICE_WAIT_MS, .log = device_log, .log_user = &jl,
				       .device = strcmp(job->target, b->name) != 0 ? job->target : NULL };

		if ((rc = rack_hold_open(&h, &re, b)) != 0)
			goto done;
	}

	for (size_t i = 0; i < s->cases.n; i++) {
		const struct suite_case *c = &s->cases.v[i];
		struct run_case *rcase;
		struct case_outcome o;
		char bin[PATH_MAX], elf[PATH_MAX];
		const char **apps = NULL;
		struct target_image img = { .image = bin, .image_elf = elf, .kernel = kernel_elf,
					    .address = b->memory.kernel_flash.origin, .kernel_bin = kernel_bin,
					    .bitstream = b->has_fpga ? bitstream : NULL };

		/* serve: what a resumed job has, and the daemon's stop between cases */
		if (recorded(done_cases, ndone, c->name))
			continue;
		if (job->hooks && job->hooks->stop && job->hooks->stop(job->hooks->user)) {
			rc = err_set(ERR_CANCELLED, "job %" PRId64 " stopped before %s/%s", job->id, s->name, c->name);
			goto done;
		}
		if (!(rcase = add_case(r))) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto done;
		}
		snprintf(rcase->suite, sizeof(rcase->suite), "%s", s->name);
		snprintf(rcase->name, sizeof(rcase->name), "%s", c->name);
		snprintf(rcase->target, sizeof(rcase->target), "%s", b->name);
		snprintf(rcase->log_path, sizeof(rcase->log_path), "%s", log_path);
		snprintf(rcase->kind, sizeof(rcase->kind), "device");
		snprintf(rcase->board, sizeof(rcase->board), "%s", b->name);
		snprintf(bin, sizeof(bin), "%s/%s.bin", workdir, c->name);
		snprintf(elf, sizeof(elf), "%s/%s.elf", workdir, c->name);

		memset(&o, 0, sizeof(o));
		tap_init(&o.tap);
		o.boot_ms = -1;
		if (!suite_case_runs_on(c, b->name)) {
			o.verdict = VERDICT_SKIP;
			snprintf(o.reason, sizeof(o.reason), "not for %s", b->name);
		} else if ((rc = case_apps(&apps, b, bld->result.output_dir, c)) != 0) {
			goto done;
		} else if (image_compose(bin, elf, b, kernel_bin, apps, c->apps.n) != 0) {
			o.verdict = VERDICT_FAIL;
			o.attempts = 1;
			snprintf(o.reason, sizeof(o.reason), "image: %s", err_msg());
			log_line(&jl, "rig", o.reason, proc_now_ms());
		} else {
			long overhead;

			img.apps = apps;
			img.napps = c->apps.n;
			device_case(&o, rcase, h, s, c, &img, &sink, &ropts, &overhead);
			/* The deciding attempt: reset to banner is boot, the rest after it is the test. */
			if (o.boot_ms > 0) {
				boot_ms += o.boot_ms;
				if (o.duration_ms > overhead + o.boot_ms)
					test_ms += o.duration_ms - overhead - o.boot_ms;
			}
		}
		if (apps)
			free_apps(apps, c->apps.n);
		rcase->verdict = o.verdict;
		rcase->duration_ms = o.duration_ms;
		rcase->attempts = o.attempts;
		rcase->flaky = o.flaky;
		rcase->boot_ms = o.boot_ms;
		if (!rcase->retried_after[0])
			snprintf(rcase->reason, sizeof(rcase->reason), "%s", o.reason);
		else if (o.reason[0])
			snprintf(rcase->reason, sizeof(rcase->reason), "%.200s (after an error on %s: %.200s)", o.reason,
				 rcase->retried_after, rcase->retried_reason);
		else
			snprintf(rcase->reason, sizeof(rcase->reason), "after an error on %s: %.300s",
				 rcase->retried_after, rcase->retried_reason);
		if (o.verdict == VERDICT_ERROR)
			errors++;
		log_info("%s/%s on %s: %s%s%s", s->name, c->name, rcase->target, verdict_name(o.verdict),
			 rcase->reason[0] ? ": " : "", rcase->reason);
		rc = record_case(env, r->change_id, job->id, rcase, &o);
		case_outcome_release(&o);
		if (rc)
			goto done;
	}
	rc = 0;
done:
	if (h) {
		/* Where the time went: the split of a suite into power, flash, boot and test. */
		rack_hold_times(h, &times);
		rack_hold_close(h);
		{
			char line[512];

			snprintf(line, sizeof(line),
				 "time on devices: power %ld ms, flash %ld ms (%d flashes), console %ld ms, reset %ld ms, "
				 "boot %ld ms, test %ld ms; %d health checks (%ld ms)",
				 times.cases.power_ms, times.cases.flash_ms, times.cases.flashes, times.cases.console_ms,
				 times.cases.reset_ms, boot_ms, test_ms, times.health_checks, times.health_ms);
			log_line(&jl, "rig", line, proc_now_ms());
			log_info("%s on devices of %s: %s", s->name, b->name, line);
		}
	}
	if (jl.f)
		fclose(jl.f);
	fs_rmtree(workdir);
	store_case_results_free(done_cases, ndone);
	/* A stopped job stays running: the daemon puts it back in the queue. */
	if (rc != ERR_CANCELLED)
		store_job_set_state(env->store, job->id, rc ? "error" : "done",
				    rc ? err_msg() : errors ? "infrastructure errors" : NULL);
	return rc;
}

/* ---- end rack ---- */

/*
 * For every board that built, its kernel's totals; with a merge-base, the
 * delta against the same board built at the merge-base (cached when built
 * before) and the thresholds' findings.
 */
static void base_sizes(struct run_report *r, const struct run_env *env, struct forge_mirror *m)
{
	struct forge_commit base = { 0 };
	char src[PATH_MAX];
	bool have_src = false;

	if (forge_commit_get(&base, m, r->merge_base) == 0 &&
	    workspace(src, sizeof(src), env->cfg, m, base.sha, base.tree) == 0)
		have_src = true;
	for (size_t i = 0; i < r->nbuilds; i++) {
		struct run_build *rb = &r->builds[i];
		const struct board *b = config_board(env->cfg, rb->board);
		struct build_env be = { .cfg = env->cfg, .store = env->store, .containers = env->containers };
		struct build_result bb;

		if (rb->result.status != BUILD_OK)
			continue;
		if (!have_src) {
			snprintf(rb->size_note, sizeof(rb->size_note), "merge-base not checked out: %s", err_msg());
			continue;
		}
		/* The base build belongs to no change: it is found again by its key. */
		if (build_board(&bb, &be, b, 0, base.sha, base.tree, src) != 0 || bb.status != BUILD_OK) {
			snprintf(rb->size_note, sizeof(rb->size_note), "the merge-base did not build: %s",
				 bb.reason[0] ? bb.reason : err_msg());
			continue;
		}
		if (sizes_compare(&rb->size, b, bb.output_dir, rb->result.output_dir) != 0) {
			snprintf(rb->size_note, sizeof(rb->size_note), "%s", err_msg());
			continue;
		}
		rb->size.has_sizes = true;
		rb->size.kernel = (struct elfsize_totals){
			.text = rb->size.base.text + (uint64_t)rb->size.delta.text,
			.data = rb->size.base.data + (uint64_t)rb->size.delta.data,
			.bss = rb->size.base.bss + (uint64_t)rb->size.delta.bss,
			.flash = rb->size.base.flash + (uint64_t)rb->size.delta.flash,
			.ram = rb->size.base.ram + (uint64_t)rb->size.delta.ram,
		};
		sizes_judge(&rb->size, env->cfg, b);
		for (size_t j = 0; j < rb->size.nfindings; j++)
			log_info("size: %s", rb->size.findings[j].text);
		record_findings(env, rb);
	}
	forge_commit_release(&base);
}

/* Kernel totals of a build without a base to compare with. */
static void own_sizes(struct run_build *rb, const struct board *b)
{
	struct elfsize es;
	char path[PATH_MAX];

	if (rb->result.status != BUILD_OK || rb->size.has_sizes)
		return;
	elfsize_init(&es);
	snprintf(path, sizeof(path), "%s/%s", rb->result.output_dir, b->build.artifacts.kernel);
	if (elfsize_read_file(&es, path) == 0) {
		rb->size.has_sizes = true;
		rb->size.kernel = es.totals;
	}
	elfsize_release(&es);
}

static bool wanted(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Decides the gate from what was recorded: a PR is blamed only for failures. */
static void gate(struct run_report *r)
{
	size_t fails = 0, errors = 0, passed = 0, xfail = 0, skipped = 0, flaky = 0;
	char first_fail[600] = "", first_error[600] = "";

	for (size_t i = 0; i < r->nbuilds; i++) {
		const struct build_result *b = &r->builds[i].result;
		const struct size_report *sz = &r->builds[i].size;

		for (size_t j = 0; j < sz->nfindings; j++)
			if (sz->findings[j].fail && fails++ == 0)
				snprintf(first_fail, sizeof(first_fail), "size: %s", sz->findings[j].text);
		if (b->status == BUILD_FAIL && fails++ == 0)
			snprintf(first_fail, sizeof(first_fail), "build failed on %s: %s", r->builds[i].board, b->reason);
		if (b->status == BUILD_ERROR && errors++ == 0)
			snprintf(first_error, sizeof(first_error), "build on %s: %s", r->builds[i].board, b->reason);
	}
	for (size_t i = 0; i < r->ncases; i++) {
		const struct run_case *c = &r->cases[i];

		switch (c->verdict) {
		case VERDICT_FAIL:
			if (fails++ == 0)
				snprintf(first_fail, sizeof(first_fail), "%s/%s on %s: %s", c->suite, c->name, c->target,
					 c->reason);
			break;
		case VERDICT_ERROR:
			if (errors++ == 0)
				snprintf(first_error, sizeof(first_error), "%s/%s on %s: %s", c->suite, c->name,
					 c->target, c->reason);
			break;
		case VERDICT_PASS:
			passed++;
			flaky += c->flaky;
			break;
		case VERDICT_XFAIL:
			xfail++;
			break;
		case VERDICT_SKIP:
			skipped++;
			break;
		}
	}
	if (fails)
		decide(r, GATE_FAIL, "%zu failure%s; first: %s", fails, fails == 1 ? "" : "s", first_fail);
	else if (errors)
		decide(r, GATE_ERROR, "infrastructure error%s (%zu); first: %s", errors == 1 ? "" : "s", errors,
		       first_error);
	else
		decide(r, GATE_PASS, "%zu passed, %zu quarantined, %zu skipped, %zu flaky", passed, xfail, skipped,
		       flaky);
}

static void targets_of(const struct run_env *env, const struct run_opts *o, const char *const **v, size_t *n)
{
	*v = o->targets ? o->targets : env->cfg->targets.v;
	*n = o->targets ? o->ntargets : env->cfg->targets.n;
}

static void suites_of(const struct run_env *env, const struct run_opts *o, const char *const **v, size_t *n)
{
	*v = o->suites ? o->suites : env->cfg->suites.v;
	*n = o->suites ? o->nsuites : env->cfg->suites.n;
}

int run_prepare(struct run_report *out, const struct run_env *env, const struct run_opts *o)
{
	const struct config *cfg = env->cfg;
	const struct forge *forge = forge_of(cfg, o);
	const char *const *targets, *const *suites;
	size_t ntargets, nsuites;
	struct forge_commit commit = { 0 };
	struct forge_fetch_opts fo = { 0 };
	char rev[FORGE_SHA_SIZE];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->repo = strdup(o->repo);
	out->ref = strdup(o->ref);
	if (!out->repo || !out->ref)
		return err_set(ERR_NOMEM, "out of memory");
	targets_of(env, o, &targets, &ntargets);
	suites_of(env, o, &suites, &nsuites);
	out->decided = true;
	out->usage_error = true;
	for (size_t i = 0; i < ntargets; i++) {
		/* rack: a target is a board, or one device of the rack */
		if (!config_board(cfg, targets[i]) && !config_device(cfg, targets[i])) {
			decide(out, GATE_ERROR, "target '%s' is not a board or a device of this configuration",
			       targets[i]);
			return 0;
		}
	}
	for (size_t i = 0; i < nsuites; i++) {
		if (!config_suite(cfg, suites[i])) {
			decide(out, GATE_ERROR, "suite '%s' is not in %s", suites[i], cfg->suites_dir);
			return 0;
		}
	}

	/* The forge. Until the change is recorded, only a missing repository or ref is the caller's fault. */
	if ((rc = forge_mirror_open(&out->mirror, cfg->data_dir, o->repo)) != 0) {
		out->usage_error = rc == ERR_NOTFOUND;
		decide(out, GATE_ERROR, "repository %s: %s", o->repo, err_msg());
		return 0;
	}
	if (forge) {
		fo.refspecs = forge->refspecs.v;
		fo.refspecs_n = forge->refspecs.n;
	}
	if ((rc = forge_fetch(NULL, out->mirror, &fo)) != 0) {
		out->usage_error = rc == ERR_NOTFOUND;
		decide(out, GATE_ERROR, "fetch %s: %s", o->repo, err_msg());
		return 0;
	}
	if (forge_commit_get(&commit, out->mirror, o->sha ? o->sha : o->ref) != 0) {
		decide(out, GATE_ERROR, "%s", err_msg());
		return 0;
	}
	snprintf(out->sha, sizeof(out->sha), "%s", commit.sha);
	snprintf(out->tree, sizeof(out->tree), "%s", commit.tree);
	if (o->base) {
		if (forge_resolve(out->base_sha, out->mirror, o->base) != 0) {
			decide(out, GATE_ERROR, "base: %s", err_msg());
			forge_commit_release(&commit);
			return 0;
		}
		if (forge_merge_base(out->merge_base, out->mirror, out->sha, out->base_sha) != 0)
			out->merge_base[0] = '\0';
	}
	out->usage_error = false;
	out->decided = false;

	/* The change, recorded before any work so that a reader sees it queued. */
	if (o->change_id) {
		/* Queued already (the daemon): what resolving found fills it in. */
		struct store_change c = {
			.id = o->change_id, .sha = out->sha, .base_sha = out->base_sha[0] ? out->base_sha : NULL,
			.merge_base = out->merge_base[0] ? out->merge_base : NULL, .title = commit.summary,
			.author = commit.author,
		};

		rc = store_change_update(env->store, &c);
		out->change_id = o->change_id;
	} else {
		struct store_change c = {
			.repo = out->repo, .forge = forge ? (char *)forge->name : NULL,
			.kind = (char *)(o->kind ? o->kind : "manual"), .number = o->number, .ref = out->ref,
			.sha = out->sha, .base_ref = (char *)o->base, .base_sha = out->base_sha[0] ? out->base_sha : NULL,
			.merge_base = out->merge_base[0] ? out->merge_base : NULL, .title = commit.summary,
			.author = commit.author, .state = "building",
		};

		rc = store_change_add(env->store, &c);
		out->change_id = c.id;
	}
	forge_commit_release(&commit);
	if (rc)
		return rc;
	log_info("change %" PRId64 ": %s %s at %.12s", out->change_id, o->repo, o->ref, out->sha);

	snprintf(rev, sizeof(rev), "%s", out->sha);
	if (o->merge && o->base) {
		if ((rc = forge_merge(out->tree, out->mirror, out->sha, out->base_sha)) != 0) {
			out->decided = true;
			if (rc == ERR_CONFLICT)
				decide(out, GATE_FAIL, "conflict with %s: %s", o->base, err_msg());
			else
				decide(out, GATE_ERROR, "merge onto %s: %s", o->base, err_msg());
			return 0;
		}
		snprintf(rev, sizeof(rev), "%s", out->tree);
	}
	if (workspace(out->src, sizeof(out->src), cfg, out->mirror, rev, out->tree) != 0) {
		out->decided = true;
		decide(out, GATE_ERROR, "%s", err_msg());
	}
	return 0;
}

int run_build_begin(struct run_report *out, const struct run_env *env, const struct run_opts *o)
{
	const char *const *targets;
	size_t ntargets;

	if (out->decided)
		return 0;
	targets_of(env, o, &targets, &ntargets);
	out->builds = calloc(ntargets + 1, sizeof(*out->builds));
	if (!out->builds)
		return err_set(ERR_NOMEM, "out of memory");
	store_change_set_state(env->store, out->change_id, "building", NULL, NULL);
	for (size_t i = 0; i < ntargets; i++) {
		const struct board *b = target_board(env->cfg, targets[i]);
		struct run_build *rb;

		if (board_built(out, b->name))
			continue;	/* rack: two devices of one board, or a board and its device */
		rb = &out->builds[out->nbuilds++];
		snprintf(rb->board, sizeof(rb->board), "%s", b->name);
	}
	return 0;
}

int run_build_board(struct run_report *out, size_t i, const struct run_env *env)
{
	struct run_build *rb = &out->builds[i];
	const struct board *b = config_board(env->cfg, rb->board);
	struct build_env be = { .cfg = env->cfg, .store = env->store, .containers = env->containers };
	int rc;

	if ((rc = build_board(&rb->result, &be, b, out->change_id, out->sha, out->tree, out->src)) != 0)
		return rc;
	log_info("build %s: %s%s%s%s (%ld ms)", b->name, build_status_name(rb->result.status),
		 rb->result.cached ? " (cached)" : "", rb->result.reason[0] ? ": " : "", rb->result.reason,
		 rb->result.duration_ms);
	return 0;
}

void run_build_end(struct run_report *out, const struct run_env *env)
{
	if (out->decided)
		return;
	/* Sizes: the kernel against the one built at the merge-base, which is built when absent. */
	if (out->merge_base[0])
		base_sizes(out, env, out->mirror);
	for (size_t i = 0; i < out->nbuilds; i++)
		own_sizes(&out->builds[i], config_board(env->cfg, out->builds[i].board));
}

int run_build(struct run_report *out, const struct run_env *env, const struct run_opts *o)
{
	int rc;

	if (out->decided)
		return 0;
	if ((rc = run_build_begin(out, env, o)) != 0)
		return rc;
	for (size_t i = 0; i < out->nbuilds; i++)
		if ((rc = run_build_board(out, i, env)) != 0)
			return rc;
	run_build_end(out, env);
	return 0;
}

int run_plan(struct run_report *out, const struct run_env *env, const struct run_opts *o)
{
	const struct config *cfg = env->cfg;
	const char *const *suites, *const *targets;
	size_t nsuites, ntargets, alloc;
	int rc;

	if (out->decided)
		return 0;
	suites_of(env, o, &suites, &nsuites);
	targets_of(env, o, &targets, &ntargets);
	/* rack: a QEMU and a device job each, and one per device named as a target */
	alloc = (2 * out->nbuilds + ntargets) * cfg->all_suites.n + 1;
	out->jobs = calloc(alloc, sizeof(*out->jobs));
	if (!out->jobs)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < out->nbuilds; i++) {
		const struct board *b = config_board(cfg, out->builds[i].board);

		if (out->builds[i].result.status != BUILD_OK || !b->has_qemu || !wanted(b->name, targets, ntargets))
			continue;
		for (size_t j = 0; j < cfg->all_suites.n; j++) {
			const struct suite *s = &cfg->all_suites.v[j];
			struct run_job *job = &out->jobs[out->njobs];
			struct store_job row = { .change_id = out->change_id, .build_id = out->builds[i].result.id,
						 .suite = s->name, .target = b->name, .target_kind = "qemu" };

			if (!wanted(s->name, suites, nsuites))
				continue;
			if ((rc = store_job_add(env->store, &row)) != 0)
				return rc;
			job->id = row.id;
			job->build = i;
			job->suite = s;
			snprintf(job->kind, sizeof(job->kind), "qemu");
			snprintf(job->target, sizeof(job->target), "%s", b->name);
			out->njobs++;
		}
	}
	if ((rc = plan_device_jobs(out, env, suites, nsuites, targets, ntargets)) != 0)
		return rc;
	if (out->njobs)
		store_change_set_state(env->store, out->change_id, "testing", NULL, NULL);
	return 0;
}

int run_job(struct run_report *out, const struct run_env *env, const struct run_job *job)
{
	int rc;

	if (out->decided)
		return 0;
	rc = strcmp(job->kind, "device") == 0 ? run_job_device(out, env, job) : run_job_qemu(out, env, job);
	if (rc == ERR_CANCELLED)
		return rc;
	if (rc) {
		/* The rig could not run the job at all: the gate cannot pass. */
		out->decided = true;
		decide(out, GATE_ERROR, "job %s on %s: %s", job->suite->name, job->target, err_msg());
	}
	return 0;
}

void run_finish(struct run_report *out, const struct run_env *env)
{
	if (!out->decided)
		gate(out);
	if (out->change_id)
		store_change_set_state(env->store, out->change_id, "done", gate_name(out->gate), out->reason);
	if (out->mirror) {
		forge_mirror_free(out->mirror);
		out->mirror = NULL;
	}
}

int run_change(struct run_report *out, const struct run_env *env, const struct run_opts *o)
{
	int rc;

	if ((rc = run_prepare(out, env, o)) != 0 || (rc = run_build(out, env, o)) != 0 ||
	    (rc = run_plan(out, env, o)) != 0)
		goto finish;
	for (size_t i = 0; i < out->njobs; i++)
		if ((rc = run_job(out, env, &out->jobs[i])) != 0)
			goto finish;
finish:
	run_finish(out, env);
	return rc;
}

void run_decide(struct run_report *r)
{
	if (!r->decided)
		gate(r);
}

static enum verdict verdict_parse(const char *s)
{
	static const enum verdict all[] = { VERDICT_PASS, VERDICT_FAIL, VERDICT_ERROR, VERDICT_SKIP, VERDICT_XFAIL };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, verdict_name(all[i])) == 0)
			return all[i];
	return VERDICT_ERROR;
}

static enum build_status build_status_parse(const char *s)
{
	return strcmp(s, "ok") == 0 ? BUILD_OK : strcmp(s, "fail") == 0 ? BUILD_FAIL : BUILD_ERROR;
}

/* The change's builds as the store has them: the newest row per board (an interrupted build was redone). */
static int load_builds(struct run_report *r, const struct run_env *env)
{
	struct store_build *v = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_builds_of_change(env->store, r->change_id, &v, &n)) != 0)
		return rc;
	r->builds = calloc(n + 1, sizeof(*r->builds));
	if (!r->builds) {
		store_builds_free(v, n);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct run_build *rb = NULL;
		struct store_size_finding *f = NULL;
		size_t nf = 0;

		for (size_t j = 0; j < r->nbuilds; j++)
			if (strcmp(r->builds[j].board, v[i].board) == 0)
				rb = &r->builds[j];
		if (!rb)
			rb = &r->builds[r->nbuilds++];
		memset(rb, 0, sizeof(*rb));
		snprintf(rb->board, sizeof(rb->board), "%s", v[i].board);
		rb->result.id = v[i].id;
		rb->result.status = build_status_parse(v[i].status);
		rb->result.cached = v[i].cached;
		rb->result.duration_ms = (long)v[i].duration_ms;
		snprintf(rb->result.reason, sizeof(rb->result.reason), "%s", v[i].reason ? v[i].reason : "");
		snprintf(rb->result.key, sizeof(rb->result.key), "%s", v[i].cache_key ? v[i].cache_key : "");
		snprintf(rb->result.output_dir, sizeof(rb->result.output_dir), "%s",
			 v[i].output_dir ? v[i].output_dir : "");
		snprintf(rb->result.log_path, sizeof(rb->result.log_path), "%s", v[i].log_path ? v[i].log_path : "");
		if ((rc = store_size_findings_list(env->store, v[i].id, &f, &nf)) != 0)
			break;
		for (size_t j = 0; j < nf && rb->size.nfindings < sizeof(rb->size.findings) / sizeof(rb->size.findings[0]);
		     j++) {
			struct size_finding *sf = &rb->size.findings[rb->size.nfindings++];

			snprintf(sf->region, sizeof(sf->region), "%s", f[j].region);
			snprintf(sf->text, sizeof(sf->text), "%s", f[j].text);
			sf->delta = f[j].delta;
			sf->percent = f[j].percent;
			sf->fail = strcmp(f[j].action, "fail") == 0;
		}
		store_size_findings_free(f, nf);
	}
	store_builds_free(v, n);
	return rc;
}

/*
 * The change's cases: the newest result of each (suite, case, target), a job
 * that could not run as an error of its own.
 */
static int load_cases(struct run_report *r, const struct run_env *env)
{
	struct store_case_result *v = NULL;
	struct store_job_state *jobs = NULL;
	size_t n = 0, njobs = 0;
	int rc;

	if ((rc = store_results_of(env->store, r->change_id, 0, 0, &v, &n)) != 0 ||
	    (rc = store_jobs_of_change(env->store, r->change_id, &jobs, &njobs)) != 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		struct run_case *c = NULL;

		for (size_t j = 0; j < r->ncases; j++)
			if (strcmp(r->cases[j].suite, v[i].suite) == 0 && strcmp(r->cases[j].name, v[i].case_name) == 0 &&
			    strcmp(r->cases[j].target, v[i].target) == 0)
				c = &r->cases[j];
		if (!c && !(c = add_case(r))) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto cleanup;
		}
		memset(c, 0, sizeof(*c));
		snprintf(c->suite, sizeof(c->suite), "%s", v[i].suite);
		snprintf(c->name, sizeof(c->name), "%s", v[i].case_name);
		snprintf(c->target, sizeof(c->target), "%s", v[i].target);
		snprintf(c->reason, sizeof(c->reason), "%s", v[i].reason ? v[i].reason : "");
		snprintf(c->log_path, sizeof(c->log_path), "%s", v[i].log_path ? v[i].log_path : "");
		c->verdict = verdict_parse(v[i].status);
		c->duration_ms = (long)v[i].duration_ms;
		c->attempts = v[i].attempt;
		c->flaky = v[i].flaky;
	}
	for (size_t i = 0; i < njobs; i++) {
		struct run_case *c;

		if (strcmp(jobs[i].state, "error") != 0)
			continue;
		if (!(c = add_case(r))) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto cleanup;
		}
		snprintf(c->suite, sizeof(c->suite), "%s", jobs[i].suite);
		snprintf(c->name, sizeof(c->name), "(job %" PRId64 ")", jobs[i].id);
		snprintf(c->target, sizeof(c->target), "%s", jobs[i].target);
		snprintf(c->reason, sizeof(c->reason), "the job could not run: %s", jobs[i].reason ? jobs[i].reason : "");
		c->verdict = VERDICT_ERROR;
	}
cleanup:
	store_case_results_free(v, n);
	store_job_states_free(jobs, njobs);
	return rc;
}

int run_load(struct run_report *out, const struct run_env *env, int64_t change_id)
{
	struct store_change c;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_change_get(env->store, change_id, &c)) != 0)
		return rc;
	out->change_id = change_id;
	out->repo = strdup(c.repo);
	out->ref = strdup(c.ref);
	snprintf(out->sha, sizeof(out->sha), "%s", c.sha);
	snprintf(out->base_sha, sizeof(out->base_sha), "%s", c.base_sha ? c.base_sha : "");
	snprintf(out->merge_base, sizeof(out->merge_base), "%s", c.merge_base ? c.merge_base : "");
	store_change_release(&c);
	if (!out->repo || !out->ref)
		rc = err_set(ERR_NOMEM, "out of memory");
	if (rc || (rc = load_builds(out, env)) != 0 || (rc = load_cases(out, env)) != 0)
		run_report_release(out);
	return rc;
}

static json_t *json_str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *totals_json(int64_t text, int64_t data, int64_t bss, int64_t flash, int64_t ram)
{
	json_t *k = json_object();

	json_object_set_new(k, "text", json_integer(text));
	json_object_set_new(k, "data", json_integer(data));
	json_object_set_new(k, "bss", json_integer(bss));
	json_object_set_new(k, "flash", json_integer(flash));
	json_object_set_new(k, "ram", json_integer(ram));
	return k;
}

/* "sizes" and "delta" per DESIGN.md, with the symbols that changed most and the findings. */
static void add_sizes(json_t *o, const struct run_build *rb)
{
	const struct size_report *s = &rb->size;
	json_t *sizes = json_object(), *delta = json_object(), *syms = json_array(), *findings = json_array();

	if (s->has_sizes)
		json_object_set_new(sizes, "kernel", totals_json((int64_t)s->kernel.text, (int64_t)s->kernel.data,
								 (int64_t)s->kernel.bss, (int64_t)s->kernel.flash,
								 (int64_t)s->kernel.ram));
	if (s->has_delta)
		json_object_set_new(delta, "kernel", totals_json(s->delta.text, s->delta.data, s->delta.bss,
								 s->delta.flash, s->delta.ram));
	for (size_t i = 0; i < s->ntop; i++) {
		json_t *y = json_object();

		json_object_set_new(y, "name", json_string(s->top[i].name));
		json_object_set_new(y, "section", json_string(s->top[i].section));
		json_object_set_new(y, "base", json_integer((json_int_t)s->top[i].base));
		json_object_set_new(y, "size", json_integer((json_int_t)s->top[i].size));
		json_object_set_new(y, "delta", json_integer(s->top[i].delta));
		json_object_set_new(y, "change", json_string(elfsize_change_name(s->top[i].change)));
		json_array_append_new(syms, y);
	}
	for (size_t i = 0; i < s->nfindings; i++) {
		json_t *f = json_object();

		json_object_set_new(f, "region", json_string(s->findings[i].region));
		json_object_set_new(f, "delta", json_integer(s->findings[i].delta));
		json_object_set_new(f, "percent", json_real(s->findings[i].percent));
		json_object_set_new(f, "action", json_string(s->findings[i].fail ? "fail" : "warn"));
		json_object_set_new(f, "text", json_string(s->findings[i].text));
		json_array_append_new(findings, f);
	}
	json_object_set_new(o, "sizes", sizes);
	json_object_set_new(o, "delta", delta);
	json_object_set_new(o, "symbols", syms);
	json_object_set_new(o, "size_findings", findings);
	if (rb->size_note[0])
		json_object_set_new(o, "size_note", json_string(rb->size_note));
}

int run_report_json(struct buf *out, const struct run_report *r)
{
	json_t *root = json_object(), *builds = json_array(), *results = json_array();
	char *text;
	int rc = 0;

	json_object_set_new(root, "repo", json_string(r->repo ? r->repo : ""));
	json_object_set_new(root, "ref", json_string(r->ref ? r->ref : ""));
	json_object_set_new(root, "sha", json_str_or_null(r->sha));
	json_object_set_new(root, "base_sha", json_str_or_null(r->base_sha));
	json_object_set_new(root, "merge_base", json_str_or_null(r->merge_base));
	json_object_set_new(root, "gate", json_string(gate_name(r->gate)));
	json_object_set_new(root, "reason", json_string(r->reason));
	json_object_set_new(root, "change_id", r->change_id ? json_integer(r->change_id) : json_null());
	for (size_t i = 0; i < r->nbuilds; i++) {
		const struct build_result *b = &r->builds[i].result;
		json_t *o = json_object();

		json_object_set_new(o, "board", json_string(r->builds[i].board));
		json_object_set_new(o, "status", json_string(build_status_name(b->status)));
		json_object_set_new(o, "duration_ms", json_integer(b->duration_ms));
		json_object_set_new(o, "cached", json_boolean(b->cached));
		json_object_set_new(o, "reason", json_str_or_null(b->reason));
		json_object_set_new(o, "build_id", json_integer(b->id));
		add_sizes(o, &r->builds[i]);
		json_array_append_new(builds, o);
	}
	for (size_t i = 0; i < r->ncases; i++) {
		const struct run_case *c = &r->cases[i];
		json_t *o = json_object();

		json_object_set_new(o, "suite", json_string(c->suite));
		json_object_set_new(o, "case", json_string(c->name));
		json_object_set_new(o, "target", json_string(c->target));
		json_object_set_new(o, "status", json_string(verdict_name(c->verdict)));
		json_object_set_new(o, "duration_ms", json_integer(c->duration_ms));
		json_object_set_new(o, "attempts", json_integer(c->attempts));
		json_object_set_new(o, "flaky", json_boolean(c->flaky));
		json_object_set_new(o, "reason", json_str_or_null(c->reason));
		json_object_set_new(o, "log", json_str_or_null(c->log_path));
		/* rack: which kind of target, which board, and a device error the case moved away from */
		json_object_set_new(o, "kind", json_string(c->kind[0] ? c->kind : "qemu"));
		json_object_set_new(o, "board", json_string(c->board));
		json_object_set_new(o, "boot_ms", c->boot_ms >= 0 ? json_integer(c->boot_ms) : json_null());
		if (c->retried_after[0]) {
			json_t *m = json_object();

			json_object_set_new(m, "target", json_string(c->retried_after));
			json_object_set_new(m, "status", json_string("error"));
			json_object_set_new(m, "reason", json_string(c->retried_reason));
			json_object_set_new(o, "retried_after", m);
		}
		json_array_append_new(results, o);
	}
	json_object_set_new(root, "builds", builds);
	json_object_set_new(root, "results", results);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		rc = err_set(ERR_NOMEM, "out of memory");
	else
		buf_addstr(out, text);
	free(text);
	json_decref(root);
	return rc;
}
