#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diags_init(struct diags *d)
{
	memset(d, 0, sizeof(*d));
}

void diags_release(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	diags_init(d);
}

void diags_add(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
{
	struct diag *x;
	va_list ap;

	if (d->n == d->alloc) {
		size_t n = d->alloc ? d->alloc * 2 : 16;
		struct diag *v = realloc(d->v, n * sizeof(*v));

		if (!v)
			return;
		d->v = v;
		d->alloc = n;
	}
	x = &d->v[d->n];
	x->file = strdup(file ? file : "?");
	x->line = line;
	x->col = col;
	va_start(ap, fmt);
	if (vasprintf(&x->msg, fmt, ap) < 0)
		x->msg = NULL;
	va_end(ap);
	if (!x->file || !x->msg) {
		free(x->file);
		free(x->msg);
		return;
	}
	d->n++;
}

void diags_print(const struct diags *d, FILE *to)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(to, "%s:%d:%d: %s\n", d->v[i].file, d->v[i].line, d->v[i].col, d->v[i].msg);
}
