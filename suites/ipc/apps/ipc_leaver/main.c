/*
 * Helper of ipc/dead-client-share-unmapped: shares its buffer with
 * ipc_ghost_reader, waits for its answer, and exits 3.
 */
#include <rig/ipc.h>

int main(void)
{
	static char buf[32] __attribute__((aligned(32))) = "the leaver's data";
	uint32_t h = ipc_find("ipc_ghost_reader", 1000);
	struct ipc_note n;

	ipc_listen(IPC_UPCALL_CLIENT);
	if (h == 0 || !sysret_ok(ipc_share(h, buf, sizeof(buf))) || !sysret_ok(ipc_notify_service(h, 1)))
		return 1;
	ipc_next(IPC_UPCALL_CLIENT, &n, 1000);
	return 3;
}
