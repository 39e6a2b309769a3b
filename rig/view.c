#include "view.h"

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"

#define MAX_TEMPLATES 64
#define MAX_NESTING 32		/* sections and partials within each other */
#define TEMPLATE_CAP ((size_t)1 << 20)

struct template {
	char *name, *text;
	size_t len;
};

struct view_set {
	struct template t[MAX_TEMPLATES];
	size_t n;
};

enum tag_type { TAG_VALUE, TAG_URL, TAG_SECTION, TAG_INVERTED, TAG_CLOSE, TAG_PARTIAL, TAG_COMMENT };

struct tag {
	enum tag_type type;
	const char *name;		/* trimmed, not NUL-terminated */
	size_t name_len;
	const char *start, *end;	/* the whole tag, "{{" to after "}}" */
};

/* ---- escapes ---- */

void view_escape_html(struct buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': buf_addstr(out, "&amp;"); break;
		case '<': buf_addstr(out, "&lt;"); break;
		case '>': buf_addstr(out, "&gt;"); break;
		case '"': buf_addstr(out, "&quot;"); break;
		case '\'': buf_addstr(out, "&#39;"); break;
		default: buf_addch(out, s[i]);
		}
	}
}

void view_escape_url(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~') {
			buf_addch(out, (char)c);
		} else {
			buf_addch(out, '%');
			buf_addch(out, hex[c >> 4]);
			buf_addch(out, hex[c & 15]);
		}
	}
}

/* ---- tags ---- */

static int line_of(const char *text, const char *at)
{
	int line = 1;

	for (const char *p = text; p < at; p++)
		line += *p == '\n';
	return line;
}

/*
 * The next tag at or after p, before end. Returns 1 with *t filled, 0 when
 * there is none, or ERR_INVALID for a tag that never closes.
 */
static int next_tag(struct tag *t, const char *p, const char *end)
{
	const char *open = p, *close, *name, *name_end;

	for (;;) {
		open = memchr(open, '{', (size_t)(end - open));
		if (!open || open + 1 >= end)
			return 0;
		if (open[1] == '{')
			break;
		open++;
	}
	for (close = open + 2; close + 1 < end && !(close[0] == '}' && close[1] == '}'); close++)
		;
	if (close + 1 >= end)
		return ERR_INVALID;
	t->start = open;
	t->end = close + 2;
	name = open + 2;
	switch (*name) {
	case '#': t->type = TAG_SECTION; name++; break;
	case '^': t->type = TAG_INVERTED; name++; break;
	case '/': t->type = TAG_CLOSE; name++; break;
	case '>': t->type = TAG_PARTIAL; name++; break;
	case '!': t->type = TAG_COMMENT; name++; break;
	case '%': t->type = TAG_URL; name++; break;
	default: t->type = TAG_VALUE;
	}
	name_end = close;
	while (name < name_end && (*name == ' ' || *name == '\t' || *name == '\n'))
		name++;
	while (name_end > name && (name_end[-1] == ' ' || name_end[-1] == '\t' || name_end[-1] == '\n'))
		name_end--;
	t->name = name;
	t->name_len = (size_t)(name_end - name);
	return 1;
}

static bool same_name(const struct tag *a, const struct tag *b)
{
	return a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0;
}

/* Sections nest properly and every tag closes; names are not empty. */
static int check_template(const struct template *tp)
{
	struct tag stack[MAX_NESTING], t;
	const char *p = tp->text, *end = tp->text + tp->len;
	size_t depth = 0;
	int rc;

	while ((rc = next_tag(&t, p, end)) == 1) {
		p = t.end;
		if (t.type == TAG_COMMENT)
			continue;
		if (t.name_len == 0)
			return err_set(ERR_INVALID, "template %s, line %d: a tag without a name", tp->name,
				       line_of(tp->text, t.start));
		if (t.type == TAG_SECTION || t.type == TAG_INVERTED) {
			if (depth == MAX_NESTING)
				return err_set(ERR_INVALID, "template %s, line %d: sections nested too deep", tp->name,
					       line_of(tp->text, t.start));
			stack[depth++] = t;
		} else if (t.type == TAG_CLOSE) {
			if (depth == 0 || !same_name(&stack[depth - 1], &t))
				return err_set(ERR_INVALID, "template %s, line %d: {{/%.*s}} closes %s%.*s", tp->name,
					       line_of(tp->text, t.start), (int)t.name_len, t.name,
					       depth ? "{{#" : "nothing", depth ? (int)stack[depth - 1].name_len : 0,
					       depth ? stack[depth - 1].name : "");
			depth--;
		}
	}
	if (rc < 0)
		return err_set(ERR_INVALID, "template %s: a '{{' that never closes", tp->name);
	if (depth)
		return err_set(ERR_INVALID, "template %s, line %d: {{#%.*s}} is never closed", tp->name,
			       line_of(tp->text, stack[depth - 1].start), (int)stack[depth - 1].name_len,
			       stack[depth - 1].name);
	return 0;
}

