/*
 * A service restarts after the client discovered it: the old handle is
 * STALE for every use, and re-discovery gives the new run's handle, of the
 * next generation, which works.
 */
#include <rig/alarm.h>
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

static bool round_trip(uint32_t h, uint32_t value, uint32_t want)
{
	struct ipc_note n = { 0, 0 };
	struct sysret r = ipc_notify_service(h, value);
	bool ok = sysret_ok(r) && ipc_next(IPC_UPCALL_CLIENT, &n, 1000) && n.from == h && n.value == want;
	if (!ok)
		tap_diag("notify variant %lu error %lu; answer 0x%lx from 0x%lx", (unsigned long)r.variant,
			 (unsigned long)sysret_error(r), (unsigned long)n.value, (unsigned long)n.from);
	return ok;
}

int main(void)
{
	static uint8_t buf[64] __attribute__((aligned(64)));

	tap_plan(6);
	ipc_listen(IPC_UPCALL_CLIENT);
	uint32_t h1 = ipc_find("ipc_restarter", 1000);
	tap_ok(h1 != 0 && round_trip(h1, 10, 11), "the service's first run answers");

	uint32_t id = ipc_handle_id(h1);
	uint64_t waited = 0;
	while (process_restarts(id) == 0 && waited++ < 1000)
		delay_ms(1);
	tap_fails_with(ipc_notify_service(h1, 12), ERR_STALE, "after it restarted, the old handle: STALE");

	uint32_t h2 = ipc_find("ipc_restarter", 1000);
	tap_check(ipc_handle_id(h2) == id && ipc_handle_generation(h2) == ipc_handle_generation(h1) + 1,
		  "re-discovery gives the new run's handle, the next generation", "0x%lx then 0x%lx",
		  (unsigned long)h1, (unsigned long)h2);
	tap_ok(round_trip(h2, 20, 22), "the new run answers through it");
	tap_fails_with(ipc_notify_service(h1, 13), ERR_STALE, "the old handle stays stale");
	tap_fails_with(ipc_share(h1, buf, sizeof(buf)), ERR_STALE, "sharing through the old handle: STALE");
	tap_end();
	return 0;
}
