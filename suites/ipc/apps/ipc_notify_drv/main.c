/*
 * Client and service notify each other: every answer comes from the
 * service's handle with the value it computed. Handles that name no process
 * or a run that never happened are refused, and so is a client notifying
 * as if it were a service.
 */
#include <rig/ipc.h>
#include <rig/tap.h>

int main(void)
{
	static const uint32_t values[] = { 0, 41, 0xfffffffeu };

	tap_plan(5);
	uint32_t h = ipc_find("ipc_echo", 1000);
	tap_check(h != 0, "finds the service", "no handle");

	ipc_listen(IPC_UPCALL_CLIENT);
	bool right = true;
	for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct ipc_note n = { 0, 0 };
		struct sysret r = ipc_notify_service(h, values[i]);
		if (!sysret_ok(r) || !ipc_next(IPC_UPCALL_CLIENT, &n, 1000) || n.from != h ||
		    n.value != values[i] + 1) {
			tap_diag("value 0x%lx: notify variant %lu, answer 0x%lx from 0x%lx",
				 (unsigned long)values[i], (unsigned long)r.variant, (unsigned long)n.value,
				 (unsigned long)n.from);
			right = false;
		}
	}
	tap_ok(right, "three round trips: each answer is the value + 1, from the service's handle");
	tap_fails_with(ipc_notify_client(h, 1), ERR_RESERVE,
		       "a process that did not register cannot notify as a service: RESERVE");
	tap_fails_with(ipc_notify_service(0xff, 0), ERR_INVAL, "a handle that names no process: INVAL");
	tap_fails_with(ipc_notify_service(h + (1u << 8), 0), ERR_STALE,
		       "a handle of a generation that never ran: STALE");
	tap_end();
	return 0;
}
