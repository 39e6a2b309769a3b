/*
 * buf: a growable, always NUL-terminated byte buffer with a hard cap.
 *
 * Invariants: data is never NULL after buf_init (it points at a static empty
 * string until the first add); data[len] == '\0'; len <= cap. Adding past the
 * cap keeps what fits, sets `truncated` and returns ERR_LIMIT, so a runaway
 * producer (a console spewing garbage, a huge HTTP body) cannot exhaust memory.
 * The buffer owns data; buf_release frees it, buf_detach hands it over.
 */
#ifndef RIG_BUF_H
#define RIG_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define BUF_DEFAULT_CAP ((size_t)64 << 20)

struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap;
	bool truncated;
};

/* cap 0 means BUF_DEFAULT_CAP. */
void buf_init(struct buf *b, size_t cap);
void buf_release(struct buf *b);
/* Empties the buffer, keeps its memory and cap. */
void buf_reset(struct buf *b);
/* Returns data, which the caller frees; the buffer is empty again. */
char *buf_detach(struct buf *b, size_t *len);

int buf_add(struct buf *b, const void *data, size_t len);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_addvf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Drops the first n bytes. */
void buf_consume(struct buf *b, size_t n);

#endif
