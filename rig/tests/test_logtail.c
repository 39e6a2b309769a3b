/* logtail: a job's log read a complete line at a time, as it grows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "logtail.h"

static char path[64];

struct seen {
	char text[16][128];
	char stream[16][16];
	long long t[16];
	int n, stop_after;
};

static int collect(const struct logtail_line *l, void *arg)
{
	struct seen *s = arg;

	snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s", (int)l->len, l->text);
	snprintf(s->stream[s->n], sizeof(s->stream[0]), "%s", l->stream);
	s->t[s->n] = l->t_ms;
	s->n++;
	return s->stop_after && s->n == s->stop_after;
}

static void append(const char *text)
{
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_parse(void **state)
{
	struct logtail_line l;
	const char *line = "     640 rig     flash image.bin";

	(void)state;
	logtail_parse(&l, line, strlen(line));
	assert_int_equal(l.t_ms, 640);
	assert_string_equal(l.stream, "rig");
	assert_int_equal(l.len, strlen("flash image.bin"));
	assert_memory_equal(l.text, "flash image.bin", l.len);
	/* The text keeps its own leading spaces past the stream's padding. */
	line = "      12 console   --- indented";
	logtail_parse(&l, line, strlen(line));
	assert_string_equal(l.stream, "console");
	assert_memory_equal(l.text, "  --- indented", l.len);
	/* A line from elsewhere stays whole. */
	line = "make: *** [all] Error 2";
	logtail_parse(&l, line, strlen(line));
	assert_int_equal(l.t_ms, -1);
	assert_string_equal(l.stream, "");
	assert_int_equal(l.len, strlen(line));
	logtail_parse(&l, "", 0);
	assert_int_equal(l.len, 0);
	logtail_parse(&l, "  42", 4);
	assert_int_equal(l.t_ms, -1);
}

static void test_follow(void **state)
{
	struct seen s = { 0 };
	int64_t next;
	bool eof;

	(void)state;
	assert_int_equal(logtail_read(path, 0, 1024, collect, &s, &next, &eof), ERR_NOTFOUND);
	append("       1 rig     power on\n       5 console boo");
	assert_int_equal(logtail_read(path, 0, 1024, collect, &s, &next, &eof), 0);
	/* Only the complete line: the half-written one waits. */
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0], "power on");
	assert_int_equal(next, 26);
	assert_true(eof);
	append("t\n       9 console ok 1\n");
	assert_int_equal(logtail_read(path, next, 1024, collect, &s, &next, &eof), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text[1], "boot");
	assert_int_equal(s.t[2], 9);
	assert_string_equal(s.stream[2], "console");
	/* Nothing new: nothing read, the offset stays. */
	assert_int_equal(logtail_read(path, next, 1024, collect, &s, &next, &eof), 0);
	assert_int_equal(s.n, 3);
	assert_true(eof);
}

static void test_limits(void **state)
{
	struct seen s = { 0 };
	int64_t next;
	bool eof;

	(void)state;
	append("1 a x\n2 a y\n3 a z\n");
	/* A window that ends inside a line: the lines before it, and more to come. */
	assert_int_equal(logtail_read(path, 0, 8, collect, &s, &next, &eof), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(next, 6);
	assert_false(eof);
	/* The callback stops the read: the rest waits for the next one. */
	s.stop_after = 2;
	assert_int_equal(logtail_read(path, next, 1024, collect, &s, &next, &eof), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(next, 12);
	assert_false(eof);
	s.stop_after = 0;
	assert_int_equal(logtail_read(path, next, 1024, collect, &s, &next, &eof), 0);
	assert_string_equal(s.text[2], "z");
	assert_true(eof);
	/* A line longer than the window comes cut, so a follower never stalls on it. */
	unlink(path);
	append("0123456789abcdef\n");
	s.n = 0;
	assert_int_equal(logtail_read(path, 0, 10, collect, &s, &next, &eof), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0], "0123456789");
	assert_int_equal(next, 10);
	assert_int_equal(logtail_read(path, -1, 10, collect, &s, &next, &eof), ERR_INVALID);
}

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/rig-logtail-%d.log", (int)getpid());
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
