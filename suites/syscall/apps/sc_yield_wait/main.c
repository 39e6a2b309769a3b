/* One yield-wait sleeps until an upcall has run, and not before. */
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
	tap_plan(2);
	subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, on_alarm, NULL);
	uint64_t deadline = sysret_u64(command(DRV_ALARM, ALARM_CMD_SET_RELATIVE,
					       (uint32_t)alarm_ticks_from_ms(20), 0));
	yield_wait();
	uint64_t now = alarm_now();
	tap_ok(fired, "yield-wait returns once the upcall has run");
	tap_check(now >= deadline, "and not before the alarm was due",
		  "woke %lld ticks early", (long long)(deadline - now));
	tap_end();
	return 0;
}
