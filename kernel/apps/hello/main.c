/*
 * The app of the default image: greets, says where it runs, and prints a
 * one-point TAP plan so that the default image is itself a passing case.
 */
#include <rig/console.h>
#include <rig/memop.h>
#include <rig/process.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(1);
	tap_diag("hello from process %lu of %lu, flash 0x%08lx, ram 0x%08lx",
		 (unsigned long)process_self(), (unsigned long)process_count(),
		 (unsigned long)memop_flash_start(), (unsigned long)memop_ram_start());
	tap_ok(true, "hello runs and prints");
	tap_end();
	return 0;
}
