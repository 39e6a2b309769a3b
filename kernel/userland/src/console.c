#include <rig/console.h>
#include <rig/syscall.h>

#include <stdarg.h>

#include "fmt.h"
#include "rigstr.h"

static char line[CONSOLE_LINE_MAX];
static size_t line_len;

static volatile bool written;
static volatile uint32_t written_len;

static void on_written(uint32_t len, uint32_t unused1, uint32_t unused2, void *userdata)
{
	(void)unused1;
	(void)unused2;
	(void)userdata;
	written_len = len;
	written = true;
}

static int write_raw(const char *buf, size_t len)
{
	size_t done = 0;

	subscribe(DRV_CONSOLE, CONSOLE_UPCALL_WRITTEN, on_written, NULL);
	while (done < len) {
		struct sysret r = allow_ro(DRV_CONSOLE, CONSOLE_ALLOW_RO_WRITE, buf + done, len - done);
		if (!sysret_ok(r))
			return -(int)sysret_error(r);
		written = false;
		r = command(DRV_CONSOLE, CONSOLE_CMD_WRITE, len - done, 0);
		if (!sysret_ok(r))
			return -(int)sysret_error(r);
		yield_for(&written);
		if (written_len == 0)
			break;
		done += written_len;
	}
	allow_ro(DRV_CONSOLE, CONSOLE_ALLOW_RO_WRITE, NULL, 0);
	return (int)done;
}

void console_flush(void)
{
	if (line_len > 0)
		write_raw(line, line_len);
	line_len = 0;
}

int console_write(const void *buf, size_t len)
{
	console_flush();
	return write_raw(buf, len);
}

/* Write out every complete line in the buffer; keep the partial one. */
static void flush_lines(void)
{
	size_t end = line_len;
	while (end > 0 && line[end - 1] != '\n')
		end--;
	if (end == 0 && line_len + 1 >= sizeof(line))
		end = line_len;   /* a full buffer without a newline goes out anyway */
	if (end == 0)
		return;
	write_raw(line, end);
	memmove(line, line + end, line_len - end);
	line_len -= end;
}

int vprintf(const char *fmt, va_list ap)
{
	va_list again;
	size_t room = sizeof(line) - line_len;

	va_copy(again, ap);
	size_t n = fmt_vformat(line + line_len, room, fmt, ap);
	if (n + 1 >= room && line_len > 0) {
		/* It did not fit behind the partial line: send that, format again. */
		console_flush();
		n = fmt_vformat(line, sizeof(line), fmt, again);
	}
	va_end(again);
	line_len += n;
	flush_lines();
	return (int)n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
