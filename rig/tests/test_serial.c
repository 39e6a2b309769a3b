#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "serial.h"

/*
 * What the serial module says when a console cannot be opened. Opening a
 * pty for real needs the namespace harness (t0700, t0701); here the
 * failures, which must name the console and say why.
 */
static void test_missing_path(void **state)
{
	struct serial *s = (struct serial *)1;

	(void)state;
	assert_int_equal(serial_open(&s, "/dev/rig-no-such-console", 115200), ERR_NOTFOUND);
	assert_null(s);
	assert_non_null(strstr(err_msg(), "console /dev/rig-no-such-console"));
}

static void test_not_a_serial_port(void **state)
{
	struct serial *s;
	char name[64];
	int m;

	(void)state;
	/* A pty outside the harness: libserialport has no /sys/class/tty entry for it. */
	m = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	assert_int_equal(ptsname_r(m, name, sizeof(name)), 0);
	assert_int_equal(serial_open(&s, name, 115200), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "no /sys/class/tty entry"));
	close(m);
	/* Nor is a plain file under /dev a port. */
	assert_int_equal(serial_open(&s, "/dev/null", 115200), ERR_NOTFOUND);
}

static void test_unknown_usb_serial(void **state)
{
	struct serial *s = (struct serial *)1;

	(void)state;
	assert_int_equal(serial_open_usb(&s, "RIG-NO-SUCH-ADAPTER", 115200), ERR_NOTFOUND);
	assert_null(s);
	assert_non_null(strstr(err_msg(), "no serial port with USB serial number 'RIG-NO-SUCH-ADAPTER'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_path),
		cmocka_unit_test(test_not_a_serial_port),
		cmocka_unit_test(test_unknown_usb_serial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
