#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "proc.h"
#include "runner.h"
#include "target.h"

/* ---- a scripted target: each attempt prints a script or fails at a step ---- */

struct script {
	const char *output;	/* what the console says after reset */
	int fail_at;		/* 0 none, 1 flash, 2 console_open, 3 console lost after output */
	long cpu_ms;
};

struct fake {
	struct target base;
	const struct script *scripts;
	int nscripts, attempt;
	size_t pos;
	int flashed, resets;
};

static struct fake *fk(struct target *t)
{
	return (struct fake *)t;
}

static const struct script *cur(struct target *t)
{
	struct fake *f = fk(t);
	int i = f->attempt - 1 < f->nscripts ? f->attempt - 1 : f->nscripts - 1;

	return &f->scripts[i];
}

static int f_power(struct target *t, bool on)
{
	(void)t;
	(void)on;
	return 0;
}

static int f_flash(struct target *t, const struct target_image *img)
{
	(void)img;
	fk(t)->attempt++;
	fk(t)->flashed++;
	fk(t)->pos = 0;
	if (cur(t)->fail_at == 1)
		return err_set(ERR_IO, "flash %s: probe not found", t->name);
	return 0;
}

static int f_console_open(struct target *t)
{
	if (cur(t)->fail_at == 2)
		return err_set(ERR_IO, "console %s: port vanished", t->name);
	return 0;
}

static int f_reset(struct target *t)
{
	fk(t)->resets++;
	return 0;
}

static ssize_t f_read(struct target *t, char *buf, size_t n, int timeout_ms)
{
	struct fake *f = fk(t);
	const char *out = cur(t)->output;
	size_t left = strlen(out) - f->pos;

	if (left == 0) {
		if (cur(t)->fail_at == 3)
			return err_set(ERR_IO, "serial port /dev/ttyACM0 vanished");
		usleep((useconds_t)(timeout_ms < 20 ? timeout_ms : 20) * 1000);
		return 0;
	}
	/* Dribble a few bytes at a time, as a serial port does. */
	if (left > 7)
		left = 7;
	if (left > n)
		left = n;
	memcpy(buf, out + f->pos, left);
	f->pos += left;
	return (ssize_t)left;
}

static long f_cpu(struct target *t)
{
	return cur(t)->cpu_ms;
}

static void f_release(struct target *t)
{
	(void)t;
}

static const struct target_ops fake_ops = {
	.kind = "fake", .power = f_power, .flash = f_flash, .console_open = f_console_open,
	.reset = f_reset, .console_read = f_read, .host_cpu_ms = f_cpu, .release = f_release,
};

static struct board board = { .name = "vm-x", .boot_timeout = 0.5 };

static struct fake make_fake(const struct script *s, int n)
{
	struct fake f = { .scripts = s, .nscripts = n };

	f.base.ops = &fake_ops;
	f.base.board = &board;
	snprintf(f.base.name, sizeof(f.base.name), "vm-x");
	return f;
}

#define BANNER "rig-kernel 0.1.0 board=vm-x arch=arm\n"
#define PASS2 BANNER "kernel: 1 apps running\n1..2\nok 1 - a\nok 2 - b\n# tap-end\n"

static const char *apps1[] = { "drv" };
static const char *apps2[] = { "drv", "helper" };
static const char *fault_re[] = { "^kernel: process helper faulted: .* at 0x[0-9a-f]+$" };

static struct suite suite = { .name = "s", .timeout = 2 };
static struct suite_case plain = { .name = "plain", .apps = { apps1, 1 }, .plan = 2 };
static struct suite_case with_expect = { .name = "fault", .apps = { apps2, 2 }, .plan = 2,
					 .expect = { fault_re, 1 } };
static const char *only_other[] = { "vm-y" };
static struct suite_case elsewhere = { .name = "elsewhere", .apps = { apps1, 1 }, .plan = 1,
				       .only = { only_other, 1 } };
static struct target_image img = { .image = "/nonexistent.bin", .kernel = "/nonexistent.elf" };

static int lines_seen;

