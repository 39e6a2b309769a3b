/* A helper that only waits: it yields forever and is never woken. */
#include <rig/syscall.h>

int main(void)
{
	for (;;)
		yield_wait();
}
