#include "dashdata.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store.h"

#define SYMBOLS_SHOWN 10

/* ---- JSON helpers ---- */

/*
 * A JSON string of untrusted bytes: jansson refuses invalid UTF-8, and a
 * title or branch name from a forge may hold any bytes, so those become '?'
 * rather than an error or a missing key.
 */
static json_t *jstrn(const char *s, size_t len)
{
	json_t *v;
	char *copy;

	if (!s)
		return json_null();
	if ((v = json_stringn(s, len)) != NULL)
		return v;
	if (!(copy = malloc(len + 1)))
		return json_null();
	for (size_t i = 0; i < len; i++)
		copy[i] = (unsigned char)s[i] >= 0x80 || s[i] == '\0' ? '?' : s[i];
	v = json_stringn(copy, len);
	free(copy);
	return v ? v : json_null();
}

static json_t *jstr(const char *s)
{
	return s ? jstrn(s, strlen(s)) : json_null();
}

static void set(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v ? v : json_null());
}

static void set_str(json_t *o, const char *key, const char *s)
{
	set(o, key, jstr(s));
}

static void set_int(json_t *o, const char *key, int64_t n)
{
	set(o, key, json_integer(n));
}

static json_t *jfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *jfmt(const char *fmt, ...)
{
	char s[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	return jstr(s);
}

void dashdata_age(char *out, size_t n, int64_t now, int64_t then)
{
	int64_t s = (now - then) / 1000;

	if (then <= 0)
		snprintf(out, n, "%s", "");
	else if (s < 60)
		snprintf(out, n, "%" PRId64 " s ago", s < 0 ? 0 : s);
	else if (s < 3600)
		snprintf(out, n, "%" PRId64 " min ago", s / 60);
	else if (s < 86400)
		snprintf(out, n, "%" PRId64 " h ago", s / 3600);
	else
		snprintf(out, n, "%" PRId64 " d ago", s / 86400);
}

static void set_age(json_t *o, const char *key, int64_t now, int64_t then)
{
	char age[32];

	dashdata_age(age, sizeof(age), now, then);
	set_str(o, key, age);
}

/* "+1,024" style: the sign always shown, so growth and shrinkage read at a glance. */
static json_t *signed_bytes(int64_t v)
{
	return jfmt("%s%" PRId64, v > 0 ? "+" : "", v);
}

/* A CSS class for a delta: grew | shrank | same. */
static const char *delta_class(int64_t v)
{
	return v > 0 ? "grew" : v < 0 ? "shrank" : "same";
}

static json_t *verdict_obj(const char *status)
{
	/* Templates test flags, never compare strings: one boolean per verdict. */
	json_t *o = json_object();

	set_str(o, "status", status);
	if (status) {
		char key[40];

		snprintf(key, sizeof(key), "is_%s", status);
		set(o, key, json_true());
	}
	return o;
}

/* ---- changes ---- */

static json_t *change_json(const struct store_change *c, int64_t now)
{
	json_t *o = json_object();

	set_int(o, "id", c->id);
	set_str(o, "repo", c->repo);
	set_str(o, "forge", c->forge);
	set_str(o, "kind", c->kind);
	set_int(o, "number", c->number);
	set_str(o, "ref", c->ref);
	set_str(o, "sha", c->sha);
	set(o, "short_sha", c->sha ? jstrn(c->sha, strnlen(c->sha, 10)) : json_null());
	set_str(o, "base_ref", c->base_ref);
	set_str(o, "base_sha", c->base_sha);
	set_str(o, "merge_base", c->merge_base);
	set_str(o, "title", c->title);
	set_str(o, "author", c->author);
	set_str(o, "state", c->state);
	set_str(o, "gate", c->gate);
	set_str(o, "reason", c->reason);
	set_int(o, "created_at", c->created_at);
	set_int(o, "updated_at", c->updated_at);
	set_int(o, "finished_at", c->finished_at);
	set_age(o, "age", now, c->created_at);
	set(o, "url", jfmt("/changes/%" PRId64, c->id));
	/* What a person sees: the gate once decided, else where the change is. */
	set(o, "verdict", verdict_obj(c->gate ? c->gate : c->state));
	set(o, "is_pr", json_boolean(c->number > 0));
	return o;
}

int dashdata_changes(json_t **out, const struct dashdata_env *env, const struct store_change_filter *f)
{
	struct store_change_row *rows;
	size_t n, limit = f && f->limit ? f->limit : 50;
	json_t *o, *list, *filter;
	int rc;

	*out = NULL;
	if ((rc = store_changes_list(env->store, f, &rows, &n)) != 0)
		return rc;
	o = json_object();
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *c = change_json(&rows[i].c, env->now), *size;

		if (rows[i].has_delta) {
			size = json_object();
			set_int(size, "flash_delta", rows[i].flash_delta);
			set_int(size, "ram_delta", rows[i].ram_delta);
			set(size, "flash", signed_bytes(rows[i].flash_delta));
			set(size, "ram", signed_bytes(rows[i].ram_delta));
			set_str(size, "flash_class", delta_class(rows[i].flash_delta));
			set_str(size, "ram_class", delta_class(rows[i].ram_delta));
			set(c, "size", size);
		} else {
			set(c, "size", json_null());
		}
		set_int(c, "results", rows[i].results);
		set_int(c, "failed", rows[i].failed);
		json_array_append_new(list, c);
	}
	set(o, "changes", list);
	set(o, "next_before", n == limit && n > 0 ? json_integer(rows[n - 1].c.id) : json_null());
	filter = json_object();
	set_str(filter, "state", f ? f->state : NULL);
	set_str(filter, "gate", f ? f->gate : NULL);
	set(o, "filter", filter);
	store_change_rows_free(rows, n);
	*out = o;
	return 0;
}

