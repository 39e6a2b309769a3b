/* Writes just below its own RAM: another process's memory or the kernel's. */
#include <rig/memop.h>

int main(void)
{
	*(volatile uint32_t *)(memop_ram_start() - 64) = 0xdeadbeef;
	return 1;   /* not reached: the kernel stops us at the write */
}
