#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "openocd.h"

/*
 * OpenOCD's failure output, as it really reads (tests/data/openocd/README
 * says where each text comes from), turned into the reason a person reads
 * in a job's log and on the dashboard.
 */
struct expect {
	const char *file;
	int exit_code;
	enum openocd_fault fault;
	const char *reason;	/* exact */
};

static const struct expect cases[] = {
	{ "vboard-ok.txt", 0, OPENOCD_OK, "" },
	{ "vboard-sparse-ok.txt", 0, OPENOCD_OK, "" },
	{ "vboard-corrupt.txt", 1, OPENOCD_VERIFY, "verify failed at 0x20400101 (flash contents differ)" },
	{ "program-verify-failed.txt", 1, OPENOCD_VERIFY,
	  "verify failed at 0x00000200 and 2 more places (flash contents differ)" },
	{ "vboard-refused.txt", 1, OPENOCD_CONNECT,
	  "cannot connect to the debug adapter at 127.0.0.1:5555: is it (or the board serving it) up? "
	  "(openocd: Error on socket 'Failed to connect': errno==9, message: Bad file descriptor)" },
	{ "vboard-dropped.txt", 1, OPENOCD_LINK_LOST,
	  "the connection to the probe was lost writing at 0x20400000: board powered off or probe unplugged? "
	  "(openocd: Error on socket 'remote_bitbang_fill_buf': errno==104, message: Connection reset by peer)" },
	{ "vboard-off.txt", 1, OPENOCD_LINK_LOST,
	  "the connection to the probe was lost mid-run: board powered off or probe unplugged? "
	  "(openocd: Error on socket 'remote_bitbang_putc': errno==104, message: Connection reset by peer)" },
	{ "vboard-no-image.txt", 1, OPENOCD_FILE, "OpenOCD cannot read the image: couldn't open nothere.bin" },
	{ "cmsis-dap-absent.txt", 1, OPENOCD_NO_PROBE,
	  "no debug probe found with serial 210249A85C42: is it plugged in and the serial in the rack right? "
	  "(openocd: unable to find a matching CMSIS-DAP device)" },
	{ "probe-busy.txt", 1, OPENOCD_NO_PROBE,
	  "no debug probe found with serial 210249A85C42: is it plugged in and the serial in the rack right? "
	  "(openocd: could not claim interface: Resource busy)" },
	{ "jlink-absent.txt", 1, OPENOCD_NO_PROBE,
	  "no debug probe found with serial 210249A85C42: is it plugged in and the serial in the rack right? "
	  "(openocd: No J-Link device found)" },
	{ "stlink-absent.txt", 1, OPENOCD_NO_PROBE,
	  "no debug probe found with serial 210249A85C42: is it plugged in and the serial in the rack right? "
	  "(openocd: open failed)" },
	{ "ftdi-absent.txt", 1, OPENOCD_NO_PROBE,
	  "no debug probe found with serial 210249A85C42: is it plugged in and the serial in the rack right? "
	  "(openocd: no device found)" },
	{ "jlink-bad-serial.txt", 1, OPENOCD_CONFIG,
	  "OpenOCD rejects the board's or device's setup: Invalid serial number: HIFIVE-A" },
	{ "missing-cfg.txt", 1, OPENOCD_CONFIG,
	  "OpenOCD rejects the board's or device's setup: embedded:startup.tcl:28: Error: Can't find "
	  "interface/cmsis-dap2.cfg" },
	{ "jtag-irlen.txt", 1, OPENOCD_CONFIG,
	  "OpenOCD rejects the board's or device's setup: /usr/bin/../share/openocd/scripts/target/swj-dp.tcl:30: "
	  "Error: newtap: nrf52.cpu missing IR length" },
	{ "jtag-all-ones.txt", 1, OPENOCD_NOT_EXAMINED,
	  "the target does not answer the probe: is the board powered and the cable seated? "
	  "(openocd: JTAG scan chain interrogation failed: all ones)" },
	{ "swd-no-idr.txt", 1, OPENOCD_NOT_EXAMINED,
	  "the target does not answer the probe: is the board powered and the cable seated? "
	  "(openocd: Error connecting DP: cannot read IDR)" },
	{ "reset-failed.txt", 1, OPENOCD_NOT_EXAMINED,
	  "the target does not answer the probe: is the board powered and the cable seated? "
	  "(openocd: [nrf52.cpu] Examination failed)" },
	{ "program-erase-failed.txt", 1, OPENOCD_PROGRAM,
	  "programming failed: failed erasing sectors 0 to 15" },
};

