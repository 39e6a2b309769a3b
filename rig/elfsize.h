/*
 * elfsize: what an ELF image costs in flash and RAM, section by section and
 * symbol by symbol, and how two images differ.
 *
 * A struct elfsize is one reading. It owns its arrays and every string they
 * point to (one pool per reading); elfsize_release() frees all of it. A
 * reading comes from an ELF file or buffer (elfsize_read_file/_mem, on
 * libelf: 32- and 64-bit, either byte order), or is put together with
 * elfsize_add_section/_symbol, e.g. from sizes stored for an earlier build.
 *
 * How sections are counted. Only allocated sections (SHF_ALLOC) of non-zero
 * size are kept: the rest (debug info, symbol tables, notes for tools) never
 * reaches the target. Each is put in the class that size(1)'s Berkeley form
 * gives it, so the totals agree with `arm-none-eabi-size` byte for byte:
 *   text  executable or read-only (.text, .rodata, .ARM.exidx, vectors)
 *   data  writable with contents (.data, .sdata, .init_array)
 *   bss   writable without contents, SHT_NOBITS (.bss, .noinit, and the
 *         .heap/.stack reservations when the linker script names them)
 * A section's region is where it lives while the program runs: text in
 * flash, data and bss in RAM. Initialised data lives in both: its bytes are
 * stored in flash (the load image at its LMA) and copied to RAM at start-up.
 * So the totals are
 *   flash = text + data      ram = data + bss
 * and .data is listed once, with region "ram", but counted in both totals.
 * The class, not the LMA, decides: an image whose .data has no load address
 * in flash (a host program, an app loaded into RAM) is still counted the
 * Berkeley way, and code copied to RAM to run there (.ramfunc, executable)
 * counts as text only. (size(1) also calls a read-only NOBITS section text;
 * so does this module, to keep the totals equal.)
 *
 * Symbols: functions and objects (STT_FUNC, STT_GNU_IFUNC, STT_OBJECT,
 * STT_TLS) of non-zero size defined in one of the kept sections. A local
 * symbol carries the base name of the source file that defined it (the
 * STT_FILE before it), so two `static int state` in two drivers stay apart.
 *
 * Every function returns 0 or a negative ERR_* with the last error set; a
 * message about a file starts with the file's name.
 */
#ifndef RIG_ELFSIZE_H
#define RIG_ELFSIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Larger sections or symbols are a corrupt header, not a program (256 TiB). */
#define ELFSIZE_SIZE_MAX ((uint64_t)1 << 48)
/* Files larger than this are refused before they are mapped. */
#define ELFSIZE_FILE_MAX ((uint64_t)2 << 30)
/* More section headers than this is a corrupt header. */
#define ELFSIZE_SECTIONS_MAX ((size_t)1 << 20)

enum elfsize_class { ELFSIZE_TEXT, ELFSIZE_DATA, ELFSIZE_BSS };
enum elfsize_region { ELFSIZE_FLASH, ELFSIZE_RAM };
enum elfsize_kind { ELFSIZE_FUNC, ELFSIZE_OBJECT };

struct elfsize_section {
	const char *name;
	enum elfsize_class cls;
	enum elfsize_region region;	/* follows from cls: text in flash, the rest in RAM */
	uint64_t addr;			/* where it runs (VMA) */
	uint64_t load_addr;		/* where its bytes are loaded (LMA); addr when no segment says */
	uint64_t size;
};

struct elfsize_symbol {
	const char *name;
	const char *section;		/* the name of the section it is defined in */
	const char *file;		/* source file of a local symbol; NULL for a global */
	enum elfsize_kind kind;
	uint64_t addr;
	uint64_t size;
};

struct elfsize_totals {
	uint64_t text, data, bss;	/* size(1)'s Berkeley columns */
	uint64_t flash, ram;		/* text + data, data + bss */
};

struct elfsize_pool;

struct elfsize {
	const char *file;		/* the name given when reading; NULL when built by hand */
	int elf_class;			/* 32 or 64; 0 when built by hand */
	bool big_endian;
	unsigned machine;		/* e_machine (EM_ARM, EM_RISCV, ...) */
	bool has_symtab;		/* false: stripped, symbols is empty */
	struct elfsize_section *sections;	/* in section header order */
	size_t n_sections;
	struct elfsize_symbol *symbols;		/* in symbol table order */
	size_t n_symbols;
	struct elfsize_totals totals;

	/* private */
	size_t alloc_sections, alloc_symbols;
	struct elfsize_pool *pool;
};

/* An empty reading, to fill with elfsize_add_*. */
void elfsize_init(struct elfsize *es);
void elfsize_release(struct elfsize *es);

