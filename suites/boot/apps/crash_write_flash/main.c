/* Writes into its own image, which is read-only to it. */
#include <rig/memop.h>

int main(void)
{
	*(volatile uint32_t *)(memop_flash_start() + 64) = 0;
	return 1;   /* not reached */
}