static void read_fixture(struct buf *out, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/openocd/%s", TEST_DATA, name);
	buf_reset(out);
	assert_int_equal(fs_read_file(out, path), 0);
}

static void test_explain_captured(void **state)
{
	struct buf text;

	(void)state;
	buf_init(&text, 1 << 20);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct expect *e = &cases[i];
		const char *serial = strstr(e->file, "vboard") ? NULL : "210249A85C42";
		struct openocd_diag d;

		if (strcmp(e->file, "jlink-bad-serial.txt") == 0)
			serial = "HIFIVE-A";
		read_fixture(&text, e->file);
		openocd_explain(&d, text.data, text.len, e->exit_code, false, 60000, serial);
		if (d.fault != e->fault || strcmp(d.reason, e->reason) != 0)
			fail_msg("%s: got %s \"%s\", want %s \"%s\"", e->file, openocd_fault_name(d.fault), d.reason,
				 openocd_fault_name(e->fault), e->reason);
	}
	buf_release(&text);
}

/* What the deadline and odd exits make of the same texts. */
static void test_explain_timeout_and_others(void **state)
{
	struct openocd_diag d;
	struct buf text;
	const char *quiet = "Open On-Chip Debugger 0.12.0\nInfo : Connecting to 127.0.0.1:5555\n";
	const char *odd = "Info : clock speed 1000 kHz\nError: something new went wrong\nError: failed: -4\n";

	(void)state;
	buf_init(&text, 1 << 20);
	read_fixture(&text, "vboard-sparse-ok.txt");
	/* Killed by the deadline while writing: the folded lines are not the last words. */
	openocd_explain(&d, text.data, (size_t)(strstr(text.data, "\nError: No working") - text.data), 143, true,
			30000, NULL);
	assert_int_equal(d.fault, OPENOCD_TIMEOUT);
	assert_string_equal(d.reason, "OpenOCD did not finish within 30 s (its last words: downloaded 37584 bytes "
			    "in 0.805866s (45.545 KiB/s))");
	openocd_explain(&d, quiet, strlen(quiet), 1, false, 30000, NULL);
	assert_int_equal(d.fault, OPENOCD_OTHER);
	assert_string_equal(d.reason, "openocd exited 1 after: Connecting to 127.0.0.1:5555");
	openocd_explain(&d, odd, strlen(odd), 1, false, 30000, NULL);
	assert_int_equal(d.fault, OPENOCD_OTHER);
	assert_string_equal(d.reason, "openocd exited 1: something new went wrong");
	openocd_explain(&d, "", 0, 139, false, 30000, NULL);
	assert_string_equal(d.reason, "openocd exited 139 without a word");
	/* A verify difference wins over the noise OpenOCD prints on every verify without a work area. */
	read_fixture(&text, "vboard-corrupt.txt");
	assert_non_null(strstr(text.data, "No working memory available"));
	/* Garbage never crashes it, however long the lines. */
	buf_reset(&text);
	for (int i = 0; i < 3000; i++)
		buf_addstr(&text, "Error: diff 99999999999999999999 address 0xffffffffffffffffffffffffffffffffffffffffff");
	buf_addstr(&text, "\n\r\n\n");
	openocd_explain(&d, text.data, text.len, 1, false, 1000, NULL);
	assert_int_equal(d.fault, OPENOCD_OTHER);
	buf_release(&text);
}

static struct board vboard(void)
{
	static const char *iface[] = { "interface/vboard.cfg" }, *target[] = { "target/vboard-fe310.cfg" },
			  *cmds[] = { "riscv set_reset_timeout_sec 2" };
	struct board b = { .name = "qemu-sifive-e", .has_openocd = true };

	b.openocd.interface.v = iface;
	b.openocd.interface.n = 1;
	b.openocd.target.v = target;
	b.openocd.target.n = 1;
	b.openocd.commands.v = cmds;
	b.openocd.commands.n = 1;
	b.openocd.transport = "jtag";
	b.openocd.speed = 1000;
	return b;
}

