/* Allow refuses any buffer that is not the process's own memory. */
#include <rig/memop.h>
#include <rig/tap.h>

static uint8_t buf[16];

int main(void)
{
	tap_plan(7);
	tap_fails_with(allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, (void *)(memop_ram_start() - 16), 16),
		       ERR_INVAL, "a buffer below its RAM: INVAL");
	tap_fails_with(allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, (void *)memop_ram_end(), 16),
		       ERR_INVAL, "a buffer above its RAM block: INVAL");
	tap_fails_with(allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, (void *)(memop_break() - 8), 16),
		       ERR_INVAL, "a buffer across its break: INVAL");
	tap_fails_with(allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, (void *)(memop_flash_start() + 64), 16),
		       ERR_INVAL, "its own image, read-write: INVAL");
	tap_fails_with(allow_ro(DRV_CONSOLE, CONSOLE_ALLOW_RO_WRITE, (void *)(memop_flash_start() - 64), 16),
		       ERR_INVAL, "read-only, but outside its image: INVAL");
	tap_fails_with(allow_ro(DRV_CONSOLE, CONSOLE_ALLOW_RO_WRITE, (void *)0xfffffff0, 0x20),
		       ERR_INVAL, "a buffer that wraps around the address space: INVAL");
	tap_succeeds(allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, buf, sizeof(buf)), RET_SUCCESS_2U32,
		     "its own buffer is accepted");
	tap_end();
	return 0;
}
