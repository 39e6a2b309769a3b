#include "console.h"

#include <stdarg.h>

#include "board.h"
#include "fmt.h"

uint32_t console_space(const struct kernel *k)
{
	return CONSOLE_RING_SIZE - (k->console.head - k->console.tail);
}

void console_put(struct kernel *k, const void *data, uint32_t n)
{
	struct console *c = &k->console;
	const uint8_t *p = data;

	for (uint32_t i = 0; i < n; i++)
		c->ring[c->head++ % CONSOLE_RING_SIZE] = p[i];
}

void console_drain(struct kernel *k)
{
	struct console *c = &k->console;

	while (c->tail != c->head && board_uart_try_put(c->ring[c->tail % CONSOLE_RING_SIZE]))
		c->tail++;
	board_uart_tx_irq(c->tail != c->head);
}

void console_flush_sync(struct kernel *k)
{
	struct console *c = &k->console;

	while (c->tail != c->head)
		board_uart_put_sync(c->ring[c->tail++ % CONSOLE_RING_SIZE]);
}

void kprintf(struct kernel *k, const char *fmt, ...)
{
	char line[128];
	va_list ap;

	va_start(ap, fmt);
	uint32_t n = fmt_vformat(line, sizeof(line), fmt, ap);
	va_end(ap);

	struct console *c = &k->console;
	while (console_space(k) < n)
		board_uart_put_sync(c->ring[c->tail++ % CONSOLE_RING_SIZE]);
	console_put(k, line, n);
	console_drain(k);
}
