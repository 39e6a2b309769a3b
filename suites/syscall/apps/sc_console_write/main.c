/* Console writes: length checks, the upcall's count, and writes longer than the ring. */
#include <rig/tap.h>

#include "rigstr.h"

#define LONG 700
static const char line[] = "# a console write test line\n";
/* A diagnostic line longer than the sifive-e console ring (512 bytes). */
static const char long_line[LONG] = { [0] = '#', [1 ... LONG - 2] = '=', [LONG - 1] = '\n' };

static volatile bool done;
static volatile uint32_t written;

static void on_written(uint32_t n, uint32_t b, uint32_t c, void *d)
{
	(void)b, (void)c, (void)d;
	written = n;
	done = true;
}

/* Allow and subscribe every time: printing in between takes both over. */
static uint32_t write_part(const char *buf, uint32_t buf_len, uint32_t len)
{
	done = false;
	allow_ro(DRV_CONSOLE, CONSOLE_ALLOW_RO_WRITE, buf, buf_len);
	subscribe(DRV_CONSOLE, CONSOLE_UPCALL_WRITTEN, on_written, NULL);
	struct sysret r = command(DRV_CONSOLE, CONSOLE_CMD_WRITE, len, 0);
	if (!sysret_ok(r))
		return 0xffffffff;
	while (!done)
		yield_wait();
	return written;
}

static uint32_t write_and_wait(const char *buf, uint32_t len)
{
	return write_part(buf, len, len);
}

int main(void)
{
	tap_plan(5);
	allow_ro(DRV_CONSOLE, CONSOLE_ALLOW_RO_WRITE, line, strlen(line));
	struct sysret r = command(DRV_CONSOLE, CONSOLE_CMD_WRITE, strlen(line) + 1, 0);
	tap_check(r.variant == RET_FAILURE_U32 && r.r1 == ERR_SIZE && r.r2 == strlen(line),
		  "a write longer than its buffer: SIZE, with the buffer's length",
		  "variant %lu r1 %lu r2 %lu", (unsigned long)r.variant, (unsigned long)r.r1,
		  (unsigned long)r.r2);
	tap_eq(write_and_wait(line, strlen(line)), strlen(line), "the write upcall reports the length");
	tap_eq(write_part(line, strlen(line), 0), 0, "an empty write completes with 0");

	uint32_t first = write_and_wait(long_line, LONG);
	uint32_t total = first;
	while (total < LONG && first > 0 && first != 0xffffffff) {
		first = write_and_wait(long_line + total, LONG - total);
		total += first;
	}
	tap_check(total > 0 && total <= LONG, "a long write reports what it wrote",
		  "wrote %lu", (unsigned long)total);
	tap_eq(total, LONG, "the rest goes out in further writes");
	tap_end();
	return 0;
}
