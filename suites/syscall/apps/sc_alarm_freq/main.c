/* The alarm driver's frequency and clock agree with each other and move forward. */
#include <rig/alarm.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(3);
	uint32_t hz = alarm_frequency();
	tap_check(hz >= 1000, "the clock runs at 1 kHz or more", "%lu Hz", (unsigned long)hz);

	uint64_t before = alarm_now();
	delay_ms(50);
	uint64_t slept = alarm_now() - before;
	tap_check(slept >= hz / 20 && slept < hz, "a 50 ms sleep lasts 50 ms to 1 s of ticks",
		  "%llu ticks at %lu Hz", (unsigned long long)slept, (unsigned long)hz);

	uint64_t last = alarm_now();
	int backwards = 0;
	for (int i = 0; i < 2000; i++) {
		uint64_t now = alarm_now();
		backwards += now < last;
		last = now;
	}
	tap_eq(backwards, 0, "2000 reads of the clock never go backwards");
	tap_end();
	return 0;
}
