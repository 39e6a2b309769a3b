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
#include "target.h"

/*
 * The device target against a stand-in for OpenOCD and the power commands
 * (data/openocd/fake-openocd.sh records its arguments): which OpenOCD runs
 * flash and reset make of a board's program sequence, what the templates
 * expand to, and how failures read. The real programs are in t0810-t0812.
 */

static char dir[] = "/tmp/rig-target-device-XXXXXX";
static char fake[512], args[600], kernel[600];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(fake, sizeof(fake), "%s/openocd/fake-openocd.sh", TEST_DATA);
	snprintf(args, sizeof(args), "%s/args", dir);
	snprintf(kernel, sizeof(kernel), "%s/kernel.bin", dir);
	fs_write_file(kernel, "KERNEL", 6);
	setenv("FAKE_OPENOCD_ARGS", args, 1);
	unsetenv("FAKE_OPENOCD_OUTPUT");
	unsetenv("FAKE_OPENOCD_EXIT");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fs_rmtree(dir);
}

static struct board board_with(const char **program, size_t n)
{
	static const char *iface[] = { "interface/vboard.cfg" }, *target[] = { "target/vboard-fe310.cfg" };
	struct board b = { .name = "vm-rv", .arch = "riscv32", .has_openocd = true, .baud = 115200,
			   .boot_timeout = 1 };

	b.memory.kernel_flash = (struct region){ 0x20400000, 0x1000 };
	b.memory.app_flash = (struct region){ 0x20401000, 0x1000 };
	b.openocd.interface.v = iface;
	b.openocd.interface.n = 1;
	b.openocd.target.v = target;
	b.openocd.target.n = 1;
	b.openocd.program.v = program;
	b.openocd.program.n = n;
	return b;
}

/* The -c commands after init of each recorded run, "|"-joined, runs separated by " / ". */
static void runs(struct buf *out)
{
	struct buf text;
	char *p, *line;
	bool after_init = false, c = false;

	buf_init(&text, 1 << 20);
	buf_reset(out);
	if (fs_read_file(&text, args) != 0) {
		buf_release(&text);
		return;
	}
	for (p = text.data; (line = strsep(&p, "\n")) != NULL && *line;) {
		if (strcmp(line, "--") == 0) {
			buf_addstr(out, " / ");
			after_init = false;
			continue;
		}
		if (strcmp(line, "-c") == 0) {
			c = true;
			continue;
		}
		if (c && strcmp(line, "init") == 0) {
			after_init = true;
		} else if (c && after_init) {
			if (out->len && out->data[out->len - 1] != ' ')
				buf_addch(out, '|');
			buf_addstr(out, line);
		}
		c = false;
	}
	buf_release(&text);
	unlink(args);
}

static struct target *make(struct board *b, struct device *d)
{
	struct target_device_opts o = { .board = b, .device = d, .openocd = fake, .workdir = dir };
	struct target *t;

	assert_int_equal(target_device_new(&t, &o), 0);
	return t;
}

static void split(const char **program, size_t n, const char *want_flash_and_reset)
{
	struct board b = board_with(program, n);
	struct device d = { .id = "vb-1", .board = "vm-rv", .console_path = "/dev/null" };
	struct target_image img = { .kernel_bin = kernel, .address = 0x20400000 };
	struct target *t = make(&b, &d);
	struct buf got, want;
	const char *p;

	buf_init(&got, 1 << 16);
	buf_init(&want, 1 << 16);
	assert_int_equal(t->ops->flash(t, &img), 0);
	assert_int_equal(t->ops->reset(t), 0);
	runs(&got);
	/* "@" stands for the work folder. */
	for (p = want_flash_and_reset; *p; p++) {
		if (*p == '@')
			buf_addstr(&want, dir);
		else
			buf_addch(&want, *p);
	}
	assert_string_equal(got.data, want.data);
	buf_release(&got);
	buf_release(&want);
	target_release(t);
}

