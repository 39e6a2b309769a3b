/* Subscribe returns the upcall it replaces; only the current one is called. */
#include <rig/alarm.h>
#include <rig/tap.h>

static volatile int called;

static void first(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
	called = 1;
}

static void second(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
	called = 2;
}

int main(void)
{
	tap_plan(5);

	struct sysret r = subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, first, (void *)0x1111);
	tap_check(r.variant == RET_SUCCESS_2U32 && r.r1 == 0 && r.r2 == 0,
		  "the first subscribe returns no previous upcall", "variant %lu prev 0x%lx/0x%lx",
		  (unsigned long)r.variant, (unsigned long)r.r1, (unsigned long)r.r2);

	r = subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, second, (void *)0x2222);
	tap_check(r.variant == RET_SUCCESS_2U32 && r.r1 == (uint32_t)(uintptr_t)first && r.r2 == 0x1111,
		  "subscribe returns the function and userdata it replaces", "prev 0x%lx/0x%lx",
		  (unsigned long)r.r1, (unsigned long)r.r2);

	command(DRV_ALARM, ALARM_CMD_SET_RELATIVE, (uint32_t)alarm_ticks_from_ms(5), 0);
	while (called == 0)
		yield_wait();
	tap_eq(called, 2, "only the replacement is called");

	r = subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, NULL, NULL);
	tap_check(r.variant == RET_SUCCESS_2U32 && r.r1 == (uint32_t)(uintptr_t)second && r.r2 == 0x2222,
		  "unsubscribing returns the last upcall", "prev 0x%lx/0x%lx", (unsigned long)r.r1,
		  (unsigned long)r.r2);

	called = 0;
	uint64_t deadline = sysret_u64(command(DRV_ALARM, ALARM_CMD_SET_RELATIVE, 1, 0));
	while (alarm_now() < deadline + alarm_ticks_from_ms(5))
		;
	bool ran = yield_no_wait();
	tap_check(!ran && called == 0, "with nothing subscribed, the expiry is dropped",
		  "ran %d called %d", ran, called);
	tap_end();
	return 0;
}
