/*
 * Services that stop: one exits, one faults while it holds the client's
 * buffer. Handles to them are STALE, the client keeps its buffer and can
 * share it with another service.
 */
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

static const char text[] = "the client's own data";

int main(void)
{
	static char buf[64] __attribute__((aligned(64)));

	tap_plan(7);
	ipc_listen(IPC_UPCALL_CLIENT);

	uint32_t quitter = ipc_find("ipc_quitter", 1000);
	struct ipc_note n = { 0, 0 };
	tap_ok(quitter != 0 && sysret_ok(ipc_notify_service(quitter, 1)) &&
		       ipc_next(IPC_UPCALL_CLIENT, &n, 1000) && n.value == 2,
	       "a service answers, then exits");
	process_wait_state(ipc_handle_id(quitter), PROCESS_STATE_BIT(PROCESS_STATE_TERMINATED), 1000);
	tap_fails_with(ipc_notify_service(quitter, 3), ERR_STALE, "notifying the service that exited: STALE");
	tap_fails_with(ipc_discover("ipc_quitter"), ERR_NOTFOUND, "and discovery no longer finds it: NOTFOUND");

	uint32_t crasher = ipc_find("ipc_crash_svc", 1000);
	memcpy(buf, text, sizeof(text));
	struct sysret r = ipc_share(crasher, buf, sizeof(buf));
	if (sysret_ok(r))
		r = ipc_notify_service(crasher, 1);
	int state = process_wait_state(ipc_handle_id(crasher), PROCESS_STATE_BIT(PROCESS_STATE_FAULTED), 1000);
	buf[0] = 'T';
	tap_check(sysret_ok(r) && state == PROCESS_STATE_FAULTED && memcmp(buf + 1, text + 1, sizeof(text) - 1) == 0,
		  "a service faults holding the client's buffer; the client keeps it, unharmed",
		  "share/notify variant %lu error %lu, state %d", (unsigned long)r.variant,
		  (unsigned long)sysret_error(r), state);
	tap_fails_with(ipc_notify_service(crasher, 2), ERR_STALE, "notifying the service that faulted: STALE");
	tap_fails_with(ipc_unshare(crasher), ERR_STALE, "unsharing with it: STALE");

	uint32_t echo = ipc_find("ipc_echo", 1000);
	tap_succeeds(ipc_share(echo, buf, sizeof(buf)), RET_SUCCESS,
		     "the same buffer can be shared with another service");
	tap_end();
	return 0;
}
