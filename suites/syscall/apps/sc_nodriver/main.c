/* Every class that names a driver answers NODEVICE for one that does not exist. */
#include <rig/tap.h>

#define NO_SUCH_DRIVER 0x9999

static void upcall(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
}

int main(void)
{
	static uint8_t buf[8];

	tap_plan(5);
	tap_fails_with(command(NO_SUCH_DRIVER, CMD_EXISTS, 0, 0), ERR_NODEVICE,
		       "command to an unknown driver: NODEVICE");
	tap_fails_with(subscribe(NO_SUCH_DRIVER, 0, upcall, NULL), ERR_NODEVICE,
		       "subscribe to an unknown driver: NODEVICE");
	tap_fails_with(allow_rw(NO_SUCH_DRIVER, 0, buf, sizeof(buf)), ERR_NODEVICE,
		       "allow read-write to an unknown driver: NODEVICE");
	tap_fails_with(allow_ro(NO_SUCH_DRIVER, 0, buf, sizeof(buf)), ERR_NODEVICE,
		       "allow read-only to an unknown driver: NODEVICE");
	tap_fails_with(command(DRV_IPC + 1, CMD_EXISTS, 0, 0), ERR_NODEVICE,
		       "the number after IPC's has no driver: NODEVICE");
	tap_end();
	return 0;
}
