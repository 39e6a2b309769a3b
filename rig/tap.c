#include "tap.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_POINTS 100000

void tap_init(struct tap *t)
{
	memset(t, 0, sizeof(*t));
	t->plan = -1;
	t->max_points = DEFAULT_MAX_POINTS;
}

void tap_release(struct tap *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->points[i].description);
		free(t->points[i].reason);
	}
	free(t->points);
	free(t->bail_reason);
	tap_init(t);
}

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Parses a decimal number at *s without overflow; advances *s. */
static bool parse_number(const char **s, int *out)
{
	long v = 0;
	const char *p = *s;

	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p - '0');
		if (v > INT_MAX / 2)
			return false;
		p++;
	}
	*s = p;
	*out = (int)v;
	return true;
}

static char *trimmed_dup(const char *s, size_t n)
{
	char *d;

	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* The first '#' not escaped as "\#": where a directive or reason starts. */
static const char *find_hash(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '#')
			return p;
	}
	return NULL;
}

static bool starts_with_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	return strncasecmp(s, word, n) == 0 && !isalpha((unsigned char)s[n]);
}

static enum tap_line parse_point(struct tap *t, const char *line, bool ok, long long t_ms)
{
	const char *p = line + (ok ? 2 : 6);
	const char *hash, *desc_end;
	struct tap_point pt = { .ok = ok, .t_ms = t_ms };
	int number;

	p = skip_spaces(p);
	if (parse_number(&p, &number))
		pt.number = number;
	else
		pt.number = (int)t->n + 1;
	p = skip_spaces(p);
	if (*p == '-')
		p = skip_spaces(p + 1);
	hash = find_hash(p);
	desc_end = hash ? hash : p + strlen(p);
	pt.description = trimmed_dup(p, (size_t)(desc_end - p));
	if (hash) {
		const char *d = skip_spaces(hash + 1);

		if (starts_with_word(d, "skip")) {
			pt.directive = TAP_SKIP;
			d = skip_spaces(d + 4);
		} else if (starts_with_word(d, "todo")) {
			pt.directive = TAP_TODO;
			d = skip_spaces(d + 4);
		}
		pt.reason = trimmed_dup(d, strlen(d));
	}
	if (t->n >= t->max_points) {
		free(pt.description);
		free(pt.reason);
		return TAP_LINE_POINT;
	}
	if (t->n == t->alloc) {
		size_t n = t->alloc ? t->alloc * 2 : 32;
		struct tap_point *v = realloc(t->points, n * sizeof(*v));

		if (!v) {
			free(pt.description);
			free(pt.reason);
			return TAP_LINE_POINT;
		}
		t->points = v;
		t->alloc = n;
	}
	if (pt.number != (int)t->n + 1)
		t->out_of_order++;
	t->points[t->n++] = pt;
	return TAP_LINE_POINT;
}

enum tap_line tap_feed(struct tap *t, const char *line, long long t_ms)
{
	const char *p = skip_spaces(line);

	if (strncmp(p, "ok", 2) == 0 && (p[2] == '\0' || p[2] == ' ' || p[2] == '\t'))
		return parse_point(t, p, true, t_ms);
	if (strncmp(p, "not ok", 6) == 0 && (p[6] == '\0' || p[6] == ' ' || p[6] == '\t'))
		return parse_point(t, p, false, t_ms);
	if (strncmp(p, "1..", 3) == 0) {
		const char *q = p + 3;
		int n;

		if (parse_number(&q, &n)) {
			q = skip_spaces(q);
			if (*q == '\0' || *q == '#') {
				if (t->plan >= 0)
					t->duplicate_plans++;
				else
					t->plan = n;
				if (*q == '#' && starts_with_word(skip_spaces(q + 1), "skip"))
					t->plan_skip = true;
				return TAP_LINE_PLAN;
			}
		}
		return TAP_LINE_OTHER;
	}
	if (strncmp(p, "Bail out!", 9) == 0) {
		if (!t->bailed) {
			t->bailed = true;
			t->bail_reason = trimmed_dup(p + 9, strlen(p + 9));
		}
		return TAP_LINE_BAIL;
	}
	if (*p == '#') {
		const char *q = skip_spaces(p + 1);

		if (strncmp(q, "tap-end", 7) == 0 && (q[7] == '\0' || isspace((unsigned char)q[7]))) {
			t->ended = true;
			return TAP_LINE_END;
		}
		return TAP_LINE_DIAG;
	}
	return TAP_LINE_OTHER;
}

bool tap_done(const struct tap *t)
{
	return t->ended || t->bailed || (t->plan >= 0 && t->n >= (size_t)t->plan);
}

size_t tap_failures(const struct tap *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		if (!t->points[i].ok && t->points[i].directive != TAP_TODO)
			n++;
	return n;
}

bool tap_verdict(const struct tap *t, int expected_plan, char *out, size_t n)
{
	out[0] = '\0';
	if (t->bailed) {
		snprintf(out, n, "bailed out: %s", t->bail_reason ? t->bail_reason : "");
		return false;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct tap_point *pt = &t->points[i];

		if (!pt->ok && pt->directive != TAP_TODO) {
			size_t more = tap_failures(t) - 1;

			snprintf(out, n, "not ok %d - %s%s%s%s", pt->number,
				 pt->description ? pt->description : "",
				 pt->reason && *pt->reason ? " # " : "", pt->reason ? pt->reason : "",
				 more ? " (and more)" : "");
			return false;
		}
	}
	if (t->plan < 0) {
		snprintf(out, n, "no TAP plan printed");
		return false;
	}
	if (expected_plan >= 0 && t->plan != expected_plan && !t->plan_skip) {
		snprintf(out, n, "TAP plan 1..%d, expected 1..%d", t->plan, expected_plan);
		return false;
	}
	if (t->n < (size_t)t->plan) {
		snprintf(out, n, "%zu of %d test points printed", t->n, t->plan);
		return false;
	}
	if (t->n > (size_t)t->plan) {
		snprintf(out, n, "%zu test points printed for a plan of %d", t->n, t->plan);
		return false;
	}
	if (t->out_of_order) {
		snprintf(out, n, "test points out of order");
		return false;
	}
	return true;
}
