/*
 * lines: turns a console's byte stream into lines a person can read.
 *
 * Bytes arrive in arbitrary chunks (a socket, a serial port); complete lines
 * are handed to a callback with the time their first byte arrived. "\r" is
 * dropped, bytes that are neither printable ASCII nor a tab become "\xNN"
 * (garbage on a serial line stays visible and harmless), and a line longer
 * than max_line is cut there and delivered in pieces, so a board spewing
 * without newlines cannot grow memory. The struct owns its partial line.
 */
#ifndef RIG_LINES_H
#define RIG_LINES_H

#include <stddef.h>

#include "buf.h"

typedef void (*lines_cb)(const char *line, size_t len, long long t_ms, void *user);

struct lines {
	struct buf partial;
	size_t max_line;
	long long first_t;	/* arrival of the partial line's first byte */
	size_t escaped;		/* bytes escaped so far, for a garbage report */
};

void lines_init(struct lines *l, size_t max_line);
void lines_release(struct lines *l);
void lines_feed(struct lines *l, const char *data, size_t n, long long t_ms, lines_cb cb, void *user);
/* Delivers a pending partial line (at the end of a stream). */
void lines_flush(struct lines *l, lines_cb cb, void *user);

#endif
