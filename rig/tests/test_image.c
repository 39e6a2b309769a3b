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
#include "image.h"

static char dir[] = "/tmp/rig-image-XXXXXX";
static char kernel[128], small[128], big[128], odd[128], out[128], elf[128];

static void fill(const char *path, size_t n, int c)
{
	char *p = malloc(n);

	memset(p, c, n);
	assert_int_equal(fs_write_file(path, p, n), 0);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(kernel, sizeof(kernel), "%s/kernel.bin", dir);
	snprintf(small, sizeof(small), "%s/a.tbf", dir);
	snprintf(big, sizeof(big), "%s/b.tbf", dir);
	snprintf(odd, sizeof(odd), "%s/odd.tbf", dir);
	snprintf(out, sizeof(out), "%s/image.bin", dir);
	snprintf(elf, sizeof(elf), "%s/image.elf", dir);
	fill(kernel, 100, 'K');
	fill(small, 1024, 'a');
	fill(big, 2048, 'b');
	fill(odd, 1500, 'o');
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fs_rmtree(dir);
}

static struct board board(const char *arch)
{
	struct board b = { .name = "vm", .arch = arch };

	b.memory.kernel_flash = (struct region){ 0x20400000, 0x1000 };
	b.memory.app_flash = (struct region){ 0x20401000, 0x2000 };
	return b;
}

static void test_layout(void **state)
{
	struct board b = board("riscv32");
	const char *apps[] = { small, big };
	struct buf img;

	(void)state;
	assert_int_equal(image_compose(out, NULL, &b, kernel, apps, 2), 0);
	buf_init(&img, 0);
	assert_int_equal(fs_read_file(&img, out), 0);
	/* kernel, pad to 0x1000, a at 0x1000, gap to the 2 KiB boundary, b at 0x1800, end. */
	assert_int_equal(img.len, 0x2000);
	assert_int_equal(img.data[0], 'K');
	assert_int_equal(img.data[99], 'K');
	assert_int_equal((uint8_t)img.data[100], 0xff);
	assert_int_equal((uint8_t)img.data[0xfff], 0xff);
	assert_int_equal(img.data[0x1000], 'a');
	assert_int_equal(img.data[0x13ff], 'a');
	assert_int_equal((uint8_t)img.data[0x1400], 0xff);
	assert_int_equal((uint8_t)img.data[0x17ff], 0xff);
	assert_int_equal(img.data[0x1800], 'b');
	assert_int_equal(img.data[0x1fff], 'b');
	buf_release(&img);
}

static void test_no_apps_ends_at_app_region(void **state)
{
	struct board b = board("arm");
	struct buf img;

	(void)state;
	assert_int_equal(image_compose(out, NULL, &b, kernel, NULL, 0), 0);
	buf_init(&img, 0);
	assert_int_equal(fs_read_file(&img, out), 0);
	assert_int_equal(img.len, 0x1000);
	buf_release(&img);
}

static void test_elf_wrapper(void **state)
{
	struct board b = board("arm");
	const char *apps[] = { small };
	struct buf e, raw;

	(void)state;
	assert_int_equal(image_compose(out, elf, &b, kernel, apps, 1), 0);
	buf_init(&e, 0);
	buf_init(&raw, 0);
	assert_int_equal(fs_read_file(&e, elf), 0);
	assert_int_equal(fs_read_file(&raw, out), 0);
	assert_memory_equal(e.data, "\177ELF\1\1\1", 7);
	assert_int_equal((uint8_t)e.data[18], 40);		/* EM_ARM */
	assert_int_equal(*(uint32_t *)(e.data + 24), 0x20400000);	/* entry */
	assert_int_equal(*(uint32_t *)(e.data + 52), 1);		/* PT_LOAD */
	assert_int_equal(*(uint32_t *)(e.data + 60), 0x20400000);	/* vaddr */
	assert_int_equal(*(uint32_t *)(e.data + 68), raw.len);	/* filesz */
	assert_int_equal(e.len, 84 + raw.len);
	assert_memory_equal(e.data + 84, raw.data, raw.len);
	buf_release(&e);
	buf_release(&raw);
}