/* ---- one change ---- */

static json_t *totals_json(int64_t text, int64_t data, int64_t bss)
{
	json_t *o = json_object();

	set_int(o, "text", text);
	set_int(o, "data", data);
	set_int(o, "bss", bss);
	set_int(o, "flash", text + data);
	set_int(o, "ram", data + bss);
	return o;
}

static int build_json(json_t **out, const struct dashdata_env *env, const struct store_build_row *r)
{
	const struct store_build *b = &r->b;
	json_t *o = json_object();

	set_int(o, "id", b->id);
	set_str(o, "board", b->board);
	set_str(o, "sha", b->sha);
	set(o, "verdict", verdict_obj(b->status));
	set_str(o, "status", b->status);
	set(o, "cached", json_boolean(b->cached));
	set_int(o, "source_build_id", b->source_build_id);
	set_int(o, "duration_ms", b->duration_ms);
	set(o, "duration", jfmt("%.1f s", (double)b->duration_ms / 1000.0));
	set_str(o, "reason", b->reason);
	set(o, "log_url", b->log_path ? jfmt("/builds/%" PRId64 "/log", b->id) : json_null());
	set_age(o, "age", env->now, b->created_at);
	set(o, "sizes", r->has_sizes ? totals_json(r->text, r->data, r->bss) : json_null());
	if (r->has_sizes && r->has_base) {
		int64_t df = (r->text + r->data) - (r->base_text + r->base_data);
		int64_t dr = (r->data + r->bss) - (r->base_data + r->base_bss);
		struct store_symbol_delta *syms;
		json_t *d = json_object(), *list = json_array();
		size_t n;
		int rc;

		set(o, "base", totals_json(r->base_text, r->base_data, r->base_bss));
		set_int(d, "flash", df);
		set_int(d, "ram", dr);
		set_int(d, "text", r->text - r->base_text);
		set_int(d, "data", r->data - r->base_data);
		set_int(d, "bss", r->bss - r->base_bss);
		set(d, "flash_text", signed_bytes(df));
		set(d, "ram_text", signed_bytes(dr));
		set_str(d, "flash_class", delta_class(df));
		set_str(d, "ram_class", delta_class(dr));
		set(o, "delta", d);
		if ((rc = store_symbol_deltas(env->store, r->sizes_build, r->base_build, SYMBOLS_SHOWN, &syms, &n))) {
			json_decref(list);
			json_decref(o);
			return rc;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *s = json_object();

			set_str(s, "name", syms[i].name);
			set_str(s, "section", syms[i].section);
			set_int(s, "base", syms[i].base);
			set_int(s, "size", syms[i].size);
			set_int(s, "delta", syms[i].delta);
			set(s, "delta_text", signed_bytes(syms[i].delta));
			set_str(s, "change", syms[i].base == 0 ? "new" : syms[i].size == 0 ? "removed"
					     : syms[i].delta > 0 ? "grew" : "shrank");
			json_array_append_new(list, s);
		}
		store_symbol_deltas_free(syms, n);
		set(o, "symbols", list);
	} else {
		set(o, "base", json_null());
		set(o, "delta", json_null());
		set(o, "symbols", json_array());
	}
	*out = o;
	return 0;
}

