/*
 * Reads the last word of its RAM block, above its break: the block is its,
 * but memory above the break is not (doc/abi.md, memop).
 */
#include <rig/memop.h>

int main(void)
{
	volatile uint32_t v = *(volatile uint32_t *)(memop_ram_end() - 4);
	return (int)v;   /* not reached */
}
