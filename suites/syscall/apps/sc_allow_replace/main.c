/* Allow returns the buffer it replaces; a null allow takes the buffer back. */
#include <rig/tap.h>

static char first[8], second[16];

int main(void)
{
	tap_plan(4);
	struct sysret r = allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, first, sizeof(first));
	tap_check(r.variant == RET_SUCCESS_2U32 && r.r1 == 0 && r.r2 == 0,
		  "the first allow returns no previous buffer", "prev 0x%lx/%lu", (unsigned long)r.r1,
		  (unsigned long)r.r2);
	r = allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, second, sizeof(second));
	tap_check(r.r1 == (uint32_t)(uintptr_t)first && r.r2 == sizeof(first),
		  "allow returns the buffer it replaces", "prev 0x%lx/%lu", (unsigned long)r.r1,
		  (unsigned long)r.r2);
	r = allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, NULL, 0);
	tap_check(r.r1 == (uint32_t)(uintptr_t)second && r.r2 == sizeof(second),
		  "a null allow returns the last buffer", "prev 0x%lx/%lu", (unsigned long)r.r1,
		  (unsigned long)r.r2);
	tap_fails_with(command(DRV_CONSOLE, CONSOLE_CMD_READ, 4, 0), ERR_RESERVE,
		       "without a buffer, a read is refused: RESERVE");
	tap_end();
	return 0;
}