/* A matrix column: one target (a QEMU machine or a device) of a board. */
struct column {
	const char *target, *kind, *board, *device;
};

static int column_cmp(const void *a, const void *b)
{
	const struct column *x = a, *y = b;
	int c = strcmp(x->board, y->board);

	if (c)
		return c;
	/* QEMU first, then the hardware beside it. */
	if ((c = (strcmp(x->kind, "qemu") != 0) - (strcmp(y->kind, "qemu") != 0)) != 0)
		return c;
	return strcmp(x->target, y->target);
}

static size_t column_of(const struct column *cols, size_t n, const char *target, const char *kind)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cols[i].target, target) == 0 && strcmp(cols[i].kind, kind) == 0)
			return i;
	return n;
}

/*
 * The matrix of cases × targets. Results come sorted by suite, case, target
 * and id: the last one of a (case, target) is the one shown (a retried job
 * adds results). A case that passes on one target and fails on another of
 * the same board is a discrepancy: the board or the emulator, not the code,
 * differs.
 */
static json_t *matrix_json(const struct store_result_row *res, size_t n)
{
	struct column *cols = calloc(n + 1, sizeof(*cols));
	size_t ncols = 0, ndisc = 0;
	json_t *o = json_object(), *targets = json_array(), *groups = json_array(), *rows = json_array();

	if (!cols) {
		set(o, "targets", targets);
		set(o, "boards", groups);
		set(o, "rows", rows);
		return o;
	}
	for (size_t i = 0; i < n; i++) {
		if (column_of(cols, ncols, res[i].target, res[i].kind) == ncols)
			cols[ncols++] = (struct column){ res[i].target, res[i].kind, res[i].board, res[i].device };
	}
	qsort(cols, ncols, sizeof(*cols), column_cmp);
	for (size_t i = 0; i < ncols; i++) {
		json_t *t = json_object();

		set_str(t, "target", cols[i].target);
		set_str(t, "kind", cols[i].kind);
		set_str(t, "board", cols[i].board);
		set_str(t, "device", cols[i].device);
		set(t, "is_qemu", json_boolean(strcmp(cols[i].kind, "qemu") == 0));
		json_array_append_new(targets, t);
		if (i == 0 || strcmp(cols[i].board, cols[i - 1].board) != 0) {
			json_t *g = json_object();

			set_str(g, "board", cols[i].board);
			set_int(g, "span", 1);
			json_array_append_new(groups, g);
		} else {
			json_t *g = json_array_get(groups, json_array_size(groups) - 1);

			set_int(g, "span", json_integer_value(json_object_get(g, "span")) + 1);
		}
	}
	for (size_t i = 0; i < n;) {
		const struct store_result_row **cell = calloc(ncols + 1, sizeof(*cell));
		json_t *row = json_object(), *cells = json_array();
		bool discrepancy = false;
		size_t j = i;

		if (!cell) {
			json_decref(row);
			json_decref(cells);
			break;
		}
		for (; j < n && strcmp(res[j].suite, res[i].suite) == 0 && strcmp(res[j].case_name, res[i].case_name) == 0;
		     j++)
			cell[column_of(cols, ncols, res[j].target, res[j].kind)] = &res[j];
		for (size_t a = 0; a < ncols; a++) {
			for (size_t b = a + 1; b < ncols && cell[a]; b++) {
				if (!cell[b] || strcmp(cols[a].board, cols[b].board) != 0)
					continue;
				if ((strcmp(cell[a]->status, "pass") == 0 && strcmp(cell[b]->status, "fail") == 0) ||
				    (strcmp(cell[a]->status, "fail") == 0 && strcmp(cell[b]->status, "pass") == 0))
					discrepancy = true;
			}
		}
		for (size_t a = 0; a < ncols; a++) {
			json_t *c;

			if (!cell[a]) {
				c = verdict_obj(NULL);
				set(c, "empty", json_true());
			} else {
				c = verdict_obj(cell[a]->status);
				set(c, "flaky", json_boolean(cell[a]->flaky));
				set_int(c, "attempt", cell[a]->attempt);
				set_int(c, "duration_ms", cell[a]->duration_ms);
				set_str(c, "reason", cell[a]->reason);
				set_int(c, "job_id", cell[a]->job_id);
				set(c, "log_url", cell[a]->job_id ? jfmt("/runs/%" PRId64, cell[a]->job_id) : json_null());
			}
			set_str(c, "target", cols[a].target);
			set(c, "is_qemu", json_boolean(strcmp(cols[a].kind, "qemu") == 0));
			json_array_append_new(cells, c);
		}
		set_str(row, "suite", res[i].suite);
		set_str(row, "case", res[i].case_name);
		set(row, "discrepancy", json_boolean(discrepancy));
		set(row, "cells", cells);
		json_array_append_new(rows, row);
		ndisc += discrepancy;
		free(cell);
		i = j;
	}
	set(o, "targets", targets);
	set(o, "boards", groups);
	set(o, "rows", rows);
	set_int(o, "discrepancies", (int64_t)ndisc);
	free(cols);
	return o;
}

