/* Classes and variants the ABI does not define are refused, and the process goes on. */
#include <rig/memop.h>
#include <rig/tap.h>

int main(void)
{
	tap_plan(4);
	tap_fails_with(syscall_undefined_class(0), ERR_NOSUPPORT, "system-call class 9: NOSUPPORT");
	tap_fails_with(yield_undefined(7), ERR_NOSUPPORT, "yield variant 7: NOSUPPORT");
	tap_fails_with(exit_undefined(5, 0), ERR_NOSUPPORT, "exit variant 5: NOSUPPORT, no exit");
	tap_fails_with(memop(99, 0), ERR_NOSUPPORT, "memop operation 99: NOSUPPORT");
	tap_end();
	return 0;
}
