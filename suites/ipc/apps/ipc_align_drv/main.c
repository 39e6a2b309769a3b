/*
 * A buffer the MPU/PMP cannot map as one region is refused at share time,
 * with its own code (ALIGN): a size that is not a power of two, a buffer
 * not aligned to its size, one smaller than the smallest region. The rules
 * come from the kernel, so the same test holds on every architecture.
 */
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

int main(void)
{
	static uint8_t pool[512] __attribute__((aligned(256)));

	tap_plan(7);
	uint32_t h = ipc_find("ipc_echo", 1000);
	struct sysret rules = ipc_share_rules();
	uint32_t min = rules.r1;
	tap_diag("smallest share %lu bytes", (unsigned long)min);

	allow_rw(DRV_IPC, IPC_ALLOW_RW_SHARE, NULL, 0);
	tap_fails_with(command(DRV_IPC, IPC_CMD_SHARE, h, 0), ERR_RESERVE, "no buffer allowed: RESERVE");
	tap_fails_with(ipc_share(h, pool, min * 3 / 2), ERR_ALIGN, "a size that is not a power of two: ALIGN");
	tap_fails_with(ipc_share(h, pool + min, 2 * min), ERR_ALIGN, "a buffer not aligned to its size: ALIGN");
	tap_fails_with(ipc_share(h, pool, min / 2), ERR_ALIGN, "smaller than the smallest region: ALIGN");
	tap_succeeds(ipc_share(h, pool, 2 * min), RET_SUCCESS, "a power of two, aligned: shared");
	tap_fails_with(ipc_share(h, pool + 256, 256), ERR_ALREADY,
		       "a second share with the same service: ALREADY");
	int idle = process_find("idle");
	tap_fails_with(ipc_share(1u << 8 | (uint32_t)idle, pool + 256, 256), ERR_NOTFOUND,
		       "sharing with a process that does not serve: NOTFOUND");
	tap_end();
	return 0;
}
