#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "err.h"
#include "fsutil.h"
#include "yaml.h"

/* ------------------------------------------------------------------------ */
/* The schema engine: one table per file format, read by one loader.        */

enum ftype {
	F_STR,		/* any scalar, not empty */
	F_INT,		/* int64_t, decimal or 0x hex */
	F_U64,		/* uint64_t, decimal or 0x hex */
	F_NUM,		/* double >= 0 (seconds, percent) */
	F_BOOL,
	F_ENUM,		/* a string among choices */
	F_DATE,		/* YYYY-MM-DD, stored as the string */
	F_STRLIST,	/* a list of non-empty scalars, stored as cfg_strlist */
	F_MAP,		/* a nested mapping loaded at base + off */
	F_LIST,		/* a list of mappings, stored as CFG_LIST(sub) */
	F_NAMEDMAP,	/* a mapping of name → mapping, stored as CFG_LIST(sub) */
};

/*
 * Offsets that may be absent (present_off, pos_off) are stored plus one, so
 * that the zero a designated initializer leaves means "none".
 */
struct field {
	const char *key;
	enum ftype type;
	size_t off;
	bool required;
	const struct schema *sub;
	const char *const *choices;
	bool ranged;
	int64_t min, max;
	size_t present_off;	/* bool set when the key is there */
	size_t pos_off;		/* struct cfg_pos, or for F_STRLIST a struct cfg_pos * array */
};

struct schema {
	const char *what;	/* "board", "device", … for messages */
	const struct field *fields;
	size_t size;		/* element size, for lists */
	size_t pos_off;		/* where the mapping's own position goes (plus one) */
	size_t name_off;	/* F_NAMEDMAP: where the key goes (plus one) */
};

#define OFF1(T, m) (offsetof(T, m) + 1)
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
#define END { .key = NULL }

struct loader {
	struct arena *a;
	struct diags *d;
	const char *file;
	int errors;
};

struct anylist {
	void *v;
	size_t n;
};

static void problem(struct loader *L, const struct ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct loader *L, const struct ynode *at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diags_add(L->d, L->file, at ? at->line : 1, at ? at->col : 1, "%s", msg);
	L->errors++;
}

static void problem_at(struct diags *d, const struct cfg_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem_at(struct diags *d, const struct cfg_pos *pos, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diags_add(d, pos->file, pos->line, pos->col, "%s", msg);
}

static struct cfg_pos pos_of(struct loader *L, const struct ynode *n)
{
	return (struct cfg_pos){ .file = L->file, .line = n ? n->line : 1, .col = n ? n->col : 1 };
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
						    tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

/* The closest of names to word, if close enough to be a likely typo. */
static const char *suggest(const char *word, const char *const *names, size_t n)
{
	size_t best = SIZE_MAX, limit = strlen(word) / 3 + 1;
	const char *pick = NULL;

	if (limit > 3)
		limit = 3;
	for (size_t i = 0; i < n; i++) {
		size_t dist = edit_distance(word, names[i]);

		if (dist < best) {
			best = dist;
			pick = names[i];
		}
	}
	return best <= limit ? pick : NULL;
}

static bool is_null(const struct ynode *n)
{
	return n->type == YNODE_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->scalar, "~") == 0 || strcmp(n->scalar, "null") == 0);
}

static bool parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		v = (long long)strtoull(s + 2, &end, 16);
	else if (s[0] == '-' && s[1] == '0' && (s[2] == 'x' || s[2] == 'X'))
		return false;
	else
		v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return false;
	*out = v;
	return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		*out = strtoull(s + 2, &end, 16);
	else
		*out = strtoull(s, &end, 10);
	return !errno && !*end && end != s;
}

static bool valid_date(const char *s)
{
	int y, m, d;
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return false;
	if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

static const char *describe(const struct ynode *n)
{
	if (n->type == YNODE_SCALAR)
		return n->plain ? "a plain scalar" : "a quoted string";
	return n->type == YNODE_MAP ? "a mapping" : "a list";
}

static void load_map(struct loader *L, const struct ynode *n, const struct schema *s, char *base);

/* Loads one scalar field; returns false after reporting when it does not fit. */
static bool load_scalar(struct loader *L, const struct field *f, const struct ynode *v, char *dst)
{
	const char *text = v->scalar;

	if (v->type != YNODE_SCALAR) {
		static const char *const expected[] = {
			[F_STR] = "a string", [F_INT] = "an integer", [F_U64] = "an integer",
			[F_NUM] = "a number", [F_BOOL] = "true or false", [F_ENUM] = "a string",
			[F_DATE] = "a date YYYY-MM-DD",
		};

		problem(L, v, "'%s' must be %s, not %s", f->key, expected[f->type], describe(v));
		return false;
	}
	switch (f->type) {
	case F_STR:
		if (!*text) {
			problem(L, v, "'%s' must not be empty", f->key);
			return false;
		}
		*(const char **)dst = arena_strdup(L->a, text);
		return true;
	case F_INT: {
		int64_t x;

		if (!v->plain || !parse_i64(text, &x)) {
			problem(L, v, "'%s' must be an integer, not '%s'", f->key, text);
			return false;
		}
		if (f->ranged && (x < f->min || x > f->max)) {
			problem(L, v, "'%s' must be between %lld and %lld, not %lld", f->key,
				(long long)f->min, (long long)f->max, (long long)x);
			return false;
		}
		*(int64_t *)dst = x;
		return true;
	}
	case F_U64: {
		uint64_t x;

		if (!v->plain || !parse_u64(text, &x) || x > UINT32_MAX * (uint64_t)UINT32_MAX) {
			problem(L, v, "'%s' must be an unsigned integer (decimal or 0x hex), not '%s'",
				f->key, text);
			return false;
		}
		if (f->ranged && (x < (uint64_t)f->min || x > (uint64_t)f->max)) {
			problem(L, v, "'%s' must be between %lld and %lld, not %llu", f->key,
				(long long)f->min, (long long)f->max, (unsigned long long)x);
			return false;
		}
		*(uint64_t *)dst = x;
		return true;
	}
	case F_NUM: {
		char *end;
		double x;

		errno = 0;
		x = v->plain ? strtod(text, &end) : NAN;
		if (!v->plain || errno || *end || end == text || !isfinite(x) || x < 0) {
			problem(L, v, "'%s' must be a number of at least 0, not '%s'", f->key, text);
			return false;
		}
		*(double *)dst = x;
		return true;
	}
	case F_BOOL:
		if (v->plain && strcmp(text, "true") == 0) {
			*(bool *)dst = true;
			return true;
		}
		if (v->plain && strcmp(text, "false") == 0) {
			*(bool *)dst = false;
			return true;
		}
		problem(L, v, "'%s' must be true or false, not '%s'", f->key, text);
		return false;
	case F_ENUM: {
		char list[256] = "";
		size_t i;

		for (i = 0; f->choices[i]; i++) {
			if (strcmp(text, f->choices[i]) == 0) {
				*(const char **)dst = f->choices[i];
				return true;
			}
		}
		for (i = 0; f->choices[i]; i++) {
			if (i)
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			strncat(list, f->choices[i], sizeof(list) - strlen(list) - 1);
		}
		problem(L, v, "'%s' must be one of %s, not '%s'", f->key, list, text);
		return false;
	}
	case F_DATE:
		if (!valid_date(text)) {
			problem(L, v, "'%s' must be a date YYYY-MM-DD, not '%s'", f->key, text);
			return false;
		}
		*(const char **)dst = arena_strdup(L->a, text);
		return true;
	default:
		abort();
	}
}

static void load_strlist(struct loader *L, const struct field *f, const struct ynode *v, char *base)
{
	cfg_strlist *list = (cfg_strlist *)(base + f->off);
	struct cfg_pos *pos;

	if (v->type != YNODE_SEQ) {
		problem(L, v, "'%s' must be a list, not %s", f->key, describe(v));
		return;
	}
	list->v = arena_alloc(L->a, (v->n + 1) * sizeof(*list->v));
	pos = arena_alloc(L->a, (v->n + 1) * sizeof(*pos));
	list->n = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *item = v->items[i];

		if (item->type != YNODE_SCALAR || item->len == 0) {
			problem(L, item, "items of '%s' must be non-empty strings, not %s", f->key,
				item->type == YNODE_SCALAR ? "an empty one" : describe(item));
			continue;
		}
		pos[list->n] = pos_of(L, item);
		list->v[list->n++] = arena_strdup(L->a, item->scalar);
	}
	if (f->pos_off)
		*(struct cfg_pos **)(base + f->pos_off - 1) = pos;
	if (f->required && v->n == 0)
		problem(L, v, "'%s' must not be empty", f->key);
}