static const struct template *find(const struct view_set *vs, const char *name, size_t len)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strlen(vs->t[i].name) == len && memcmp(vs->t[i].name, name, len) == 0)
			return &vs->t[i];
	return NULL;
}

/* Every partial named exists. */
static int check_partials(const struct view_set *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		const struct template *tp = &vs->t[i];
		const char *p = tp->text, *end = tp->text + tp->len;
		struct tag t;

		while (next_tag(&t, p, end) == 1) {
			p = t.end;
			if (t.type == TAG_PARTIAL && !find(vs, t.name, t.name_len))
				return err_set(ERR_INVALID, "template %s, line %d: no template '%.*s' to include",
					       tp->name, line_of(tp->text, t.start), (int)t.name_len, t.name);
		}
	}
	return 0;
}

/* ---- sets ---- */

static int add_template(struct view_set *vs, const char *name, const char *text, size_t len)
{
	struct template *tp;

	if (vs->n == MAX_TEMPLATES)
		return err_set(ERR_LIMIT, "more than %d templates", MAX_TEMPLATES);
	tp = &vs->t[vs->n];
	tp->name = strdup(name);
	tp->text = malloc(len + 1);
	if (!tp->name || !tp->text) {
		free(tp->name);
		free(tp->text);
		return err_set(ERR_NOMEM, "out of memory");
	}
	memcpy(tp->text, text, len);
	tp->text[len] = '\0';
	tp->len = len;
	vs->n++;
	return check_template(tp);
}

void view_set_free(struct view_set *vs)
{
	if (!vs)
		return;
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->t[i].name);
		free(vs->t[i].text);
	}
	free(vs);
}

int view_set_from_strings(struct view_set **out, const char *const *names, const char *const *texts, size_t n)
{
	struct view_set *vs = calloc(1, sizeof(*vs));
	int rc = 0;

	*out = NULL;
	if (!vs)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_template(vs, names[i], texts[i], strlen(texts[i]));
	if (!rc)
		rc = check_partials(vs);
	if (rc) {
		view_set_free(vs);
		return rc;
	}
	*out = vs;
	return 0;
}

int view_set_load(struct view_set **out, const char *dir)
{
	struct view_set *vs = calloc(1, sizeof(*vs));
	struct dirent *e;
	DIR *d;
	int rc = 0;

	*out = NULL;
	if (!vs)
		return err_set(ERR_NOMEM, "out of memory");
	if (!(d = opendir(dir))) {
		free(vs);
		return err_errno(ERR_IO, "templates %s", dir);
	}
	while (!rc && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char path[PATH_MAX], name[256];
		struct buf b;

		if (len < 6 || len - 5 >= sizeof(name) || strcmp(e->d_name + len - 5, ".html") != 0 ||
		    e->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		buf_init(&b, TEMPLATE_CAP);
		if ((rc = fs_read_file(&b, path)) == 0 && (rc = add_template(vs, name, b.data, b.len)) != 0)
			err_prefix("%s", path);
		buf_release(&b);
	}
	closedir(d);
	if (!rc)
		rc = check_partials(vs);
	if (rc) {
		view_set_free(vs);
		return rc;
	}
	*out = vs;
	return 0;
}

int view_has(const struct view_set *vs, const char *name)
{
	return find(vs, name, strlen(name)) != NULL;
}

/* ---- rendering ---- */

struct render {
	const struct view_set *vs;
	struct buf *out;
	json_t *stack[MAX_NESTING * 2 + 1];
	size_t depth;
	int partials;
};

static json_t *lookup(const struct render *r, const char *name, size_t len)
{
	const char *dot;
	size_t first;
	json_t *v = NULL;

	if (len == 1 && name[0] == '.')
		return r->stack[r->depth - 1];
	dot = memchr(name, '.', len);
	first = dot ? (size_t)(dot - name) : len;
	for (size_t i = r->depth; i-- > 0;) {
		if (json_is_object(r->stack[i]) &&
		    (v = json_object_getn(r->stack[i], name, first)) != NULL)
			break;
	}
	while (v && dot) {
		const char *part = dot + 1;

		dot = memchr(part, '.', len - (size_t)(part - name));
		first = dot ? (size_t)(dot - part) : len - (size_t)(part - name);
		v = json_is_object(v) ? json_object_getn(v, part, first) : NULL;
	}
	return v;
}

static bool truthy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE: return false;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0;
	case JSON_STRING: return json_string_length(v) != 0;
	case JSON_ARRAY: return json_array_size(v) != 0;
	default: return true;
	}
}

