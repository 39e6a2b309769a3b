/*
 * Built into an image with a deliberately bad crc (app.mk): the kernel must
 * refuse it. Were it run, it would break the case's TAP.
 */
#include <rig/console.h>

int main(void)
{
	printf("not ok 99 - the kernel ran an image with a bad crc\n");
	return 1;
}