static void count_line(void *user, const char *stream, const char *line, long long t)
{
	(void)user;
	(void)line;
	(void)t;
	if (strcmp(stream, "console") == 0)
		lines_seen++;
}

static struct runner_sink sink = { .line = count_line };

static void run(struct case_outcome *o, struct fake *f, struct suite_case *c)
{
	struct runner_opts opts = { .today = "2026-06-01" };

	runner_case(o, &f->base, &suite, c, &img, &sink, &opts);
}

static void test_pass(void **state)
{
	struct script s[] = { { .output = PASS2, .cpu_ms = 1000 } };
	struct fake f = make_fake(s, 1);
	struct case_outcome o;

	(void)state;
	lines_seen = 0;
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_PASS);
	assert_int_equal(o.attempts, 1);
	assert_false(o.flaky);
	assert_true(o.boot_ms >= 0);
	assert_int_equal(o.tap.n, 2);
	assert_int_equal(f.resets, 1);
	assert_int_equal(lines_seen, 6);
	case_outcome_release(&o);
}

static void test_not_ok_fails_after_retry(void **state)
{
	struct script s[] = { { .output = BANNER "1..2\nok 1 - a\nnot ok 2 - b # got 3\n", .cpu_ms = 1000 } };
	struct fake f = make_fake(s, 1);
	struct case_outcome o;

	(void)state;
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_string_equal(o.reason, "not ok 2 - b # got 3");
	assert_int_equal(o.attempts, 2);
	assert_int_equal(f.flashed, 2);
	case_outcome_release(&o);
}

static void test_fail_then_pass_is_flaky(void **state)
{
	struct script s[] = {
		{ .output = BANNER "1..2\nok 1 - a\nnot ok 2 - race\n", .cpu_ms = 1000 },
		{ .output = PASS2, .cpu_ms = 1000 },
	};
	struct fake f = make_fake(s, 2);
	struct case_outcome o;

	(void)state;
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_PASS);
	assert_true(o.flaky);
	assert_int_equal(o.attempts, 2);
	assert_non_null(strstr(o.reason, "flaky: failed once (not ok 2 - race)"));
	case_outcome_release(&o);
}

static void test_flash_error_retried_then_passes(void **state)
{
	struct script s[] = { { .fail_at = 1 }, { .output = PASS2, .cpu_ms = 1000 } };
	struct fake f = make_fake(s, 2);
	struct case_outcome o;

	(void)state;
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_PASS);
	assert_false(o.flaky);
	assert_int_equal(o.attempts, 2);
	case_outcome_release(&o);
}

static void test_errors_twice_is_error(void **state)
{
	struct script s[] = { { .fail_at = 2 } };
	struct fake f = make_fake(s, 1);
	struct case_outcome o;

	(void)state;
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_ERROR);
	assert_string_equal(o.reason, "console vm-x: port vanished");
	case_outcome_release(&o);
}

static void test_console_vanishing_mid_run_is_error(void **state)
{
	struct script s[] = { { .output = BANNER "1..2\nok 1 - a\n", .fail_at = 3, .cpu_ms = 1000 } };
	struct fake f = make_fake(s, 1);
	struct case_outcome o;

	(void)state;
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_ERROR);
	assert_string_equal(o.reason, "console lost: serial port /dev/ttyACM0 vanished");
	case_outcome_release(&o);
}

static void test_no_banner_fail_or_slow_host(void **state)
{
	struct script dead[] = { { .output = "garbage\x01\xfe\n", .cpu_ms = 5000 } };
	struct script slow[] = { { .output = "", .cpu_ms = 10 } };
	struct fake f = make_fake(dead, 1);
	struct case_outcome o;

	(void)state;
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_string_equal(o.reason, "no boot banner within 500 ms");
	case_outcome_release(&o);

	f = make_fake(slow, 1);
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_ERROR);
	assert_non_null(strstr(o.reason, "only 10 ms of CPU: host too slow"));
	case_outcome_release(&o);
}

