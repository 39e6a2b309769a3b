/* brk and sbrk move the break within [initial break, end of RAM block] only. */
#include <rig/memop.h>
#include <rig/tap.h>

int main(void)
{
	uintptr_t b0 = memop_break(), rs = memop_ram_start(), re = memop_ram_end();
	struct sysret r;

	tap_plan(6);
	r = memop_brk(re + 4);
	tap_check(r.variant == RET_FAILURE_U32 && r.r1 == ERR_NOMEM && r.r2 == b0 && memop_break() == b0,
		  "brk past the RAM block: NOMEM, with the unchanged break", "variant %lu r1 %lu r2 0x%lx",
		  (unsigned long)r.variant, (unsigned long)r.r1, (unsigned long)r.r2);
	r = memop_brk(rs + 4);
	tap_check(r.variant == RET_FAILURE_U32 && r.r1 == ERR_INVAL && memop_break() == b0,
		  "brk below the initial break: INVAL", "variant %lu r1 %lu", (unsigned long)r.variant,
		  (unsigned long)r.r1);
	r = memop_sbrk(64);
	tap_check(r.variant == RET_SUCCESS_U32 && r.r1 == b0 && memop_break() == b0 + 64,
		  "sbrk returns the old break and moves it", "variant %lu r1 0x%lx break 0x%lx",
		  (unsigned long)r.variant, (unsigned long)r.r1, (unsigned long)memop_break());
	r = memop_sbrk(-64);
	tap_check(r.variant == RET_SUCCESS_U32 && r.r1 == b0 + 64 && memop_break() == b0,
		  "a negative sbrk moves it back", "r1 0x%lx break 0x%lx", (unsigned long)r.r1,
		  (unsigned long)memop_break());
	r = memop_brk(re);
	tap_check(r.variant == RET_SUCCESS && memop_break() == re, "brk up to the end of the block",
		  "variant %lu break 0x%lx", (unsigned long)r.variant, (unsigned long)memop_break());
	tap_fails_with(memop_sbrk(1), ERR_NOMEM, "one byte more: NOMEM");
	tap_end();
	return 0;
}