static void load_list(struct loader *L, const struct field *f, const struct ynode *v, char *base)
{
	struct anylist *list = (struct anylist *)(base + f->off);
	const struct schema *sub = f->sub;
	char *items;

	if (f->type == F_LIST && v->type != YNODE_SEQ) {
		problem(L, v, "'%s' must be a list of %ss, not %s", f->key, sub->what, describe(v));
		return;
	}
	if (f->type == F_NAMEDMAP && v->type != YNODE_MAP) {
		problem(L, v, "'%s' must be a mapping of names to %ss, not %s", f->key, sub->what,
			describe(v));
		return;
	}
	items = arena_alloc(L->a, (v->n + 1) * sub->size);
	for (size_t i = 0; i < v->n; i++) {
		char *item = items + i * sub->size;

		if (f->type == F_NAMEDMAP)
			*(const char **)(item + sub->name_off - 1) = arena_strdup(L->a, v->keys[i]->scalar);
		load_map(L, v->items[i], sub, item);
	}
	list->v = items;
	list->n = v->n;
}

static void load_field(struct loader *L, const struct field *f, const struct ynode *v, char *base)
{
	if (f->pos_off && f->type != F_STRLIST)
		*(struct cfg_pos *)(base + f->pos_off - 1) = pos_of(L, v);
	switch (f->type) {
	case F_STRLIST:
		load_strlist(L, f, v, base);
		break;
	case F_MAP:
		load_map(L, v, f->sub, base + f->off);
		break;
	case F_LIST:
	case F_NAMEDMAP:
		load_list(L, f, v, base);
		break;
	default:
		load_scalar(L, f, v, base + f->off);
		break;
	}
	if (f->present_off)
		*(bool *)(base + f->present_off - 1) = true;
}

static void load_map(struct loader *L, const struct ynode *n, const struct schema *s, char *base)
{
	const char *names[64];
	size_t nnames = 0;
	const struct field *f;

	if (!n || n->type != YNODE_MAP) {
		problem(L, n, "expected a mapping (the %s), found %s", s->what, n ? describe(n) : "nothing");
		return;
	}
	if (s->pos_off)
		*(struct cfg_pos *)(base + s->pos_off - 1) = pos_of(L, n);
	for (f = s->fields; f->key && nnames < 64; f++)
		names[nnames++] = f->key;

	for (size_t i = 0; i < n->n; i++) {
		const char *key = n->keys[i]->scalar;

		for (f = s->fields; f->key; f++)
			if (strcmp(f->key, key) == 0)
				break;
		if (!f->key) {
			const char *hint = suggest(key, names, nnames);

			if (hint)
				problem(L, n->keys[i], "unknown key '%s' in %s; did you mean '%s'?", key,
					s->what, hint);
			else
				problem(L, n->keys[i], "unknown key '%s' in %s", key, s->what);
			continue;
		}
		if (is_null(n->items[i]))
			continue;
		load_field(L, f, n->items[i], base);
	}
	for (f = s->fields; f->key; f++) {
		const struct ynode *v;

		if (!f->required)
			continue;
		v = ynode_get(n, f->key);
		if (!v || is_null(v))
			problem(L, n, "%s is missing required key '%s'", s->what, f->key);
	}
}

/* ------------------------------------------------------------------------ */
/* The schemas.                                                             */

static const char *const arch_choices[] = { "arm", "riscv32", NULL };
static const char *const action_choices[] = { "warn", "fail", NULL };
static const char *const runtime_choices[] = { "podman", "docker", NULL };
static const char *const forge_kinds[] = { "git", "github", "gitlab", NULL };
static const char *const gate_modes[] = { "every-pr", "merge-queue", NULL };

static const struct field region_fields[] = {
	{ .key = "origin", .type = F_U64, .off = offsetof(struct region, origin), .required = true,
	  .ranged = true, .min = 0, .max = UINT32_MAX },
	{ .key = "length", .type = F_U64, .off = offsetof(struct region, length), .required = true,
	  .ranged = true, .min = 1, .max = (int64_t)1 << 32 },
	END,
};
static const struct schema region_schema = { "memory region", region_fields, sizeof(struct region), 0, 0 };

static const struct field memory_fields[] = {
	{ .key = "kernel_flash", .type = F_MAP, .off = offsetof(struct board_memory, kernel_flash),
	  .required = true, .sub = &region_schema },
	{ .key = "app_flash", .type = F_MAP, .off = offsetof(struct board_memory, app_flash),
	  .required = true, .sub = &region_schema },
	{ .key = "kernel_ram", .type = F_MAP, .off = offsetof(struct board_memory, kernel_ram),
	  .required = true, .sub = &region_schema },
	{ .key = "app_ram", .type = F_MAP, .off = offsetof(struct board_memory, app_ram),
	  .required = true, .sub = &region_schema },
	END,
};
static const struct schema memory_schema = { "memory map", memory_fields, 0, 0, 0 };

