/* A read-only allow may point into the process's image: the console writes from flash. */
#include <rig/memop.h>
#include <rig/tap.h>

#include "rigstr.h"

static const char message[] = "sc_allow_ro: written from flash\n";
static volatile bool done;
static volatile uint32_t written;

static void on_written(uint32_t n, uint32_t b, uint32_t c, void *d)
{
	(void)b, (void)c, (void)d;
	written = n;
	done = true;
}

int main(void)
{
	/* The raw write first: printing takes over the console's write slot. */
	subscribe(DRV_CONSOLE, CONSOLE_UPCALL_WRITTEN, on_written, NULL);
	struct sysret allowed = allow_ro(DRV_CONSOLE, CONSOLE_ALLOW_RO_WRITE, message, strlen(message));
	command(DRV_CONSOLE, CONSOLE_CMD_WRITE, strlen(message), 0);
	while (!done)
		yield_wait();

	tap_plan(3);
	uintptr_t at = (uintptr_t)message;
	tap_check(at >= memop_flash_start() && at < memop_flash_end(), "the message lies in the image",
		  "at 0x%lx", (unsigned long)at);
	tap_succeeds(allowed, RET_SUCCESS_2U32, "a buffer in flash can be allowed read-only");
	tap_eq(written, strlen(message), "the console wrote all of it");
	tap_end();
	return 0;
}
