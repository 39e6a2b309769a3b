/*
 * Helper of ipc/client-dies-while-held: shares its buffer, waits until the
 * service has hold of it, then dies of an illegal instruction.
 */
#include <rig/ipc.h>

int main(void)
{
	static char buf[32] __attribute__((aligned(32))) = "the doomed client's data";
	uint32_t h = ipc_find("ipc_held_drv", 1000);
	struct ipc_note n;

	ipc_listen(IPC_UPCALL_CLIENT);
	if (h == 0 || !sysret_ok(ipc_share(h, buf, sizeof(buf))) || !sysret_ok(ipc_notify_service(h, 1)))
		return 1;
	ipc_next(IPC_UPCALL_CLIENT, &n, 1000);
#if defined(__arm__)
	__asm__ volatile("udf #0");
#else
	__asm__ volatile(".word 0");
#endif
	return 2;
}
