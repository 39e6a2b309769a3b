#include "lines.h"

#include <stdio.h>

void lines_init(struct lines *l, size_t max_line)
{
	/* Room for a full line plus one escape sequence that straddles the cut. */
	buf_init(&l->partial, max_line + 8);
	l->max_line = max_line;
	l->first_t = 0;
	l->escaped = 0;
}

void lines_release(struct lines *l)
{
	buf_release(&l->partial);
}

static void deliver(struct lines *l, lines_cb cb, void *user)
{
	cb(l->partial.data, l->partial.len, l->first_t, user);
	buf_reset(&l->partial);
}

void lines_feed(struct lines *l, const char *data, size_t n, long long t_ms, lines_cb cb, void *user)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\n') {
			if (l->partial.len == 0)
				l->first_t = t_ms;
			deliver(l, cb, user);
			continue;
		}
		if (c == '\r')
			continue;
		if (l->partial.len == 0)
			l->first_t = t_ms;
		if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
			buf_addch(&l->partial, (char)c);
		} else {
			char esc[5];

			snprintf(esc, sizeof(esc), "\\x%02x", c);
			buf_add(&l->partial, esc, 4);
			l->escaped++;
		}
		if (l->partial.len >= l->max_line)
			deliver(l, cb, user);
	}
}

void lines_flush(struct lines *l, lines_cb cb, void *user)
{
	if (l->partial.len)
		deliver(l, cb, user);
}
