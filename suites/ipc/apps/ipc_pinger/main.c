/*
 * Helper of ipc/notify-busy-not-dropped: a second client of ipc_slow_svc.
 * Exits 0 if its one notification (7) was answered with 207.
 */
#include <rig/ipc.h>

int main(void)
{
	struct ipc_note n = { 0, 0 };
	uint32_t h = ipc_find("ipc_slow_svc", 1000);

	ipc_listen(IPC_UPCALL_CLIENT);
	if (h == 0 || !sysret_ok(ipc_notify_service(h, 7)))
		return 1;
	if (!ipc_next(IPC_UPCALL_CLIENT, &n, 1000))
		return 2;
	return n.value == 207 && n.from == h ? 0 : 3;
}
