/*
 * Three processes write long lines at once (this driver and two chatters);
 * no line may be split by another's. The runner sees it: a split TAP line
 * breaks the plan, a split chatter line misses its expect.
 */
#include <rig/alarm.h>
#include <rig/console.h>
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

static bool finished(const char *name)
{
	int id = process_find(name);
	return id >= 0 && process_state((uint32_t)id) == PROCESS_STATE_TERMINATED;
}

int main(void)
{
	static const char diag[] = "# the driver's own long line, which must come out whole, "
				   "written with a single console write\n";
	tap_plan(9);
	for (int i = 1; i <= 8; i++) {
		int n = console_write(diag, strlen(diag));
		tap_check(n == (int)strlen(diag), "a long line beside two chatters goes out whole",
			  "wrote %d of %d", n, (int)strlen(diag));
	}

	uint64_t give_up = alarm_now() + alarm_ticks_from_ms(3000);
	while (!(finished("chatter_a") && finished("chatter_b")) && alarm_now() < give_up)
		delay_ms(5);
	struct sysret a = command(DRV_PROCESS, PROCESS_CMD_EXIT_CODE, (uint32_t)process_find("chatter_a"), 0);
	struct sysret b = command(DRV_PROCESS, PROCESS_CMD_EXIT_CODE, (uint32_t)process_find("chatter_b"), 0);
	tap_check(sysret_ok(a) && a.r1 == 0 && sysret_ok(b) && b.r1 == 0,
		  "both chatters wrote all 25 lines whole", "exit codes %ld %ld",
		  sysret_ok(a) ? (long)a.r1 : -1L, sysret_ok(b) ? (long)b.r1 : -1L);
	tap_end();
	return 0;
}
