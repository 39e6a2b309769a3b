/*
 * A client looks for a service that has not registered yet: NOTFOUND, then
 * it awaits the name and is told, with the handle, when the service
 * registers; awaiting a registered service tells at once, awaiting a name
 * no app has is refused.
 */
#include <rig/alarm.h>
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

static volatile uint32_t found;

static void on_found(uint32_t handle, uint32_t unused1, uint32_t unused2, void *userdata)
{
	(void)unused1, (void)unused2, (void)userdata;
	found = handle;
}

static uint32_t wait_found(uint32_t ms)
{
	uint64_t give_up = alarm_now() + alarm_ticks_from_ms(ms);
	while (found == 0 && alarm_now() < give_up)
		delay_ms(1);
	return found;
}

int main(void)
{
	tap_plan(6);
	tap_fails_with(ipc_discover("ipc_late_svc"), ERR_NOTFOUND,
		       "the service has not registered yet: NOTFOUND");

	subscribe(DRV_IPC, IPC_UPCALL_DISCOVERED, on_found, NULL);
	uint64_t t0 = alarm_now();
	tap_succeeds(ipc_await("ipc_late_svc"), RET_SUCCESS, "the client awaits its name");
	uint32_t h = wait_found(1000);
	uint64_t waited = alarm_now() - t0;
	struct sysret r = ipc_discover("ipc_late_svc");
	int svc = process_find("ipc_late_svc");
	tap_check(h != 0 && sysret_ok(r) && r.r1 == h && svc >= 0 && ipc_handle_id(h) == (uint32_t)svc,
		  "told when it registers, with the handle discovery now gives",
		  "upcall 0x%lx, discover variant %lu 0x%lx", (unsigned long)h, (unsigned long)r.variant,
		  (unsigned long)r.r1);
	tap_diag("told after %lu ms", (unsigned long)(waited * 1000 / alarm_frequency()));

	struct ipc_note n = { 0, 0 };
	ipc_listen(IPC_UPCALL_CLIENT);
	r = ipc_notify_service(h, 41);
	bool answered = sysret_ok(r) && ipc_next(IPC_UPCALL_CLIENT, &n, 1000);
	tap_check(answered && n.from == h && n.value == 42, "the handle reaches the service, which answers",
		  "notify variant %lu, answer 0x%lx from 0x%lx", (unsigned long)r.variant,
		  (unsigned long)n.value, (unsigned long)n.from);

	tap_fails_with(ipc_await("no_such_app"), ERR_NOTFOUND, "awaiting a name no app has: NOTFOUND");

	found = 0;
	r = ipc_await("ipc_late_svc");
	tap_check(sysret_ok(r) && wait_found(100) == h, "awaiting a service already registered: told at once",
		  "variant %lu found 0x%lx", (unsigned long)r.variant, (unsigned long)found);
	tap_end();
	return 0;
}
