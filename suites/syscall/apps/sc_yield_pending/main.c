/* yield-no-wait runs an upcall that is already pending, once, and says so. */
#include <rig/alarm.h>
#include <rig/tap.h>

static volatile int runs;

static void on_alarm(uint32_t lo, uint32_t hi, uint32_t unused, void *userdata)
{
	(void)lo, (void)hi, (void)unused, (void)userdata;
	runs++;
}

int main(void)
{
	tap_plan(3);

	subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, on_alarm, NULL);
	uint64_t deadline = sysret_u64(command(DRV_ALARM, ALARM_CMD_SET_RELATIVE, 1, 0));
	/* Spin past the deadline: the expiry is queued, but cannot run until we yield. */
	while (alarm_now() < deadline + alarm_ticks_from_ms(5))
		;
	/* Observe everything before printing: a print yields, and would run it. */
	int before = runs;
	bool ran = yield_no_wait();
	int after_first = runs;
	bool ran_again = yield_no_wait();
	int after_second = runs;

	tap_eq((uint32_t)before, 0, "an upcall does not run before the process yields");
	tap_check(ran && after_first == 1, "yield no-wait runs the pending upcall and reports it",
		  "reported %d, ran %d times", ran, after_first);
	tap_check(!ran_again && after_second == 1, "a second yield no-wait finds nothing",
		  "reported %d, ran %d times", ran_again, after_second);
	tap_end();
	return 0;
}
