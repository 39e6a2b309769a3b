/* {seed} in a QEMU board command: a fresh random word reaches the guest at every boot. */
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
#include "target.h"

static char workdir[] = "/tmp/rig-seed-XXXXXX";
static char image[256];

static int setup(void **state)
{
	char elf[256];
	const char *cc[] = { "arm-none-eabi-gcc", "-mcpu=cortex-m3", "-mthumb", "-O1", "-nostdlib", "-ffreestanding",
			     "-T", TEST_DATA "/tiny-arm/tiny.ld", "-o", elf, TEST_DATA "/serve/seed.c", NULL };
	const char *oc[] = { "arm-none-eabi-objcopy", "-O", "binary", elf, image, NULL };
	struct proc_opts o = { .argv = cc, .timeout_ms = 60000 };
	struct proc_result r;
	int rc;

	(void)state;
	if (!mkdtemp(workdir))
		return -1;
	snprintf(elf, sizeof(elf), "%s/seed.elf", workdir);
	snprintf(image, sizeof(image), "%s/seed.bin", workdir);
	proc_result_init(&r);
	rc = proc_run(&r, &o);
	if (!rc && r.exit_code == 0) {
		o.argv = oc;
		rc = proc_run(&r, &o);
	}
	rc = rc ? rc : r.exit_code;
	proc_result_release(&r);
	return rc;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", workdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* One boot: the eight hex digits the guest prints. */
static void boot(struct target *t, char out[9])
{
	struct target_image im = { .image = image, .kernel = "unused" };
	char buf[64];
	size_t got = 0;
	long long deadline = proc_now_ms() + 20000;

	assert_int_equal(t->ops->flash(t, &im), 0);
	assert_int_equal(t->ops->console_open(t), 0);
	assert_int_equal(t->ops->reset(t), 0);
	while (got < 9 && proc_now_ms() < deadline) {
		ssize_t n = t->ops->console_read(t, buf + got, sizeof(buf) - got - 1, 500);

		assert_true(n >= 0);
		got += (size_t)n;
	}
	assert_true(got >= 9);
	assert_int_equal(buf[8], '\n');
	memcpy(out, buf, 8);
	out[8] = '\0';
	assert_int_equal(t->ops->power(t, false), 0);
}

static void test_each_boot_gets_its_seed(void **state)
{
	static const char *cmd[] = { "qemu-system-arm", "-device", "loader,addr=0x20300000,data={seed},data-len=4",
				     "-M", "mps2-an385", "-nographic", "-monitor", "none", "-icount", "shift=5,sleep=off",
				     "-device", "loader,file={image},addr=0x0" };
	struct board b = { .name = "qemu-mps2-an385", .boot_timeout = 20, .has_qemu = true };
	struct target *t;
	char first[9], second[9];

	(void)state;
	b.qemu.command.v = cmd;
	b.qemu.command.n = sizeof(cmd) / sizeof(cmd[0]);
	assert_int_equal(target_qemu_new(&t, &b, workdir), 0);
	boot(t, first);
	boot(t, second);
	target_release(t);
	/* Without the loader the word is 0; two draws of 32 bits agree once in four billion. */
	assert_string_not_equal(first, "00000000");
	assert_string_not_equal(first, second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_boot_gets_its_seed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
