/*
 * Ping-pong with an echo service: the mean round trip (notify, the
 * service's upcall, its answer, ours) in ticks of the alarm clock.
 */
#include <rig/alarm.h>
#include <rig/ipc.h>
#include <rig/tap.h>

#define ROUNDS 64

static volatile bool answered;
static volatile uint32_t answer;

static void on_answer(uint32_t from, uint32_t value, uint32_t unused, void *userdata)
{
	(void)from, (void)unused, (void)userdata;
	answer = value;
	answered = true;
}

static bool round_trip(uint32_t h, uint32_t value)
{
	answered = false;
	if (!sysret_ok(ipc_notify_service(h, value)))
		return false;
	while (!answered)
		yield_wait();
	return answer == value + 1;
}

int main(void)
{
	tap_plan(2);
	uint32_t h = ipc_find("ipc_echo", 1000);
	subscribe(DRV_IPC, IPC_UPCALL_CLIENT, on_answer, NULL);
	bool right = h != 0 && round_trip(h, 1000);   /* the first, off the clock */

	uint64_t t0 = alarm_now();
	for (uint32_t i = 0; i < ROUNDS && right; i++)
		right = round_trip(h, i);
	uint64_t ticks = alarm_now() - t0;
	tap_ok(right, "64 round trips, every answer right");
	uint32_t hz = alarm_frequency();
	uint32_t mean = (uint32_t)(ticks / ROUNDS);
	tap_check(right && mean > 0, "a round trip takes time on the clock", "mean %lu ticks", (unsigned long)mean);
	tap_diag("ipc round-trip: %lu ticks (mean of %d at %lu Hz: %lu us)", (unsigned long)mean, ROUNDS,
		 (unsigned long)hz, (unsigned long)((uint64_t)mean * 1000000 / hz));
	tap_end();
	return 0;
}
