#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static char empty[1];

void buf_init(struct buf *b, size_t cap)
{
	b->data = empty;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap ? cap : BUF_DEFAULT_CAP;
	b->truncated = false;
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->data);
	buf_init(b, b->cap);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
	b->truncated = false;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *out = b->alloc ? b->data : strdup("");

	if (len)
		*len = b->len;
	buf_init(b, b->cap);
	return out;
}

static int grow(struct buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;
	size_t n;
	char *p;

	if (want <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < want)
		n *= 2;
	if (n > b->cap + 1)
		n = b->cap + 1;
	p = b->alloc ? realloc(b->data, n) : malloc(n);
	if (!p)
		return err_set(ERR_NOMEM, "out of memory growing a buffer to %zu bytes", n);
	if (!b->alloc)
		p[0] = '\0';
	b->data = p;
	b->alloc = n;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	size_t room = b->cap - b->len;
	size_t take = len < room ? len : room;
	int rc;

	if (take) {
		rc = grow(b, take);
		if (rc)
			return rc;
		memcpy(b->data + b->len, data, take);
		b->len += take;
		b->data[b->len] = '\0';
	}
	if (take < len) {
		b->truncated = true;
		return err_set(ERR_LIMIT, "buffer cap of %zu bytes reached", b->cap);
	}
	return 0;
}

int buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_addvf(struct buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list cp;
	int n, rc;
	char *big;

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return err_set(ERR_INVALID, "bad format string");
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (!big)
		return err_set(ERR_NOMEM, "out of memory formatting %d bytes", n);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	rc = buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_addvf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}