int dashdata_change(json_t **out, const struct dashdata_env *env, int64_t id)
{
	struct store_change c;
	struct store_build_row *builds = NULL;
	struct store_result_row *res = NULL;
	size_t nb = 0, nr = 0;
	json_t *o = NULL, *list, *logs;
	int64_t last_job = 0;
	int rc;

	*out = NULL;
	if ((rc = store_change_get(env->store, id, &c)) != 0)
		return rc;
	if ((rc = store_change_builds(env->store, id, &builds, &nb)) != 0 ||
	    (rc = store_change_results(env->store, id, &res, &nr)) != 0)
		goto cleanup;
	o = json_object();
	set(o, "change", change_json(&c, env->now));
	list = json_array();
	logs = json_array();
	for (size_t i = 0; i < nb; i++) {
		json_t *b;

		if ((rc = build_json(&b, env, &builds[i])) != 0) {
			json_decref(list);
			json_decref(logs);
			json_decref(o);
			o = NULL;
			goto cleanup;
		}
		json_array_append_new(list, b);
		if (builds[i].b.log_path) {
			json_t *l = json_object();

			set(l, "label", jfmt("build %s", builds[i].b.board));
			set(l, "url", jfmt("/builds/%" PRId64 "/log", builds[i].b.id));
			json_array_append_new(logs, l);
		}
	}
	set(o, "builds", list);
	set(o, "matrix", matrix_json(res, nr));
	/* One log per job: results come by case, so collect the jobs in order of id. */
	for (;;) {
		int64_t next = 0;
		const struct store_result_row *r = NULL;

		for (size_t i = 0; i < nr; i++)
			if (res[i].job_id > last_job && (!next || res[i].job_id < next)) {
				next = res[i].job_id;
				r = &res[i];
			}
		if (!next)
			break;
		json_t *l = json_object();

		set(l, "label", jfmt("%s on %s%s", r->suite, r->target, strcmp(r->kind, "qemu") == 0 ? " (QEMU)" : ""));
		set(l, "url", jfmt("/runs/%" PRId64, next));
		json_array_append_new(logs, l);
		last_job = next;
	}
	set(o, "logs", logs);
cleanup:
	store_change_release(&c);
	store_build_rows_free(builds, nb);
	store_result_rows_free(res, nr);
	*out = o;
	return rc;
}

/* ---- a case's history ---- */

