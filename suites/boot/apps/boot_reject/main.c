/*
 * Driver of the boot/reject-* cases: the image holds this driver, a broken
 * app and idle. The kernel must have skipped the broken one (its line is an
 * expect of the case) and started the other two.
 */
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

int main(void)
{
	char name[24];

	tap_plan(2);
	tap_eq(process_count(), 2, "the broken app is not a process");
	tap_check(process_name(1, name, sizeof(name)) > 0 && strcmp(name, "idle") == 0,
		  "the app after the broken one still runs", "process 1 is '%s'", name);
	tap_end();
	return 0;
}
