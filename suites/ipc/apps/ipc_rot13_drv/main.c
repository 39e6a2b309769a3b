/*
 * Ordinary traffic: a rot13 service and three clients (this one and two
 * helpers), each sharing its own buffer. The service rotates each client's
 * text in place through the MPU/PMP; once a client unshares, the service's
 * next access attempt fails.
 */
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

static const char text[] = "Why did the chicken cross the road?";
static const char rotated[] = "Jul qvq gur puvpxra pebff gur ebnq?";

int main(void)
{
	static char buf[64] __attribute__((aligned(64)));

	tap_plan(7);
	uint32_t h = ipc_find("ipc_rot13", 1000);
	ipc_listen(IPC_UPCALL_CLIENT);
	tap_check(h != 0, "finds the rot13 service", "no handle");
	tap_succeeds(ipc_share(h, buf, sizeof(buf)), RET_SUCCESS, "shares a 64-byte buffer with it");

	memcpy(buf, text, sizeof(text));
	bool right = true, counted = true;
	for (int round = 0; round < 10; round++) {
		struct ipc_note n = { 0, 0 };
		struct sysret r = ipc_notify_service(h, (uint32_t)round);
		right &= sysret_ok(r) && ipc_next(IPC_UPCALL_CLIENT, &n, 1000);
		right &= strcmp(buf, round % 2 == 0 ? rotated : text) == 0;
		counted &= n.value == sizeof(text) - 1;
		if (!right || !counted) {
			tap_diag("round %d: answer 0x%lx, buffer '%s'", round, (unsigned long)n.value, buf);
			break;
		}
	}
	tap_ok(right, "ten rounds: the service rotates the text in place, and back");
	tap_ok(counted, "each answer is how many bytes it went over");

	bool others = true;
	for (uint32_t id = 0; id < process_count(); id++) {
		char name[24];
		if (process_name(id, name, sizeof(name)) < 0 || strcmp(name, "ipc_rot13_client") != 0)
			continue;
		int state = process_wait_state(id, PROCESS_STATE_BIT(PROCESS_STATE_TERMINATED), 2000);
		struct sysret code = command(DRV_PROCESS, PROCESS_CMD_EXIT_CODE, id, 0);
		if (state != PROCESS_STATE_TERMINATED || code.r1 != 0) {
			tap_diag("client %lu: state %d exit code %lu", (unsigned long)id, state, (unsigned long)code.r1);
			others = false;
		}
	}
	tap_ok(others, "the two other clients got all their rounds right, at the same time");

	struct ipc_note n = { 0, 0 };
	tap_succeeds(ipc_unshare(h), RET_SUCCESS, "unshares");
	(void)(sysret_ok(ipc_notify_service(h, 99)) && ipc_next(IPC_UPCALL_CLIENT, &n, 1000));
	tap_check(n.value == (0x80000000u | ERR_REVOKED) && strcmp(buf, text) == 0,
		  "the service's next access attempt: REVOKED, and the buffer is left alone",
		  "answer 0x%lx, buffer '%s'", (unsigned long)n.value, buf);
	tap_end();
	return 0;
}
