/*
 * Two instances of one service app: a name serves once, so the second
 * REGISTER is refused BUSY; discovery finds the instance that registered.
 */
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

int main(void)
{
	uint32_t ids[2], n = 0;

	tap_plan(3);
	for (uint32_t id = 0; id < process_count() && n < 2; id++) {
		char name[24];
		if (process_name(id, name, sizeof(name)) > 0 && strcmp(name, "ipc_dup_svc") == 0)
			ids[n++] = id;
	}
	uint32_t done = PROCESS_STATE_BIT(PROCESS_STATE_TERMINATED);
	int s0 = process_wait_state(ids[0], done, 200), s1 = process_wait_state(ids[1], done, 200);
	uint32_t loser = s0 == PROCESS_STATE_TERMINATED ? ids[0] : ids[1];
	uint32_t winner = loser == ids[0] ? ids[1] : ids[0];
	struct sysret code = command(DRV_PROCESS, PROCESS_CMD_EXIT_CODE, loser, 0);
	tap_check(n == 2 && (s0 == PROCESS_STATE_TERMINATED) != (s1 == PROCESS_STATE_TERMINATED) &&
			  code.r1 == 100 + ERR_BUSY,
		  "of two instances, the second to register is refused: BUSY", "states %d %d, exit code %lu", s0,
		  s1, (unsigned long)code.r1);

	struct sysret r = ipc_discover("ipc_dup_svc");
	tap_check(sysret_ok(r) && ipc_handle_id(r.r1) == winner, "discovery finds the one that registered",
		  "variant %lu handle 0x%lx", (unsigned long)r.variant, (unsigned long)r.r1);
	ipc_listen(IPC_UPCALL_CLIENT);
	struct ipc_note note = { 0, 0 };
	tap_ok(sysret_ok(ipc_notify_service(r.r1, 5)) && ipc_next(IPC_UPCALL_CLIENT, &note, 1000) &&
		       note.value == 6,
	       "and it serves");
	tap_end();
	return 0;
}
