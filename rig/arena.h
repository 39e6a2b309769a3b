/*
 * arena: many small allocations freed at once.
 *
 * A configuration object and the YAML trees it is built from live in one
 * arena each, so that SIGHUP can build a new configuration beside the old one
 * and drop the old one whole. Allocation failure aborts: an arena only holds
 * parsed configuration, whose size is bounded by the files read.
 */
#ifndef RIG_ARENA_H
#define RIG_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
/* Zeroed, aligned to 16. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
