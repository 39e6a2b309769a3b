/*
 * exit-restart runs the process again from its entry point with fresh
 * memory. The first run reports test point 1 and restarts; the second
 * reports 2-4 and ends the plan.
 */
#include <rig/console.h>
#include <rig/process.h>
#include <rig/tap.h>

static int in_data = 42;
static int in_bss;

int main(void)
{
	uint32_t restarts = process_restarts(process_self());

	if (restarts == 0) {
		tap_plan(4);
		tap_ok(in_data == 42 && in_bss == 0, "the first run starts with fresh memory");
		in_data = 7;
		in_bss = 9;
		exit_restart(3);
	}
	tap_set_next(2);
	tap_eq(restarts, 1, "exit-restart ran the process again, and the kernel counted it");
	tap_eq((uint32_t)in_data, 42, ".data is initialized again");
	tap_eq((uint32_t)in_bss, 0, ".bss is zeroed again");
	tap_end();
	return 0;
}