static const struct field artifacts_fields[] = {
	{ .key = "kernel", .type = F_STR, .off = offsetof(struct board_artifacts, kernel), .required = true },
	{ .key = "kernel_bin", .type = F_STR, .off = offsetof(struct board_artifacts, kernel_bin) },
	{ .key = "apps", .type = F_STR, .off = offsetof(struct board_artifacts, apps) },
	{ .key = "image", .type = F_STR, .off = offsetof(struct board_artifacts, image) },
	END,
};
static const struct schema artifacts_schema = { "artifacts", artifacts_fields, 0, 0, 0 };

static const struct field build_fields[] = {
	{ .key = "image", .type = F_STR, .off = offsetof(struct board_build, image), .required = true,
	  .pos_off = OFF1(struct board_build, image_pos) },
	{ .key = "command", .type = F_STRLIST, .off = offsetof(struct board_build, command), .required = true },
	{ .key = "timeout", .type = F_NUM, .off = offsetof(struct board_build, timeout) },
	{ .key = "artifacts", .type = F_MAP, .off = offsetof(struct board_build, artifacts),
	  .required = true, .sub = &artifacts_schema },
	END,
};
static const struct schema build_schema = { "build", build_fields, 0, 0, 0 };

static const struct field qemu_fields[] = {
	{ .key = "command", .type = F_STRLIST, .off = offsetof(struct board_qemu, command), .required = true },
	END,
};
static const struct schema qemu_schema = { "qemu section", qemu_fields, 0, 0, 0 };

static const struct field openocd_fields[] = {
	{ .key = "interface", .type = F_STRLIST, .off = offsetof(struct board_openocd, interface), .required = true },
	{ .key = "transport", .type = F_STR, .off = offsetof(struct board_openocd, transport) },
	{ .key = "target", .type = F_STRLIST, .off = offsetof(struct board_openocd, target), .required = true },
	{ .key = "speed", .type = F_INT, .off = offsetof(struct board_openocd, speed), .ranged = true,
	  .min = 1, .max = 100000 },
	{ .key = "commands", .type = F_STRLIST, .off = offsetof(struct board_openocd, commands) },
	{ .key = "program", .type = F_STRLIST, .off = offsetof(struct board_openocd, program) },
	END,
};
static const struct schema openocd_schema = { "openocd section", openocd_fields, 0, 0, 0 };

static const struct field console_fields[] = {
	{ .key = "baud", .type = F_INT, .off = offsetof(struct board, baud), .ranged = true, .min = 50,
	  .max = 20000000 },
	END,
};
static const struct schema board_console_schema = { "console section", console_fields, 0, 0, 0 };

static const struct field power_fields[] = {
	{ .key = "settle", .type = F_NUM, .off = offsetof(struct board, settle) },
	END,
};
static const struct schema board_power_schema = { "power section", power_fields, 0, 0, 0 };

static const struct field fpga_fields[] = {
	{ .key = "bitstream", .type = F_STR, .off = offsetof(struct board_fpga, bitstream), .required = true },
	{ .key = "command", .type = F_STRLIST, .off = offsetof(struct board_fpga, command), .required = true },
	END,
};
static const struct schema fpga_schema = { "fpga section", fpga_fields, 0, 0, 0 };

static const struct field board_fields[] = {
	{ .key = "name", .type = F_STR, .off = offsetof(struct board, name), .required = true },
	{ .key = "description", .type = F_STR, .off = offsetof(struct board, description) },
	{ .key = "arch", .type = F_ENUM, .off = offsetof(struct board, arch), .required = true,
	  .choices = arch_choices },
	{ .key = "cpu", .type = F_STR, .off = offsetof(struct board, cpu), .required = true },
	{ .key = "memory", .type = F_MAP, .off = offsetof(struct board, memory), .required = true,
	  .sub = &memory_schema },
	{ .key = "build", .type = F_MAP, .off = offsetof(struct board, build), .required = true,
	  .sub = &build_schema },
	{ .key = "qemu", .type = F_MAP, .off = offsetof(struct board, qemu), .sub = &qemu_schema,
	  .present_off = OFF1(struct board, has_qemu) },
	{ .key = "openocd", .type = F_MAP, .off = offsetof(struct board, openocd), .sub = &openocd_schema,
	  .present_off = OFF1(struct board, has_openocd) },
	{ .key = "console", .type = F_MAP, .off = 0, .sub = &board_console_schema },
	{ .key = "power", .type = F_MAP, .off = 0, .sub = &board_power_schema },
	{ .key = "fpga", .type = F_MAP, .off = offsetof(struct board, fpga), .sub = &fpga_schema,
	  .present_off = OFF1(struct board, has_fpga) },
	{ .key = "boot_timeout", .type = F_NUM, .off = offsetof(struct board, boot_timeout) },
	END,
};
static const struct schema board_schema = { "board", board_fields, sizeof(struct board),
					    OFF1(struct board, pos), 0 };

static const struct field probe_fields[] = {
	{ .key = "serial", .type = F_STR, .off = offsetof(struct device, probe_serial) },
	{ .key = "commands", .type = F_STRLIST, .off = offsetof(struct device, probe_commands) },
	END,
};
static const struct schema probe_schema = { "probe", probe_fields, 0, 0, 0 };

static const struct field dev_console_fields[] = {
	{ .key = "usb_serial", .type = F_STR, .off = offsetof(struct device, console_usb_serial) },
	{ .key = "path", .type = F_STR, .off = offsetof(struct device, console_path) },
	END,
};
static const struct schema dev_console_schema = { "console", dev_console_fields, 0, 0, 0 };

static const struct field dev_power_fields[] = {
	{ .key = "on", .type = F_STRLIST, .off = offsetof(struct device, power_on) },
	{ .key = "off", .type = F_STRLIST, .off = offsetof(struct device, power_off) },
	{ .key = "cycle", .type = F_STRLIST, .off = offsetof(struct device, power_cycle) },
	END,
};
static const struct schema dev_power_schema = { "power", dev_power_fields, 0, 0, 0 };

static const struct field device_fields[] = {
	{ .key = "id", .type = F_STR, .off = offsetof(struct device, id), .required = true },
	{ .key = "board", .type = F_STR, .off = offsetof(struct device, board), .required = true,
	  .pos_off = OFF1(struct device, board_pos) },
	{ .key = "probe", .type = F_MAP, .off = 0, .sub = &probe_schema },
	{ .key = "console", .type = F_MAP, .off = 0, .sub = &dev_console_schema, .required = true },
	{ .key = "power", .type = F_MAP, .off = 0, .sub = &dev_power_schema },
	{ .key = "tags", .type = F_STRLIST, .off = offsetof(struct device, tags) },
	END,
};
static const struct schema device_schema = { "device", device_fields, sizeof(struct device),
					     OFF1(struct device, pos), 0 };

