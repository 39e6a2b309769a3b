/* Command 0 of every driver answers "exists" with plain success. */
#include <rig/tap.h>

int main(void)
{
	tap_plan(3);
	tap_succeeds(command(DRV_ALARM, CMD_EXISTS, 0, 0), RET_SUCCESS, "alarm driver exists");
	tap_succeeds(command(DRV_CONSOLE, CMD_EXISTS, 0, 0), RET_SUCCESS, "console driver exists");
	tap_succeeds(command(DRV_PROCESS, CMD_EXISTS, 0, 0), RET_SUCCESS, "process driver exists");
	tap_end();
	return 0;
}
