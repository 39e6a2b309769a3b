/*
 * The MPU/PMP gives a service the buffer a client shared and nothing else:
 * it writes the shared buffer, and faults on the client's other memory,
 * which stays as it was. The client goes on.
 */
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

static uint32_t order(uint32_t h, uint32_t what, bool *answered)
{
	struct ipc_note n = { 0, 0 };
	*answered = sysret_ok(ipc_notify_service(h, what)) && ipc_next(IPC_UPCALL_CLIENT, &n, 500);
	return n.value;
}

int main(void)
{
	static uint8_t shared[64] __attribute__((aligned(64)));
	static char other[64] __attribute__((aligned(64))) = "not shared with anyone";
	bool a1, a2, a3;

	tap_plan(5);
	ipc_listen(IPC_UPCALL_CLIENT);
	uint32_t h = ipc_find("ipc_prober", 1000);
	tap_succeeds(ipc_share(h, shared, sizeof(shared)), RET_SUCCESS, "shares one buffer with the service");

	uint32_t got = order(h, 1, &a1);
	order(h, 2, &a2);
	uint32_t put = order(h, 3, &a3);
	bool filled = true;
	for (unsigned i = 0; i < sizeof(shared); i++)
		filled &= shared[i] == 0xa5;
	tap_check(a1 && a2 && a3 && got == 0 && put == 0 && filled,
		  "the service takes hold of it, writes all of it, puts it back", "answers %d %d %d: %lu %lu",
		  a1, a2, a3, (unsigned long)got, (unsigned long)put);

	order(h, (uint32_t)(uintptr_t)other, &a1);
	order(h, 4, &a2);
	int prober = (int)ipc_handle_id(h);
	int state = process_wait_state((uint32_t)prober, PROCESS_STATE_BIT(PROCESS_STATE_FAULTED), 1000);
	tap_check(a1 && !a2 && state == PROCESS_STATE_FAULTED,
		  "reading the client's memory it was not given faults the service", "answers %d %d, state %d",
		  a1, a2, state);
	tap_ok(strcmp(other, "not shared with anyone") == 0, "the client's other memory is as it was");
	tap_fails_with(ipc_notify_service(h, 1), ERR_STALE, "the client goes on; the service is gone: STALE");
	tap_end();
	return 0;
}
