/*
 * Helper of ipc/notify-stale-after-restart: its first run answers one
 * notification (value + 1) and restarts; the second registers 20 ms late
 * and answers value + 2, so the client can tell the runs apart.
 */
#include <rig/alarm.h>
#include <rig/ipc.h>
#include <rig/process.h>

int main(void)
{
	bool first = process_restarts(process_self()) == 0;
	struct ipc_note n;

	if (!first)
		delay_ms(20);
	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	if (first) {
		if (ipc_next(IPC_UPCALL_SERVICE, &n, IPC_FOREVER))
			ipc_reply(n.from, n.value + 1);
		exit_restart(0);
	}
	for (;;) {
		if (ipc_next(IPC_UPCALL_SERVICE, &n, IPC_FOREVER))
			ipc_reply(n.from, n.value + 2);
	}
}
