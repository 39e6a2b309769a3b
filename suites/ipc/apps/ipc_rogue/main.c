/*
 * Helper of ipc/notify-to-non-ipc-allocates-nothing: aims everything IPC
 * has at ipc_victim_drv, which never uses IPC, with a forged handle. Exits
 * with a bit set for every attempt that did not fail as it must (0: all
 * did).
 */
#include <rig/ipc.h>
#include <rig/process.h>

static bool fails(struct sysret r, uint32_t error)
{
	return !sysret_ok(r) && r.r1 == error;
}

int main(void)
{
	static uint8_t buf[64] __attribute__((aligned(64)));
	int victim = process_find("ipc_victim_drv");
	uint32_t forged = 1u << 8 | (uint32_t)victim;   /* generation 1: the victim's first run */
	uint32_t bad = 0;

	if (victim < 0)
		return 255;
	bad |= !fails(ipc_notify_service(forged, 1), ERR_NOTFOUND) << 0;
	bad |= !sysret_ok(ipc_register()) << 1;
	bad |= !fails(ipc_notify_client(forged, 1), ERR_NOTFOUND) << 2;
	bad |= !fails(ipc_share(forged, buf, sizeof(buf)), ERR_NOTFOUND) << 3;
	bad |= !fails(ipc_discover("ipc_victim_drv"), ERR_NOTFOUND) << 4;
	bad |= !fails(ipc_notify_service(forged + (1u << 8), 1), ERR_STALE) << 5;
	/* Awaiting its name is allowed: that state is the rogue's own. */
	bad |= !sysret_ok(ipc_await("ipc_victim_drv")) << 6;
	return (int)bad;
}
