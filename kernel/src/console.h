/*
 * The kernel console: one ring of bytes in front of the UART.
 *
 * Everything that reaches the UART goes through the ring, and everything
 * goes in whole: a kernel message is one formatted line, a process write is
 * its whole buffer (at most the ring's size), and neither is copied in
 * until there is room for all of it. That is what keeps one writer's line
 * from being split by another's.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include "kernel.h"

uint32_t console_space(const struct kernel *k);

/* Copy n bytes in; the caller has checked console_space(). */
void console_put(struct kernel *k, const void *data, uint32_t n);

/* Kernel text: waits (sending synchronously) until there is room. */
void kprintf(struct kernel *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Move bytes from the ring to the UART for as long as it takes them. */
void console_drain(struct kernel *k);

/* Send everything in the ring, busy-waiting (panics). */
void console_flush_sync(struct kernel *k);

#endif