static const struct field rack_fields[] = {
	{ .key = "lease_seconds", .type = F_NUM, .off = offsetof(struct rack, lease_seconds) },
	{ .key = "offline_after", .type = F_INT, .off = offsetof(struct rack, offline_after),
	  .ranged = true, .min = 1, .max = 1000 },
	{ .key = "devices", .type = F_LIST, .off = offsetof(struct rack, devices), .required = true,
	  .sub = &device_schema },
	END,
};
static const struct schema rack_schema = { "rack", rack_fields, sizeof(struct rack), 0, 0 };

static const struct field targets_fields[] = {
	{ .key = "only", .type = F_STRLIST, .off = offsetof(struct suite_case, only),
	  .pos_off = OFF1(struct suite_case, only_pos) },
	{ .key = "except", .type = F_STRLIST, .off = offsetof(struct suite_case, except),
	  .pos_off = OFF1(struct suite_case, except_pos) },
	END,
};
static const struct schema targets_schema = { "target filter", targets_fields, 0, 0, 0 };

static const struct field case_fields[] = {
	{ .key = "name", .type = F_STR, .off = offsetof(struct suite_case, name), .required = true },
	{ .key = "apps", .type = F_STRLIST, .off = offsetof(struct suite_case, apps), .required = true,
	  .pos_off = OFF1(struct suite_case, apps_pos) },
	{ .key = "plan", .type = F_INT, .off = offsetof(struct suite_case, plan), .required = true,
	  .ranged = true, .min = 1, .max = 100000 },
	{ .key = "timeout", .type = F_NUM, .off = offsetof(struct suite_case, timeout) },
	{ .key = "expect", .type = F_STRLIST, .off = offsetof(struct suite_case, expect),
	  .pos_off = OFF1(struct suite_case, expect_pos) },
	{ .key = "targets", .type = F_MAP, .off = 0, .sub = &targets_schema },
	END,
};
static const struct schema case_schema = { "case", case_fields, sizeof(struct suite_case),
					   OFF1(struct suite_case, pos), 0 };

static const struct field quarantine_fields[] = {
	{ .key = "case", .type = F_STR, .off = offsetof(struct quarantine, case_name), .required = true,
	  .pos_off = OFF1(struct quarantine, case_pos) },
	{ .key = "targets", .type = F_STRLIST, .off = offsetof(struct quarantine, targets) },
	{ .key = "reason", .type = F_STR, .off = offsetof(struct quarantine, reason), .required = true },
	{ .key = "expires", .type = F_DATE, .off = offsetof(struct quarantine, expires), .required = true,
	  .pos_off = OFF1(struct quarantine, expires_pos) },
	END,
};
static const struct schema quarantine_schema = { "quarantine entry", quarantine_fields,
						 sizeof(struct quarantine), OFF1(struct quarantine, pos), 0 };

static const struct field suite_fields[] = {
	{ .key = "name", .type = F_STR, .off = offsetof(struct suite, name), .required = true },
	{ .key = "description", .type = F_STR, .off = offsetof(struct suite, description) },
	{ .key = "timeout", .type = F_NUM, .off = offsetof(struct suite, timeout) },
	{ .key = "cases", .type = F_LIST, .off = offsetof(struct suite, cases), .required = true,
	  .sub = &case_schema },
	{ .key = "quarantine", .type = F_LIST, .off = offsetof(struct suite, quarantine),
	  .sub = &quarantine_schema },
	END,
};
static const struct schema suite_schema = { "suite", suite_fields, sizeof(struct suite),
					    OFF1(struct suite, pos), 0 };

static const struct field status_fields[] = {
	{ .key = "api", .type = F_STR, .off = offsetof(struct forge_status, api), .required = true },
	{ .key = "repo", .type = F_STR, .off = offsetof(struct forge_status, repo), .required = true },
	{ .key = "token_file", .type = F_STR, .off = offsetof(struct forge_status, token_file), .required = true },
	{ .key = "context", .type = F_STR, .off = offsetof(struct forge_status, context) },
	END,
};
static const struct schema status_schema = { "status reporting", status_fields, 0, 0, 0 };

static const struct field forge_fields[] = {
	{ .key = "name", .type = F_STR, .off = offsetof(struct forge, name), .required = true },
	{ .key = "url", .type = F_STR, .off = offsetof(struct forge, url), .required = true },
	{ .key = "kind", .type = F_ENUM, .off = offsetof(struct forge, kind), .choices = forge_kinds },
	{ .key = "refspecs", .type = F_STRLIST, .off = offsetof(struct forge, refspecs) },
	{ .key = "poll_interval", .type = F_NUM, .off = offsetof(struct forge, poll_interval) },
	{ .key = "webhook_secret_file", .type = F_STR, .off = offsetof(struct forge, webhook_secret_file) },
	{ .key = "gate", .type = F_ENUM, .off = offsetof(struct forge, gate), .choices = gate_modes },
	{ .key = "protected_branches", .type = F_STRLIST, .off = offsetof(struct forge, protected_branches) },
	{ .key = "base", .type = F_STR, .off = offsetof(struct forge, base) },
	{ .key = "status", .type = F_MAP, .off = offsetof(struct forge, status), .sub = &status_schema,
	  .present_off = OFF1(struct forge, has_status) },
	END,
};
static const struct schema forge_schema = { "forge", forge_fields, sizeof(struct forge),
					    OFF1(struct forge, pos), 0 };

static const struct field limit_fields[] = {
	{ .key = "bytes", .type = F_INT, .off = offsetof(struct size_limit, bytes), .ranged = true,
	  .min = 1, .max = INT32_MAX },
	{ .key = "percent", .type = F_NUM, .off = offsetof(struct size_limit, percent) },
	{ .key = "action", .type = F_ENUM, .off = offsetof(struct size_limit, action), .required = true,
	  .choices = action_choices },
	END,
};
static const struct schema limit_schema = { "size limit", limit_fields, sizeof(struct size_limit),
					    OFF1(struct size_limit, pos), 0 };

static const struct field rule_fields[] = {
	{ .key = "flash", .type = F_LIST, .off = offsetof(struct size_rule, flash), .sub = &limit_schema },
	{ .key = "ram", .type = F_LIST, .off = offsetof(struct size_rule, ram), .sub = &limit_schema },
	END,
};
static const struct schema rule_schema = { "size thresholds", rule_fields, sizeof(struct size_rule),
					   OFF1(struct size_rule, pos), OFF1(struct size_rule, board) };

static const struct field size_fields[] = {
	{ .key = "default", .type = F_MAP, .off = offsetof(struct config, size_default), .sub = &rule_schema },
	{ .key = "boards", .type = F_NAMEDMAP, .off = offsetof(struct config, size_boards), .sub = &rule_schema },
	END,
};
static const struct schema size_schema = { "size section", size_fields, 0, 0, 0 };

