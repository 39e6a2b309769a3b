/*
 * Helper: a service that does to its client's share what the client tells
 * it, to show what the MPU/PMP lets it do. A notification's value is the
 * order; the answer is the result.
 *
 *   1  SHARE_GET: take hold of the share       -> 0 or the error
 *   2  fill the buffer held with 0xa5          -> 0
 *   3  SHARE_PUT                               -> 0 or the error
 *   4  read the word at the address remembered -> the word (if it survives)
 *   an address (>= 0x100): remember it         -> 0
 *
 * SHARE_GET remembers the share's address too.
 */
#include <rig/ipc.h>

#include "rigstr.h"

int main(void)
{
	uint32_t addr = 0, len = 0;

	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	for (;;) {
		struct ipc_note n;
		struct sysret r;
		uint32_t answer = 0;

		if (!ipc_next(IPC_UPCALL_SERVICE, &n, IPC_FOREVER))
			continue;
		switch (n.value) {
		case 1:
			r = ipc_share_get(n.from);
			if (sysret_ok(r)) {
				addr = r.r1;
				len = r.r2;
			}
			answer = sysret_error(r);
			break;
		case 2:
			memset((void *)(uintptr_t)addr, 0xa5, len);
			break;
		case 3:
			answer = sysret_error(ipc_share_put(n.from));
			break;
		case 4:
			answer = *(volatile uint32_t *)(uintptr_t)addr;
			break;
		default:
			addr = n.value;
			break;
		}
		ipc_reply(n.from, answer);
	}
}