/*
 * Reads the ELF file at path into *out (which needs no init). On error *out
 * is left empty (releasing it is harmless) and the message names the file
 * and what is wrong with it: not a regular file, empty, not ELF, truncated,
 * tables or contents outside the file, absurd counts or sizes.
 */
int elfsize_read_file(struct elfsize *out, const char *path);

/* The same for an image in memory; name is used in messages and as file. */
int elfsize_read_mem(struct elfsize *out, const char *name, const void *data, size_t len);

/*
 * Appends a copy of *s (strings included); region is set from cls and the
 * totals grow. ERR_INVALID when the size exceeds ELFSIZE_SIZE_MAX or a
 * total would exceed INT64_MAX, so that every delta fits an int64_t.
 */
int elfsize_add_section(struct elfsize *es, const struct elfsize_section *s);
/* Appends a copy of *sym (strings included); section must not be NULL. */
int elfsize_add_symbol(struct elfsize *es, const struct elfsize_symbol *sym);

/* ---- deltas ---- */

enum elfsize_change { ELFSIZE_SAME, ELFSIZE_GREW, ELFSIZE_SHRANK, ELFSIZE_NEW, ELFSIZE_REMOVED };

struct elfsize_section_delta {
	const char *name;
	enum elfsize_class cls;		/* the new image's, or the base's for a removed section */
	enum elfsize_region region;
	uint64_t base, size;		/* 0 where the section is absent */
	int64_t delta;
};

struct elfsize_symbol_delta {
	const char *name;		/* folded: see elfsize_fold() */
	const char *section;		/* of its largest symbol in the new image (else the base) */
	const char *file;		/* as in elfsize_symbol */
	uint64_t base, size;		/* 0 where absent */
	int64_t delta;			/* never 0 */
	enum elfsize_change change;	/* grew, shrank, new or removed */
};

struct elfsize_totals_delta {
	int64_t text, data, bss, flash, ram;
};

struct elfsize_delta {
	struct elfsize_totals base, size;
	struct elfsize_totals_delta delta;
	/* Every section of either image, the new image's order first. */
	struct elfsize_section_delta *sections;
	size_t n_sections;
	/* Symbols whose size changed, largest |delta| first (then by name). */
	struct elfsize_symbol_delta *symbols;
	size_t n_symbols;

	/* private */
	struct elfsize_pool *pool;
};

/*
 * The difference from base to cur, into *out (which needs no init; it owns
 * copies of every string, so the readings may be released first). Sections
 * are matched by name, sizes of same-named sections added up. Symbols are
 * matched by (folded name, file); all the symbols of one key are added up,
 * so that foo.constprop.0 and foo.constprop.1 in one image compare, as a
 * whole, with foo.constprop.3 in the other. ERR_INVALID when a sum of
 * symbol sizes would exceed INT64_MAX.
 */
int elfsize_diff(struct elfsize_delta *out, const struct elfsize *base, const struct elfsize *cur);
void elfsize_delta_release(struct elfsize_delta *d);

/*
 * The length of name without the suffixes a compiler adds to the functions
 * and objects it derives, so that a renumbering or a different choice of
 * clone does not show as one symbol removed and another added. Folding
 * strips, from the end and repeatedly, every dot-separated part that is a
 * number or one of constprop, isra, part, lto_priv, cold:
 *   foo.constprop.0, foo.isra.0.constprop.3, foo.part.0, foo.lto_priv.0,
 *   foo.cold, foo.cold.12  -> foo        count.2 (a static in a function) -> count
 * foo.cold is the unlikely part of foo split out by hot/cold partitioning:
 * it is not a function of its own, and whether GCC splits changes with
 * unrelated edits, so its bytes count with foo. Other suffixes stay:
 * foo.localalias is an alias of foo (adding it would count foo twice), and
 * a name is never folded to nothing (".5" stays ".5").
 * The folded name is a prefix of name: the result is its length.
 */
size_t elfsize_fold(const char *name);

const char *elfsize_class_name(enum elfsize_class cls);		/* text, data, bss */
const char *elfsize_region_name(enum elfsize_region region);	/* flash, ram */
const char *elfsize_kind_name(enum elfsize_kind kind);		/* func, object */
const char *elfsize_change_name(enum elfsize_change change);	/* same, grew, ... */
/* Parses "text", "data" or "bss" (e.g. as stored); 0 or ERR_INVALID. */
int elfsize_parse_class(enum elfsize_class *out, const char *name);
/* "ARM", "RISC-V", "x86-64", ... or NULL for a machine without a name here. */
const char *elfsize_machine_name(unsigned machine);

#endif
