/* The clock stays monotonic while a spinner preempts this process. */
#include <rig/alarm.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(2);
	uint64_t last = alarm_now(), end = last + alarm_ticks_from_ms(200), gap = 0;
	int backwards = 0;
	while (last < end) {
		uint64_t now = alarm_now();
		if (now < last)
			backwards++;
		else if (now - last > gap)
			gap = now - last;
		last = now;
	}
	tap_eq(backwards, 0, "200 ms of clock reads beside a spinner never go backwards");
	tap_check(gap >= alarm_ticks_from_ms(5), "the spinner preempted us meanwhile (a gap of a timeslice)",
		  "longest gap %llu ticks", (unsigned long long)gap);
	tap_end();
	return 0;
}
