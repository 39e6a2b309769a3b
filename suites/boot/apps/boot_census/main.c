/*
 * Driver of boot/apps-found: every app of the case is a process, in the
 * order of the image, each placed as doc/image.md and the kernel promise.
 */
#include <rig/memop.h>
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

static const char *const expected[] = { "boot_census", "idle", "spinner" };

int main(void)
{
	tap_plan(4);

	uint32_t n = process_count();
	tap_eq(n, 3, "three processes run");

	bool names_ok = true;
	for (uint32_t id = 0; id < 3; id++) {
		char name[24];
		if (process_name(id, name, sizeof(name)) < 0 || strcmp(name, expected[id]) != 0) {
			tap_diag("process %lu is '%s', expected '%s'", (unsigned long)id, name, expected[id]);
			names_ok = false;
		}
	}
	tap_ok(names_ok, "processes are the apps, in image order");

	tap_eq(process_self(), 0, "the first app is process 0");

	uintptr_t flash = memop_flash_start(), flash_size = memop_flash_end() - flash;
	uintptr_t ram = memop_ram_start(), ram_size = memop_ram_end() - ram;
	tap_check(flash % flash_size == 0 && ram % ram_size == 0 && ram_size >= 1024,
		  "image and RAM block are aligned to their power-of-two sizes",
		  "flash 0x%lx+%lu ram 0x%lx+%lu", (unsigned long)flash, (unsigned long)flash_size,
		  (unsigned long)ram, (unsigned long)ram_size);
	tap_end();
	return 0;
}