static void test_panic_and_driver_fault_fail(void **state)
{
	struct script panic[] = { { .output = BANNER "1..2\nok 1 - a\nkernel: panic: hard fault in kernel\n",
				    .cpu_ms = 1000 } };
	struct script fault[] = { { .output = BANNER "1..2\nkernel: process drv faulted: mpu fault at 0x0\n",
				    .cpu_ms = 1000 } };
	struct fake f = make_fake(panic, 1);
	struct case_outcome o;

	(void)state;
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_string_equal(o.reason, "kernel: panic: hard fault in kernel");
	case_outcome_release(&o);

	f = make_fake(fault, 1);
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_string_equal(o.reason, "kernel: process drv faulted: mpu fault at 0x0");
	case_outcome_release(&o);
}

static void test_expected_fault_line(void **state)
{
	struct script seen[] = { { .output = BANNER "kernel: process helper faulted: mpu at 0x20004000\n"
					     "1..2\nok 1\nok 2\n# tap-end\n", .cpu_ms = 1000 } };
	struct script missing[] = { { .output = PASS2, .cpu_ms = 1000 } };
	struct fake f = make_fake(seen, 1);
	struct case_outcome o;

	(void)state;
	run(&o, &f, &with_expect);
	assert_int_equal(o.verdict, VERDICT_PASS);
	case_outcome_release(&o);

	f = make_fake(missing, 1);
	run(&o, &f, &with_expect);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_non_null(strstr(o.reason, "expected console line not seen: ^kernel: process helper faulted"));
	case_outcome_release(&o);
}

static void test_timeout_names_progress(void **state)
{
	struct script s[] = { { .output = BANNER "1..2\nok 1 - a\n", .cpu_ms = 1000 } };
	struct fake f = make_fake(s, 1);
	struct case_outcome o;
	struct runner_opts opts = { .today = "2026-06-01", .no_retry = true };

	(void)state;
	runner_case(&o, &f.base, &suite, &plain, &img, &sink, &opts);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_string_equal(o.reason, "timed out after 2000 ms: 1 of 2 test points printed");
	assert_int_equal(o.attempts, 1);
	case_outcome_release(&o);
}

static void test_skip_and_quarantine(void **state)
{
	static const char *targets[] = { "vm-x" };
	struct quarantine q = { .case_name = "plain", .targets = { targets, 1 }, .reason = "bug 12",
				.expires = "2026-12-31" };
	struct script s[] = { { .output = BANNER "1..2\nnot ok 1\nnot ok 2\n", .cpu_ms = 1000 } };
	struct fake f = make_fake(s, 1);
	struct case_outcome o;

	(void)state;
	run(&o, &f, &elsewhere);
	assert_int_equal(o.verdict, VERDICT_SKIP);
	assert_int_equal(f.flashed, 0);
	case_outcome_release(&o);

	suite.quarantine.v = &q;
	suite.quarantine.n = 1;
	run(&o, &f, &plain);
	assert_int_equal(o.verdict, VERDICT_XFAIL);
	assert_non_null(strstr(o.reason, "quarantined until 2026-12-31 (bug 12): not ok 1"));
	case_outcome_release(&o);
	/* Past its expiry the quarantine no longer hides the failure. */
	{
		struct runner_opts later = { .today = "2027-01-01" };

		runner_case(&o, &f.base, &suite, &plain, &img, &sink, &later);
		assert_int_equal(o.verdict, VERDICT_FAIL);
		case_outcome_release(&o);
	}
	suite.quarantine.n = 0;
}

/* ---- the real QEMU target, on tiny images built here ---- */

static char workdir[] = "/tmp/rig-qemu-XXXXXX";

