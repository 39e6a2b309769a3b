/*
 * Driver of boot/spinner: a process that never yields must not starve this
 * one (the timeslice preempts it) nor stop the kernel's alarms.
 */
#include <rig/alarm.h>
#include <rig/process.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(3);

	uint64_t start = alarm_now();
	for (int i = 0; i < 20; i++)
		delay_ms(5);
	uint64_t took = alarm_now() - start;
	tap_check(took >= alarm_ticks_from_ms(100) && took < alarm_ticks_from_ms(1000),
		  "twenty 5 ms sleeps take 100 ms to 1 s beside a spinner",
		  "took %llu ms", (unsigned long long)(took * 1000 / alarm_frequency()));

	int id = process_find("spinner");
	tap_check(id >= 0 && process_state((uint32_t)id) == PROCESS_STATE_RUNNING,
		  "the spinner is still running", "spinner id %d state %d", id,
		  id >= 0 ? process_state((uint32_t)id) : -1);

	/* Busy ourselves: the spinner must get the CPU back in between. */
	uint64_t last = alarm_now(), biggest_gap = 0;
	uint64_t end = last + alarm_ticks_from_ms(100);
	while (last < end) {
		uint64_t now = alarm_now();
		if (now - last > biggest_gap)
			biggest_gap = now - last;
		last = now;
	}
	tap_check(biggest_gap >= alarm_ticks_from_ms(5), "a busy driver is preempted for the spinner",
		  "longest pause %llu ticks", (unsigned long long)biggest_gap);
	tap_end();
	return 0;
}
