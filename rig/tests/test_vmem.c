#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "vmem.h"

static void test_regions(void **state)
{
	struct vmem m;
	uint32_t v;

	(void)state;
	vmem_init(&m);
	assert_int_equal(vmem_add(&m, VMEM_FLASH, 0x20400000, 0x1000), 0);
	assert_int_equal(vmem_add(&m, VMEM_RAM, 0x80000000, 0x100), 0);
	assert_int_equal(vmem_add(&m, VMEM_RAM, 0x80000080, 0x100), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "overlaps"));
	assert_int_equal(vmem_add(&m, VMEM_RAM, 0xffffff00, 0x200), ERR_INVALID);
	assert_int_equal(vmem_add(&m, VMEM_RAM, 0x1000, 0), ERR_INVALID);

	/* Flash starts erased, RAM zeroed. */
	assert_int_equal(vmem_read(&m, 0x20400000, 4, &v), 0);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(vmem_read(&m, 0x80000000, 4, &v), 0);
	assert_int_equal(v, 0);

	assert_int_equal(vmem_write(&m, 0x20400010, 4, 0x44332211), 0);
	assert_int_equal(vmem_write(&m, 0x20400014, 2, 0x6655), 0);
	assert_int_equal(vmem_write(&m, 0x20400016, 1, 0x77), 0);
	assert_int_equal(vmem_read(&m, 0x20400013, 4, &v), 0);
	assert_int_equal(v, 0x77665544);
	assert_int_equal(m.r[0].written_end, 0x17);

	/* Nothing there, half outside, and sizes the bus does not have. */
	assert_int_equal(vmem_read(&m, 0x10000000, 4, &v), -1);
	assert_int_equal(vmem_write(&m, 0x20400ffe, 4, 0), -1);
	assert_int_equal(vmem_read(&m, 0x20400000, 3, &v), -1);
	assert_int_equal(vmem_read(&m, 0x20400000, 8, &v), -1);

	vmem_clear(&m, VMEM_FLASH);
	assert_int_equal(m.r[0].written_end, 0);
	assert_int_equal(vmem_read(&m, 0x20400010, 4, &v), 0);
	assert_int_equal(v, 0xffffffff);
	vmem_release(&m);
}

static void test_board_regions_merge(void **state)
{
	struct board b = { .name = "t" };
	struct vmem m;

	(void)state;
	b.memory.kernel_flash = (struct region){ 0x20400000, 0x30000 };
	b.memory.app_flash = (struct region){ 0x20430000, 0x30000 };
	b.memory.kernel_ram = (struct region){ 0x80000000, 0x2000 };
	b.memory.app_ram = (struct region){ 0x80004000, 0x2000 };
	vmem_init(&m);
	assert_int_equal(vmem_add_board(&m, &b), 0);
	assert_int_equal(m.n, 3);	/* flash merged; the RAM halves do not touch */
	assert_int_equal(m.r[0].length, 0x60000);
	vmem_release(&m);

	b.memory.app_ram = (struct region){ 0x80001000, 0x2000 };
	vmem_init(&m);
	assert_int_equal(vmem_add_board(&m, &b), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "board t: "));
	vmem_release(&m);
}

static void test_elf_dump(void **state)
{
	char path[] = "/tmp/test-vmem-XXXXXX";
	struct vmem m;
	Elf32_Ehdr eh;
	Elf32_Phdr ph[2];
	uint8_t data[8];
	FILE *f;
	int fd;

	(void)state;
	vmem_init(&m);
	assert_int_equal(vmem_add(&m, VMEM_FLASH, 0x20400000, 0x1000), 0);
	assert_int_equal(vmem_add(&m, VMEM_RAM, 0x80000000, 0x100), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vmem_dump_elf(&m, 0x20400000, path), ERR_NOTFOUND);
	assert_int_equal(vmem_write(&m, 0x20400004, 4, 0x04030201), 0);
	assert_int_equal(vmem_write(&m, 0x80000000, 1, 0x99), 0);
	assert_int_equal(vmem_dump_elf(&m, 0x20400000, path), 0);

	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(&eh, sizeof(eh), 1, f), 1);
	assert_memory_equal(eh.e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh.e_ident[EI_CLASS], ELFCLASS32);
	assert_int_equal(eh.e_machine, EM_RISCV);
	assert_int_equal(eh.e_type, ET_EXEC);
	assert_int_equal(eh.e_entry, 0x20400000);
	assert_int_equal(eh.e_phnum, 2);
	assert_int_equal(fread(ph, sizeof(ph[0]), 2, f), 2);
	assert_int_equal(ph[0].p_type, PT_LOAD);
	assert_int_equal(ph[0].p_paddr, 0x20400000);
	assert_int_equal(ph[0].p_filesz, 8);	/* up to the highest byte written */
	assert_int_equal(ph[1].p_paddr, 0x80000000);
	assert_int_equal(ph[1].p_filesz, 1);
	assert_int_equal(fseek(f, (long)ph[0].p_offset, SEEK_SET), 0);
	assert_int_equal(fread(data, 1, 8, f), 8);
	assert_memory_equal(data, "\xff\xff\xff\xff\x01\x02\x03\x04", 8);
	fclose(f);
	unlink(path);
	vmem_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_board_regions_merge),
		cmocka_unit_test(test_elf_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
