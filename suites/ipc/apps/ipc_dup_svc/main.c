/*
 * Helper of ipc/service-name-taken (loaded twice): registers, and echoes
 * value + 1 if that worked; exits 100 + the error if it did not.
 */
#include <rig/ipc.h>

int main(void)
{
	ipc_listen(IPC_UPCALL_SERVICE);
	struct sysret r = ipc_register();
	if (!sysret_ok(r))
		return 100 + (int)sysret_error(r);
	for (;;) {
		struct ipc_note n;
		if (ipc_next(IPC_UPCALL_SERVICE, &n, IPC_FOREVER))
			ipc_reply(n.from, n.value + 1);
	}
}
