/*
 * tmpl: fills "{name}" placeholders in command templates from board files
 * and the rack (QEMU commands, power commands, OpenOCD scripts).
 *
 * Values are substituted as whole strings into one argv element each, never
 * through a shell, so a value with spaces or quotes stays one argument. An
 * unknown placeholder is an error naming it: a typo in a board file must not
 * silently run a command with "{imgae}" in it. "{{" and "}}" give braces.
 */
#ifndef RIG_TMPL_H
#define RIG_TMPL_H

#include <stddef.h>

#include "buf.h"

struct tmpl_var {
	const char *name, *value;
};

/* Expands one string into out (appended). */
int tmpl_expand(struct buf *out, const char *tmpl, const struct tmpl_var *vars, size_t nvars);

/*
 * Expands every element of a template argv into a new NULL-terminated argv
 * (*out, one allocation the caller frees with free()).
 */
int tmpl_argv(char ***out, const char *const *tmpl, size_t n, const struct tmpl_var *vars, size_t nvars);

#endif
