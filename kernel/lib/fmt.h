/*
 * A small printf-style formatter, shared by the kernel and the userland
 * library (each compiles its own copy). It never allocates and never calls
 * a division routine, so it links into either without libgcc's 64-bit
 * helpers.
 *
 * Conversions: %% %c %s %d %i %u %x %X %p, with the flags '-' and '0', a
 * field width, and the length modifiers l and ll.
 */
#ifndef RIG_FMT_H
#define RIG_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Format into buf (size bytes, always NUL-terminated when size > 0).
 * Returns the number of characters stored, not counting the NUL; output
 * that does not fit is dropped.
 */
size_t fmt_vformat(char *buf, size_t size, const char *fmt, va_list ap);
size_t fmt_format(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
