#include "sizes.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "store.h"

static int record_elf(struct store *st, int64_t build_id, const char *artifact, const char *path,
		      struct elfsize_totals *totals)
{
	struct elfsize es;
	struct store_size *sizes = NULL;
	struct store_symbol *syms = NULL;
	int rc;

	elfsize_init(&es);
	if ((rc = elfsize_read_file(&es, path)) != 0)
		goto cleanup;
	sizes = calloc(es.n_sections + 1, sizeof(*sizes));
	syms = calloc(es.n_symbols + 1, sizeof(*syms));
	if (!sizes || !syms) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < es.n_sections; i++) {
		sizes[i].artifact = artifact;
		sizes[i].section = es.sections[i].name;
		sizes[i].cls = elfsize_class_name(es.sections[i].cls);
		sizes[i].region = elfsize_region_name(es.sections[i].region);
		sizes[i].size = (int64_t)es.sections[i].size;
	}
	for (size_t i = 0; i < es.n_symbols; i++) {
		syms[i].artifact = artifact;
		syms[i].name = es.symbols[i].name;
		syms[i].section = es.symbols[i].section;
		syms[i].kind = elfsize_kind_name(es.symbols[i].kind);
		syms[i].file = es.symbols[i].file;
		syms[i].size = (int64_t)es.symbols[i].size;
	}
	if ((rc = store_sizes_add(st, build_id, sizes, es.n_sections)) != 0 ||
	    (rc = store_symbols_add(st, build_id, syms, es.n_symbols)) != 0)
		goto cleanup;
	if (totals)
		*totals = es.totals;
cleanup:
	free(sizes);
	free(syms);
	elfsize_release(&es);
	return rc;
}

int sizes_record(struct size_report *out, struct store *st, int64_t build_id, const struct board *b,
		 const char *output_dir)
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", output_dir, b->build.artifacts.kernel);
	if ((rc = record_elf(st, build_id, b->build.artifacts.kernel, path, &out->kernel)) != 0)
		return rc;
	out->has_sizes = true;
	if (b->build.artifacts.apps) {
		char dir[PATH_MAX];
		struct dirent *e;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/%s", output_dir, b->build.artifacts.apps);
		d = opendir(dir);
		while (d && (e = readdir(d)) != NULL) {
			size_t len = strlen(e->d_name);
			char name[PATH_MAX];

			if (len < 5 || strcmp(e->d_name + len - 4, ".elf") != 0)
				continue;
			snprintf(name, sizeof(name), "%s/%s", b->build.artifacts.apps, e->d_name);
			snprintf(path, sizeof(path), "%s/%s", output_dir, name);
			if ((rc = record_elf(st, build_id, name, path, NULL)) != 0) {
				closedir(d);
				return rc;
			}
		}
		if (d)
			closedir(d);
	}
	return 0;
}

int sizes_compare(struct size_report *out, const struct board *b, const char *base_output_dir,
		  const char *output_dir)
{
	struct elfsize base, cur;
	struct elfsize_delta d;
	char path[PATH_MAX];
	int rc;

	elfsize_init(&base);
	elfsize_init(&cur);
	memset(&d, 0, sizeof(d));
	snprintf(path, sizeof(path), "%s/%s", base_output_dir, b->build.artifacts.kernel);
	if ((rc = elfsize_read_file(&base, path)) != 0)
		goto cleanup;
	snprintf(path, sizeof(path), "%s/%s", output_dir, b->build.artifacts.kernel);
	if ((rc = elfsize_read_file(&cur, path)) != 0)
		goto cleanup;
	if ((rc = elfsize_diff(&d, &base, &cur)) != 0)
		goto cleanup;
	out->has_delta = true;
	out->base = d.base;
	out->delta = d.delta;
	out->ntop = 0;
	/* elfsize_diff sorts symbols by the size of their change, largest first. */
	for (size_t i = 0; i < d.n_symbols && out->ntop < SIZES_TOP; i++) {
		const struct elfsize_symbol_delta *s = &d.symbols[i];
		struct size_symbol_change *t;

		if (s->change == ELFSIZE_SAME)
			continue;
		t = &out->top[out->ntop++];
		snprintf(t->name, sizeof(t->name), "%s", s->name);
		snprintf(t->section, sizeof(t->section), "%s", s->section ? s->section : "");
		t->base = s->base;
		t->size = s->size;
		t->delta = s->delta;
		t->change = s->change;
	}
	elfsize_delta_release(&d);
cleanup:
	elfsize_release(&base);
	elfsize_release(&cur);
	return rc;
}

static const struct size_rule *rule_for(const struct config *cfg, const struct board *b)
{
	for (size_t i = 0; i < cfg->size_boards.n; i++)
		if (strcmp(cfg->size_boards.v[i].board, b->name) == 0)
			return &cfg->size_boards.v[i];
	return &cfg->size_default;
}

static void judge_region(struct size_report *out, const struct board *b, const char *region,
			 const struct size_limit *limits, size_t n, int64_t delta, uint64_t base)
{
	double percent = base ? (double)delta * 100.0 / (double)base : 0;
	const struct size_limit *worst = NULL;

	if (delta <= 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct size_limit *l = &limits[i];
		bool crossed = (l->bytes && delta >= l->bytes) || (l->percent > 0 && base && percent >= l->percent);

		if (crossed && (!worst || (strcmp(l->action, "fail") == 0 && strcmp(worst->action, "fail") != 0)))
			worst = l;
	}
	if (worst && out->nfindings < sizeof(out->findings) / sizeof(out->findings[0])) {
		struct size_finding *f = &out->findings[out->nfindings++];
		char limit[64];

		if (worst->bytes)
			snprintf(limit, sizeof(limit), "%lld bytes", (long long)worst->bytes);
		else
			snprintf(limit, sizeof(limit), "%.2f%%", worst->percent);
		snprintf(f->region, sizeof(f->region), "%s", region);
		f->delta = delta;
		f->percent = percent;
		f->fail = strcmp(worst->action, "fail") == 0;
		snprintf(f->text, sizeof(f->text), "%s %s grew by %lld bytes (+%.2f%%), over the %s limit of %s",
			 b->name, region, (long long)delta, percent, worst->action, limit);
	}
}

bool sizes_judge(struct size_report *out, const struct config *cfg, const struct board *b)
{
	const struct size_rule *r = rule_for(cfg, b);
	bool fail = false;

	out->nfindings = 0;
	if (!out->has_delta)
		return false;
	judge_region(out, b, "flash", r->flash.v, r->flash.n, out->delta.flash, out->base.flash);
	judge_region(out, b, "ram", r->ram.v, r->ram.n, out->delta.ram, out->base.ram);
	for (size_t i = 0; i < out->nfindings; i++)
		fail |= out->findings[i].fail;
	return fail;
}
