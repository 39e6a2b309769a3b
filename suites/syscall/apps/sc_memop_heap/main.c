/* Memory becomes the process's when the break moves over it, and not before. */
#include <rig/memop.h>
#include <rig/tap.h>

int main(void)
{
	uint8_t *heap = (uint8_t *)memop_break();

	tap_plan(3);
	tap_fails_with(allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, heap, 16), ERR_INVAL,
		       "memory above the break cannot be allowed");
	memop_sbrk(256);
	for (int i = 0; i < 256; i++)
		heap[i] = (uint8_t)(i * 7);
	int bad = 0;
	for (int i = 0; i < 256; i++)
		bad += heap[i] != (uint8_t)(i * 7);
	tap_eq(bad, 0, "after sbrk, the new memory holds what is written");
	tap_succeeds(allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, heap, 16), RET_SUCCESS_2U32,
		     "and can be allowed");
	tap_end();
	return 0;
}