int dashdata_case(json_t **out, const struct dashdata_env *env, const char *suite, const char *case_name,
		  size_t limit)
{
	struct store_result_row *res;
	size_t n;
	json_t *o, *targets;
	int rc;

	*out = NULL;
	if ((rc = store_case_history(env->store, suite, case_name, limit, &res, &n)) != 0)
		return rc;
	if (n == 0) {
		store_result_rows_free(res, n);
		return err_set(ERR_NOTFOUND, "no results of case %s/%s", suite, case_name);
	}
	o = json_object();
	set_str(o, "suite", suite);
	set_str(o, "case", case_name);
	targets = json_array();
	/* Per target, oldest first: a flip is a change of verdict between two runs of one commit. */
	for (size_t i = 0; i < n; i++) {
		const char *target = res[i].target;
		json_t *t, *list;
		int64_t runs = 0, flaky = 0, flips = 0, fails = 0;
		const struct store_result_row *prev = NULL;
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(res[k].target, target) == 0;
		if (seen)
			continue;
		t = json_object();
		list = json_array();
		for (size_t k = n; k-- > 0;) {
			const struct store_result_row *r = &res[k];
			json_t *e;

			if (strcmp(r->target, target) != 0)
				continue;
			runs++;
			flaky += r->flaky;
			fails += strcmp(r->status, "fail") == 0;
			if (prev && strcmp(prev->sha, r->sha) == 0 && strcmp(prev->status, r->status) != 0 &&
			    (strcmp(r->status, "pass") == 0 || strcmp(r->status, "fail") == 0) &&
			    (strcmp(prev->status, "pass") == 0 || strcmp(prev->status, "fail") == 0))
				flips++;
			prev = r;
			e = verdict_obj(r->status);
			set_int(e, "id", r->id);
			set_int(e, "change_id", r->change_id);
			set_str(e, "sha", r->sha);
			set(e, "short_sha", r->sha ? jstrn(r->sha, strnlen(r->sha, 10)) : json_null());
			set_str(e, "ref", r->ref);
			set(e, "flaky", json_boolean(r->flaky));
			set_int(e, "attempt", r->attempt);
			set_int(e, "duration_ms", r->duration_ms);
			set_str(e, "reason", r->reason);
			set_int(e, "created_at", r->created_at);
			set_age(e, "age", env->now, r->created_at);
			set(e, "change_url", jfmt("/changes/%" PRId64, r->change_id));
			set(e, "log_url", r->job_id ? jfmt("/runs/%" PRId64, r->job_id) : json_null());
			json_array_append_new(list, e);
		}
		set_str(t, "target", target);
		set_str(t, "kind", res[i].kind);
		set_str(t, "board", res[i].board);
		set_int(t, "runs", runs);
		set_int(t, "fails", fails);
		set_int(t, "flaky", flaky);
		set_int(t, "flips", flips);
		set(t, "flake_rate", json_real(runs ? (double)(flaky + flips) / (double)runs : 0.0));
		set(t, "flake_percent", jfmt("%.1f %%", runs ? 100.0 * (double)(flaky + flips) / (double)runs : 0.0));
		set(t, "results", list);
		json_array_append_new(targets, t);
	}
	set(o, "targets", targets);
	store_result_rows_free(res, n);
	*out = o;
	return 0;
}

/* ---- size history ---- */

int dashdata_sizes(json_t **out, const struct dashdata_env *env, const char *board, size_t limit)
{
	struct store_size_point *pts;
	size_t n;
	json_t *o, *list;
	int rc;

	*out = NULL;
	if ((rc = store_size_history(env->store, board, limit, &pts, &n)) != 0)
		return rc;
	o = json_object();
	list = json_array();
	set_str(o, "board", board);
	for (size_t i = 0; i < n; i++) {
		json_t *p = totals_json(pts[i].text, pts[i].data, pts[i].bss);

		set_int(p, "build_id", pts[i].build_id);
		set_int(p, "change_id", pts[i].change_id);
		set_int(p, "at", pts[i].at);
		set_str(p, "sha", pts[i].sha);
		set(p, "short_sha", pts[i].sha ? jstrn(pts[i].sha, strnlen(pts[i].sha, 10)) : json_null());
		set_str(p, "ref", pts[i].ref ? pts[i].ref : "merge-base");
		set_age(p, "age", env->now, pts[i].at);
		if (i > 0) {
			set(p, "flash_delta", signed_bytes((pts[i].text + pts[i].data) - (pts[i - 1].text + pts[i - 1].data)));
			set(p, "ram_delta", signed_bytes((pts[i].data + pts[i].bss) - (pts[i - 1].data + pts[i - 1].bss)));
		}
		json_array_append_new(list, p);
	}
	set(o, "points", list);
	store_size_points_free(pts, n);
	*out = o;
	return 0;
}

int dashdata_boards(json_t **out, const struct dashdata_env *env)
{
	char **names;
	size_t n;
	json_t *list;
	int rc;

	*out = NULL;
	if ((rc = store_boards_built(env->store, &names, &n)) != 0)
		return rc;
	list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, jstr(names[i]));
	store_names_free(names, n);
	*out = json_pack("{s:o}", "boards", list);
	return *out ? 0 : err_set(ERR_NOMEM, "out of memory");
}

/* ---- the rack ---- */