static const struct field storage_fields[] = {
	{ .key = "sqlite", .type = F_STR, .off = offsetof(struct config, sqlite) },
	END,
};
static const struct schema storage_schema = { "storage section", storage_fields, 0, 0, 0 };

static const struct field dashboard_fields[] = {
	{ .key = "listen", .type = F_STR, .off = offsetof(struct config, listen) },
	{ .key = "admin_token_file", .type = F_STR, .off = offsetof(struct config, admin_token_file) },
	END,
};
static const struct schema dashboard_schema = { "dashboard section", dashboard_fields, 0, 0, 0 };

static const struct field containers_fields[] = {
	{ .key = "runtime", .type = F_ENUM, .off = offsetof(struct containers_cfg, runtime),
	  .choices = runtime_choices },
	{ .key = "cpus", .type = F_INT, .off = offsetof(struct containers_cfg, cpus), .ranged = true,
	  .min = 1, .max = 1024 },
	{ .key = "memory", .type = F_STR, .off = offsetof(struct containers_cfg, memory) },
	{ .key = "pids", .type = F_INT, .off = offsetof(struct containers_cfg, pids), .ranged = true,
	  .min = 16, .max = 1000000 },
	{ .key = "timeout", .type = F_NUM, .off = offsetof(struct containers_cfg, timeout) },
	END,
};
static const struct schema containers_schema = { "containers section", containers_fields, 0, 0, 0 };

static const struct field build_cfg_fields[] = {
	{ .key = "parallelism", .type = F_INT, .off = offsetof(struct config, build_parallelism),
	  .ranged = true, .min = 1, .max = 64 },
	{ .key = "merge", .type = F_BOOL, .off = offsetof(struct config, build_merge) },
	END,
};
static const struct schema build_cfg_schema = { "build section", build_cfg_fields, 0, 0, 0 };

static const struct field webhooks_fields[] = {
	{ .key = "max_body", .type = F_INT, .off = offsetof(struct config, webhook_max_body),
	  .ranged = true, .min = 1024, .max = (int64_t)1 << 30 },
	END,
};
static const struct schema webhooks_schema = { "webhooks section", webhooks_fields, 0, 0, 0 };

static const struct field config_fields[] = {
	{ .key = "data_dir", .type = F_STR, .off = offsetof(struct config, data_dir) },
	{ .key = "boards_dir", .type = F_STR, .off = offsetof(struct config, boards_dir) },
	{ .key = "suites_dir", .type = F_STR, .off = offsetof(struct config, suites_dir) },
	{ .key = "containers_dir", .type = F_STR, .off = offsetof(struct config, containers_dir) },
	{ .key = "kernel_dir", .type = F_STR, .off = offsetof(struct config, kernel_dir) },
	{ .key = "rack", .type = F_STR, .off = offsetof(struct config, rack_file) },
	{ .key = "targets", .type = F_STRLIST, .off = offsetof(struct config, targets),
	  .pos_off = OFF1(struct config, targets_pos) },
	{ .key = "suites", .type = F_STRLIST, .off = offsetof(struct config, suites),
	  .pos_off = OFF1(struct config, suites_pos) },
	{ .key = "forges", .type = F_LIST, .off = offsetof(struct config, forges), .sub = &forge_schema },
	{ .key = "storage", .type = F_MAP, .off = 0, .sub = &storage_schema },
	{ .key = "dashboard", .type = F_MAP, .off = 0, .sub = &dashboard_schema },
	{ .key = "containers", .type = F_MAP, .off = offsetof(struct config, containers),
	  .sub = &containers_schema },
	{ .key = "build", .type = F_MAP, .off = 0, .sub = &build_cfg_schema },
	{ .key = "webhooks", .type = F_MAP, .off = 0, .sub = &webhooks_schema },
	{ .key = "size", .type = F_MAP, .off = 0, .sub = &size_schema },
	END,
};
static const struct schema config_schema = { "configuration", config_fields, sizeof(struct config), 0, 0 };

/* ------------------------------------------------------------------------ */
/* Files, folders and defaults.                                             */

/* Project root and default configuration, set by the build (see meson.build). */
extern const char rig_default_config[];
#ifndef RIG_SOURCE_ROOT
#define RIG_SOURCE_ROOT "."
#endif

const char *config_default_text(void)
{
	return rig_default_config;
}

const char *config_project_root(void)
{
	const char *home = getenv("RIG_HOME");

	return home && *home ? home : RIG_SOURCE_ROOT;
}

