/*
 * Helper of ipc/share-regions-exhausted (loaded seven times): shares a
 * 32-byte buffer with ipc_regions_drv and reports how that went (0x100 |
 * error); then does what the service orders: 1 unshare, 2 share again
 * (answers 0x200 | error each).
 */
#include <rig/ipc.h>

int main(void)
{
	static uint8_t buf[32] __attribute__((aligned(32)));
	uint32_t h = ipc_find("ipc_regions_drv", 2000);

	ipc_listen(IPC_UPCALL_CLIENT);
	ipc_notify_service(h, 0x100 | sysret_error(ipc_share(h, buf, sizeof(buf))));
	for (;;) {
		struct ipc_note n;
		if (!ipc_next(IPC_UPCALL_CLIENT, &n, IPC_FOREVER))
			continue;
		struct sysret r = n.value == 1 ? ipc_unshare(h) : ipc_share(h, buf, sizeof(buf));
		while (sysret_error(ipc_notify_service(h, 0x200 | sysret_error(r))) == ERR_BUSY)
			yield_no_wait();
	}
}