/* The board's sequence runs without its trailing reset, which reset() runs after the console opened. */
static void test_program_split(void **state)
{
	const char *vboard[] = { "halt", "load_image {image_sparse} 0 elf", "verify_image {image_sparse} 0 elf",
				 "reset run", "shutdown" };
	const char *program[] = { "program {image} {address} verify reset exit" };
	const char *no_reset[] = { "program {image_elf} verify" };
	const char *resume[] = { "load_image {image} {address} bin", "resume {address}", "exit" };

	(void)state;
	split(vboard, 5,
	      "halt|load_image @/flash-vb-1-sparse.elf 0 elf|verify_image @/flash-vb-1-sparse.elf 0 elf|shutdown / "
	      "reset run|shutdown / ");
	split(NULL, 0, "program @/flash-vb-1.bin 0x20400000 verify|shutdown / reset run|shutdown / ");
	split(program, 1, "program @/flash-vb-1.bin 0x20400000 verify|shutdown / reset run|shutdown / ");
	split(no_reset, 1, "program @/flash-vb-1.elf verify|shutdown / reset run|shutdown / ");
	split(resume, 3, "load_image @/flash-vb-1.bin 0x20400000 bin|shutdown / resume 0x20400000|shutdown / ");
}

/* Power through the templates, with {id}, {board}, {serial} and {path}; failures say which and why. */
static void test_power(void **state)
{
	const char *on[] = { fake, "on", "{id}", "{board}", "{serial}", "{path}" };
	const char *off[] = { fake, "off", "{id}" };
	const char *bad[] = { fake, "on", "{nope}" };
	struct board b = board_with(NULL, 0);
	struct device d = { .id = "vb-1", .board = "vm-rv", .probe_serial = "SN1", .console_path = "/dev/ttyX" };
	struct target *t;
	struct buf text;
	char out[600];

	(void)state;
	d.power_on.v = on;
	d.power_on.n = 6;
	d.power_off.v = off;
	d.power_off.n = 3;
	b.settle = 0.05;
	t = make(&b, &d);
	buf_init(&text, 1 << 16);
	assert_int_equal(t->ops->power(t, true), 0);
	assert_int_equal(t->ops->power(t, false), 0);
	/* No cycle template: off, then on. */
	assert_int_equal(target_device_cycle(t), 0);
	assert_int_equal(fs_read_file(&text, args), 0);
	assert_string_equal(text.data, "on\nvb-1\nvm-rv\nSN1\n/dev/ttyX\n--\noff\nvb-1\n--\n"
				       "off\nvb-1\n--\non\nvb-1\nvm-rv\nSN1\n/dev/ttyX\n--\n");
	unlink(args);
	{
		struct target_device_times tm;

		target_device_times(t, &tm);
		assert_true(tm.power_ms >= 100);	/* two settles */
	}

	/* A command that fails: its last line is the reason. */
	snprintf(out, sizeof(out), "%s/openocd/vboard-refused.txt", TEST_DATA);
	setenv("FAKE_OPENOCD_OUTPUT", out, 1);
	setenv("FAKE_OPENOCD_EXIT", "3", 1);
	assert_int_equal(t->ops->power(t, true), ERR_IO);
	assert_non_null(strstr(err_msg(), "power on vb-1: "));
	assert_non_null(strstr(err_msg(), "exited 3: Error: Error on socket 'Failed to connect'"));
	unsetenv("FAKE_OPENOCD_OUTPUT");
	unsetenv("FAKE_OPENOCD_EXIT");
	target_release(t);

	/* A placeholder the rack does not know. */
	d.power_on.v = bad;
	d.power_on.n = 3;
	t = make(&b, &d);
	assert_int_equal(t->ops->power(t, true), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "power on vb-1: unknown placeholder '{nope}'"));
	target_release(t);

	/* No templates: an always-on board. */
	d.power_on.n = d.power_off.n = 0;
	t = make(&b, &d);
	assert_int_equal(t->ops->power(t, true), 0);
	assert_int_equal(target_device_cycle(t), 0);
	target_release(t);
	buf_release(&text);
}