static int build_tiny(const char *name, const char *output)
{
	char def[512], elf[256], bin[256];
	const char *cc[] = { "arm-none-eabi-gcc", "-mcpu=cortex-m3", "-mthumb", "-O1", "-nostdlib",
			     "-ffreestanding", "-T", TEST_DATA "/tiny-arm/tiny.ld", def, "-o", elf,
			     TEST_DATA "/tiny-arm/tiny.c", NULL };
	const char *oc[] = { "arm-none-eabi-objcopy", "-O", "binary", elf, bin, NULL };
	struct proc_opts o = { .argv = cc, .timeout_ms = 60000 };
	struct proc_result r;
	int rc;

	snprintf(def, sizeof(def), "-DOUTPUT=\"%s\"", output);
	snprintf(elf, sizeof(elf), "%s/%s.elf", workdir, name);
	snprintf(bin, sizeof(bin), "%s/%s.bin", workdir, name);
	proc_result_init(&r);
	rc = proc_run(&r, &o);
	if (!rc && r.exit_code == 0) {
		o.argv = oc;
		rc = proc_run(&r, &o);
	}
	if (rc || r.exit_code)
		fprintf(stderr, "build %s: %s %s\n", name, err_msg(), r.err.data);
	rc = rc ? rc : r.exit_code;
	proc_result_release(&r);
	return rc;
}

static int qemu_setup(void **state)
{
	(void)state;
	if (!mkdtemp(workdir))
		return -1;
	return build_tiny("pass", "rig-kernel 0.1.0 board=qemu-mps2-an385 arch=arm\\n1..2\\nok 1 - a\\n"
			  "ok 2 - b\\n# tap-end\\n");
}

static int qemu_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", workdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *qemu_cmd[] = { "qemu-system-arm", "-M", "mps2-an385", "-nographic", "-monitor", "none",
				  "-device", "loader,file={image},addr=0x0" };

static struct board qboard(const char *const *cmd, size_t n)
{
	struct board b = { .name = "qemu-mps2-an385", .boot_timeout = 20, .has_qemu = true };

	b.qemu.command.v = (const char **)cmd;
	b.qemu.command.n = n;
	return b;
}

struct first_line {
	char line[128];
	int n;
};

static void keep_first(void *user, const char *stream, const char *line, long long t)
{
	struct first_line *f = user;

	(void)t;
	if (strcmp(stream, "console") == 0 && f->n++ == 0)
		snprintf(f->line, sizeof(f->line), "%s", line);
}

static void test_qemu_boots_and_passes(void **state)
{
	struct board b = qboard(qemu_cmd, 8);
	struct target *t;
	struct target_image im = { .image = NULL, .kernel = "unused" };
	char image[256];
	struct first_line first = { .n = 0 };
	struct runner_sink keep = { .line = keep_first, .user = &first };
	struct runner_opts opts = { .today = "2026-01-01", .no_retry = true };
	struct suite s = { .name = "s", .timeout = 30 };
	struct case_outcome o;

	(void)state;
	snprintf(image, sizeof(image), "%s/pass.bin", workdir);
	im.image = image;
	assert_int_equal(target_qemu_new(&t, &b, workdir), 0);
	runner_case(&o, t, &s, &plain, &im, &keep, &opts);
	assert_int_equal(o.verdict, VERDICT_PASS);
	/* The rig listened before the CPU ran: the very first line is the banner. */
	assert_string_equal(first.line, "rig-kernel 0.1.0 board=qemu-mps2-an385 arch=arm");
	assert_true(t->ops->host_cpu_ms(t) >= 0);
	case_outcome_release(&o);
	assert_int_equal(t->ops->power(t, false), 0);
	assert_int_equal(access(workdir, F_OK), 0);
	target_release(t);
}

static void test_qemu_missing_binary_is_error(void **state)
{
	static const char *cmd[] = { "qemu-system-nonexistent", "-M", "x" };
	struct board b = qboard(cmd, 3);
	struct target *t;
	struct target_image im = { .image = "x.bin", .kernel = "x.elf" };
	struct runner_opts opts = { .no_retry = true };
	struct suite s = { .name = "s", .timeout = 5 };
	struct case_outcome o;

	(void)state;
	assert_int_equal(target_qemu_new(&t, &b, workdir), 0);
	runner_case(&o, t, &s, &plain, &im, NULL, &opts);
	assert_int_equal(o.verdict, VERDICT_ERROR);
	assert_non_null(strstr(o.reason, "qemu-system-nonexistent"));
	case_outcome_release(&o);
	target_release(t);
}

