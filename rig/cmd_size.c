#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "elfsize.h"
#include "err.h"

#define DEFAULT_SYMBOLS 20

static const char usage[] =
	"usage: rig size [-c FILE] ELF [--base ELF] [--symbols N] [--json]\n"
	"\n"
	"What ELF costs in flash and RAM: its allocated sections and its largest\n"
	"symbols. With --base, how it differs from the base image: every section,\n"
	"the totals, and the symbols whose size changed, largest change first.\n"
	"Flash is text + data (initialised data is stored in flash and copied to\n"
	"RAM), RAM is data + bss, as size(1) counts them. Compiler-made clones\n"
	"(foo.constprop.N, .isra.N, .part.N, .lto_priv.N, .cold) count as foo.\n"
	"\n"
	"  -b, --base ELF      compare with this image\n"
	"  -n, --symbols N     list N symbols (default 20; 'all' for every one)\n"
	"      --json          print JSON (see DESIGN.md for the keys)\n"
	"  -c, --config FILE   accepted like every command; size needs no configuration\n";

/* Names come from the file: keep terminals and JSON safe from odd bytes. */
static void put_name(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j)
		return j;
	/* Not UTF-8: keep the ASCII, mark the rest. */
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* Sets key to value (which it takes), remembering a failure in *ok. */
static void jset(json_t *obj, const char *key, json_t *value, bool *ok)
{
	if (!value || json_object_set_new(obj, key, value) != 0)
		*ok = false;
}

static void jappend(json_t *arr, json_t *value, bool *ok)
{
	if (!value || json_array_append_new(arr, value) != 0)
		*ok = false;
}

static json_t *json_totals(const struct elfsize_totals *t, bool *ok)
{
	json_t *o = json_object();

	if (!o) {
		*ok = false;
		return NULL;
	}
	jset(o, "flash", jint(t->flash), ok);
	jset(o, "ram", jint(t->ram), ok);
	jset(o, "text", jint(t->text), ok);
	jset(o, "data", jint(t->data), ok);
	jset(o, "bss", jint(t->bss), ok);
	return o;
}

static json_t *json_reading(const struct elfsize *es, const struct elfsize_symbol **top, size_t ntop)
{
	json_t *root = json_object(), *sections = json_array(), *symbols = json_array();
	bool ok = root && sections && symbols;

	if (!ok)
		goto fail;
	for (size_t i = 0; i < es->n_sections; i++) {
		const struct elfsize_section *s = &es->sections[i];
		json_t *o = json_object();

		if (o) {
			jset(o, "name", jstr(s->name), &ok);
			jset(o, "region", json_string(elfsize_region_name(s->region)), &ok);
			jset(o, "size", jint(s->size), &ok);
			jset(o, "class", json_string(elfsize_class_name(s->cls)), &ok);
		}
		jappend(sections, o, &ok);
	}
	for (size_t i = 0; i < ntop; i++) {
		const struct elfsize_symbol *s = top[i];
		json_t *o = json_object();

		if (o) {
			jset(o, "name", jstr(s->name), &ok);
			jset(o, "section", jstr(s->section), &ok);
			jset(o, "size", jint(s->size), &ok);
			jset(o, "kind", json_string(elfsize_kind_name(s->kind)), &ok);
			if (s->file)
				jset(o, "file", jstr(s->file), &ok);
		}
		jappend(symbols, o, &ok);
	}
	jset(root, "file", jstr(es->file), &ok);
	jset(root, "totals", json_totals(&es->totals, &ok), &ok);
	jset(root, "sections", sections, &ok);
	jset(root, "symbols", symbols, &ok);
	if (ok)
		return root;
	sections = symbols = NULL;	/* already owned by root, or lost with it */
fail:
	json_decref(root);
	json_decref(sections);
	json_decref(symbols);
	return NULL;
}