static void test_refusals(void **state)
{
	struct board b = board("riscv32");
	const char *bad[] = { odd };
	const char *too_many[] = { big, big, big, big, big };
	const char *missing[] = { "/no/such.tbf" };

	(void)state;
	assert_int_equal(image_compose(out, NULL, &b, kernel, bad, 1), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "must be a power of two of at least 1024 bytes, not 1500"));
	assert_int_equal(image_compose(out, NULL, &b, kernel, too_many, 5), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "does not fit in the app region of vm"));
	assert_int_equal(image_compose(out, NULL, &b, kernel, missing, 1), ERR_NOTFOUND);
	b.memory.app_flash.origin = 0x20400040;
	assert_int_equal(image_compose(out, NULL, &b, kernel, NULL, 0), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "the kernel is 100 bytes, but only 64 fit before the app region"));
}


/* ---- rack: the forms a device's flasher writes ---- */

static uint32_t get32(const char *p)
{
	const uint8_t *u = (const uint8_t *)p;

	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void test_device_forms(void **state)
{
	struct board b = board("riscv32");
	const char *apps[] = { small, big };
	char full[160], full_elf[160], sparse[160];
	/* kernel; a at 0x1000; a gap at 0x1400; b at 0x1800; the rest of the region erased */
	const struct { uint32_t addr, size; int c; } want[] = {
		{ 0x20400000, 100, 'K' }, { 0x20401000, 1024, 'a' }, { 0x20401400, 4, 0xff },
		{ 0x20401800, 2048, 'b' }, { 0x20402000, 4, 0xff }, { 0x20402400, 4, 0xff },
		{ 0x20402800, 4, 0xff }, { 0x20402c00, 4, 0xff },
	};
	struct buf img;

	(void)state;
	snprintf(full, sizeof(full), "%s/full.bin", dir);
	snprintf(full_elf, sizeof(full_elf), "%s/full.elf", dir);
	snprintf(sparse, sizeof(sparse), "%s/sparse.elf", dir);
	assert_int_equal(image_compose_device(full, full_elf, sparse, &b, kernel, apps, 2), 0);
	buf_init(&img, 0);

	/* Padded to the end of app_flash: nothing an earlier case left there survives. */
	assert_int_equal(fs_read_file(&img, full), 0);
	assert_int_equal(img.len, 0x3000);
	assert_int_equal(img.data[0x1800], 'b');
	for (size_t i = 0x2000; i < 0x3000; i++)
		assert_int_equal((uint8_t)img.data[i], 0xff);
	buf_reset(&img);
	assert_int_equal(fs_read_file(&img, full_elf), 0);
	assert_int_equal(img.len, 52 + 32 + 0x3000);

	/* Sparse: what the kernel reads, and an erased word at every empty scan step. */
	buf_reset(&img);
	assert_int_equal(fs_read_file(&img, sparse), 0);
	assert_int_equal(img.data[44] | img.data[45] << 8, 8);		/* e_phnum */
	for (size_t i = 0; i < 8; i++) {
		const char *ph = img.data + 52 + 32 * i;
		uint32_t off = get32(ph + 4);

		assert_int_equal(get32(ph), 1);
		assert_int_equal(get32(ph + 8), want[i].addr);
		assert_int_equal(get32(ph + 16), want[i].size);
		assert_true(off + want[i].size <= img.len);
		for (uint32_t j = 0; j < want[i].size; j++)
			assert_int_equal((uint8_t)img.data[off + j], want[i].c);
	}
	/* No apps: the kernel and every step erased. */
	assert_int_equal(image_compose_device(NULL, NULL, sparse, &b, kernel, NULL, 0), 0);
	buf_reset(&img);
	assert_int_equal(fs_read_file(&img, sparse), 0);
	assert_int_equal(img.data[44], 1 + 8);
	/* The same refusals as image_compose. */
	apps[0] = odd;
	assert_int_equal(image_compose_device(full, NULL, sparse, &b, kernel, apps, 2), ERR_INVALID);
	buf_release(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_no_apps_ends_at_app_region),
		cmocka_unit_test(test_elf_wrapper),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_device_forms),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
