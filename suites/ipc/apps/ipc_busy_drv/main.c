/*
 * A service that does not take its notifications yet: the first is queued,
 * a second from the same client is refused BUSY (never merged or dropped),
 * another client's is queued beside it, and both arrive once the service
 * subscribes, even though it changes its function before anything runs.
 */
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(5);
	uint32_t h = ipc_find("ipc_slow_svc", 1000);
	ipc_listen(IPC_UPCALL_CLIENT);
	tap_succeeds(ipc_notify_service(h, 1), RET_SUCCESS,
		     "a notification to a service not listening yet is taken");
	tap_fails_with(ipc_notify_service(h, 2), ERR_BUSY,
		       "a second one before the first ran: BUSY, not merged");

	struct ipc_note n = { 0, 0 };
	bool answered = ipc_next(IPC_UPCALL_CLIENT, &n, 1000);
	tap_check(answered && n.from == h && n.value == 201,
		  "the first arrives, with the other client's: the answer counts two", "answer %lu from 0x%lx",
		  (unsigned long)n.value, (unsigned long)n.from);

	int pinger = process_find("ipc_pinger");
	int state = pinger >= 0 ? process_wait_state((uint32_t)pinger,
						     PROCESS_STATE_BIT(PROCESS_STATE_TERMINATED), 1000) : -1;
	struct sysret code = command(DRV_PROCESS, PROCESS_CMD_EXIT_CODE, (uint32_t)pinger, 0);
	tap_check(state == PROCESS_STATE_TERMINATED && sysret_ok(code) && code.r1 == 0,
		  "the other client got its answer too", "state %d exit code %lu", state, (unsigned long)code.r1);

	n.value = 0;
	struct sysret r = ipc_notify_service(h, 3);
	tap_check(sysret_ok(r) && ipc_next(IPC_UPCALL_CLIENT, &n, 1000) && n.value == 4,
		  "once the first ran, the next one is taken", "variant %lu answer %lu", (unsigned long)r.variant,
		  (unsigned long)n.value);
	tap_end();
	return 0;
}
