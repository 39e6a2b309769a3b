/* The process-information driver: ids, names, states, restarts, bad ids. */
#include <rig/alarm.h>
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

int main(void)
{
	char name[24];

	tap_plan(8);
	delay_ms(10);   /* let idle run up to its yield */

	tap_eq(process_self(), 0, "the driver is process 0");
	tap_eq(process_count(), 2, "there are two processes");
	bool names = process_name(0, name, sizeof(name)) == 11 && strcmp(name, "sc_procinfo") == 0;
	names = names && process_name(1, name, sizeof(name)) == 4 && strcmp(name, "idle") == 0;
	tap_ok(names, "names and their lengths come back");
	tap_eq((uint32_t)process_state(1), PROCESS_STATE_YIELDED, "idle waits in yield");
	tap_eq((uint32_t)process_state(0), PROCESS_STATE_RUNNING, "the caller is running");
	tap_eq(process_restarts(1), 0, "nobody restarted");

	struct sysret s = command(DRV_PROCESS, PROCESS_CMD_STATE, 99, 0);
	struct sysret n = command(DRV_PROCESS, PROCESS_CMD_NAME, 99, 0);
	tap_check(s.variant == RET_FAILURE && s.r1 == ERR_INVAL && n.variant == RET_FAILURE &&
			  n.r1 == ERR_INVAL,
		  "an unknown id: INVAL", "state %lu/%lu name %lu/%lu", (unsigned long)s.variant,
		  (unsigned long)s.r1, (unsigned long)n.variant, (unsigned long)n.r1);

	allow_rw(DRV_PROCESS, PROCESS_ALLOW_RW_NAME, name, 4);
	struct sysret r = command(DRV_PROCESS, PROCESS_CMD_NAME, 0, 0);
	tap_check(r.variant == RET_FAILURE_U32 && r.r1 == ERR_SIZE && r.r2 == 12,
		  "a name buffer too small: SIZE, with the size needed", "variant %lu r1 %lu r2 %lu",
		  (unsigned long)r.variant, (unsigned long)r.r1, (unsigned long)r.r2);
	tap_end();
	return 0;
}
