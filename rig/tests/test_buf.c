#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

static void test_grows_and_terminates(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_string_equal(b.data, "");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_addf(&b, "%d,", i % 10), 0);
	assert_int_equal(b.len, 2000);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data, "0,1,2,", 6);
	buf_release(&b);
}

static void test_cap_keeps_what_fits(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_addstr(&b, "12345"), 0);
	assert_int_equal(buf_addstr(&b, "6789abcdef"), ERR_LIMIT);
	assert_true(b.truncated);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "123456789a");
	assert_int_equal(buf_addch(&b, 'x'), ERR_LIMIT);
	assert_int_equal(b.len, 10);
	buf_release(&b);
}

static void test_long_format_and_consume(void **state)
{
	struct buf b;
	char big[1000];

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 0);
	assert_int_equal(buf_addf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, 1001);
	buf_consume(&b, 1);
	assert_int_equal(b.data[0], 'z');
	assert_int_equal(b.len, 1000);
	buf_consume(&b, 5000);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_release(&b);
}

static void test_detach(void **state)
{
	struct buf b;
	size_t len;
	char *s;

	(void)state;
	buf_init(&b, 0);
	s = buf_detach(&b, &len);
	assert_string_equal(s, "");
	free(s);
	buf_addstr(&b, "abc");
	s = buf_detach(&b, &len);
	assert_int_equal(len, 3);
	assert_string_equal(s, "abc");
	assert_int_equal(b.len, 0);
	free(s);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_and_terminates),
		cmocka_unit_test(test_cap_keeps_what_fits),
		cmocka_unit_test(test_long_format_and_consume),
		cmocka_unit_test(test_detach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
