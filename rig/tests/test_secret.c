#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "secret.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rig-secret-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_reads_and_strips_one_newline(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(secret_read(&s, write_file("a", "tok3n\n", 6, 0600), "status token"), 0);
	assert_string_equal(s, "tok3n");
	secret_free(s);
	assert_int_equal(secret_read(&s, write_file("b", "tok3n\r\n", 7, 0400), "status token"), 0);
	assert_string_equal(s, "tok3n");
	secret_free(s);
	assert_int_equal(secret_read(&s, write_file("c", "no-newline", 10, 0600), "status token"), 0);
	assert_string_equal(s, "no-newline");
	secret_free(s);
}

static void test_refuses_what_others_can_read(void **state)
{
	const char *path;
	char *s = (char *)"untouched";

	(void)state;
	path = write_file("open", "tok3n\n", 6, 0644);
	assert_int_equal(secret_read(&s, path, "status token"), ERR_INVALID);
	assert_null(s);
	assert_non_null(strstr(err_msg(), "status token"));
	assert_non_null(strstr(err_msg(), path));
	assert_non_null(strstr(err_msg(), "0644"));
	assert_non_null(strstr(err_msg(), "chmod 600"));
	/* Group-readable alone is refused too. */
	assert_int_equal(secret_read(&s, write_file("group", "x\n", 2, 0640), "webhook secret"), ERR_INVALID);
}

static void test_refuses_bad_contents(void **state)
{
	char big[SECRET_MAX_LEN + 10];
	char *s;

	(void)state;
	assert_int_equal(secret_read(&s, write_file("empty", "\n", 1, 0600), "t"), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "empty"));
	/* A second line would split the HTTP header the token goes into. */
	assert_int_equal(secret_read(&s, write_file("two", "a\nb\n", 4, 0600), "t"), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "control character"));
	memset(big, 'x', sizeof(big));
	assert_int_equal(secret_read(&s, write_file("big", big, sizeof(big), 0600), "t"), ERR_LIMIT);
	assert_int_equal(secret_read(&s, "/no/such/secret/file", "t"), ERR_NOTFOUND);
	assert_int_equal(secret_read(&s, dir, "t"), ERR_INVALID);
	assert_int_equal(secret_read(&s, NULL, "webhook secret"), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "webhook secret: no file configured"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_and_strips_one_newline),
		cmocka_unit_test(test_refuses_what_others_can_read),
		cmocka_unit_test(test_refuses_bad_contents),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