void config_today(char out[11])
{
	const char *fixed = getenv("RIG_TODAY");
	time_t now = time(NULL);
	struct tm tm;

	if (fixed && valid_date(fixed)) {
		memcpy(out, fixed, 11);
		return;
	}
	gmtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static const char *resolve(struct arena *a, const char *root, const char *path)
{
	if (!path)
		return NULL;
	if (path[0] == '/')
		return path;
	if (path[0] == '~' && path[1] == '/' && getenv("HOME"))
		return arena_printf(a, "%s/%s", getenv("HOME"), path + 2);
	return arena_printf(a, "%s/%s", root, path);
}

/* ---- serve: a forge that is a local repository, named relative to rig.yaml (the demo's) ---- */
static const char *resolve_url(struct arena *a, const char *root, const char *url)
{
	const char *colon, *slash;

	if (!url || strstr(url, "://"))
		return url;
	colon = strchr(url, ':');
	slash = strchr(url, '/');
	/* host:path is scp-like ssh, as git reads it. */
	if (colon && (!slash || colon < slash))
		return url;
	return resolve(a, root, url);
}
/* ---- end serve ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted names in dir (regular files ending in suffix, or folders when suffix is NULL). */
static size_t list_dir(struct arena *a, const char *dir, const char *suffix, const char ***out)
{
	size_t n = 0, alloc = 16;
	const char **names = malloc(alloc * sizeof(*names));
	struct dirent *e;
	DIR *d = opendir(dir);

	*out = NULL;
	if (!d || !names) {
		if (d)
			closedir(d);
		free(names);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		const char *path;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		path = arena_printf(a, "%s/%s", dir, e->d_name);
		if (suffix) {
			size_t sl = strlen(suffix);

			if (len <= sl || strcmp(e->d_name + len - sl, suffix) != 0 || !fs_is_file(path))
				continue;
		} else if (!fs_is_dir(path)) {
			continue;
		}
		if (n == alloc) {
			const char **more = realloc(names, alloc * 2 * sizeof(*names));

			if (!more)
				break;
			names = more;
			alloc *= 2;
		}
		names[n++] = arena_strdup(a, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	*out = arena_alloc(a, (n + 1) * sizeof(**out));
	memcpy(*out, names, n * sizeof(*names));
	free(names);
	return n;
}

static int load_file(struct loader *L, const char *path, const struct schema *s, void *into)
{
	struct ynode *root = NULL;
	int before = L->errors;

	L->file = path;
	if (yaml_parse_file(&root, L->a, path, L->d) != 0) {
		L->errors++;
		if (!root)
			return ERR_INVALID;
	} else if (!root) {
		problem(L, NULL, "the file is empty; expected a mapping (the %s)", s->what);
		return ERR_INVALID;
	}
	load_map(L, root, s, into);
	return L->errors == before ? 0 : ERR_INVALID;
}

static void apply_board_defaults(struct board *b)
{
	if (b->build.timeout == 0)
		b->build.timeout = 600;
	if (b->baud == 0)
		b->baud = 115200;
	if (b->boot_timeout == 0)
		b->boot_timeout = 10;
}

static void check_board(struct config *cfg, struct diags *d, struct board *b, const char *fname)
{
	struct {
		const char *name;
		const struct region *r;
	} regions[] = {
		{ "kernel_flash", &b->memory.kernel_flash }, { "app_flash", &b->memory.app_flash },
		{ "kernel_ram", &b->memory.kernel_ram }, { "app_ram", &b->memory.app_ram },
	};
	size_t stem = strlen(fname) - strlen(".yaml");

	/* A board whose name is missing is still known by its file, to spare a cascade. */
	if (!b->name)
		b->name = arena_strndup(cfg->arena, fname, stem);
	else if (strlen(b->name) != stem || strncmp(b->name, fname, stem) != 0) {
		problem_at(d, &b->pos, "board name '%s' does not match the file name '%s'", b->name, fname);
		b->name = arena_strndup(cfg->arena, fname, stem);
	}
	for (size_t i = 0; i < 4; i++) {
		for (size_t j = i + 1; j < 4; j++) {
			const struct region *x = regions[i].r, *y = regions[j].r;

			if (!x->length || !y->length)
				continue;
			if (x->origin < y->origin + y->length && y->origin < x->origin + x->length)
				problem_at(d, &b->pos, "memory region '%s' overlaps '%s'", regions[i].name,
					   regions[j].name);
		}
	}
	if (b->build.image) {
		const char *cf = arena_printf(cfg->arena, "%s/%s/Containerfile", cfg->containers_dir,
					      b->build.image);

		if (!fs_is_file(cf))
			problem_at(d, &b->build.image_pos,
				   "build image '%s' not found (no %s)", b->build.image, cf);
	}
}

static void check_rack(struct config *cfg, struct diags *d)
{
	struct rack *r = &cfg->rack;

	if (r->lease_seconds == 0)
		r->lease_seconds = 60;
	if (r->offline_after == 0)
		r->offline_after = 3;
	for (size_t i = 0; i < r->devices.n; i++) {
		struct device *dev = &r->devices.v[i];

		if (!dev->id)
			continue;
		for (size_t j = 0; j < i; j++)
			if (r->devices.v[j].id && strcmp(r->devices.v[j].id, dev->id) == 0)
				problem_at(d, &dev->pos, "duplicate device id '%s' (first at line %d)", dev->id,
					   r->devices.v[j].pos.line);
		if (dev->board && !config_board(cfg, dev->board))
			problem_at(d, &dev->board_pos, "device '%s' names unknown board '%s'", dev->id,
				   dev->board);
		/* rack: a device is flashed with OpenOCD, as its board file says how */
		else if (dev->board && !config_board(cfg, dev->board)->broken &&
			 !config_board(cfg, dev->board)->has_openocd)
			problem_at(d, &dev->board_pos, "device '%s': board '%s' has no openocd section to flash it with",
				   dev->id, dev->board);
		if (!dev->console_usb_serial && !dev->console_path)
			problem_at(d, &dev->pos, "device '%s' needs a console usb_serial or path", dev->id);
	}
}

static bool app_exists(const struct config *cfg, const struct suite *s, const char *app)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/apps/%s", s->dir, app);
	if (fs_is_dir(path))
		return true;
	snprintf(path, sizeof(path), "%s/apps/%s", cfg->kernel_dir, app);
	return fs_is_dir(path);
}

static void check_board_names(struct config *cfg, struct diags *d, const cfg_strlist *names,
			      const struct cfg_pos *pos, const char *what)
{
	for (size_t i = 0; i < names->n; i++)
		if (!config_board(cfg, names->v[i]))
			problem_at(d, &pos[i], "%s names unknown board '%s'", what, names->v[i]);
}

static void check_suite(struct config *cfg, struct diags *d, struct suite *s, const char *dirname,
			const char *today)
{
	if (s->timeout == 0)
		s->timeout = 30;
	if (s->name && strcmp(s->name, dirname) != 0)
		problem_at(d, &s->pos, "suite name '%s' does not match its folder '%s'", s->name, dirname);
	for (size_t i = 0; i < s->cases.n; i++) {
		struct suite_case *c = &s->cases.v[i];
		const char *what;

		if (!c->name)
			continue;
		for (size_t j = 0; j < i; j++)
			if (s->cases.v[j].name && strcmp(s->cases.v[j].name, c->name) == 0)
				problem_at(d, &c->pos, "duplicate case '%s' (first at line %d)", c->name,
					   s->cases.v[j].pos.line);
		for (size_t j = 0; j < c->apps.n; j++)
			if (!app_exists(cfg, s, c->apps.v[j]))
				problem_at(d, &c->apps_pos[j],
					   "case '%s' names app '%s', found neither in %s/apps/ nor in %s/apps/",
					   c->name, c->apps.v[j], s->dir, cfg->kernel_dir);
		if (c->apps.n == 0 && c->apps_pos)
			problem_at(d, &c->pos, "case '%s' loads no app", c->name);
		for (size_t j = 0; j < c->expect.n; j++) {
			regex_t re;
			int rc = regcomp(&re, c->expect.v[j], REG_EXTENDED | REG_NOSUB);

			if (rc) {
				char why[128];

				regerror(rc, &re, why, sizeof(why));
				problem_at(d, &c->expect_pos[j], "expect pattern of case '%s' does not compile: %s",
					   c->name, why);
			} else {
				regfree(&re);
			}
		}
		what = arena_printf(cfg->arena, "case '%s'", c->name);
		check_board_names(cfg, d, &c->only, c->only_pos, what);
		check_board_names(cfg, d, &c->except, c->except_pos, what);
	}
	for (size_t i = 0; i < s->quarantine.n; i++) {
		struct quarantine *q = &s->quarantine.v[i];

		if (q->case_name && !suite_case(s, q->case_name))
			problem_at(d, &q->case_pos, "quarantine names unknown case '%s'", q->case_name);
		for (size_t j = 0; j < q->targets.n; j++)
			if (!config_board(cfg, q->targets.v[j]))
				problem_at(d, &q->pos, "quarantine of '%s' names unknown board '%s'",
					   q->case_name, q->targets.v[j]);
		if (q->expires && strcmp(q->expires, today) < 0)
			problem_at(d, &q->expires_pos,
				   "quarantine of '%s' expired on %s: fix the case or extend the expiry",
				   q->case_name, q->expires);
	}
}

static void apply_config_defaults(struct config *cfg)
{
	struct arena *a = cfg->arena;
	const char *root = cfg->root;

	cfg->data_dir = resolve(a, root, cfg->data_dir ? cfg->data_dir : "data");
	cfg->boards_dir = resolve(a, root, cfg->boards_dir ? cfg->boards_dir : "boards");
	cfg->suites_dir = resolve(a, root, cfg->suites_dir ? cfg->suites_dir : "suites");
	cfg->containers_dir = resolve(a, root, cfg->containers_dir ? cfg->containers_dir : "containers");
	cfg->kernel_dir = resolve(a, root, cfg->kernel_dir ? cfg->kernel_dir : "kernel");
	cfg->rack_file = resolve(a, root, cfg->rack_file);
	cfg->sqlite = resolve(a, cfg->data_dir, cfg->sqlite ? cfg->sqlite : "rig.db");
	if (!cfg->listen)
		cfg->listen = "127.0.0.1:8080";
	cfg->admin_token_file = resolve(a, root, cfg->admin_token_file);
	if (!cfg->containers.runtime)
		cfg->containers.runtime = "podman";
	if (!cfg->containers.cpus)
		cfg->containers.cpus = 2;
	if (!cfg->containers.memory)
		cfg->containers.memory = "2g";
	if (!cfg->containers.pids)
		cfg->containers.pids = 1024;
	if (cfg->containers.timeout == 0)
		cfg->containers.timeout = 1200;
	if (!cfg->build_parallelism)
		cfg->build_parallelism = 1;
	if (!cfg->webhook_max_body)
		cfg->webhook_max_body = (int64_t)5 << 20;
	for (size_t i = 0; i < cfg->forges.n; i++) {
		struct forge *f = &cfg->forges.v[i];
		/* What each kind of forge calls a change under review. */
		static const char *github_refspecs[] = { "+refs/heads/*:refs/heads/*",
							 "+refs/pull/*/head:refs/pull/*/head" };
		static const char *gitlab_refspecs[] = { "+refs/heads/*:refs/heads/*",
							 "+refs/merge-requests/*/head:refs/merge-requests/*/head" };

		if (!f->kind)
			f->kind = "git";
		if (!f->gate)
			f->gate = "every-pr";
		if (!f->base)
			f->base = "main";
		if (f->poll_interval == 0)
			f->poll_interval = 60;
		if (f->refspecs.n == 0) {
			f->refspecs.v = (const char **)(strcmp(f->kind, "gitlab") == 0 ? gitlab_refspecs
											 : github_refspecs);
			f->refspecs.n = 2;
		}
		f->url = resolve_url(a, root, f->url);
		f->webhook_secret_file = resolve(a, root, f->webhook_secret_file);
		if (f->has_status) {
			f->status.token_file = resolve(a, root, f->status.token_file);
			if (!f->status.context)
				f->status.context = "rig";
		}
	}
}

static void check_limits(struct diags *d, const struct size_rule *r)
{
	for (int k = 0; k < 2; k++) {
		const struct size_limit *v = k ? r->ram.v : r->flash.v;
		size_t n = k ? r->ram.n : r->flash.n;

		for (size_t i = 0; i < n; i++)
			if (!v[i].bytes && v[i].percent == 0)
				problem_at(d, &v[i].pos, "a size limit needs 'bytes' or 'percent'");
	}
}

static void check_config(struct config *cfg, struct diags *d)
{
	for (size_t i = 0; i < cfg->targets.n; i++) {
		const struct board *b = config_board(cfg, cfg->targets.v[i]);
		bool has_device = false;

		if (!b) {
			problem_at(d, &cfg->targets_pos[i], "target '%s' is not a board (no %s/%s.yaml)",
				   cfg->targets.v[i], cfg->boards_dir, cfg->targets.v[i]);
			continue;
		}
		for (size_t j = 0; cfg->has_rack && j < cfg->rack.devices.n; j++)
			if (cfg->rack.devices.v[j].board && strcmp(cfg->rack.devices.v[j].board, b->name) == 0)
				has_device = true;
		if (!b->has_qemu && !has_device && !b->broken)
			problem_at(d, &cfg->targets_pos[i],
				   "target '%s' has no qemu section and no device in the rack", b->name);
	}
	for (size_t i = 0; i < cfg->suites.n; i++)
		if (!config_suite(cfg, cfg->suites.v[i]))
			problem_at(d, &cfg->suites_pos[i], "suite '%s' not found (no %s/%s/suite.yaml)",
				   cfg->suites.v[i], cfg->suites_dir, cfg->suites.v[i]);
	for (size_t i = 0; i < cfg->forges.n; i++)
		for (size_t j = 0; j < i; j++)
			if (cfg->forges.v[i].name && cfg->forges.v[j].name &&
			    strcmp(cfg->forges.v[i].name, cfg->forges.v[j].name) == 0)
				problem_at(d, &cfg->forges.v[i].pos, "duplicate forge name '%s' (first at line %d)",
					   cfg->forges.v[i].name, cfg->forges.v[j].pos.line);
	check_limits(d, &cfg->size_default);
	for (size_t i = 0; i < cfg->size_boards.n; i++) {
		const struct size_rule *r = &cfg->size_boards.v[i];

		if (!config_board(cfg, r->board))
			problem_at(d, &r->pos, "size thresholds name unknown board '%s'", r->board);
		check_limits(d, r);
	}
	if (!fs_is_dir(cfg->boards_dir))
		diags_add(d, cfg->file, 1, 1, "boards folder '%s' not found", cfg->boards_dir);
	if (!fs_is_dir(cfg->suites_dir))
		diags_add(d, cfg->file, 1, 1, "suites folder '%s' not found", cfg->suites_dir);
}

/* Every board file, the rack and every suite the configuration's folders hold. */
static void load_tree(struct config *cfg, struct loader *L, const char *today)
{
	const char **names;
	size_t n;

	n = list_dir(cfg->arena, cfg->boards_dir, ".yaml", &names);
	cfg->boards.v = arena_alloc(cfg->arena, (n + 1) * sizeof(struct board));
	for (size_t i = 0; i < n; i++) {
		const char *path = arena_printf(cfg->arena, "%s/%s", cfg->boards_dir, names[i]);
		struct board *b = &cfg->boards.v[cfg->boards.n];

		if (strcmp(names[i], "rack.yaml") == 0)
			continue;
		if (cfg->rack_file && strcmp(path, cfg->rack_file) == 0)
			continue;
		b->file = path;
		b->broken = load_file(L, path, &board_schema, b) != 0;
		apply_board_defaults(b);
		check_board(cfg, L->d, b, names[i]);
		cfg->boards.n++;
	}

	if (!cfg->rack_file) {
		const char *path = arena_printf(cfg->arena, "%s/rack.yaml", cfg->boards_dir);

		if (fs_is_file(path))
			cfg->rack_file = path;
	}
	if (cfg->rack_file) {
		cfg->has_rack = true;
		cfg->rack.file = cfg->rack_file;
		load_file(L, cfg->rack_file, &rack_schema, &cfg->rack);
		check_rack(cfg, L->d);
	}

	n = list_dir(cfg->arena, cfg->suites_dir, NULL, &names);
	cfg->all_suites.v = arena_alloc(cfg->arena, (n + 1) * sizeof(struct suite));
	for (size_t i = 0; i < n; i++) {
		const char *dir = arena_printf(cfg->arena, "%s/%s", cfg->suites_dir, names[i]);
		const char *path = arena_printf(cfg->arena, "%s/suite.yaml", dir);
		struct suite *s = &cfg->all_suites.v[cfg->all_suites.n];

		if (!fs_is_file(path))
			continue;
		s->file = path;
		s->dir = dir;
		load_file(L, path, &suite_schema, s);
		check_suite(cfg, L->d, s, names[i], today);
		cfg->all_suites.n++;
	}
}

static void default_lists(struct config *cfg)
{
	if (cfg->targets.n == 0) {
		cfg->targets.v = arena_alloc(cfg->arena, (cfg->boards.n + 1) * sizeof(char *));
		cfg->targets_pos = arena_alloc(cfg->arena, (cfg->boards.n + 1) * sizeof(struct cfg_pos));
		for (size_t i = 0; i < cfg->boards.n; i++)
			if (cfg->boards.v[i].has_qemu && cfg->boards.v[i].name)
				cfg->targets.v[cfg->targets.n++] = cfg->boards.v[i].name;
	}
	if (cfg->suites.n == 0) {
		cfg->suites.v = arena_alloc(cfg->arena, (cfg->all_suites.n + 1) * sizeof(char *));
		cfg->suites_pos = arena_alloc(cfg->arena, (cfg->all_suites.n + 1) * sizeof(struct cfg_pos));
		for (size_t i = 0; i < cfg->all_suites.n; i++)
			if (cfg->all_suites.v[i].name)
				cfg->suites.v[cfg->suites.n++] = cfg->all_suites.v[i].name;
	}
}

int config_load(struct config **out, const char *path, struct diags *diags)
{
	struct config *cfg;
	struct loader L = { .d = diags };
	struct ynode *root = NULL;
	char today[11];
	size_t before = diags->n;
	int rc;

	*out = NULL;
	config_today(today);
	{
		struct arena *a = arena_new();

		cfg = arena_alloc(a, sizeof(*cfg));
		cfg->arena = a;
	}
	L.a = cfg->arena;

	if (path) {
		char *slash;
		char *abs = realpath(path, NULL);

		cfg->file = arena_strdup(cfg->arena, path);
		if (!abs) {
			diags_add(diags, path, 1, 1, "cannot read: %s", strerror(errno));
			goto done;
		}
		slash = strrchr(abs, '/');
		cfg->root = arena_strndup(cfg->arena, abs, slash && slash != abs ? (size_t)(slash - abs) : 1);
		free(abs);
		L.file = cfg->file;
		rc = yaml_parse_file(&root, cfg->arena, cfg->file, diags);
	} else {
		cfg->builtin = true;
		cfg->root = arena_strdup(cfg->arena, config_project_root());
		cfg->file = arena_printf(cfg->arena, "%s/rig/default.yaml", cfg->root);
		L.file = cfg->file;
		rc = yaml_parse(&root, cfg->arena, cfg->file, rig_default_config, strlen(rig_default_config),
				diags);
	}
	if (rc)
		goto done;
	if (!root) {
		diags_add(diags, cfg->file, 1, 1, "the file is empty; expected a mapping (the configuration)");
		goto done;
	}
	load_map(&L, root, &config_schema, (char *)cfg);
	apply_config_defaults(cfg);
	load_tree(cfg, &L, today);
	default_lists(cfg);
	check_config(cfg, diags);

done:
	if (diags->n > before) {
		config_free(cfg);
		return err_set(ERR_INVALID, "%zu problem%s in the configuration", diags->n - before,
			       diags->n - before == 1 ? "" : "s");
	}
	*out = cfg;
	return 0;
}

void config_free(struct config *cfg)
{
	if (cfg)
		arena_free(cfg->arena);
}

const struct board *config_board(const struct config *cfg, const char *name)
{
	for (size_t i = 0; name && i < cfg->boards.n; i++)
		if (cfg->boards.v[i].name && strcmp(cfg->boards.v[i].name, name) == 0)
			return &cfg->boards.v[i];
	return NULL;
}

const struct suite *config_suite(const struct config *cfg, const char *name)
{
	for (size_t i = 0; name && i < cfg->all_suites.n; i++)
		if (cfg->all_suites.v[i].name && strcmp(cfg->all_suites.v[i].name, name) == 0)
			return &cfg->all_suites.v[i];
	return NULL;
}

const struct device *config_device(const struct config *cfg, const char *id)
{
	for (size_t i = 0; cfg->has_rack && id && i < cfg->rack.devices.n; i++)
		if (cfg->rack.devices.v[i].id && strcmp(cfg->rack.devices.v[i].id, id) == 0)
			return &cfg->rack.devices.v[i];
	return NULL;
}

const struct suite_case *suite_case(const struct suite *s, const char *name)
{
	for (size_t i = 0; name && i < s->cases.n; i++)
		if (s->cases.v[i].name && strcmp(s->cases.v[i].name, name) == 0)
			return &s->cases.v[i];
	return NULL;
}

static bool in_list(const cfg_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

bool suite_case_runs_on(const struct suite_case *c, const char *board)
{
	if (c->only.n && !in_list(&c->only, board))
		return false;
	return !in_list(&c->except, board);
}

const struct quarantine *suite_quarantined(const struct suite *s, const char *case_name,
					   const char *board, const char *today)
{
	for (size_t i = 0; i < s->quarantine.n; i++) {
		const struct quarantine *q = &s->quarantine.v[i];

		if (!q->case_name || strcmp(q->case_name, case_name) != 0)
			continue;
		if (q->targets.n && !in_list(&q->targets, board))
			continue;
		if (q->expires && strcmp(q->expires, today) < 0)
			continue;
		return q;
	}
	return NULL;
}
