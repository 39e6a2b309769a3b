/* Reads just below its own image: another app's flash or the kernel's. */
#include <rig/memop.h>

int main(void)
{
	volatile uint32_t v = *(volatile uint32_t *)(memop_flash_start() - 4);
	return (int)v;   /* not reached */
}
