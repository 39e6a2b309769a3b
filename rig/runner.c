#include "runner.h"

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lines.h"
#include "proc.h"

#define MAX_LINE 4096
#define READ_SLICE_MS 200
#define PANIC_TAIL_MS 500

const char *verdict_name(enum verdict v)
{
	static const char *const names[] = { "pass", "fail", "error", "skip", "xfail" };

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

void case_outcome_release(struct case_outcome *o)
{
	tap_release(&o->tap);
}

struct attempt {
	const struct suite_case *c;
	const struct runner_sink *sink;
	long long t0;			/* reset */
	regex_t banner_re;
	regex_t *expect_re;
	bool *expect_seen;
	size_t nexpect;
	char driver_fault[64];		/* "kernel: process <driver> faulted:" */
	bool banner;
	long boot_ms;
	char fatal[512];		/* a panic or the driver's fault: decided, fail */
	struct tap tap;
};

static void emit(const struct runner_sink *sink, const char *stream, long long t, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void emit(const struct runner_sink *sink, const char *stream, long long t, const char *fmt, ...)
{
	char line[MAX_LINE];
	va_list ap;

	if (!sink || !sink->line)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sink->line(sink->user, stream, line, t);
}

static void on_line(const char *line, size_t len, long long t_ms, void *user)
{
	struct attempt *a = user;
	bool expected = false;

	(void)len;
	if (a->sink && a->sink->line)
		a->sink->line(a->sink->user, "console", line, t_ms);
	if (!a->banner && regexec(&a->banner_re, line, 0, NULL, 0) == 0) {
		a->banner = true;
		a->boot_ms = (long)(t_ms - a->t0);
	}
	for (size_t i = 0; i < a->nexpect; i++) {
		if (!a->expect_seen[i] && regexec(&a->expect_re[i], line, 0, NULL, 0) == 0) {
			a->expect_seen[i] = true;
			expected = true;
		}
	}
	if (!a->fatal[0] && !expected) {
		if (strncmp(line, "kernel: panic:", 14) == 0)
			snprintf(a->fatal, sizeof(a->fatal), "%s", line);
		else if (a->driver_fault[0] && strncmp(line, a->driver_fault, strlen(a->driver_fault)) == 0)
			snprintf(a->fatal, sizeof(a->fatal), "%s", line);
	}
	tap_feed(&a->tap, line, t_ms);
}

static bool expects_met(const struct attempt *a)
{
	for (size_t i = 0; i < a->nexpect; i++)
		if (!a->expect_seen[i])
			return false;
	return true;
}

static void adapter(void *user, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void adapter(void *user, const char *fmt, ...)
{
	const struct runner_sink *sink = user;
	char line[MAX_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (sink && sink->line)
		sink->line(sink->user, "rig", line, proc_now_ms());
}

/* One boot of the case; the outcome's verdict is pass, fail or error. */
static void attempt(struct case_outcome *out, struct target *t, const struct suite *s,
		    const struct suite_case *c, const struct target_image *img,
		    const struct runner_sink *sink, double scale)
{
	struct attempt a = { .c = c, .sink = sink, .boot_ms = -1 };
	const struct board *b = t->board;
	long boot_ms = (long)(b->boot_timeout * 1000 * scale);
	long case_ms = (long)((c->timeout > 0 ? c->timeout : s->timeout) * 1000 * scale);
	long long start = proc_now_ms(), boot_deadline, case_deadline;
	struct lines lines;
	char buf[4096];
	char why[400];
	long long fatal_at = 0;
	int rc;

	tap_init(&a.tap);
	lines_init(&lines, MAX_LINE);
	regcomp(&a.banner_re, RUNNER_BANNER_RE, REG_EXTENDED | REG_NOSUB);
	a.nexpect = c->expect.n;
	a.expect_re = calloc(a.nexpect + 1, sizeof(*a.expect_re));
	a.expect_seen = calloc(a.nexpect + 1, sizeof(*a.expect_seen));
	for (size_t i = 0; i < a.nexpect; i++)
		regcomp(&a.expect_re[i], c->expect.v[i], REG_EXTENDED | REG_NOSUB);
	if (c->apps.n)
		snprintf(a.driver_fault, sizeof(a.driver_fault), "kernel: process %s faulted:", c->apps.v[0]);
	t->log = adapter;
	t->log_user = (void *)sink;

	emit(sink, "rig", start, "case %s/%s on %s", s->name, c->name, t->name);
	if ((rc = t->ops->flash(t, img)) != 0 || (rc = t->ops->console_open(t)) != 0 ||
	    (rc = t->ops->reset(t)) != 0) {
		out->verdict = VERDICT_ERROR;
		snprintf(out->reason, sizeof(out->reason), "%s", err_msg());
		goto done;
	}
	a.t0 = proc_now_ms();
	boot_deadline = a.t0 + boot_ms;
	case_deadline = a.t0 + case_ms;

	for (;;) {
		long long now = proc_now_ms();
		long long until = a.banner ? case_deadline : (boot_deadline < case_deadline ? boot_deadline : case_deadline);
		ssize_t got;

		if (a.banner && tap_done(&a.tap) && expects_met(&a))
			break;
		/* After a panic, a moment more so that its registers reach the log. */
		if (a.fatal[0] && !fatal_at)
			fatal_at = now;
		if (fatal_at && now - fatal_at >= PANIC_TAIL_MS)
			break;
		if (now >= until)
			break;
		if (fatal_at && until > fatal_at + PANIC_TAIL_MS)
			until = fatal_at + PANIC_TAIL_MS;
		got = t->ops->console_read(t, buf, sizeof(buf),
					   (int)(until - now < READ_SLICE_MS ? until - now : READ_SLICE_MS));
		if (got < 0) {
			lines_flush(&lines, on_line, &a);
			if (a.fatal[0] || (a.banner && tap_done(&a.tap) && expects_met(&a)))
				break;
			out->verdict = VERDICT_ERROR;
			snprintf(out->reason, sizeof(out->reason), "console lost: %s", err_msg());
			goto done;
		}
		if (got > 0)
			lines_feed(&lines, buf, (size_t)got, proc_now_ms(), on_line, &a);
	}
	lines_flush(&lines, on_line, &a);

	if (a.fatal[0]) {
		out->verdict = VERDICT_FAIL;
		snprintf(out->reason, sizeof(out->reason), "%s", a.fatal);
	} else if (!a.banner) {
		long cpu = t->ops->host_cpu_ms ? t->ops->host_cpu_ms(t) : -1;

		/*
		 * A kernel prints its banner after some milliseconds of CPU; one
		 * that had an eighth of the boot deadline and printed nothing is
		 * broken. Less than that, and the host starved the emulator.
		 */
		if (cpu >= 0 && cpu < boot_ms / 8) {
			out->verdict = VERDICT_ERROR;
			snprintf(out->reason, sizeof(out->reason),
				 "no boot banner within %ld ms, but the target had only %ld ms of CPU: host too slow",
				 boot_ms, cpu);
		} else {
			out->verdict = VERDICT_FAIL;
			snprintf(out->reason, sizeof(out->reason), "no boot banner within %ld ms", boot_ms);
		}
	} else if (!tap_verdict(&a.tap, (int)c->plan, why, sizeof(why))) {
		out->verdict = VERDICT_FAIL;
		if (proc_now_ms() >= case_deadline && !tap_done(&a.tap))
			snprintf(out->reason, sizeof(out->reason), "timed out after %ld ms: %s", case_ms, why);
		else
			snprintf(out->reason, sizeof(out->reason), "%s", why);
	} else if (!expects_met(&a)) {
		out->verdict = VERDICT_FAIL;
		for (size_t i = 0; i < a.nexpect; i++) {
			if (!a.expect_seen[i]) {
				snprintf(out->reason, sizeof(out->reason), "expected console line not seen: %s",
					 c->expect.v[i]);
				break;
			}
		}
	} else {
		out->verdict = a.tap.plan_skip ? VERDICT_SKIP : VERDICT_PASS;
		if (a.tap.plan_skip)
			snprintf(out->reason, sizeof(out->reason), "the driver skipped the plan");
	}
	out->boot_ms = a.boot_ms;

done:
	out->duration_ms = (long)(proc_now_ms() - start);
	emit(sink, "rig", proc_now_ms(), "case %s/%s on %s: %s%s%s (%ld ms)", s->name, c->name, t->name,
	     verdict_name(out->verdict), out->reason[0] ? ": " : "", out->reason, out->duration_ms);
	tap_release(&out->tap);
	out->tap = a.tap;
	lines_release(&lines);
	regfree(&a.banner_re);
	for (size_t i = 0; i < a.nexpect; i++)
		regfree(&a.expect_re[i]);
	free(a.expect_re);
	free(a.expect_seen);
	t->log = NULL;
	t->log_user = NULL;
}

void runner_case(struct case_outcome *out, struct target *t, const struct suite *s,
		 const struct suite_case *c, const struct target_image *img,
		 const struct runner_sink *sink, const struct runner_opts *opts)
{
	double scale = opts && opts->time_scale > 0 ? opts->time_scale : 1;
	const struct quarantine *q;
	char first[512];

	memset(out, 0, sizeof(*out));
	tap_init(&out->tap);
	out->boot_ms = -1;
	if (!suite_case_runs_on(c, t->board->name)) {
		out->verdict = VERDICT_SKIP;
		snprintf(out->reason, sizeof(out->reason), "not for %s", t->board->name);
		return;
	}
	out->attempts = 1;
	attempt(out, t, s, c, img, sink, scale);
	if (out->verdict != VERDICT_PASS && out->verdict != VERDICT_SKIP && !(opts && opts->no_retry) &&
	    !(out->verdict == VERDICT_ERROR && opts && opts->no_error_retry)) {
		enum verdict was = out->verdict;

		snprintf(first, sizeof(first), "%s", out->reason);
		emit(sink, "rig", proc_now_ms(), "retrying %s/%s on %s after %s", s->name, c->name, t->name,
		     verdict_name(was));
		out->attempts = 2;
		out->reason[0] = '\0';
		attempt(out, t, s, c, img, sink, scale);
		if (out->verdict == VERDICT_PASS && was == VERDICT_FAIL) {
			out->flaky = true;
			snprintf(out->reason, sizeof(out->reason), "flaky: failed once (%.400s), then passed", first);
		}
	}
	q = opts && opts->today ? suite_quarantined(s, c->name, t->board->name, opts->today) : NULL;
	if (out->verdict == VERDICT_FAIL && q) {
		char why[512];

		snprintf(why, sizeof(why), "%s", out->reason);
		out->verdict = VERDICT_XFAIL;
		snprintf(out->reason, sizeof(out->reason), "quarantined until %s (%s): %s", q->expires, q->reason,
			 why);
	}
}
