/*
 * yaml: a YAML document as a small tree whose every node knows its line and
 * column, built from libfyaml's parser events.
 *
 * The tree and its strings live in the arena passed in; nothing to free
 * separately. Keys of mappings are scalars (anything else is refused with its
 * position), duplicate keys are refused, aliases are refused: configuration
 * files stay plain. Errors go to diags with the file's name.
 */
#ifndef RIG_YAML_H
#define RIG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"

enum ynode_type { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
	enum ynode_type type;
	int line, col;		/* 1-based */
	bool plain;		/* a scalar written without quotes */
	const char *scalar;	/* YNODE_SCALAR, NUL-terminated */
	size_t len;
	size_t n;		/* items of a sequence, pairs of a mapping */
	struct ynode **items;	/* sequence items, or mapping values */
	struct ynode **keys;	/* mapping keys */
};

/*
 * Parses text (named `name` in messages) into *out (NULL for an empty
 * document). Returns 0, or ERR_INVALID with the problems added to diags.
 * Problems that leave the structure intact (a duplicate key, an alias) still
 * give a tree, without the offending part, so that checking can go on and
 * report what else is wrong instead of a cascade of missing things.
 */
int yaml_parse(struct ynode **out, struct arena *a, const char *name, const char *text, size_t len,
	       struct diags *diags);

/* Reads and parses a file; a file that cannot be read is a diag at 1:1. */
int yaml_parse_file(struct ynode **out, struct arena *a, const char *path, struct diags *diags);

const char *ynode_type_name(const struct ynode *n);
/* The value under key in a mapping, or NULL. */
struct ynode *ynode_get(const struct ynode *map, const char *key);

#endif
