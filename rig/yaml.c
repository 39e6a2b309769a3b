#include "yaml.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

/* Config files are small; anything bigger is a mistake, not a config. */
#define MAX_FILE_SIZE ((size_t)4 << 20)
#define MAX_DEPTH 64

struct frame {
	struct ynode *node;
	struct ynode **kids;	/* items (or values) collected so far */
	struct ynode **keys;
	size_t n, alloc;
	struct ynode *pending_key;	/* a mapping's key awaiting its value */
};

struct builder {
	struct arena *a;
	const char *name;
	struct diags *diags;
	struct frame stack[MAX_DEPTH];
	int depth;
	struct ynode *root;
	int errors;
	bool broken;		/* not YAML at all: no tree to return */
};

static void mark_of(struct fy_token *t, int *line, int *col)
{
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;

	*line = m ? m->line + 1 : 1;
	*col = m ? m->column + 1 : 1;
}

static struct ynode *new_node(struct builder *b, enum ynode_type type, struct fy_token *t)
{
	struct ynode *n = arena_alloc(b->a, sizeof(*n));

	n->type = type;
	mark_of(t, &n->line, &n->col);
	return n;
}

static int push_kid(struct builder *b, struct frame *f, struct ynode *key, struct ynode *val)
{
	if (f->n == f->alloc) {
		size_t n = f->alloc ? f->alloc * 2 : 8;
		struct ynode **kids = realloc(f->kids, n * sizeof(*kids));
		struct ynode **keys = realloc(f->keys, n * sizeof(*keys));

		if (kids)
			f->kids = kids;
		if (keys)
			f->keys = keys;
		if (!kids || !keys) {
			diags_add(b->diags, b->name, 1, 1, "out of memory");
			return -1;
		}
		f->alloc = n;
	}
	f->keys[f->n] = key;
	f->kids[f->n] = val;
	f->n++;
	return 0;
}

/* Attaches a finished node to its parent (or makes it the root). */
static void attach(struct builder *b, struct ynode *node)
{
	struct frame *f;

	if (b->depth == 0) {
		b->root = node;
		return;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->type == YNODE_SEQ) {
		push_kid(b, f, NULL, node);
		return;
	}
	if (!f->pending_key) {
		if (node->type != YNODE_SCALAR) {
			diags_add(b->diags, b->name, node->line, node->col,
				  "a key must be a plain string, not a %s", ynode_type_name(node));
			b->errors++;
			/* Stand-in key so that the value that follows is not taken as a key. */
			node = new_node(b, YNODE_SCALAR, NULL);
			node->scalar = "";
		}
		f->pending_key = node;
		return;
	}
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->keys[i]->scalar, f->pending_key->scalar) == 0) {
			diags_add(b->diags, b->name, f->pending_key->line, f->pending_key->col,
				  "duplicate key '%s' (first at line %d)", f->pending_key->scalar,
				  f->keys[i]->line);
			b->errors++;
			f->pending_key = NULL;
			return;
		}
	}
	push_kid(b, f, f->pending_key, node);
	f->pending_key = NULL;
}

static void open_frame(struct builder *b, struct ynode *node)
{
	struct frame *f;

	if (b->depth == MAX_DEPTH) {
		diags_add(b->diags, b->name, node->line, node->col, "nested deeper than %d levels", MAX_DEPTH);
		b->errors++;
		return;
	}
	f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
}

static void close_frame(struct builder *b)
{
	struct frame *f;
	struct ynode *node;

	if (b->depth == 0)
		return;
	f = &b->stack[--b->depth];
	node = f->node;
	node->n = f->n;
	node->items = arena_alloc(b->a, (f->n + 1) * sizeof(*node->items));
	if (f->n)
		memcpy(node->items, f->kids, f->n * sizeof(*node->items));
	if (node->type == YNODE_MAP) {
		node->keys = arena_alloc(b->a, (f->n + 1) * sizeof(*node->keys));
		if (f->n)
			memcpy(node->keys, f->keys, f->n * sizeof(*node->keys));
	}
	free(f->kids);
	free(f->keys);
	attach(b, node);
}

static void collect_parser_errors(struct builder *b, struct fy_diag *diag)
{
	struct fy_diag_error *e;
	void *iter = NULL;
	int reported = 0;

	while ((e = fy_diag_errors_iterate(diag, &iter)) != NULL) {
		diags_add(b->diags, b->name, e->line + 1, e->column + 1, "%s", e->msg);
		reported++;
	}
	if (!reported)
		diags_add(b->diags, b->name, 1, 1, "not valid YAML");
	b->errors++;
	b->broken = true;
}