int dashdata_devices(json_t **out, const struct dashdata_env *env)
{
	struct store_device *v;
	size_t n;
	json_t *list;
	int rc;

	*out = NULL;
	if ((rc = store_devices_list(env->store, &v, &n)) != 0)
		return rc;
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_object();

		set_str(d, "id", v[i].id);
		set_str(d, "board", v[i].board);
		set(d, "verdict", verdict_obj(v[i].state));
		set_str(d, "state", v[i].state);
		set(d, "locked", json_boolean(strcmp(v[i].state, "locked") == 0));
		set_int(d, "lease_job", v[i].lease_job);
		set_str(d, "lease_holder", v[i].lease_holder);
		set_int(d, "lease_expires", v[i].lease_expires);
		set(d, "lease_url", v[i].lease_job ? jfmt("/runs/%" PRId64, v[i].lease_job) : json_null());
		set_str(d, "locked_reason", v[i].locked_reason);
		set_str(d, "offline_reason", v[i].offline_reason);
		set_int(d, "infra_errors", v[i].infra_errors);
		set_str(d, "health_status", v[i].health_status);
		set_str(d, "health_reason", v[i].health_reason);
		set_int(d, "health_at", v[i].health_at);
		set_age(d, "health_age", env->now, v[i].health_at);
		json_array_append_new(list, d);
	}
	store_devices_free(v, n);
	*out = json_pack("{s:o}", "devices", list);
	return *out ? 0 : err_set(ERR_NOMEM, "out of memory");
}

/* ---- jobs and their logs ---- */

static bool job_running(const char *state)
{
	return strcmp(state, "queued") == 0 || strcmp(state, "running") == 0;
}

static void job_log_path(char *out, size_t n, const struct dashdata_env *env, const struct store_job_row *j)
{
	if (j->log_path)
		snprintf(out, n, "%s", j->log_path);
	else
		snprintf(out, n, "%s/job-%" PRId64 ".log", env->logs_dir ? env->logs_dir : ".", j->id);
}

int dashdata_job_log_path(char *out, size_t n, const struct dashdata_env *env, int64_t id, bool *running)
{
	struct store_job_row j;
	int rc;

	if ((rc = store_job_get(env->store, id, &j)) != 0)
		return rc;
	job_log_path(out, n, env, &j);
	*running = job_running(j.state);
	store_job_row_release(&j);
	return 0;
}

int dashdata_job(json_t **out, const struct dashdata_env *env, int64_t id)
{
	struct store_job_row j;
	char path[4096];
	json_t *o;
	int rc;

	*out = NULL;
	if ((rc = store_job_get(env->store, id, &j)) != 0)
		return rc;
	job_log_path(path, sizeof(path), env, &j);
	o = json_object();
	set_int(o, "id", j.id);
	set_int(o, "change_id", j.change_id);
	set_int(o, "build_id", j.build_id);
	set_str(o, "suite", j.suite);
	set_str(o, "target", j.target);
	set_str(o, "kind", j.kind);
	set(o, "is_qemu", json_boolean(j.kind && strcmp(j.kind, "qemu") == 0));
	set_str(o, "device", j.device);
	set_str(o, "board", j.board);
	set(o, "verdict", verdict_obj(j.state));
	set_str(o, "state", j.state);
	set_str(o, "reason", j.reason);
	set_int(o, "attempts", j.attempts);
	set_int(o, "created_at", j.created_at);
	set_int(o, "started_at", j.started_at);
	set_int(o, "finished_at", j.finished_at);
	set_age(o, "age", env->now, j.started_at ? j.started_at : j.created_at);
	set(o, "running", json_boolean(job_running(j.state)));
	set_str(o, "log_path", path);
	set(o, "change_url", jfmt("/changes/%" PRId64, j.change_id));
	store_job_row_release(&j);
	*out = json_pack("{s:o}", "job", o);
	return *out ? 0 : err_set(ERR_NOMEM, "out of memory");
}

json_t *dashdata_log_line(long long t_ms, const char *stream, const char *text, size_t len)
{
	json_t *o = json_object();

	set_int(o, "t", t_ms);
	set(o, "time", t_ms >= 0 ? jfmt("%lld.%03lld", t_ms / 1000, t_ms % 1000) : jstr(""));
	set_str(o, "stream", stream);
	set(o, "text", jstrn(text, len));
	/* The rig's own lines are the steps: power, flash, reset, verdicts. */
	set(o, "step", json_boolean(strcmp(stream, "rig") == 0));
	return o;
}