static json_t *json_delta(const struct elfsize *base, const struct elfsize *cur,
			  const struct elfsize_delta *d, size_t nsym)
{
	json_t *root = json_object(), *sections = json_array(), *symbols = json_array();
	json_t *delta = json_object();
	bool ok = root && sections && symbols && delta;

	if (!ok)
		goto fail;
	for (size_t i = 0; i < d->n_sections; i++) {
		const struct elfsize_section_delta *s = &d->sections[i];
		json_t *o = json_object();

		if (o) {
			jset(o, "name", jstr(s->name), &ok);
			jset(o, "region", json_string(elfsize_region_name(s->region)), &ok);
			jset(o, "size", jint(s->size), &ok);
			jset(o, "base", jint(s->base), &ok);
			jset(o, "delta", json_integer(s->delta), &ok);
			jset(o, "class", json_string(elfsize_class_name(s->cls)), &ok);
		}
		jappend(sections, o, &ok);
	}
	for (size_t i = 0; i < nsym && i < d->n_symbols; i++) {
		const struct elfsize_symbol_delta *s = &d->symbols[i];
		json_t *o = json_object();

		if (o) {
			jset(o, "name", jstr(s->name), &ok);
			jset(o, "section", jstr(s->section), &ok);
			jset(o, "size", jint(s->size), &ok);
			jset(o, "base", jint(s->base), &ok);
			jset(o, "delta", json_integer(s->delta), &ok);
			jset(o, "change", json_string(elfsize_change_name(s->change)), &ok);
			if (s->file)
				jset(o, "file", jstr(s->file), &ok);
		}
		jappend(symbols, o, &ok);
	}
	jset(delta, "flash", json_integer(d->delta.flash), &ok);
	jset(delta, "ram", json_integer(d->delta.ram), &ok);
	jset(delta, "text", json_integer(d->delta.text), &ok);
	jset(delta, "data", json_integer(d->delta.data), &ok);
	jset(delta, "bss", json_integer(d->delta.bss), &ok);
	jset(root, "file", jstr(cur->file), &ok);
	jset(root, "totals", json_totals(&cur->totals, &ok), &ok);
	jset(root, "sections", sections, &ok);
	jset(root, "symbols", symbols, &ok);
	jset(root, "delta", delta, &ok);
	jset(root, "base_file", jstr(base->file), &ok);
	jset(root, "base_totals", json_totals(&base->totals, &ok), &ok);
	if (ok)
		return root;
	sections = symbols = delta = NULL;
fail:
	json_decref(root);
	json_decref(sections);
	json_decref(symbols);
	json_decref(delta);
	return NULL;
}

static int cmp_symbol_size(const void *a, const void *b)
{
	const struct elfsize_symbol *x = *(const struct elfsize_symbol *const *)a;
	const struct elfsize_symbol *y = *(const struct elfsize_symbol *const *)b;
	int c;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	c = strcmp(x->name, y->name);
	return c ? c : (x->addr > y->addr) - (x->addr < y->addr);
}

/* The width of the section column: the longest name, within reason. */
static int widen(int w, const char *name)
{
	size_t len = strlen(name);

	if (len > 40)
		len = 40;
	return (int)len > w ? (int)len : w;
}

static void print_name_padded(const char *s, int width)
{
	int len = (int)strlen(s);

	put_name(s);
	printf("%*s", width > len ? width - len : 0, "");
}