int yaml_parse(struct ynode **out, struct arena *a, const char *name, const char *text, size_t len,
	       struct diags *diags)
{
	struct builder b = { .a = a, .name = name, .diags = diags };
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag = NULL;
	struct fy_parser *fyp = NULL;
	struct fy_parse_cfg pcfg;
	struct fy_event *ev;
	int documents = 0;
	bool failed = false;

	*out = NULL;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (!diag) {
		diags_add(diags, name, 1, 1, "cannot start the YAML parser");
		return ERR_INVALID;
	}
	fy_diag_set_collect_errors(diag, true);
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG;
	pcfg.diag = diag;
	fyp = fy_parser_create(&pcfg);
	if (!fyp || fy_parser_set_string(fyp, text, len) != 0) {
		diags_add(diags, name, 1, 1, "cannot start the YAML parser");
		b.errors++;
		b.broken = true;
		goto cleanup;
	}

	while ((ev = fy_parser_parse(fyp)) != NULL) {
		struct ynode *node;

		switch (ev->type) {
		case FYET_DOCUMENT_START:
			if (++documents > 1) {
				int line, col;

				mark_of(fy_event_get_token(ev), &line, &col);
				diags_add(diags, name, line, col, "only one YAML document is expected per file");
				b.errors++;
				failed = true;
				b.broken = true;
			}
			break;
		case FYET_SCALAR: {
			size_t n;
			const char *s = fy_token_get_text(ev->scalar.value, &n);

			node = new_node(&b, YNODE_SCALAR, ev->scalar.value);
			node->plain = fy_token_scalar_style(ev->scalar.value) == FYSS_PLAIN;
			node->scalar = arena_strndup(a, s ? s : "", s ? n : 0);
			node->len = s ? n : 0;
			if (node->len != strlen(node->scalar)) {
				diags_add(diags, name, node->line, node->col, "a string may not contain NUL bytes");
				b.errors++;
			}
			attach(&b, node);
			break;
		}
		case FYET_MAPPING_START:
			open_frame(&b, new_node(&b, YNODE_MAP, ev->mapping_start.mapping_start));
			break;
		case FYET_SEQUENCE_START:
			open_frame(&b, new_node(&b, YNODE_SEQ, ev->sequence_start.sequence_start));
			break;
		case FYET_MAPPING_END:
		case FYET_SEQUENCE_END:
			close_frame(&b);
			break;
		case FYET_ALIAS: {
			int line, col;

			mark_of(ev->alias.anchor, &line, &col);
			diags_add(diags, name, line, col, "aliases (*name) are not supported in configuration");
			b.errors++;
			node = new_node(&b, YNODE_SCALAR, ev->alias.anchor);
			node->scalar = "";
			attach(&b, node);
			break;
		}
		default:
			break;
		}
		fy_parser_event_free(fyp, ev);
		if (failed)
			break;
	}
	if (fy_parser_get_stream_error(fyp))
		collect_parser_errors(&b, diag);

cleanup:
	while (b.depth > 0) {
		b.depth--;
		free(b.stack[b.depth].kids);
		free(b.stack[b.depth].keys);
	}
	if (fyp)
		fy_parser_destroy(fyp);
	fy_diag_destroy(diag);
	if (!b.broken && b.depth == 0)
		*out = b.root;
	return b.errors ? ERR_INVALID : 0;
}

int yaml_parse_file(struct ynode **out, struct arena *a, const char *path, struct diags *diags)
{
	struct buf text;
	char chunk[8192];
	FILE *f;
	size_t n;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		diags_add(diags, path, 1, 1, "cannot read: %s", strerror(errno));
		return ERR_INVALID;
	}
	buf_init(&text, MAX_FILE_SIZE);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&text, chunk, n) != 0) {
			diags_add(diags, path, 1, 1, "larger than %zu bytes: not a configuration file",
				  MAX_FILE_SIZE);
			fclose(f);
			buf_release(&text);
			return ERR_INVALID;
		}
	}
	if (ferror(f)) {
		diags_add(diags, path, 1, 1, "cannot read: %s", strerror(errno));
		fclose(f);
		buf_release(&text);
		return ERR_INVALID;
	}
	fclose(f);
	rc = yaml_parse(out, a, path, text.data, text.len, diags);
	buf_release(&text);
	return rc;
}

const char *ynode_type_name(const struct ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case YNODE_SCALAR: return "scalar";
	case YNODE_MAP: return "mapping";
	case YNODE_SEQ: return "list";
	}
	return "?";
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->type != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->scalar, key) == 0)
			return map->items[i];
	return NULL;
}
