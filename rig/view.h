/*
 * view: HTML pages from templates and JSON values (jansson), escaped by
 * construction.
 *
 * A template is text with tags, a subset of Mustache:
 *   {{name}}            the value, HTML-escaped (& < > " ' become entities)
 *   {{%name}}           the value percent-encoded for one URL path segment or
 *                       query value (every byte but A-Z a-z 0-9 - . _ ~), so
 *                       it is safe in an href and in HTML alike
 *   {{#name}}…{{/name}} an array: once per element, the element as context;
 *                       an object: once, with it as context; else once when
 *                       the value is truthy (not null, false, 0, "" or [])
 *   {{^name}}…{{/name}} once when the value is falsy
 *   {{>name}}           another template of the set (header, footer)
 *   {{! text }}         a comment
 * A name is looked up in the innermost context first, then outwards; "a.b"
 * walks into objects; "." is the context itself. A missing name is empty.
 * There is deliberately no unescaped output: every byte that comes from a
 * value is escaped, so no branch name, title or console line can become
 * markup. Numbers print as integers when whole; true and false as words.
 *
 * A set is loaded once (every *.html of a folder) and checked then: an
 * unclosed or mismatched section or an unknown partial is an error naming
 * the file, so a broken template fails at start, not on a request. A set is
 * immutable after view_set_load and may be used from many threads at once.
 */
#ifndef RIG_VIEW_H
#define RIG_VIEW_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

struct view_set;

/* Loads every NAME.html of dir as template NAME. */
int view_set_load(struct view_set **out, const char *dir);
/* A set of one template held in memory (tests): name → text pairs, n of them. */
int view_set_from_strings(struct view_set **out, const char *const *names, const char *const *texts, size_t n);
void view_set_free(struct view_set *vs);
/* Whether the set has a template of that name. */
int view_has(const struct view_set *vs, const char *name);

/* Renders template name with ctx, appending to out. */
int view_render(struct buf *out, const struct view_set *vs, const char *name, json_t *ctx);

/* The escapes, for callers that build small pieces of HTML or URLs themselves. */
void view_escape_html(struct buf *out, const char *s, size_t len);
void view_escape_url(struct buf *out, const char *s, size_t len);

#endif
