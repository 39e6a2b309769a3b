/* Recurses until its stack runs off the bottom of its RAM block. */
#include <stdint.h>

static int depth(volatile uint32_t *prev)
{
	volatile uint32_t frame[16];
	frame[0] = prev ? prev[0] + 1 : 0;
	if (frame[0] > 1000000)
		return 0;   /* never: the stack is far smaller */
	return depth(frame) + (int)frame[0];
}

int main(void)
{
	return depth(0);
}
