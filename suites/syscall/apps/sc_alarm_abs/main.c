/* Absolute and relative alarms: past deadlines fire at once, future ones on time. */
#include <rig/alarm.h>
#include <rig/tap.h>

static volatile bool fired;
static volatile uint64_t reported;

static void on_alarm(uint32_t lo, uint32_t hi, uint32_t c, void *d)
{
	(void)c, (void)d;
	reported = ((uint64_t)hi << 32) | lo;
	fired = true;
}

static uint64_t set_absolute(uint64_t t)
{
	fired = false;
	return sysret_u64(command(DRV_ALARM, ALARM_CMD_SET_ABSOLUTE, (uint32_t)t, (uint32_t)(t >> 32)));
}

int main(void)
{
	tap_plan(4);
	subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, on_alarm, NULL);

	uint64_t start = alarm_now();
	uint64_t past = start - alarm_ticks_from_ms(1);
	uint64_t deadline = set_absolute(past);
	while (!fired)
		yield_wait();
	uint64_t took = alarm_now() - start;
	tap_check(took < alarm_ticks_from_ms(50), "a deadline in the past fires at once",
		  "after %llu ticks", (unsigned long long)took);
	tap_check(deadline == past && reported == past, "it reports the deadline asked for",
		  "returned %llu, reported %llu, asked %llu", (unsigned long long)deadline,
		  (unsigned long long)reported, (unsigned long long)past);

	uint64_t future = alarm_now() + alarm_ticks_from_ms(20);
	set_absolute(future);
	while (!fired)
		yield_wait();
	tap_check(alarm_now() >= future, "a future deadline fires at or after it",
		  "%lld ticks early", (long long)(future - alarm_now()));

	uint64_t before = alarm_now();
	uint32_t ticks = (uint32_t)alarm_ticks_from_ms(10);
	deadline = sysret_u64(command(DRV_ALARM, ALARM_CMD_SET_RELATIVE, ticks, 0));
	uint64_t after = alarm_now();
	tap_check(deadline >= before + ticks && deadline <= after + ticks,
		  "set relative returns now plus the ticks", "deadline %llu, now %llu..%llu",
		  (unsigned long long)deadline, (unsigned long long)before, (unsigned long long)after);
	tap_end();
	return 0;
}