/* The board file composes like an OpenOCD board file: interface, probe, target, then the run's commands. */
static void test_argv(void **state)
{
	struct board b = vboard();
	const char *probe[] = { "remote_bitbang port 5555" }, *cmds[] = { "halt", "load_image x.bin 0 bin" };
	struct openocd_setup s = { .scripts = "/rig/boards/openocd", .board = &b, .adapter_serial = "SN 1",
				   .probe_commands = probe, .nprobe_commands = 1, .name = "vb-1" };
	const char *want[] = { "openocd", "-s", "/rig/boards/openocd", "-c", "gdb_port disabled", "-c",
			       "tcl_port disabled", "-c", "telnet_port disabled", "-f", "interface/vboard.cfg",
			       "-c", "adapter serial SN 1", "-c", "transport select jtag", "-c",
			       "adapter speed 1000", "-c", "remote_bitbang port 5555", "-f",
			       "target/vboard-fe310.cfg", "-c", "riscv set_reset_timeout_sec 2", "-c", "init",
			       "-c", "halt", "-c", "load_image x.bin 0 bin", NULL };
	char **argv;
	size_t i;

	(void)state;
	assert_int_equal(openocd_argv(&argv, &s, cmds, 2), 0);
	for (i = 0; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	free(argv);
}

static const char *fake_path(char *out, size_t n)
{
	snprintf(out, n, "%s/openocd/fake-openocd.sh", TEST_DATA);
	return out;
}

static void collect(void *user, const char *line)
{
	struct buf *b = user;

	buf_addstr(b, line);
	buf_addch(b, '\n');
}

/* openocd_run through a stand-in that prints a captured text: the log, the error, the folding. */
static void test_run(void **state)
{
	struct board b = vboard();
	char fake[512], fixture[512];
	struct openocd_setup s = { .board = &b, .name = "vb-1" };
	const char *cmds[] = { "shutdown" };
	struct openocd_diag d;
	struct buf log;

	(void)state;
	buf_init(&log, 1 << 20);
	s.program = fake_path(fake, sizeof(fake));
	snprintf(fixture, sizeof(fixture), "%s/openocd/vboard-corrupt.txt", TEST_DATA);
	setenv("FAKE_OPENOCD_OUTPUT", fixture, 1);
	setenv("FAKE_OPENOCD_EXIT", "1", 1);
	assert_int_equal(openocd_run(&d, &s, "flash", cmds, 1, 10000, collect, &log), ERR_IO);
	assert_string_equal(err_msg(), "flash vb-1: verify failed at 0x20400101 (flash contents differ)");
	assert_int_equal(d.fault, OPENOCD_VERIFY);
	assert_non_null(strstr(log.data, "diff 0 address 0x20400101. Was 0x9b instead of 0x9a\n"));

	/* 180 section lines fold into two and a count. */
	buf_reset(&log);
	snprintf(fixture, sizeof(fixture), "%s/openocd/vboard-sparse-ok.txt", TEST_DATA);
	setenv("FAKE_OPENOCD_OUTPUT", fixture, 1);
	setenv("FAKE_OPENOCD_EXIT", "0", 1);
	assert_int_equal(openocd_run(&d, &s, "flash", cmds, 1, 10000, collect, &log), 0);
	assert_int_equal(d.fault, OPENOCD_OK);
	assert_non_null(strstr(log.data, "24576 bytes written at address 0x20400000\n"
					 "4096 bytes written at address 0x20430000\n"
					 "(181 more lines like that)\ndownloaded 37584 bytes"));

	/* The deadline. */
	setenv("FAKE_OPENOCD_SLEEP", "10", 1);
	assert_int_equal(openocd_run(&d, &s, "reset", cmds, 1, 300, NULL, NULL), ERR_TIMEOUT);
	assert_int_equal(d.fault, OPENOCD_TIMEOUT);
	assert_string_equal(err_msg(), "reset vb-1: OpenOCD did not finish within 0.3 s");
	unsetenv("FAKE_OPENOCD_SLEEP");

	/* No OpenOCD at all. */
	s.program = "/nonexistent/openocd";
	assert_int_equal(openocd_run(&d, &s, "flash", cmds, 1, 1000, NULL, NULL), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "flash vb-1: OpenOCD is not installed"));
	buf_release(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explain_captured),
		cmocka_unit_test(test_explain_timeout_and_others),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
