/*
 * Two other processes keep their own alarms busy (3 and 7 ms); this one's
 * alarms must still fire in order and on time: the kernel shares one
 * hardware alarm among all of them.
 */
#include <rig/alarm.h>
#include <rig/process.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(3);

	uint64_t worst_late = 0;
	bool early = false;
	for (int i = 0; i < 10; i++) {
		uint64_t deadline = alarm_now() + alarm_ticks_from_ms(15);
		delay_ms(15);
		uint64_t now = alarm_now();
		early |= now < deadline;
		if (now > deadline && now - deadline > worst_late)
			worst_late = now - deadline;
	}
	tap_ok(!early, "ten 15 ms sleeps beside two busy tickers: none ends early");
	tap_check(worst_late < alarm_ticks_from_ms(50), "none ends more than 50 ms late",
		  "worst %llu ms late", (unsigned long long)(worst_late * 1000 / alarm_frequency()));

	int a = process_find("ticker_a"), b = process_find("ticker_b");
	int sa = a >= 0 ? process_state((uint32_t)a) : -1, sb = b >= 0 ? process_state((uint32_t)b) : -1;
	tap_check((sa == PROCESS_STATE_RUNNING || sa == PROCESS_STATE_YIELDED) &&
			  (sb == PROCESS_STATE_RUNNING || sb == PROCESS_STATE_YIELDED),
		  "the tickers are alive", "states %d %d", sa, sb);
	tap_end();
	return 0;
}
