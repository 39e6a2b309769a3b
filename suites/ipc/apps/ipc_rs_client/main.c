/*
 * Helper of ipc/client-restart-waits-for-put. First run: shares a buffer
 * with ipc_rs_drv, notifies (1), waits for the answer, restarts. Second
 * run: shares again and notifies 2 if its buffer came up zeroed (nothing
 * the service wrote into the first run's buffer reached it), 3 if not.
 */
#include <rig/ipc.h>
#include <rig/process.h>

#include "rigstr.h"

int main(void)
{
	static char buf[32] __attribute__((aligned(32)));
	uint32_t h = ipc_find("ipc_rs_drv", 1000);
	struct ipc_note n;

	ipc_listen(IPC_UPCALL_CLIENT);
	if (process_restarts(process_self()) == 0) {
		memcpy(buf, "first run", 10);
		ipc_share(h, buf, sizeof(buf));
		ipc_notify_service(h, 1);
		ipc_next(IPC_UPCALL_CLIENT, &n, 1000);
		exit_restart(0);
	}
	bool clean = true;
	for (unsigned i = 0; i < sizeof(buf); i++)
		clean &= buf[i] == 0;
	ipc_share(h, buf, sizeof(buf));
	ipc_notify_service(h, clean ? 2 : 3);
	for (;;)
		yield_wait();
}
