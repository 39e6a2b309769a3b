#include "health.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "lines.h"
#include "proc.h"
#include "runner.h"
#include "store.h"
#include "target.h"

#define READ_SLICE_MS 200

int health_kernel(char *out, size_t n, struct store *s, const struct board *b)
{
	struct store_build bld;
	int rc;

	if ((rc = store_build_bootable(s, b->name, &bld)) != 0)
		return err_prefix("no kernel of %s known to boot", b->name);
	snprintf(out, n, "%s/%s", bld.output_dir, b->build.artifacts.kernel_bin ? b->build.artifacts.kernel_bin
										 : "kernel.bin");
	store_build_release(&bld);
	if (!fs_is_file(out))
		return err_set(ERR_NOTFOUND, "no kernel of %s known to boot: %s is gone", b->name, out);
	return 0;
}

struct banner_wait {
	regex_t re;
	bool seen;
	target_log_fn log;
	void *log_user;
};

static void on_line(const char *line, size_t len, long long t_ms, void *user)
{
	struct banner_wait *w = user;

	(void)len;
	(void)t_ms;
	if (w->log)
		w->log(w->log_user, "health console: %s", line);
	if (!w->seen && regexec(&w->re, line, 0, NULL, 0) == 0)
		w->seen = true;
}

/* The check itself: 0 and *ok, or the step that failed in the last error. */
static int boot_and_banner(struct target *t, const char *kernel_bin, double scale, bool *ok, long *banner_ms)
{
	const struct board *b = t->board;
	struct target_image img = { .kernel_bin = kernel_bin, .address = b->memory.kernel_flash.origin };
	struct banner_wait w = { .log = t->log, .log_user = t->log_user };
	long boot_ms = (long)(b->boot_timeout * 1000 * scale);
	long long t0, deadline;
	struct lines lines;
	char buf[1024];
	int rc;

	*ok = false;
	if ((rc = target_device_cycle(t)) != 0 || (rc = t->ops->flash(t, &img)) != 0 ||
	    (rc = t->ops->console_open(t)) != 0 || (rc = t->ops->reset(t)) != 0)
		return rc;
	regcomp(&w.re, RUNNER_BANNER_RE, REG_EXTENDED | REG_NOSUB);
	lines_init(&lines, 4096);
	t0 = proc_now_ms();
	deadline = t0 + boot_ms;
	while (!w.seen) {
		long long left = deadline - proc_now_ms();
		ssize_t got;

		if (left <= 0)
			break;
		got = t->ops->console_read(t, buf, sizeof(buf), (int)(left < READ_SLICE_MS ? left : READ_SLICE_MS));
		if (got < 0) {
			rc = got;
			break;
		}
		if (got > 0)
			lines_feed(&lines, buf, (size_t)got, proc_now_ms(), on_line, &w);
	}
	if (!w.seen && rc == 0)
		lines_flush(&lines, on_line, &w);
	lines_release(&lines);
	regfree(&w.re);
	if (rc)
		return rc;
	*ok = w.seen;
	*banner_ms = (long)(proc_now_ms() - t0);
	if (!w.seen)
		return err_set(ERR_TIMEOUT, "no boot banner within %ld ms of the reset", boot_ms);
	return 0;
}

int health_check(struct health_result *out, struct target *t, struct store *s, const char *kernel_bin,
		 int64_t offline_after, double time_scale)
{
	long long start = proc_now_ms();
	long banner_ms = 0;
	bool ok = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (t->log)
		t->log(t->log_user, "health check of %s: boot %s and wait for the banner", t->name, kernel_bin);
	rc = boot_and_banner(t, kernel_bin, time_scale > 0 ? time_scale : 1, &ok, &banner_ms);
	out->ms = (long)(proc_now_ms() - start);
	out->ok = rc == 0 && ok;
	if (out->ok)
		snprintf(out->reason, sizeof(out->reason), "banner %ld ms after the reset (check took %ld ms)", banner_ms,
			 out->ms);
	else
		snprintf(out->reason, sizeof(out->reason), "%s", err_msg());
	if (t->log)
		t->log(t->log_user, "health check of %s: %s: %s", t->name, out->ok ? "ok" : "FAILED", out->reason);
	if ((rc = store_device_health(s, t->name, out->ok, out->reason)) != 0)
		return rc;
	if (!out->ok) {
		char why[700];

		snprintf(why, sizeof(why), "health check: %s", out->reason);
		if ((rc = store_device_infra_error(s, t->name, why, offline_after, &out->offline)) != 0)
			return rc;
	}
	return 0;
}
