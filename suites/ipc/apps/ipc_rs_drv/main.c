/*
 * A client restarts while this service holds its buffer: the restart waits
 * (the client's RAM is zeroed and reused by its next run, which must never
 * be mapped in a service it did not share with). The buffer stays mapped;
 * the PUT reports REVOKED and lets the restart go ahead.
 */
#include <rig/alarm.h>
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

int main(void)
{
	tap_plan(7);
	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	struct ipc_note n1 = { 0, 0 }, n2 = { 0, 0 };
	bool noted = ipc_next(IPC_UPCALL_SERVICE, &n1, 1000);
	struct sysret r = ipc_share_get(n1.from);
	char *buf = (char *)(uintptr_t)r.r1;
	tap_check(noted && sysret_ok(r) && strcmp(buf, "first run") == 0, "holds the client's buffer",
		  "variant %lu error %lu", (unsigned long)r.variant, (unsigned long)sysret_error(r));

	uint32_t client = ipc_handle_id(n1.from);
	ipc_reply(n1.from, 0);
	int state = process_wait_state(client, PROCESS_STATE_BIT(PROCESS_STATE_RESTARTING), 1000);
	delay_ms(10);
	tap_check(state == PROCESS_STATE_RESTARTING && process_state(client) == PROCESS_STATE_RESTARTING,
		  "the client's restart waits while the service holds its buffer", "state %d then %d", state,
		  process_state(client));
	memcpy(buf, "the service wrote this", 23);
	tap_ok(strcmp(buf, "the service wrote this") == 0, "the held buffer stays mapped meanwhile");
	tap_fails_with(ipc_share_put(n1.from), ERR_REVOKED, "putting it back: REVOKED, and the restart goes on");

	bool noted2 = ipc_next(IPC_UPCALL_SERVICE, &n2, 1000);
	tap_check(noted2 && n2.value == 2, "the client's next run starts with its memory zeroed",
		  "note %d value %lu", noted2, (unsigned long)n2.value);
	tap_check(ipc_handle_id(n2.from) == client &&
			  ipc_handle_generation(n2.from) == ipc_handle_generation(n1.from) + 1,
		  "and with the next generation", "0x%lx then 0x%lx", (unsigned long)n1.from,
		  (unsigned long)n2.from);
	tap_fails_with(ipc_notify_client(n1.from, 0), ERR_STALE, "the first run's handle: STALE");
	tap_end();
	return 0;
}