/* A failed flash reads as OpenOCD's reason; a console that cannot open names the device. */
static void test_failures(void **state)
{
	struct board b = board_with(NULL, 0);
	struct device d = { .id = "vb-2", .board = "vm-rv", .console_path = "/nonexistent/console" };
	struct target_image img = { .kernel_bin = kernel, .address = 0x20400000 };
	struct target *t = make(&b, &d);
	char out[600];

	(void)state;
	snprintf(out, sizeof(out), "%s/openocd/vboard-corrupt.txt", TEST_DATA);
	setenv("FAKE_OPENOCD_OUTPUT", out, 1);
	setenv("FAKE_OPENOCD_EXIT", "1", 1);
	assert_int_equal(t->ops->flash(t, &img), ERR_IO);
	assert_string_equal(err_msg(), "flash vb-2: verify failed at 0x20400101 (flash contents differ)");
	unsetenv("FAKE_OPENOCD_OUTPUT");
	unsetenv("FAKE_OPENOCD_EXIT");
	assert_int_equal(t->ops->console_open(t), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "console of vb-2: console /nonexistent/console"));
	assert_true(t->ops->console_read(t, out, sizeof(out), 10) < 0);
	unlink(args);
	target_release(t);

	/* A board without an openocd section is no device board. */
	b.has_openocd = false;
	{
		struct target_device_opts o = { .board = &b, .device = &d, .workdir = dir };

		assert_int_equal(target_device_new(&t, &o), ERR_INVALID);
	}
}

/* An FPGA board loads its bitstream before OpenOCD programs it; a failed load stops the flash. */
static void test_fpga_first(void **state)
{
	const char *load[] = { fake, "fpga", "{bitstream}", "{id}" };
	struct board b = board_with(NULL, 0);
	struct device d = { .id = "arty-1", .board = "vm-rv", .console_path = "/dev/null" };
	struct target_image img = { .kernel_bin = kernel, .address = 0x20400000, .bitstream = "/out/top.bit" };
	struct target *t;
	struct buf text;

	(void)state;
	b.has_fpga = true;
	b.fpga.bitstream = "top.bit";
	b.fpga.command.v = load;
	b.fpga.command.n = 4;
	t = make(&b, &d);
	buf_init(&text, 1 << 16);
	assert_int_equal(t->ops->flash(t, &img), 0);
	assert_int_equal(fs_read_file(&text, args), 0);
	assert_true(strncmp(text.data, "fpga\n/out/top.bit\narty-1\n--\n", 28) == 0);
	assert_non_null(strstr(text.data, "program "));	/* then OpenOCD */
	unlink(args);
	setenv("FAKE_OPENOCD_EXIT", "1", 1);
	assert_int_equal(t->ops->flash(t, &img), ERR_IO);
	assert_non_null(strstr(err_msg(), "fpga arty-1: "));
	unsetenv("FAKE_OPENOCD_EXIT");
	buf_reset(&text);
	assert_int_equal(fs_read_file(&text, args), 0);
	assert_null(strstr(text.data, "program "));	/* OpenOCD never ran */
	unlink(args);
	img.bitstream = NULL;
	assert_int_equal(t->ops->flash(t, &img), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "the build gave none"));
	buf_release(&text);
	target_release(t);
}

static int lost(void *user)
{
	(void)user;
	return err_set(ERR_CONFLICT, "the lease of device vb-3 by job 7 was lost (expired or taken)");
}

/* A lease lost stops every step before it touches the board. */
static void test_lease_lost(void **state)
{
	struct board b = board_with(NULL, 0);
	struct device d = { .id = "vb-3", .board = "vm-rv", .console_path = "/dev/null" };
	struct target_device_opts o = { .board = &b, .device = &d, .openocd = fake, .workdir = dir, .still_ours = lost };
	struct target_image img = { .kernel_bin = kernel, .address = 0x20400000 };
	struct target *t;
	char buf[16];

	(void)state;
	assert_int_equal(target_device_new(&t, &o), 0);
	assert_int_equal(t->ops->flash(t, &img), ERR_CONFLICT);
	assert_int_equal(t->ops->reset(t), ERR_CONFLICT);
	assert_int_equal(t->ops->console_open(t), ERR_CONFLICT);
	assert_int_equal(t->ops->console_read(t, buf, sizeof(buf), 10), ERR_CONFLICT);
	assert_false(fs_is_file(args));
	target_release(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_split),
		cmocka_unit_test(test_power),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_fpga_first),
		cmocka_unit_test(test_lease_lost),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
