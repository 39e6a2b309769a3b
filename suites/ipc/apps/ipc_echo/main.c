/* Helper: a service that answers every notification with its value + 1. */
#include <rig/ipc.h>

int main(void)
{
	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	for (;;) {
		struct ipc_note n;
		if (ipc_next(IPC_UPCALL_SERVICE, &n, IPC_FOREVER))
			ipc_reply(n.from, n.value + 1);
	}
}
