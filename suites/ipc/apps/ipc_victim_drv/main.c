/*
 * A process that never uses IPC is the target of every IPC call another
 * process can aim at it. All fail, and nothing is taken from its memory:
 * its highest break stays the end of its RAM block, all of which it can
 * still use.
 */
#include <rig/memop.h>
#include <rig/process.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(4);
	uintptr_t start = memop_ram_start(), end = memop_ram_end();
	tap_check(((end - start) & (end - start - 1)) == 0,
		  "before: its highest break is the end of its RAM block", "ram 0x%lx end 0x%lx",
		  (unsigned long)start, (unsigned long)end);

	int rogue = process_find("ipc_rogue");
	int state = rogue >= 0 ? process_wait_state((uint32_t)rogue,
						    PROCESS_STATE_BIT(PROCESS_STATE_TERMINATED), 1000) : -1;
	struct sysret code = command(DRV_PROCESS, PROCESS_CMD_EXIT_CODE, (uint32_t)rogue, 0);
	tap_check(state == PROCESS_STATE_TERMINATED && sysret_ok(code) && code.r1 == 0,
		  "every notify, share and discovery aimed at it failed: NOTFOUND or STALE",
		  "rogue state %d, exit code 0x%lx (a bit per attempt that did not fail so)", state,
		  (unsigned long)code.r1);

	tap_eq(memop_ram_end(), end, "after: its highest break is unchanged");
	struct sysret r = memop_brk(end);
	volatile uint8_t *top = (volatile uint8_t *)(end - 1);
	if (sysret_ok(r))
		*top = 0x5a;
	tap_check(sysret_ok(r) && *top == 0x5a, "its break reaches the end of the block, its memory to the last byte",
		  "brk variant %lu", (unsigned long)r.variant);
	tap_end();
	return 0;
}
