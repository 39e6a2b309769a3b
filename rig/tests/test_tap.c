#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "tap.h"

static void feed_all(struct tap *t, const char *const *lines)
{
	for (size_t i = 0; lines[i]; i++)
		tap_feed(t, lines[i], (long long)i);
}

static void test_passing_stream_amid_kernel_lines(void **state)
{
	const char *lines[] = {
		"rig-kernel 0.1.0 board=qemu-sifive-e arch=riscv32",
		"kernel: app sc_yield at 0x20430000 size 4096",
		"kernel: 1 apps running",
		"1..3",
		"ok 1 - yield no-wait returns at once",
		"# a diagnostic",
		"ok 2 - skipped here # SKIP no alarm on this board",
		"not ok 3 - known bug # TODO fix later",
		"# tap-end",
		NULL,
	};
	struct tap t;
	char why[256];

	(void)state;
	tap_init(&t);
	feed_all(&t, lines);
	assert_int_equal(t.plan, 3);
	assert_int_equal(t.n, 3);
	assert_true(t.ended);
	assert_true(tap_done(&t));
	assert_int_equal(tap_failures(&t), 0);
	assert_int_equal(t.points[1].directive, TAP_SKIP);
	assert_string_equal(t.points[1].reason, "no alarm on this board");
	assert_string_equal(t.points[0].description, "yield no-wait returns at once");
	assert_int_equal(t.points[0].t_ms, 4);
	assert_true(tap_verdict(&t, 3, why, sizeof(why)));
	assert_string_equal(why, "");
	tap_release(&t);
}

static void test_failure_named_with_reason(void **state)
{
	const char *lines[] = { "1..2", "ok 1 - a", "not ok 2 - alarm fires # expected 3 got 2", NULL };
	struct tap t;
	char why[256];

	(void)state;
	tap_init(&t);
	feed_all(&t, lines);
	assert_true(tap_done(&t));
	assert_false(tap_verdict(&t, 2, why, sizeof(why)));
	assert_string_equal(why, "not ok 2 - alarm fires # expected 3 got 2");
	tap_release(&t);
}

static void test_plan_problems(void **state)
{
	struct tap t;
	char why[256];

	(void)state;
	tap_init(&t);
	tap_feed(&t, "ok 1 - a", 0);
	assert_false(tap_verdict(&t, 1, why, sizeof(why)));
	assert_string_equal(why, "no TAP plan printed");
	tap_release(&t);

	tap_init(&t);
	tap_feed(&t, "1..4", 0);
	tap_feed(&t, "ok 1", 0);
	assert_false(tap_verdict(&t, 3, why, sizeof(why)));
	assert_string_equal(why, "TAP plan 1..4, expected 1..3");
	assert_false(tap_verdict(&t, 4, why, sizeof(why)));
	assert_string_equal(why, "1 of 4 test points printed");
	assert_false(tap_done(&t));
	tap_release(&t);

	tap_init(&t);
	tap_feed(&t, "1..2", 0);
	tap_feed(&t, "ok 2 - b", 0);
	tap_feed(&t, "ok 1 - a", 0);
	assert_false(tap_verdict(&t, 2, why, sizeof(why)));
	assert_string_equal(why, "test points out of order");
	tap_release(&t);
}

static void test_bail_out_and_not_tap(void **state)
{
	struct tap t;
	char why[256];

	(void)state;
	tap_init(&t);
	assert_int_equal(tap_feed(&t, "okay then", 0), TAP_LINE_OTHER);
	assert_int_equal(tap_feed(&t, "1..x", 0), TAP_LINE_OTHER);
	assert_int_equal(tap_feed(&t, "not okay", 0), TAP_LINE_OTHER);
	assert_int_equal(tap_feed(&t, "# tap-endless", 0), TAP_LINE_DIAG);
	assert_int_equal(tap_feed(&t, "1..99999999999999999999", 0), TAP_LINE_OTHER);
	assert_int_equal(t.plan, -1);
	assert_int_equal(tap_feed(&t, "Bail out! MPU missing", 0), TAP_LINE_BAIL);
	assert_true(tap_done(&t));
	assert_false(tap_verdict(&t, 1, why, sizeof(why)));
	assert_string_equal(why, "bailed out: MPU missing");
	tap_release(&t);
}

static void test_escaped_hash_and_points_cap(void **state)
{
	struct tap t;

	(void)state;
	tap_init(&t);
	tap_feed(&t, "ok 1 - issue \\#12 fixed # SKIP not here", 0);
	assert_string_equal(t.points[0].description, "issue \\#12 fixed");
	assert_int_equal(t.points[0].directive, TAP_SKIP);
	t.max_points = 10;
	for (int i = 0; i < 1000; i++)
		tap_feed(&t, "ok", 0);
	assert_int_equal(t.n, 10);
	tap_release(&t);
}

struct collected {
	char lines[16][128];
	long long t[16];
	int n;
};

static void collect(const char *line, size_t len, long long t_ms, void *user)
{
	struct collected *c = user;

	assert_int_equal(strlen(line), len);
	if (c->n < 16) {
		snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s", line);
		c->t[c->n] = t_ms;
		c->n++;
	}
}

static void test_lines_chunks_garbage_and_cap(void **state)
{
	struct lines l;
	struct collected c = { .n = 0 };

	(void)state;
	lines_init(&l, 16);
	lines_feed(&l, "hel", 3, 100, collect, &c);
	lines_feed(&l, "lo\r\nwor", 7, 200, collect, &c);
	lines_feed(&l, "ld\n", 3, 300, collect, &c);
	lines_feed(&l, "a\x01\xff" "b\n", 5, 400, collect, &c);
	lines_feed(&l, "0123456789abcdefXYZ", 19, 500, collect, &c);
	lines_flush(&l, collect, &c);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.lines[0], "hello");
	assert_int_equal(c.t[0], 100);
	assert_string_equal(c.lines[1], "world");
	assert_int_equal(c.t[1], 200);
	assert_string_equal(c.lines[2], "a\\x01\\xffb");
	assert_string_equal(c.lines[3], "0123456789abcdef");
	assert_string_equal(c.lines[4], "XYZ");
	assert_int_equal(l.escaped, 2);
	lines_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passing_stream_amid_kernel_lines),
		cmocka_unit_test(test_failure_named_with_reason),
		cmocka_unit_test(test_plan_problems),
		cmocka_unit_test(test_bail_out_and_not_tap),
		cmocka_unit_test(test_escaped_hash_and_points_cap),
		cmocka_unit_test(test_lines_chunks_garbage_and_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
