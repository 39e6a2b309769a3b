/* Jumps into its own RAM, which is never executable. */
#include <stdint.h>

static uint32_t code[4];

int main(void)
{
	void (*fn)(void) = (void (*)(void))((uintptr_t)code | 1);   /* Thumb bit on ARM */
	fn();
	return 1;   /* not reached */
}