static void print_reading(const struct elfsize *es, const struct elfsize_symbol **top, size_t ntop)
{
	const char *machine = elfsize_machine_name(es->machine);
	int digits = es->elf_class == 64 ? 16 : 8;
	int w = (int)strlen("section");

	put_name(es->file);
	printf(": ELF%d %s-endian ", es->elf_class, es->big_endian ? "big" : "little");
	if (machine)
		printf("%s\n", machine);
	else
		printf("machine %u\n", es->machine);
	printf("flash %" PRIu64 " bytes, RAM %" PRIu64 " bytes (text %" PRIu64 ", data %" PRIu64
	       ", bss %" PRIu64 ")\n\n",
	       es->totals.flash, es->totals.ram, es->totals.text, es->totals.data, es->totals.bss);

	bool loaded_elsewhere = false;

	for (size_t i = 0; i < es->n_sections; i++) {
		const struct elfsize_section *s = &es->sections[i];

		w = widen(w, s->name);
		loaded_elsewhere |= s->cls != ELFSIZE_BSS && s->load_addr != s->addr;
	}
	printf("%-*s  class  region  %10s  ", w, "section", "size");
	if (loaded_elsewhere)
		printf("%-*s  load address\n", digits + 2, "address");
	else
		puts("address");
	for (size_t i = 0; i < es->n_sections; i++) {
		const struct elfsize_section *s = &es->sections[i];

		print_name_padded(s->name, w);
		printf("  %-5s  %-6s  %10" PRIu64 "  0x%0*" PRIx64, elfsize_class_name(s->cls),
		       elfsize_region_name(s->region), s->size, digits, s->addr);
		if (s->cls != ELFSIZE_BSS && s->load_addr != s->addr)
			printf("  0x%0*" PRIx64, digits, s->load_addr);
		putchar('\n');
	}

	putchar('\n');
	if (!es->has_symtab) {
		puts("no symbol table (stripped): no symbols to list");
		return;
	}
	if (ntop == 0) {
		printf("%zu symbols\n", es->n_symbols);
		return;
	}
	printf("symbols, largest first (%zu of %zu):\n", ntop, es->n_symbols);
	printf("%10s  %-6s  %-*s  name\n", "size", "kind", w, "section");
	for (size_t i = 0; i < ntop; i++) {
		printf("%10" PRIu64 "  %-6s  ", top[i]->size, elfsize_kind_name(top[i]->kind));
		print_name_padded(top[i]->section, w);
		printf("  ");
		put_name(top[i]->name);
		if (top[i]->file) {
			printf(" (");
			put_name(top[i]->file);
			putchar(')');
		}
		putchar('\n');
	}
}

/* "+12", "-4", and "0" rather than "+0". */
static const char *signed_str(char buf[24], int64_t v)
{
	snprintf(buf, 24, v ? "%+" PRId64 : "0", v);
	return buf;
}

static void print_change(const char *label, uint64_t base, uint64_t size, int64_t delta)
{
	char buf[24];

	printf("%-6s %12" PRIu64 " %12" PRIu64 " %12s", label, base, size, signed_str(buf, delta));
	if (delta != 0 && base != 0)
		printf("  %+.1f%%", 100.0 * (double)delta / (double)base);
	putchar('\n');
}

static void print_delta(const struct elfsize *base, const struct elfsize *cur,
			const struct elfsize_delta *d, size_t nsym)
{
	size_t shown = nsym < d->n_symbols ? nsym : d->n_symbols;
	int w = (int)strlen("section");

	put_name(cur->file);
	printf(" against ");
	put_name(base->file);
	printf("\n%-6s %12s %12s %12s\n", "", "base", "new", "delta");
	print_change("flash", d->base.flash, d->size.flash, d->delta.flash);
	print_change("ram", d->base.ram, d->size.ram, d->delta.ram);
	putchar('\n');

	for (size_t i = 0; i < d->n_sections; i++)
		w = widen(w, d->sections[i].name);
	printf("%-*s  region  %10s  %10s  %10s\n", w, "section", "base", "new", "delta");
	for (size_t i = 0; i < d->n_sections; i++) {
		const struct elfsize_section_delta *s = &d->sections[i];
		char buf[24];

		print_name_padded(s->name, w);
		printf("  %-6s  %10" PRIu64 "  %10" PRIu64 "  %10s\n", elfsize_region_name(s->region),
		       s->base, s->size, signed_str(buf, s->delta));
	}

	putchar('\n');
	if (!base->has_symtab || !cur->has_symtab)
		printf("no symbol table in %s (stripped): symbols are not compared\n",
		       !cur->has_symtab ? "the new image" : "the base image");
	if (d->n_symbols == 0) {
		puts("no symbol changed size");
		return;
	}
	if (shown == 0) {
		printf("%zu symbols changed size\n", d->n_symbols);
		return;
	}
	printf("symbols that changed, largest change first (%zu of %zu):\n", shown, d->n_symbols);
	printf("%10s  %10s  %10s  %-7s  %-*s  name\n", "delta", "base", "new", "change", w,
	       "section");
	for (size_t i = 0; i < shown; i++) {
		const struct elfsize_symbol_delta *s = &d->symbols[i];

		printf("%+10" PRId64 "  %10" PRIu64 "  %10" PRIu64 "  %-7s  ", s->delta, s->base,
		       s->size, elfsize_change_name(s->change));
		print_name_padded(s->section, w);
		printf("  ");
		put_name(s->name);
		if (s->file) {
			printf(" (");
			put_name(s->file);
			putchar(')');
		}
		putchar('\n');
	}
}

