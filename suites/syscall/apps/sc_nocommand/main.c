/* A driver that exists answers NOSUPPORT for numbers it does not define. */
#include <rig/tap.h>

static void upcall(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
}

int main(void)
{
	static uint8_t buf[8];

	tap_plan(5);
	tap_fails_with(command(DRV_ALARM, 99, 0, 0), ERR_NOSUPPORT, "unknown alarm command: NOSUPPORT");
	tap_fails_with(command(DRV_CONSOLE, 99, 0, 0), ERR_NOSUPPORT, "unknown console command: NOSUPPORT");
	tap_fails_with(command(DRV_PROCESS, 99, 0, 0), ERR_NOSUPPORT, "unknown process command: NOSUPPORT");
	tap_fails_with(subscribe(DRV_CONSOLE, 7, upcall, NULL), ERR_NOSUPPORT,
		       "unknown subscribe number: NOSUPPORT");
	tap_fails_with(allow_rw(DRV_ALARM, 0, buf, sizeof(buf)), ERR_NOSUPPORT,
		       "allow on a driver without buffers: NOSUPPORT");
	tap_end();
	return 0;
}
