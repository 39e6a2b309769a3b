/*
 * diag: problems found in input files, each with a place.
 *
 * Checking goes on after the first problem so that one `rig check` shows
 * every mistake; the list keeps them in the order found. Printed as
 * "file:line:col: message" (line and column 1-based), the form editors jump to.
 */
#ifndef RIG_DIAG_H
#define RIG_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	char *file;
	int line, col;
	char *msg;
};

struct diags {
	struct diag *v;
	size_t n, alloc;
};

void diags_init(struct diags *d);
void diags_release(struct diags *d);
void diags_add(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void diags_print(const struct diags *d, FILE *to);

#endif
