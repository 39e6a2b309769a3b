/* Alarms set out of order fire in the order of their deadlines, none early. */
#include <rig/alarm.h>
#include <rig/tap.h>

static struct alarm alarms[4];
static int fired_order[4];
static uint64_t fired_at[4];
static volatile int fired;

static void record(struct alarm *a, void *userdata)
{
	int ms = (int)(uintptr_t)userdata;
	fired_at[a - alarms] = alarm_now();
	fired_order[fired++] = ms;
}

int main(void)
{
	static const int delays[4] = { 30, 10, 20, 25 };

	tap_plan(3);
	for (int i = 0; i < 4; i++)
		alarm_in_ms(&alarms[i], (uint32_t)delays[i], record, (void *)(uintptr_t)delays[i]);
	while (fired < 4)
		yield_wait();
	tap_check(fired_order[0] == 10 && fired_order[1] == 20 && fired_order[2] == 25 &&
			  fired_order[3] == 30,
		  "alarms set at 30, 10, 20, 25 ms fire at 10, 20, 25, 30", "order %d %d %d %d",
		  fired_order[0], fired_order[1], fired_order[2], fired_order[3]);

	bool early = false, late = false;
	for (int i = 0; i < 4; i++) {
		early |= fired_at[i] < alarms[i].deadline;
		late |= fired_at[i] > alarms[i].deadline + alarm_ticks_from_ms(100);
	}
	tap_ok(!early, "none fired before its deadline");
	tap_ok(!late, "none fired more than 100 ms late");
	tap_end();
	return 0;
}
