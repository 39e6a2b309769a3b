/*
 * The IPC driver is there, refuses numbers it does not know, reports the
 * rules a share must meet, and takes its state from the caller's own RAM
 * (and only when the caller first needs it).
 */
#include <rig/ipc.h>
#include <rig/memop.h>
#include <rig/process.h>
#include <rig/tap.h>

static void nothing(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
}

static bool fails(struct sysret r, uint32_t error)
{
	return !sysret_ok(r) && r.r1 == error;
}

int main(void)
{
	static uint8_t buf[8];

	tap_plan(8);
	tap_succeeds(command(DRV_IPC, CMD_EXISTS, 0, 0), RET_SUCCESS, "the IPC driver exists");
	tap_fails_with(command(DRV_IPC, 99, 0, 0), ERR_NOSUPPORT, "an unknown command: NOSUPPORT");
	tap_ok(fails(subscribe(DRV_IPC, 3, nothing, NULL), ERR_NOSUPPORT) &&
		       fails(allow_rw(DRV_IPC, 1, buf, sizeof(buf)), ERR_NOSUPPORT) &&
		       fails(allow_ro(DRV_IPC, 1, buf, sizeof(buf)), ERR_NOSUPPORT),
	       "unknown upcall and buffer numbers: NOSUPPORT");

	struct sysret r = ipc_share_rules();
	uint32_t min = r.r1, regions = r.r2;
	tap_check(r.variant == RET_SUCCESS_2U32 && min >= 8 && (min & (min - 1)) == 0 && regions >= 1,
		  "the share rules: a power-of-two smallest share, at least one region",
		  "variant %lu smallest %lu regions %lu", (unsigned long)r.variant, (unsigned long)min,
		  (unsigned long)regions);
	tap_diag("shares: powers of two from %lu bytes, aligned to their size, %lu per service",
		 (unsigned long)min, (unsigned long)regions);

	uint32_t self = ipc_self();
	tap_check(ipc_handle_id(self) == process_self() && ipc_handle_generation(self) == 1,
		  "its own handle: its process id, generation 1", "handle 0x%lx", (unsigned long)self);

	/* Nothing so far needed an endpoint: the highest break is still the block's end. */
	uintptr_t start = memop_ram_start(), end0 = memop_ram_end(), brk = memop_break();
	r = ipc_register();
	uintptr_t end1 = memop_ram_end();
	bool block_end = ((end0 - start) & (end0 - start - 1)) == 0;
	tap_check(block_end && sysret_ok(r) && end1 < end0 && end1 >= brk && end0 - end1 <= 256,
		  "registering takes its endpoint from the top of its own RAM block",
		  "ram 0x%lx, highest break 0x%lx before, 0x%lx after, break 0x%lx", (unsigned long)start,
		  (unsigned long)end0, (unsigned long)end1, (unsigned long)brk);
	tap_fails_with(memop_brk(end0), ERR_NOMEM, "the break cannot grow over the endpoint: NOMEM");
	tap_fails_with(ipc_register(), ERR_ALREADY, "registering twice: ALREADY");
	tap_end();
	return 0;
}
