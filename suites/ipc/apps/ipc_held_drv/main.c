/*
 * A client dies while this service holds its buffer. The share ends, but
 * the region stays mapped until the service puts the buffer back, so the
 * service never faults in the middle of an access; putting it back reports
 * REVOKED, and the dead client's handle is STALE.
 */
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

int main(void)
{
	tap_plan(7);
	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	struct ipc_note n = { 0, 0 };
	bool noted = ipc_next(IPC_UPCALL_SERVICE, &n, 1000);
	struct sysret r = ipc_share_get(n.from);
	char *buf = (char *)(uintptr_t)r.r1;
	tap_check(noted && sysret_ok(r) && r.r2 == 32, "holds the client's 32-byte buffer", "variant %lu error %lu",
		  (unsigned long)r.variant, (unsigned long)sysret_error(r));
	tap_ok(sysret_ok(r) && strcmp(buf, "the doomed client's data") == 0, "reads what the client wrote");

	ipc_reply(n.from, 1);
	int state = process_wait_state(ipc_handle_id(n.from), PROCESS_STATE_BIT(PROCESS_STATE_FAULTED), 1000);
	tap_eq((uint32_t)state, PROCESS_STATE_FAULTED, "the client faults while the service holds its buffer");

	bool still = false;
	if (sysret_ok(r)) {
		memcpy(buf, "written after it died", 22);
		still = strcmp(buf, "written after it died") == 0;
	}
	tap_ok(still, "the service still reads and writes the buffer it holds, without a fault");
	tap_fails_with(ipc_share_put(n.from), ERR_REVOKED, "putting it back reports that the share ended: REVOKED");
	tap_fails_with(ipc_share_get(n.from), ERR_RESERVE, "after that, nothing is shared: RESERVE");
	tap_fails_with(ipc_notify_client(n.from, 2), ERR_STALE, "the dead client's handle: STALE");
	tap_end();
	return 0;
}
