#include "tmpl.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

int tmpl_expand(struct buf *out, const char *tmpl, const struct tmpl_var *vars, size_t nvars)
{
	const char *p = tmpl;

	while (*p) {
		const char *close;
		size_t i, len;

		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			buf_addch(out, p[0]);
			p += 2;
			continue;
		}
		if (*p != '{') {
			buf_addch(out, *p++);
			continue;
		}
		close = strchr(p, '}');
		if (!close)
			return err_set(ERR_INVALID, "unclosed '{' in '%s'", tmpl);
		len = (size_t)(close - p - 1);
		for (i = 0; i < nvars; i++)
			if (strlen(vars[i].name) == len && strncmp(vars[i].name, p + 1, len) == 0)
				break;
		if (i == nvars || !vars[i].value)
			return err_set(ERR_INVALID, "unknown placeholder '{%.*s}' in '%s'", (int)len, p + 1, tmpl);
		buf_addstr(out, vars[i].value);
		p = close + 1;
	}
	return out->truncated ? err_set(ERR_LIMIT, "expansion of '%s' too long", tmpl) : 0;
}

int tmpl_argv(char ***out, const char *const *tmpl, size_t n, const struct tmpl_var *vars, size_t nvars)
{
	struct buf *parts = calloc(n ? n : 1, sizeof(*parts));
	size_t total = 0;
	char **argv = NULL, *strings;
	int rc = 0;

	*out = NULL;
	if (!parts)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		buf_init(&parts[i], 1 << 16);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = tmpl_expand(&parts[i], tmpl[i], vars, nvars);
		total += parts[i].len + 1;
	}
	if (!rc) {
		/* One block: the pointer array, then the strings. */
		argv = malloc((n + 1) * sizeof(*argv) + total);
		if (!argv) {
			rc = err_set(ERR_NOMEM, "out of memory");
		} else {
			strings = (char *)(argv + n + 1);
			for (size_t i = 0; i < n; i++) {
				memcpy(strings, parts[i].data, parts[i].len + 1);
				argv[i] = strings;
				strings += parts[i].len + 1;
			}
			argv[n] = NULL;
			*out = argv;
		}
	}
	for (size_t i = 0; i < n; i++)
		buf_release(&parts[i]);
	free(parts);
	return rc;
}
