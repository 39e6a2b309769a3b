/* The alarm upcall gets (deadline low, deadline high, 0) and the subscriber's userdata. */
#include <rig/alarm.h>
#include <rig/tap.h>

static volatile bool fired;
static volatile uint32_t got[3];
static void *volatile got_userdata;

static void on_alarm(uint32_t a0, uint32_t a1, uint32_t a2, void *userdata)
{
	got[0] = a0;
	got[1] = a1;
	got[2] = a2;
	got_userdata = userdata;
	fired = true;
}

int main(void)
{
	tap_plan(3);
	subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, on_alarm, (void *)0xc0ffee00);
	uint64_t deadline = sysret_u64(command(DRV_ALARM, ALARM_CMD_SET_RELATIVE,
					       (uint32_t)alarm_ticks_from_ms(5), 0));
	while (!fired)
		yield_wait();
	tap_eq64(((uint64_t)got[1] << 32) | got[0], deadline, "arguments 0 and 1 are the deadline");
	tap_eq(got[2], 0, "argument 2 is 0");
	tap_eq((uint32_t)(uintptr_t)got_userdata, 0xc0ffee00, "userdata comes back as subscribed");
	tap_end();
	return 0;
}
