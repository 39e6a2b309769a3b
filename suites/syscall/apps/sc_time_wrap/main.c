/*
 * The 64-bit time across the wrap of its low 32 bits. The kernel starts the
 * clock half a second before that wrap (doc/abi.md), so every boot has one
 * early: the time must not go backwards or jump, and an alarm set beyond
 * the wrap must fire after it, not at once.
 */
#include <rig/alarm.h>
#include <rig/tap.h>

static volatile bool fired;
static volatile uint64_t fired_at;

static void on_alarm(uint32_t lo, uint32_t hi, uint32_t c, void *d)
{
	(void)lo, (void)hi, (void)c, (void)d;
	fired_at = alarm_now();
	fired = true;
}

static void set_flag(struct alarm *a, void *userdata)
{
	(void)a;
	*(volatile bool *)userdata = true;
}

int main(void)
{
	tap_plan(4);
	uint32_t hz = alarm_frequency();
	uint64_t start = alarm_now();
	const uint64_t wrap = 1ull << 32;
	tap_check(start < wrap && start > wrap - hz, "the clock starts less than a second before the wrap",
		  "starts at 0x%llx", (unsigned long long)start);

	/* Sleep to 20 ms before the wrap, then watch the clock closely across it. */
	uint64_t watch_from = wrap - hz / 50;
	if (alarm_now() < watch_from) {
		struct alarm nap = { 0 };
		volatile bool woke = false;
		alarm_at(&nap, watch_from, set_flag, (void *)&woke);
		yield_for(&woke);
	}

	uint64_t deadline = wrap + hz / 100;   /* 10 ms after the wrap */
	subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, on_alarm, NULL);
	command(DRV_ALARM, ALARM_CMD_SET_ABSOLUTE, (uint32_t)deadline, (uint32_t)(deadline >> 32));

	uint64_t last = alarm_now(), give_up = last + 3ull * hz, biggest_step = 0;
	int backwards = 0;
	bool carried = false;
	while (!(carried && fired) && last < give_up) {
		uint64_t now = alarm_now();
		if (now < last)
			backwards++;
		else if (now - last > biggest_step)
			biggest_step = now - last;
		if (last < wrap && now >= wrap)
			carried = true;
		last = now;
		yield_no_wait();   /* lets the alarm's upcall run */
	}
	tap_check(backwards == 0 && biggest_step < hz, "the time never goes backwards or jumps across the wrap",
		  "%d steps back, biggest step %llu ticks", backwards, (unsigned long long)biggest_step);
	tap_ok(carried, "the low word's wrap carries into the high word");
	tap_check(fired && fired_at >= deadline, "an alarm set beyond the wrap fires after it",
		  "fired %d at 0x%llx for 0x%llx", fired, (unsigned long long)fired_at,
		  (unsigned long long)deadline);
	tap_end();
	return 0;
}
