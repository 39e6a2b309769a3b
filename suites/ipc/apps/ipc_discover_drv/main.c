/*
 * Discovery by name: the handle names the service's process and run; apps
 * that did not register, names no app has, prefixes and malformed names are
 * refused, each with its own code.
 */
#include <rig/ipc.h>
#include <rig/process.h>
#include <rig/tap.h>

static bool fails(struct sysret r, uint32_t error)
{
	return !sysret_ok(r) && r.r1 == error;
}

int main(void)
{
	static const char name[] = "ipc_echo";
	static const char long_name[] = "abcdefghijklmnopqrstuvwx";   /* 24 characters */

	tap_plan(7);
	uint32_t h = ipc_find("ipc_echo", 1000);
	int echo = process_find("ipc_echo");
	tap_check(h != 0 && echo >= 0 && ipc_handle_id(h) == (uint32_t)echo,
		  "discovers ipc_echo by name: the handle names its process", "handle 0x%lx, process %d",
		  (unsigned long)h, echo);
	tap_check(echo >= 0 && ipc_handle_generation(h) == process_restarts((uint32_t)echo) + 1,
		  "the handle carries the service's generation", "handle 0x%lx", (unsigned long)h);
	tap_fails_with(ipc_discover("idle"), ERR_NOTFOUND, "a running app that did not register: NOTFOUND");
	tap_fails_with(ipc_discover("no_such_app"), ERR_NOTFOUND, "a name no app has: NOTFOUND");
	tap_fails_with(ipc_discover("ipc_discover_drv"), ERR_NOTFOUND, "itself, not registered: NOTFOUND");

	allow_ro(DRV_IPC, IPC_ALLOW_RO_NAME, NULL, 0);
	bool reserve = fails(command(DRV_IPC, IPC_CMD_DISCOVER, 8, 0), ERR_RESERVE);
	allow_ro(DRV_IPC, IPC_ALLOW_RO_NAME, name, 8);
	bool empty = fails(command(DRV_IPC, IPC_CMD_DISCOVER, 0, 0), ERR_INVAL);
	struct sysret r = command(DRV_IPC, IPC_CMD_DISCOVER, 9, 0);
	bool past = r.variant == RET_FAILURE_U32 && r.r1 == ERR_SIZE && r.r2 == 8;
	bool prefix = fails(command(DRV_IPC, IPC_CMD_DISCOVER, 7, 0), ERR_NOTFOUND);
	allow_ro(DRV_IPC, IPC_ALLOW_RO_NAME, long_name, 24);
	bool too_long = fails(command(DRV_IPC, IPC_CMD_DISCOVER, 24, 0), ERR_INVAL);
	allow_ro(DRV_IPC, IPC_ALLOW_RO_NAME, NULL, 0);
	tap_check(reserve && empty && past && too_long,
		  "names: none allowed RESERVE, empty INVAL, past the buffer SIZE, 24 characters INVAL",
		  "%d %d %d %d", reserve, empty, past, too_long);
	tap_ok(prefix, "a prefix of a service's name does not find it: NOTFOUND");
	tap_end();
	return 0;
}
