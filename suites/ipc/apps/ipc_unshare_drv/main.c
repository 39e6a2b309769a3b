/*
 * Unsharing: refused BUSY while the service holds the buffer; once put
 * back, the share ends at once: the service's next access attempt gets
 * REVOKED, the one after finds nothing shared, and the region is gone from
 * its MPU/PMP (touching the buffer faults it).
 */
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

static uint32_t order(uint32_t h, uint32_t what, bool *answered)
{
	struct ipc_note n = { 0, 0 };
	*answered = sysret_ok(ipc_notify_service(h, what)) && ipc_next(IPC_UPCALL_CLIENT, &n, 500);
	return n.value;
}

int main(void)
{
	static uint8_t shared[64] __attribute__((aligned(64)));
	bool a;

	tap_plan(7);
	ipc_listen(IPC_UPCALL_CLIENT);
	uint32_t h = ipc_find("ipc_prober", 1000);
	ipc_share(h, shared, sizeof(shared));
	uint32_t got = order(h, 1, &a);
	tap_check(a && got == 0, "the service takes hold of the shared buffer", "answer %d %lu", a,
		  (unsigned long)got);
	tap_fails_with(ipc_unshare(h), ERR_BUSY, "unsharing while the service holds it: BUSY");
	uint32_t put = order(h, 3, &a);
	tap_check(a && put == 0 && sysret_ok(ipc_unshare(h)), "once it is put back, the client unshares",
		  "put %lu", (unsigned long)put);
	tap_fails_with(ipc_unshare(h), ERR_ALREADY, "unsharing again: ALREADY");
	got = order(h, 1, &a);
	tap_check(a && got == ERR_REVOKED, "the service's next access attempt: REVOKED", "answer %d %lu", a,
		  (unsigned long)got);
	got = order(h, 1, &a);
	tap_check(a && got == ERR_RESERVE, "the one after: nothing shared (RESERVE)", "answer %d %lu", a,
		  (unsigned long)got);
	order(h, (uint32_t)(uintptr_t)shared, &a);
	order(h, 4, &a);
	int state = process_wait_state(ipc_handle_id(h), PROCESS_STATE_BIT(PROCESS_STATE_FAULTED), 1000);
	tap_check(!a && state == PROCESS_STATE_FAULTED,
		  "the region is gone: the service faults touching the buffer", "answered %d state %d", a, state);
	tap_end();
	return 0;
}
