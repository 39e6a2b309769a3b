/* Asks for 256 KiB of heap (app.mk), more than any board's app RAM: never runs. */
#include <rig/console.h>

int main(void)
{
	printf("not ok 99 - the kernel ran an app it has no RAM for\n");
	return 1;
}
