/*
 * Helper of ipc/dead-client-share-unmapped: a careless service. It takes
 * and puts back its client's buffer, waits until the client has exited,
 * tries to take it again (and says what it got), then reads it anyway. The
 * kernel must have unmapped it: the read faults. Should the read succeed,
 * the service says so and exits.
 */
#include <rig/console.h>
#include <rig/ipc.h>
#include <rig/process.h>

int main(void)
{
	struct ipc_note n;

	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	if (!ipc_next(IPC_UPCALL_SERVICE, &n, IPC_FOREVER))
		return 1;
	struct sysret r = ipc_share_get(n.from);
	uint32_t addr = r.r1;
	ipc_share_put(n.from);
	ipc_reply(n.from, 0);
	process_wait_state(ipc_handle_id(n.from), PROCESS_STATE_BIT(PROCESS_STATE_TERMINATED), 1000);
	r = ipc_share_get(n.from);
	printf("ipc_ghost_reader: get after the client died: %s\n",
	       sysret_error(r) == ERR_REVOKED ? "REVOKED" : "something else");
	uint32_t word = *(volatile uint32_t *)(uintptr_t)addr;
	printf("ipc_ghost_reader: read the dead client's buffer: 0x%08lx\n", (unsigned long)word);
	return 0;
}
