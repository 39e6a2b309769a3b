/* Helper of ipc/await-late-service: an echo service that registers 50 ms late. */
#include <rig/alarm.h>
#include <rig/ipc.h>

int main(void)
{
	delay_ms(50);
	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	for (;;) {
		struct ipc_note n;
		if (ipc_next(IPC_UPCALL_SERVICE, &n, IPC_FOREVER))
			ipc_reply(n.from, n.value + 1);
	}
}
