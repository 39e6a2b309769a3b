/* Helper of ipc/service-stops: answers one notification, then exits 0. */
#include <rig/ipc.h>

int main(void)
{
	struct ipc_note n;

	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	if (ipc_next(IPC_UPCALL_SERVICE, &n, IPC_FOREVER))
		ipc_reply(n.from, n.value + 1);
	return 0;
}