static int parse_count(size_t *out, const char *s)
{
	unsigned long long v;
	char *end;

	if (strcmp(s, "all") == 0) {
		*out = SIZE_MAX;
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno)
		return err_set(ERR_INVALID, "--symbols takes a number or 'all', not '%s'", s);
	*out = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
	return 0;
}

static int emit_json(json_t *root)
{
	char *text;
	int rc;

	if (!root) {
		fprintf(stderr, "rig size: out of memory building the JSON output\n");
		return EXIT_INFRA;
	}
	/* One string, one write: json_dumpf's many small writes cost more than the rest. */
	text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	rc = text && fputs(text, stdout) != EOF && putchar('\n') != EOF ? 0 : -1;
	free(text);
	if (rc != 0) {
		fprintf(stderr, "rig size: cannot write the JSON output\n");
		return EXIT_INFRA;
	}
	return 0;
}

static int show_reading(const struct elfsize *es, size_t nsym, bool json)
{
	const struct elfsize_symbol **top;
	size_t ntop = nsym < es->n_symbols ? nsym : es->n_symbols;
	int rc = 0;

	top = calloc(es->n_symbols + 1, sizeof(*top));
	if (!top) {
		fprintf(stderr, "rig size: out of memory sorting %zu symbols\n", es->n_symbols);
		return EXIT_INFRA;
	}
	for (size_t i = 0; i < es->n_symbols; i++)
		top[i] = &es->symbols[i];
	qsort(top, es->n_symbols, sizeof(*top), cmp_symbol_size);
	if (json)
		rc = emit_json(json_reading(es, top, ntop));
	else
		print_reading(es, top, ntop);
	free(top);
	return rc;
}

/* A file that cannot be measured is bad input; running out of memory is not. */
static int read_failure(void)
{
	return err_code() == ERR_NOMEM ? EXIT_INFRA : EXIT_USAGE;
}

int cmd_size(int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "base", required_argument, NULL, 'b' },
		{ "symbols", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct elfsize cur, base;
	struct elfsize_delta delta;
	const char *base_path = NULL, *path;
	size_t nsym = DEFAULT_SYMBOLS;
	bool json = false;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "b:n:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			base_path = optarg;
			break;
		case 'n':
			if (parse_count(&nsym, optarg) != 0) {
				fprintf(stderr, "rig size: %s\n", err_msg());
				return EXIT_USAGE;
			}
			break;
		case OPT_JSON:
			json = true;
			break;
		case 'c':
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "rig size: which ELF file?\n%s", usage);
		return EXIT_USAGE;
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "rig size: one ELF file at a time ('%s' is one too many; --base names the other)\n%s",
			argv[optind + 1], usage);
		return EXIT_USAGE;
	}
	path = argv[optind];

	if (elfsize_read_file(&cur, path) != 0) {
		fprintf(stderr, "rig size: %s\n", err_msg());
		return read_failure();
	}
	if (!base_path) {
		rc = show_reading(&cur, nsym, json);
		elfsize_release(&cur);
		return rc;
	}
	if (elfsize_read_file(&base, base_path) != 0) {
		fprintf(stderr, "rig size: %s\n", err_msg());
		elfsize_release(&cur);
		return read_failure();
	}
	if (elfsize_diff(&delta, &base, &cur) != 0) {
		fprintf(stderr, "rig size: %s against %s: %s\n", path, base_path, err_msg());
		rc = EXIT_USAGE;
	} else {
		if (json)
			rc = emit_json(json_delta(&base, &cur, &delta, nsym));
		else {
			print_delta(&base, &cur, &delta, nsym);
			rc = 0;
		}
		elfsize_delta_release(&delta);
	}
	elfsize_release(&base);
	elfsize_release(&cur);
	return rc;
}
