/*
 * yield-no-wait writes its result only where the process may write: a
 * result address outside its RAM is ignored, not written and not fatal.
 */
#include <rig/memop.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(2);

	const volatile uint32_t *in_image = (const uint32_t *)(memop_flash_start() + 64);
	uint32_t before = *in_image;
	yield_no_wait_at(memop_flash_start() + 64);      /* our own image: read-only */
	yield_no_wait_at(memop_ram_start() - 16);        /* below our RAM */
	yield_no_wait_at(memop_ram_end());               /* above our RAM block */
	tap_check(*in_image == before, "result addresses outside its RAM are ignored, the process goes on",
		  "image word changed from 0x%lx to 0x%lx", (unsigned long)before,
		  (unsigned long)*in_image);

	volatile uint8_t flag = 0xaa;
	yield_no_wait_at((uintptr_t)&flag);
	tap_eq(flag, 0, "a valid result address gets 0 when nothing ran");
	tap_end();
	return 0;
}
