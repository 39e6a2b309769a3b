/* A cancelled alarm never fires; cancelling nothing says so. */
#include <rig/alarm.h>
#include <rig/tap.h>

static volatile bool fired;

static void on_alarm(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
	fired = true;
}

static void on_virtual(struct alarm *a, void *userdata)
{
	(void)a, (void)userdata;
	fired = true;
}

int main(void)
{
	tap_plan(4);
	subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, on_alarm, NULL);
	command(DRV_ALARM, ALARM_CMD_SET_RELATIVE, (uint32_t)alarm_ticks_from_ms(20), 0);
	tap_succeeds(command(DRV_ALARM, ALARM_CMD_CANCEL, 0, 0), RET_SUCCESS,
		     "cancelling an armed alarm: SUCCESS");

	uint64_t until = alarm_now() + alarm_ticks_from_ms(40);
	while (alarm_now() < until)
		;
	bool ran = yield_no_wait();
	tap_check(!ran && !fired, "a cancelled alarm does not fire", "upcall ran %d", ran);
	tap_fails_with(command(DRV_ALARM, ALARM_CMD_CANCEL, 0, 0), ERR_ALREADY,
		       "cancelling with no alarm armed: ALREADY");

	struct alarm a = { 0 };
	alarm_in_ms(&a, 10, on_virtual, NULL);
	bool cancelled = alarm_cancel(&a);
	delay_ms(30);
	tap_check(cancelled && !fired, "a cancelled library alarm does not fire either",
		  "cancel returned %d, fired %d", cancelled, fired);
	tap_end();
	return 0;
}
