/*
 * Helper of ipc/service-stops: takes hold of the buffer of the first client
 * that notifies it, and dies of an illegal instruction while holding it.
 */
#include <rig/ipc.h>

int main(void)
{
	struct ipc_note n;

	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	if (ipc_next(IPC_UPCALL_SERVICE, &n, IPC_FOREVER) && sysret_ok(ipc_share_get(n.from))) {
#if defined(__arm__)
		__asm__ volatile("udf #0");
#else
		__asm__ volatile(".word 0");
#endif
	}
	return 1;
}
