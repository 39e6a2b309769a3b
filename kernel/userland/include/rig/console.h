/*
 * Console output (and input) for apps.
 *
 * printf() collects text into a line buffer and writes whole lines, so a
 * line reaches the console in one write and cannot be split by another
 * process's output. Lines longer than CONSOLE_LINE_MAX - 1 are written in
 * pieces.
 */
#ifndef RIG_CONSOLE_H
#define RIG_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

#define CONSOLE_LINE_MAX 128

/* Write len bytes now (after what printf() holds). Bytes written, or -error. */
int console_write(const void *buf, size_t len);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* Write out a partial line held by printf(). */
void console_flush(void);

#endif