static void test_qemu_that_exits_is_error_with_its_message(void **state)
{
	static const char *cmd[] = { "qemu-system-arm", "-M", "no-such-machine", "-nographic" };
	struct board b = qboard(cmd, 4);
	struct target *t;
	struct target_image im = { .image = "x.bin", .kernel = "x.elf" };
	struct runner_opts opts = { .no_retry = true };
	struct suite s = { .name = "s", .timeout = 5 };
	struct case_outcome o;

	(void)state;
	assert_int_equal(target_qemu_new(&t, &b, workdir), 0);
	runner_case(&o, t, &s, &plain, &im, NULL, &opts);
	assert_int_equal(o.verdict, VERDICT_ERROR);
	assert_non_null(strstr(o.reason, "exited with status 1"));
	assert_non_null(strstr(o.reason, "unsupported machine type"));
	case_outcome_release(&o);
	target_release(t);
}

static void test_qemu_unknown_placeholder(void **state)
{
	static const char *cmd[] = { "qemu-system-arm", "-kernel", "{imgae}" };
	struct board b = qboard(cmd, 3);
	struct target *t;
	struct target_image im = { .image = "x.bin", .kernel = "x.elf" };

	(void)state;
	assert_int_equal(target_qemu_new(&t, &b, workdir), 0);
	assert_int_equal(t->ops->flash(t, &im), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "unknown placeholder '{imgae}'"));
	target_release(t);
}

/* rack: a device job retries an error on another device itself; a fail is still retried in place. */
static void test_no_error_retry(void **state)
{
	struct script err[] = { { .fail_at = 1 }, { .output = PASS2, .cpu_ms = 1000 } };
	struct script bad[] = { { .output = BANNER "1..2\nok 1 - a\nnot ok 2 - b\n", .cpu_ms = 1000 } };
	struct runner_opts opts = { .today = "2026-06-01", .no_error_retry = true };
	struct fake f = make_fake(err, 2), g = make_fake(bad, 1);
	struct case_outcome o;

	(void)state;
	runner_case(&o, &f.base, &suite, &plain, &img, &sink, &opts);
	assert_int_equal(o.verdict, VERDICT_ERROR);
	assert_int_equal(o.attempts, 1);
	assert_int_equal(f.flashed, 1);
	assert_string_equal(o.reason, "flash vm-x: probe not found");
	case_outcome_release(&o);
	runner_case(&o, &g.base, &suite, &plain, &img, &sink, &opts);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_int_equal(o.attempts, 2);
	case_outcome_release(&o);
}

int main(void)
{
	const struct CMUnitTest fake_tests[] = {
		cmocka_unit_test(test_pass),
		cmocka_unit_test(test_not_ok_fails_after_retry),
		cmocka_unit_test(test_fail_then_pass_is_flaky),
		cmocka_unit_test(test_flash_error_retried_then_passes),
		cmocka_unit_test(test_errors_twice_is_error),
		cmocka_unit_test(test_console_vanishing_mid_run_is_error),
		cmocka_unit_test(test_no_banner_fail_or_slow_host),
		cmocka_unit_test(test_panic_and_driver_fault_fail),
		cmocka_unit_test(test_expected_fault_line),
		cmocka_unit_test(test_timeout_names_progress),
		cmocka_unit_test(test_skip_and_quarantine),
		cmocka_unit_test(test_no_error_retry),
	};
	const struct CMUnitTest qemu_tests[] = {
		cmocka_unit_test(test_qemu_boots_and_passes),
		cmocka_unit_test(test_qemu_missing_binary_is_error),
		cmocka_unit_test(test_qemu_that_exits_is_error_with_its_message),
		cmocka_unit_test(test_qemu_unknown_placeholder),
	};
	int failed = cmocka_run_group_tests_name("runner", fake_tests, NULL, NULL);

	failed += cmocka_run_group_tests_name("qemu target", qemu_tests, qemu_setup, qemu_teardown);
	return failed;
}
