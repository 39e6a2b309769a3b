/* yield-no-wait with nothing to run returns at once and says so. */
#include <rig/alarm.h>
#include <rig/tap.h>

static volatile bool fired;

static void on_alarm(uint32_t lo, uint32_t hi, uint32_t unused, void *userdata)
{
	(void)lo, (void)hi, (void)unused, (void)userdata;
	fired = true;
}

int main(void)
{
	tap_plan(3);

	bool any = false;
	for (int i = 0; i < 100; i++)
		any |= yield_no_wait();
	tap_ok(!any, "with nothing pending, yield no-wait reports no upcall");

	subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, on_alarm, NULL);
	uint64_t deadline = sysret_u64(command(DRV_ALARM, ALARM_CMD_SET_RELATIVE,
					       (uint32_t)alarm_ticks_from_ms(200), 0));
	for (int i = 0; i < 100; i++)
		yield_no_wait();
	uint64_t now = alarm_now();
	tap_check(!fired && now < deadline, "100 yield no-waits return before a pending alarm is due",
		  "fired %d, %lld ticks before the deadline", fired, (long long)(deadline - now));

	while (!fired)
		yield_wait();
	tap_check(alarm_now() >= deadline, "yield-wait then sleeps until the alarm fires",
		  "woke %lld ticks early", (long long)(deadline - alarm_now()));
	tap_end();
	return 0;
}