static void put_value(struct render *r, const json_t *v, bool url)
{
	char num[64];
	const char *s = NULL;
	size_t len = 0;

	if (!v)
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		len = json_string_length(v);
		break;
	case JSON_INTEGER:
		len = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = num;
		break;
	case JSON_REAL:
		len = (size_t)snprintf(num, sizeof(num), "%.4g", json_real_value(v));
		s = num;
		break;
	case JSON_TRUE: s = "true"; len = 4; break;
	case JSON_FALSE: s = "false"; len = 5; break;
	default: return;
	}
	if (url)
		view_escape_url(r->out, s, len);
	else
		view_escape_html(r->out, s, len);
}

/* The {{/name}} closing the section opened by open; checked templates always have one. */
static const struct tag *find_close(struct tag *close, const struct tag *open, const char *end)
{
	const char *p = open->end;
	struct tag t;
	int depth = 0;

	while (next_tag(&t, p, end) == 1) {
		p = t.end;
		if (t.type == TAG_SECTION || t.type == TAG_INVERTED) {
			depth++;
		} else if (t.type == TAG_CLOSE) {
			if (depth == 0) {
				*close = t;
				return close;
			}
			depth--;
		}
	}
	return NULL;
}

static int render_range(struct render *r, const char *p, const char *end);

static int render_with(struct render *r, json_t *ctx, const char *p, const char *end)
{
	int rc;

	if (r->depth == sizeof(r->stack) / sizeof(r->stack[0]))
		return err_set(ERR_LIMIT, "template: contexts nested too deep");
	r->stack[r->depth++] = ctx;
	rc = render_range(r, p, end);
	r->depth--;
	return rc;
}

static int render_range(struct render *r, const char *p, const char *end)
{
	struct tag t, close;
	int rc;

	while ((rc = next_tag(&t, p, end)) == 1) {
		json_t *v;

		rc = 0;
		buf_add(r->out, p, (size_t)(t.start - p));
		p = t.end;
		switch (t.type) {
		case TAG_VALUE:
		case TAG_URL:
			put_value(r, lookup(r, t.name, t.name_len), t.type == TAG_URL);
			break;
		case TAG_COMMENT:
		case TAG_CLOSE:
			break;
		case TAG_PARTIAL: {
			const struct template *tp = find(r->vs, t.name, t.name_len);

			if (!tp || r->partials >= MAX_NESTING)
				return err_set(ERR_INVALID, "template: cannot include '%.*s'", (int)t.name_len, t.name);
			r->partials++;
			rc = render_range(r, tp->text, tp->text + tp->len);
			r->partials--;
			if (rc)
				return rc;
			break;
		}
		case TAG_SECTION:
		case TAG_INVERTED:
			if (!find_close(&close, &t, end))
				return err_set(ERR_INVALID, "template: {{#%.*s}} is never closed", (int)t.name_len, t.name);
			v = lookup(r, t.name, t.name_len);
			if (t.type == TAG_INVERTED) {
				if (!v || !truthy(v))
					rc = render_range(r, t.end, close.start);
			} else if (v && json_is_array(v)) {
				size_t i;
				json_t *e;

				json_array_foreach(v, i, e) {
					if ((rc = render_with(r, e, t.end, close.start)) != 0)
						break;
				}
			} else if (v && json_is_object(v)) {
				rc = render_with(r, v, t.end, close.start);
			} else if (v && truthy(v)) {
				rc = render_range(r, t.end, close.start);
			}
			if (rc)
				return rc;
			p = close.end;
			break;
		}
	}
	if (rc < 0)
		return err_set(ERR_INVALID, "template: a '{{' that never closes");
	buf_add(r->out, p, (size_t)(end - p));
	return 0;
}

int view_render(struct buf *out, const struct view_set *vs, const char *name, json_t *ctx)
{
	const struct template *tp = find(vs, name, strlen(name));
	struct render r = { .vs = vs, .out = out };
	int rc;

	if (!tp)
		return err_set(ERR_NOTFOUND, "no template '%s'", name);
	r.stack[r.depth++] = ctx;
	rc = render_range(&r, tp->text, tp->text + tp->len);
	if (!rc && out->truncated)
		rc = err_set(ERR_LIMIT, "page %s is over %zu bytes", name, out->cap);
	return rc;
}
