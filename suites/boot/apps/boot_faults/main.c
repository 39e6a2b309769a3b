/*
 * Driver of the boot/fault-* cases: every process whose name starts with
 * "crash_" must fault (the kernel reports it), every other one must go on
 * unharmed, and so must this driver and the kernel.
 */
#include <rig/alarm.h>
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

static bool is_crasher(uint32_t id)
{
	char name[24];
	return process_name(id, name, sizeof(name)) > 0 && memcmp(name, "crash_", 6) == 0;
}

static bool all_crashers_faulted(void)
{
	for (uint32_t id = 0; id < process_count(); id++) {
		if (is_crasher(id) && process_state(id) != PROCESS_STATE_FAULTED)
			return false;
	}
	return true;
}

int main(void)
{
	tap_plan(3);

	/* The crashers start with us; give them a second at most to fault. */
	uint64_t give_up = alarm_now() + alarm_ticks_from_ms(1000);
	while (!all_crashers_faulted() && alarm_now() < give_up)
		delay_ms(5);
	bool faulted = all_crashers_faulted();
	for (uint32_t id = 0; id < process_count(); id++) {
		if (is_crasher(id))
			tap_diag("process %lu state %d", (unsigned long)id, process_state(id));
	}
	tap_ok(faulted, "every crash_ process faulted");

	bool others_ok = true;
	for (uint32_t id = 0; id < process_count(); id++) {
		int state = process_state(id);
		if (!is_crasher(id) && (state == PROCESS_STATE_FAULTED || state == PROCESS_STATE_TERMINATED)) {
			tap_diag("process %lu is in state %d", (unsigned long)id, state);
			others_ok = false;
		}
	}
	tap_ok(others_ok, "the other processes are unharmed");

	uint64_t before = alarm_now();
	delay_ms(20);
	uint64_t slept = alarm_now() - before;
	tap_check(slept >= alarm_ticks_from_ms(20), "alarms still fire after the faults",
		  "slept %llu ticks", (unsigned long long)slept);
	tap_end();
	return 0;
}
