/* Console read: its checks, one read at a time, and abort. (Nothing is typed.) */
#include <rig/tap.h>

static char buf[8];
static volatile bool done;
static volatile uint32_t status, count;

static void on_read(uint32_t st, uint32_t n, uint32_t c, void *d)
{
	(void)c, (void)d;
	status = st;
	count = n;
	done = true;
}

int main(void)
{
	tap_plan(6);
	subscribe(DRV_CONSOLE, CONSOLE_UPCALL_READ, on_read, NULL);

	tap_fails_with(command(DRV_CONSOLE, CONSOLE_CMD_READ, 4, 0), ERR_RESERVE,
		       "a read without a buffer: RESERVE");
	allow_rw(DRV_CONSOLE, CONSOLE_ALLOW_RW_READ, buf, sizeof(buf));
	tap_fails_with(command(DRV_CONSOLE, CONSOLE_CMD_READ, 0, 0), ERR_INVAL,
		       "a read of nothing: INVAL");
	struct sysret r = command(DRV_CONSOLE, CONSOLE_CMD_READ, sizeof(buf) + 1, 0);
	tap_check(r.variant == RET_FAILURE_U32 && r.r1 == ERR_SIZE && r.r2 == sizeof(buf),
		  "a read longer than the buffer: SIZE, with the buffer's length",
		  "variant %lu r1 %lu r2 %lu", (unsigned long)r.variant, (unsigned long)r.r1,
		  (unsigned long)r.r2);

	r = command(DRV_CONSOLE, CONSOLE_CMD_READ, 4, 0);
	struct sysret again = command(DRV_CONSOLE, CONSOLE_CMD_READ, 4, 0);
	tap_check(r.variant == RET_SUCCESS && again.variant == RET_FAILURE && again.r1 == ERR_BUSY,
		  "a second read while one is pending: BUSY", "first %lu, second %lu/%lu",
		  (unsigned long)r.variant, (unsigned long)again.variant, (unsigned long)again.r1);

	command(DRV_CONSOLE, CONSOLE_CMD_ABORT_READ, 0, 0);
	while (!done)
		yield_wait();
	tap_check(status == ERR_CANCEL && count == 0, "abort ends the read with CANCEL and its count",
		  "status %lu count %lu", (unsigned long)status, (unsigned long)count);
	tap_fails_with(command(DRV_CONSOLE, CONSOLE_CMD_ABORT_READ, 0, 0), ERR_ALREADY,
		       "abort with no read pending: ALREADY");
	tap_end();
	return 0;
}
