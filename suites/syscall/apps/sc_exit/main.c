/* exit-terminate stops a process for good and keeps its completion code. */
#include <rig/alarm.h>
#include <rig/process.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(3);
	int helper = process_find("exit_helper");
	uint64_t give_up = alarm_now() + alarm_ticks_from_ms(1000);
	while (helper >= 0 && process_state((uint32_t)helper) != PROCESS_STATE_TERMINATED &&
	       alarm_now() < give_up)
		delay_ms(5);
	tap_check(helper >= 0 && process_state((uint32_t)helper) == PROCESS_STATE_TERMINATED,
		  "the helper terminated", "helper %d state %d", helper,
		  helper >= 0 ? process_state((uint32_t)helper) : -1);
	struct sysret r = command(DRV_PROCESS, PROCESS_CMD_EXIT_CODE, (uint32_t)helper, 0);
	tap_check(r.variant == RET_SUCCESS_U32 && r.r1 == 7, "its completion code is kept",
		  "variant %lu code %lu", (unsigned long)r.variant, (unsigned long)r.r1);
	tap_fails_with(command(DRV_PROCESS, PROCESS_CMD_EXIT_CODE, process_self(), 0), ERR_INVAL,
		       "a running process has no completion code: INVAL");
	tap_end();
	return 0;
}
