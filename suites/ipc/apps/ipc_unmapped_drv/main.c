/*
 * Observer of ipc/dead-client-share-unmapped: a client shares with a
 * service and exits; the service's region for the dead client's buffer must
 * be gone, so its read of it faults (the console shows what it got before).
 */
#include <rig/alarm.h>
#include <rig/process.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(3);
	int leaver = process_find("ipc_leaver"), reader = process_find("ipc_ghost_reader");
	int ls = process_wait_state((uint32_t)leaver, PROCESS_STATE_BIT(PROCESS_STATE_TERMINATED), 1000);
	struct sysret code = command(DRV_PROCESS, PROCESS_CMD_EXIT_CODE, (uint32_t)leaver, 0);
	tap_check(ls == PROCESS_STATE_TERMINATED && code.r1 == 3, "the client shared its buffer and exited",
		  "state %d code %lu", ls, (unsigned long)code.r1);
	int rs = process_wait_state((uint32_t)reader,
				    PROCESS_STATE_BIT(PROCESS_STATE_FAULTED) |
					    PROCESS_STATE_BIT(PROCESS_STATE_TERMINATED), 1000);
	tap_eq((uint32_t)rs, PROCESS_STATE_FAULTED,
	       "the service's read of the dead client's buffer faults: the share was unmapped");
	uint64_t t = alarm_now();
	delay_ms(5);
	tap_ok(alarm_now() > t, "the observer goes on");
	tap_end();
	return 0;
}
