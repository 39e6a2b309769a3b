#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsize.h"
#include "err.h"

/* ---- folding ---- */

static void assert_folds(const char *name, const char *want)
{
	size_t len = elfsize_fold(name);

	if (len != strlen(want) || strncmp(name, want, len) != 0)
		fail_msg("%s folds to %.*s, expected %s", name, (int)len, name, want);
}

static void test_fold(void **state)
{
	(void)state;
	assert_folds("foo", "foo");
	assert_folds("foo.constprop.0", "foo");
	assert_folds("foo.constprop.12", "foo");
	assert_folds("foo.isra.0", "foo");
	assert_folds("foo.part.3", "foo");
	assert_folds("foo.lto_priv.0", "foo");
	assert_folds("foo.isra.0.constprop.3", "foo");
	assert_folds("foo.constprop.0.isra.0", "foo");
	assert_folds("foo.part.0.lto_priv.0", "foo");
	assert_folds("foo.cold", "foo");
	assert_folds("foo.cold.12", "foo");
	assert_folds("foo.part.0.cold", "foo");
	assert_folds("count.2", "count");
	assert_folds("__func__.1", "__func__");
	/* Aliases and other suffixes stay apart. */
	assert_folds("foo.localalias", "foo.localalias");
	assert_folds("foo.localalias.0", "foo.localalias");
	assert_folds("foo.llvm.1234", "foo.llvm");
	assert_folds("foo.constprop", "foo");
	assert_folds(".L.str.1", ".L.str");
	assert_folds(".5", ".5");
	assert_folds("foo.", "foo.");
	assert_folds("foo..0", "foo.");
	assert_folds("", "");
	assert_folds("cold", "cold");
	assert_folds("x.cold_path", "x.cold_path");
}

/* ---- readings built by hand, and their deltas ---- */

static void add_section(struct elfsize *es, const char *name, enum elfsize_class cls, uint64_t size)
{
	struct elfsize_section s = { .name = name, .cls = cls, .size = size };

	assert_int_equal(elfsize_add_section(es, &s), 0);
}

static void add_symbol(struct elfsize *es, const char *name, const char *section, const char *file,
		       uint64_t size)
{
	struct elfsize_symbol s = { .name = name, .section = section, .file = file, .size = size };

	assert_int_equal(elfsize_add_symbol(es, &s), 0);
}

static void test_totals_count_data_twice(void **state)
{
	struct elfsize es;

	(void)state;
	elfsize_init(&es);
	add_section(&es, ".text", ELFSIZE_TEXT, 1000);
	add_section(&es, ".rodata", ELFSIZE_TEXT, 200);
	add_section(&es, ".data", ELFSIZE_DATA, 30);
	add_section(&es, ".bss", ELFSIZE_BSS, 400);
	add_section(&es, ".stack", ELFSIZE_BSS, 4096);
	assert_int_equal(es.totals.text, 1200);
	assert_int_equal(es.totals.data, 30);
	assert_int_equal(es.totals.bss, 4496);
	assert_int_equal(es.totals.flash, 1230);
	assert_int_equal(es.totals.ram, 4526);
	assert_int_equal(es.sections[0].region, ELFSIZE_FLASH);
	assert_int_equal(es.sections[2].region, ELFSIZE_RAM);
	assert_int_equal(es.sections[3].region, ELFSIZE_RAM);
	elfsize_release(&es);
}

static void test_absurd_sizes_are_refused(void **state)
{
	struct elfsize_section s = { .name = ".bss", .cls = ELFSIZE_BSS };
	struct elfsize es;

	(void)state;
	elfsize_init(&es);
	s.size = ELFSIZE_SIZE_MAX + 1;
	assert_int_equal(elfsize_add_section(&es, &s), ERR_INVALID);
	assert_non_null(strstr(err_msg(), ".bss"));
	s.size = ELFSIZE_SIZE_MAX;
	/* 2^15 sections of 2^48 bytes reach 2^63: one of them must be refused. */
	for (int i = 0; i < (1 << 15) + 1; i++)
		if (elfsize_add_section(&es, &s) != 0)
			break;
	assert_int_equal(err_code(), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "2^63"));
	assert_true(es.totals.ram <= (uint64_t)INT64_MAX);
	assert_true(es.n_sections < (1 << 15));
	s.cls = (enum elfsize_class)7;
	assert_int_equal(elfsize_add_section(&es, &s), ERR_INVALID);
	elfsize_release(&es);
}

static const struct elfsize_symbol_delta *find_delta(const struct elfsize_delta *d,
						     const char *name, const char *file)
{
	for (size_t i = 0; i < d->n_symbols; i++)
		if (strcmp(d->symbols[i].name, name) == 0 &&
		    (file ? d->symbols[i].file && strcmp(d->symbols[i].file, file) == 0
			  : !d->symbols[i].file))
			return &d->symbols[i];
	return NULL;
}

static void test_diff(void **state)
{
	const struct elfsize_symbol_delta *s;
	struct elfsize base, cur;
	struct elfsize_delta d;

	(void)state;
	elfsize_init(&base);
	elfsize_init(&cur);
	add_section(&base, ".text", ELFSIZE_TEXT, 1000);
	add_section(&base, ".rodata", ELFSIZE_TEXT, 100);
	add_section(&base, ".data", ELFSIZE_DATA, 16);
	add_section(&base, ".old", ELFSIZE_TEXT, 8);
	add_section(&base, ".bss", ELFSIZE_BSS, 64);
	add_symbol(&base, "main", ".text", NULL, 100);
	add_symbol(&base, "scale.constprop.0", ".text", "a.c", 40);
	add_symbol(&base, "scale.constprop.1", ".text", "a.c", 20);
	add_symbol(&base, "state", ".bss", "a.c", 4);
	add_symbol(&base, "state", ".bss", "b.c", 8);
	add_symbol(&base, "gone", ".text", NULL, 30);
	add_symbol(&base, "same", ".text", NULL, 12);
	add_symbol(&base, "f", ".text", NULL, 50);

	add_section(&cur, ".text", ELFSIZE_TEXT, 1010);
	add_section(&cur, ".rodata", ELFSIZE_TEXT, 3172);
	add_section(&cur, ".data", ELFSIZE_DATA, 16);
	add_section(&cur, ".bss", ELFSIZE_BSS, 64);
	add_section(&cur, ".new", ELFSIZE_BSS, 4);
	add_symbol(&cur, "main", ".text", NULL, 110);
	add_symbol(&cur, "scale.isra.0.constprop.7", ".text", "a.c", 60);
	add_symbol(&cur, "state", ".bss", "a.c", 4);
	add_symbol(&cur, "state", ".bss", "b.c", 12);
	add_symbol(&cur, "table", ".rodata", NULL, 3072);
	add_symbol(&cur, "same", ".text", NULL, 12);
	add_symbol(&cur, "f", ".text", NULL, 20);
	add_symbol(&cur, "f.cold", ".text", NULL, 30);

	assert_int_equal(elfsize_diff(&d, &base, &cur), 0);
	/* Readings may go first: the delta owns its strings. */
	elfsize_release(&base);
	elfsize_release(&cur);

	assert_int_equal(d.delta.flash, (1010 + 3172 + 16) - (1000 + 100 + 16 + 8));
	assert_int_equal(d.delta.ram, 4);
	assert_int_equal(d.delta.text, 3082 - 8);
	assert_int_equal(d.delta.bss, 4);

	/* The new image's order, then what only the base had. */
	assert_int_equal(d.n_sections, 6);
	assert_string_equal(d.sections[0].name, ".text");
	assert_int_equal(d.sections[0].delta, 10);
	assert_string_equal(d.sections[1].name, ".rodata");
	assert_int_equal(d.sections[1].delta, 3072);
	assert_string_equal(d.sections[4].name, ".new");
	assert_int_equal(d.sections[4].base, 0);
	assert_int_equal(d.sections[4].region, ELFSIZE_RAM);
	assert_string_equal(d.sections[5].name, ".old");
	assert_int_equal(d.sections[5].size, 0);
	assert_int_equal(d.sections[5].delta, -8);

	/* The biggest change first; unchanged and renumbered clones absent. */
	assert_int_equal(d.n_symbols, 4);
	assert_string_equal(d.symbols[0].name, "table");
	assert_int_equal(d.symbols[0].change, ELFSIZE_NEW);
	assert_int_equal(d.symbols[0].delta, 3072);
	assert_string_equal(d.symbols[0].section, ".rodata");
	assert_string_equal(d.symbols[1].name, "gone");
	assert_int_equal(d.symbols[1].change, ELFSIZE_REMOVED);
	assert_int_equal(d.symbols[1].delta, -30);
	assert_int_equal(d.symbols[1].size, 0);
	s = find_delta(&d, "main", NULL);
	assert_non_null(s);
	assert_int_equal(s->change, ELFSIZE_GREW);
	assert_int_equal(s->base, 100);
	assert_int_equal(s->size, 110);
	s = find_delta(&d, "state", "b.c");
	assert_non_null(s);
	assert_int_equal(s->delta, 4);
	assert_null(find_delta(&d, "state", "a.c"));
	assert_null(find_delta(&d, "scale", "a.c"));	/* 40 + 20 == 60 */
	assert_null(find_delta(&d, "f", NULL));		/* 50 == 20 + 30 */
	assert_null(find_delta(&d, "same", NULL));
	elfsize_delta_release(&d);
}

static void test_diff_of_identical_readings_is_empty(void **state)
{
	struct elfsize es;
	struct elfsize_delta d;

	(void)state;
	elfsize_init(&es);
	add_section(&es, ".text", ELFSIZE_TEXT, 10);
	add_section(&es, ".text", ELFSIZE_TEXT, 6);	/* a .o may repeat names */
	add_symbol(&es, "a", ".text", NULL, 4);
	add_symbol(&es, "a", ".text", NULL, 4);
	assert_int_equal(elfsize_diff(&d, &es, &es), 0);
	assert_int_equal(d.n_symbols, 0);
	assert_int_equal(d.n_sections, 1);
	assert_int_equal(d.sections[0].size, 16);
	assert_int_equal(d.sections[0].delta, 0);
	assert_int_equal(d.delta.flash, 0);
	elfsize_delta_release(&d);
	elfsize_release(&es);

	/* Two empty readings. */
	elfsize_init(&es);
	assert_int_equal(elfsize_diff(&d, &es, &es), 0);
	assert_int_equal(d.n_sections + d.n_symbols, 0);
	elfsize_delta_release(&d);
}

static void test_diff_refuses_symbol_sums_past_int64(void **state)
{
	struct elfsize es, empty;
	struct elfsize_delta d;

	(void)state;
	elfsize_init(&es);
	elfsize_init(&empty);
	for (int i = 0; i < (1 << 15) + 1; i++)
		add_symbol(&es, "x", ".text", NULL, ELFSIZE_SIZE_MAX);
	assert_int_equal(elfsize_diff(&d, &empty, &es), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "2^63"));
	assert_null(d.symbols);
	elfsize_release(&es);
}

/* ---- images written with libelf: every class and byte order ---- */

struct image {
	char *data;
	size_t len;
};

static Elf_Scn *new_section(Elf *elf, GElf_Shdr *sh, const char *bytes, size_t len, Elf_Type type)
{
	Elf_Scn *scn = elf_newscn(elf);
	Elf_Data *d = elf_newdata(scn);

	assert_non_null(d);
	d->d_buf = (void *)bytes;
	d->d_size = len;
	d->d_type = type;
	d->d_align = 1;
	if (sh->sh_type == SHT_NOBITS)
		d->d_buf = NULL;
	assert_int_not_equal(gelf_update_shdr(scn, sh), 0);
	return scn;
}

/*
 * Sections: 1 .text, 2 .rodata, 3 .data, 4 .bss, 5 .comment (not allocated),
 * 6 .empty (allocated, size 0), then extra empty sections, then .symtab,
 * .strtab, .shstrtab; with extra >= 0xff00 the count needs extended numbering
 * and `tail` (an object) lives past SHN_LORESERVE, through SHT_SYMTAB_SHNDX.
 */
static struct image write_image(int cls, int order, size_t extra)
{
	static const char shstr[] = "\0.text\0.rodata\0.data\0.bss\0.comment\0.empty\0"
				    ".symtab\0.strtab\0.shstrtab\0.tail\0.symtab_shndx";
	static const char str[] = "\0dir/a.c\0state\0helper.constprop.0\0b.c\0main\0table\0"
				  "label\0undef\0abs\0zero\0note\0tail";
	static char text[0x100], rodata[0x40], data[0x10], comment[8];
	enum { N_TEXT = 1, N_RODATA = 7, N_DATA = 15, N_BSS = 21, N_COMMENT = 26, N_EMPTY = 35,
	       N_SYMTAB = 42, N_STRTAB = 50, N_SHSTRTAB = 58, N_TAIL = 68, N_SHNDX = 74 };
	enum { S_FILE_A = 1, S_STATE = 9, S_HELPER = 15, S_FILE_B = 34, S_MAIN = 38,
	       S_TABLE = 43, S_LABEL = 49, S_UNDEF = 55, S_ABS = 61, S_ZERO = 65, S_NOTE = 70,
	       S_TAIL = 75 };
	struct {
		unsigned name, type, bind;
		size_t shndx;
		uint64_t value, size;
	} syms[] = {
		{ 0, 0, 0, 0, 0, 0 },
		{ S_FILE_A, STT_FILE, STB_LOCAL, SHN_ABS, 0, 0 },
		{ S_STATE, STT_OBJECT, STB_LOCAL, 4, 0x20000010, 4 },
		{ S_HELPER, STT_FUNC, STB_LOCAL, 1, 0x1000, 0x20 },
		{ S_FILE_B, STT_FILE, STB_LOCAL, SHN_ABS, 0, 0 },
		{ S_STATE, STT_OBJECT, STB_LOCAL, 4, 0x20000014, 8 },
		{ S_MAIN, STT_FUNC, STB_GLOBAL, 1, 0x1020, 0x40 },
		{ S_TABLE, STT_OBJECT, STB_GLOBAL, 2, 0x1100, 0x40 },
		{ S_LABEL, STT_NOTYPE, STB_GLOBAL, 1, 0x1060, 4 },
		{ S_UNDEF, STT_OBJECT, STB_GLOBAL, SHN_UNDEF, 0, 4 },
		{ S_ABS, STT_OBJECT, STB_GLOBAL, SHN_ABS, 0x1234, 4 },
		{ S_ZERO, STT_FUNC, STB_GLOBAL, 1, 0x10a0, 0 },
		{ S_NOTE, STT_OBJECT, STB_GLOBAL, 5, 0, 8 },
		{ S_TAIL, STT_OBJECT, STB_GLOBAL, 0, 0x20000100, 16 },
	};
	size_t nsyms = sizeof(syms) / sizeof(syms[0]) - (extra ? 0 : 1);
	size_t tail_index = 7 + extra, symtab_index = 7 + extra + (extra ? 1 : 0);
	GElf_Shdr sh;
	GElf_Ehdr eh;
	GElf_Phdr ph;
	Elf_Data *symdata;
	Elf32_Word *shndx = NULL;
	void *symbuf;
	struct image img = { 0 };
	Elf_Scn *scn;
	FILE *f;
	Elf *elf;
	long len;

	syms[13].shndx = tail_index;
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	f = tmpfile();
	assert_non_null(f);
	elf = elf_begin(fileno(f), ELF_C_WRITE, NULL);
	assert_non_null(elf);
	assert_non_null(gelf_newehdr(elf, cls));
	assert_non_null(gelf_getehdr(elf, &eh));
	eh.e_ident[EI_DATA] = (unsigned char)order;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_ARM;
	eh.e_version = EV_CURRENT;
	assert_int_not_equal(gelf_update_ehdr(elf, &eh), 0);
	assert_non_null(gelf_newphdr(elf, 2));

	memset(&sh, 0, sizeof(sh));
	sh = (GElf_Shdr){ .sh_name = N_TEXT, .sh_type = SHT_PROGBITS,
			  .sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = 0x1000 };
	new_section(elf, &sh, text, sizeof(text), ELF_T_BYTE);
	sh = (GElf_Shdr){ .sh_name = N_RODATA, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
			  .sh_addr = 0x1100 };
	new_section(elf, &sh, rodata, sizeof(rodata), ELF_T_BYTE);
	sh = (GElf_Shdr){ .sh_name = N_DATA, .sh_type = SHT_PROGBITS,
			  .sh_flags = SHF_ALLOC | SHF_WRITE, .sh_addr = 0x20000000 };
	new_section(elf, &sh, data, sizeof(data), ELF_T_BYTE);
	sh = (GElf_Shdr){ .sh_name = N_BSS, .sh_type = SHT_NOBITS,
			  .sh_flags = SHF_ALLOC | SHF_WRITE, .sh_addr = 0x20000010 };
	new_section(elf, &sh, NULL, 0x200, ELF_T_BYTE);
	sh = (GElf_Shdr){ .sh_name = N_COMMENT, .sh_type = SHT_PROGBITS };
	new_section(elf, &sh, comment, sizeof(comment), ELF_T_BYTE);
	sh = (GElf_Shdr){ .sh_name = N_EMPTY, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
			  .sh_addr = 0x1140 };
	new_section(elf, &sh, NULL, 0, ELF_T_BYTE);
	for (size_t i = 0; i < extra; i++) {
		sh = (GElf_Shdr){ .sh_name = N_EMPTY, .sh_type = SHT_PROGBITS };
		/* Each with a data descriptor: elfutils cannot write a section without. */
		new_section(elf, &sh, NULL, 0, ELF_T_BYTE);
	}
	if (extra) {
		sh = (GElf_Shdr){ .sh_name = N_TAIL, .sh_type = SHT_NOBITS,
				  .sh_flags = SHF_ALLOC | SHF_WRITE, .sh_addr = 0x20000100 };
		new_section(elf, &sh, NULL, 16, ELF_T_BYTE);
	}

	sh = (GElf_Shdr){ .sh_name = N_SYMTAB, .sh_type = SHT_SYMTAB, .sh_link = symtab_index + 1,
			  .sh_info = 6, .sh_entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT) };
	scn = new_section(elf, &sh, NULL, 0, ELF_T_SYM);
	symdata = elf_getdata(scn, NULL);
	symdata->d_size = nsyms * gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	symdata->d_buf = symbuf = calloc(1, symdata->d_size);
	symdata->d_align = 8;
	if (extra)
		shndx = calloc(nsyms, sizeof(*shndx));
	for (size_t i = 0; i < nsyms; i++) {
		GElf_Sym s = { .st_name = syms[i].name,
			       .st_info = GELF_ST_INFO(syms[i].bind, syms[i].type),
			       .st_value = syms[i].value, .st_size = syms[i].size };

		s.st_shndx = syms[i].shndx >= SHN_LORESERVE && syms[i].shndx != SHN_ABS ?
			     SHN_XINDEX : (Elf64_Half)syms[i].shndx;
		if (shndx && s.st_shndx == SHN_XINDEX)
			shndx[i] = (Elf32_Word)syms[i].shndx;
		assert_int_not_equal(gelf_update_sym(symdata, (int)i, &s), 0);
	}
	sh = (GElf_Shdr){ .sh_name = N_STRTAB, .sh_type = SHT_STRTAB };
	new_section(elf, &sh, str, sizeof(str), ELF_T_BYTE);
	sh = (GElf_Shdr){ .sh_name = N_SHSTRTAB, .sh_type = SHT_STRTAB };
	scn = new_section(elf, &sh, shstr, sizeof(shstr), ELF_T_BYTE);
	assert_non_null(gelf_getehdr(elf, &eh));
	if (elf_ndxscn(scn) < SHN_LORESERVE) {
		eh.e_shstrndx = (Elf64_Half)elf_ndxscn(scn);
	} else {
		GElf_Shdr s0;

		/* Too large for e_shstrndx: it goes in section 0's sh_link. */
		eh.e_shstrndx = SHN_XINDEX;
		assert_non_null(gelf_getshdr(elf_getscn(elf, 0), &s0));
		s0.sh_link = (Elf64_Word)elf_ndxscn(scn);
		assert_int_not_equal(gelf_update_shdr(elf_getscn(elf, 0), &s0), 0);
	}
	assert_int_not_equal(gelf_update_ehdr(elf, &eh), 0);
	if (extra) {
		Elf_Data *d;

		sh = (GElf_Shdr){ .sh_name = N_SHNDX, .sh_type = SHT_SYMTAB_SHNDX,
				  .sh_link = symtab_index, .sh_entsize = sizeof(Elf32_Word) };
		scn = new_section(elf, &sh, (const char *)shndx, nsyms * sizeof(*shndx), ELF_T_WORD);
		d = elf_getdata(scn, NULL);
		d->d_align = 4;
	}

	/* Lay out, then point the segments at where .text and .data landed. */
	assert_true(elf_update(elf, ELF_C_NULL) > 0);
	gelf_getshdr(elf_getscn(elf, 1), &sh);
	ph = (GElf_Phdr){ .p_type = PT_LOAD, .p_offset = sh.sh_offset, .p_vaddr = 0x1000,
			  .p_paddr = 0x1000, .p_filesz = 0x140, .p_memsz = 0x140,
			  .p_flags = PF_R | PF_X };
	assert_int_not_equal(gelf_update_phdr(elf, 0, &ph), 0);
	gelf_getshdr(elf_getscn(elf, 3), &sh);
	ph = (GElf_Phdr){ .p_type = PT_LOAD, .p_offset = sh.sh_offset, .p_vaddr = 0x20000000,
			  .p_paddr = 0x1140, .p_filesz = 0x10, .p_memsz = 0x210,
			  .p_flags = PF_R | PF_W };
	assert_int_not_equal(gelf_update_phdr(elf, 1, &ph), 0);
	if (elf_update(elf, ELF_C_WRITE) <= 0)
		fail_msg("elf_update: %s", elf_errmsg(-1));
	free(symbuf);
	elf_end(elf);
	free(shndx);

	len = ftell(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	assert_true(len > 0);
	img.len = (size_t)len;
	img.data = malloc(img.len);
	rewind(f);
	assert_int_equal(fread(img.data, 1, img.len, f), img.len);
	fclose(f);
	return img;
}

static const struct elfsize_section *find_section(const struct elfsize *es, const char *name)
{
	for (size_t i = 0; i < es->n_sections; i++)
		if (strcmp(es->sections[i].name, name) == 0)
			return &es->sections[i];
	return NULL;
}

static void check_written_image(int cls, int order)
{
	struct image img = write_image(cls, order, 0);
	const struct elfsize_section *s;
	struct elfsize es;

	assert_int_equal(elfsize_read_mem(&es, "written.elf", img.data, img.len), 0);
	assert_string_equal(es.file, "written.elf");
	assert_int_equal(es.elf_class, cls == ELFCLASS64 ? 64 : 32);
	assert_int_equal(es.big_endian, order == ELFDATA2MSB);
	assert_int_equal(es.machine, EM_ARM);
	assert_true(es.has_symtab);

	/* .comment is not allocated and .empty is empty: both left out. */
	assert_int_equal(es.n_sections, 4);
	s = &es.sections[0];
	assert_string_equal(s->name, ".text");
	assert_int_equal(s->cls, ELFSIZE_TEXT);
	assert_int_equal(s->region, ELFSIZE_FLASH);
	assert_int_equal(s->size, 0x100);
	assert_int_equal(s->addr, 0x1000);
	assert_int_equal(s->load_addr, 0x1000);
	s = &es.sections[1];
	assert_string_equal(s->name, ".rodata");
	assert_int_equal(s->cls, ELFSIZE_TEXT);
	s = &es.sections[2];
	assert_string_equal(s->name, ".data");
	assert_int_equal(s->cls, ELFSIZE_DATA);
	assert_int_equal(s->region, ELFSIZE_RAM);
	assert_int_equal(s->addr, 0x20000000);
	assert_int_equal(s->load_addr, 0x1140);	/* its image in flash */
	s = &es.sections[3];
	assert_string_equal(s->name, ".bss");
	assert_int_equal(s->cls, ELFSIZE_BSS);
	assert_int_equal(s->size, 0x200);

	assert_int_equal(es.totals.text, 0x140);
	assert_int_equal(es.totals.data, 0x10);
	assert_int_equal(es.totals.bss, 0x200);
	assert_int_equal(es.totals.flash, 0x150);
	assert_int_equal(es.totals.ram, 0x210);

	/* Only sized functions and objects in kept sections. */
	assert_int_equal(es.n_symbols, 5);
	assert_string_equal(es.symbols[0].name, "state");
	assert_string_equal(es.symbols[0].file, "a.c");	/* base name of dir/a.c */
	assert_string_equal(es.symbols[0].section, ".bss");
	assert_int_equal(es.symbols[0].kind, ELFSIZE_OBJECT);
	assert_int_equal(es.symbols[0].size, 4);
	assert_string_equal(es.symbols[1].name, "helper.constprop.0");
	assert_int_equal(es.symbols[1].kind, ELFSIZE_FUNC);
	assert_string_equal(es.symbols[1].file, "a.c");
	assert_string_equal(es.symbols[2].name, "state");
	assert_string_equal(es.symbols[2].file, "b.c");
	assert_int_equal(es.symbols[2].size, 8);
	assert_string_equal(es.symbols[3].name, "main");
	assert_null(es.symbols[3].file);
	assert_int_equal(es.symbols[3].addr, 0x1020);
	assert_int_equal(es.symbols[3].size, 0x40);
	assert_string_equal(es.symbols[4].name, "table");
	assert_string_equal(es.symbols[4].section, ".rodata");
	elfsize_release(&es);
	free(img.data);
}

static void test_reads_every_class_and_byte_order(void **state)
{
	(void)state;
	check_written_image(ELFCLASS32, ELFDATA2LSB);
	check_written_image(ELFCLASS32, ELFDATA2MSB);
	check_written_image(ELFCLASS64, ELFDATA2LSB);
	check_written_image(ELFCLASS64, ELFDATA2MSB);
}

static void test_reads_extended_section_numbers(void **state)
{
	struct image img = write_image(ELFCLASS32, ELFDATA2MSB, 0xff10);
	struct elfsize es;

	(void)state;
	/* e_shnum is 0 and the count sits in section 0: the raw checks must follow. */
	assert_int_equal(img.data[48] | img.data[49], 0);
	assert_int_equal(elfsize_read_mem(&es, "many.elf", img.data, img.len), 0);
	assert_int_equal(es.n_sections, 5);
	assert_string_equal(es.sections[4].name, ".tail");
	assert_int_equal(es.n_symbols, 6);
	assert_string_equal(es.symbols[5].name, "tail");
	assert_string_equal(es.symbols[5].section, ".tail");
	elfsize_release(&es);
	free(img.data);
}

/* ---- bad input: an error naming the file, never a crash ---- */

static void assert_refused(const char *data, size_t len, const char *needle)
{
	struct elfsize es;
	int rc = elfsize_read_mem(&es, "bad.elf", data, len);

	if (rc == 0)
		fail_msg("read, expected an error about '%s'", needle);
	assert_true(rc < 0);
	if (strncmp(err_msg(), "bad.elf: ", 9) != 0 || !strstr(err_msg(), needle))
		fail_msg("message '%s' lacks the file name or '%s'", err_msg(), needle);
	assert_int_equal(es.n_sections + es.n_symbols, 0);
	elfsize_release(&es);
}

static void put_uint(char *p, unsigned n, uint64_t v, bool msb)
{
	for (unsigned i = 0; i < n; i++)
		p[msb ? n - 1 - i : i] = (char)(v >> (8 * i));
}

/* Offsets of ELF header fields in the given class. */
#define E_SHOFF(is64) ((is64) ? 40 : 32)
#define E_SHENTSIZE(is64) ((is64) ? 58 : 46)
#define E_SHNUM(is64) ((is64) ? 60 : 48)
#define E_SHSTRNDX(is64) ((is64) ? 62 : 50)
#define E_PHNUM(is64) ((is64) ? 56 : 44)

static uint64_t get_field(const char *p, unsigned n, bool msb)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)(unsigned char)p[msb ? n - 1 - i : i] << (8 * i);
	return v;
}

static void check_named_faults(int cls, int order)
{
	struct image img = write_image(cls, order, 0);
	bool is64 = cls == ELFCLASS64, msb = order == ELFDATA2MSB;
	unsigned word = is64 ? 8 : 4;
	uint64_t shoff = get_field(img.data + E_SHOFF(is64), word, msb);
	size_t shsize = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	/* sh_offset and sh_size of section 1 (.text), sh_link of the symtab (7). */
	char *text = img.data + shoff + shsize;
	unsigned off_at = is64 ? 24 : 16, size_at = is64 ? 32 : 20, link_at = is64 ? 40 : 24;
	char *copy = malloc(img.len);

#define MUTATE(stmt, needle)                          \
	do {                                          \
		memcpy(copy, img.data, img.len);      \
		{ char *c = copy; (void)c; stmt; }    \
		assert_refused(copy, img.len, needle); \
	} while (0)

	assert_refused("", 0, "is empty");
	assert_refused("hello, world\n", 13, "not an ELF file");
	assert_refused("!<arch>\nfoo", 11, "ar archive");
	assert_refused(img.data, 10, "truncated");
	assert_refused(img.data, 40, "truncated");
	assert_refused(img.data, img.len - 1, "section header table");
	MUTATE(c[EI_CLASS] = 9, "unknown ELF class 9");
	MUTATE(c[EI_DATA] = 0, "unknown byte order 0");
	MUTATE(put_uint(c + E_SHOFF(is64), word, 0, msb), "no section header table");
	MUTATE(put_uint(c + E_SHOFF(is64), word, img.len + 100, msb), "past the end of the file");
	MUTATE(put_uint(c + E_SHOFF(is64), word, (uint64_t)-8 >> (is64 ? 0 : 32), msb),
	       "past the end of the file");
	MUTATE(put_uint(c + E_SHNUM(is64), 2, 0xffff, msb), "65535 entries");
	MUTATE(put_uint(c + E_SHENTSIZE(is64), 2, 0, msb), "section headers are 0 bytes each");
	MUTATE(put_uint(c + E_SHSTRNDX(is64), 2, 0xfeff, msb), "section name table");
	MUTATE(put_uint(c + E_SHSTRNDX(is64), 2, 1, msb), "not a string table");
	MUTATE(put_uint(c + E_PHNUM(is64), 2, 0xfff0, msb), "program header table");
	MUTATE(put_uint(c + (size_t)(text - img.data) + off_at, word, img.len, msb),
	       "section 1 (.text)");
	MUTATE(put_uint(c + (size_t)(text - img.data) + size_at, word,
			(uint64_t)-1 >> (is64 ? 0 : 32), msb),
	       "run past the end of the file");
	MUTATE(put_uint(c + shoff + 7 * shsize + link_at, 4, 0, msb), "string table");
	MUTATE(put_uint(c + shoff + 7 * shsize + link_at, 4, 0x7fffffff, msb), "string table");
	MUTATE(put_uint(c + (size_t)(text - img.data), 4, 0xffffff, msb), "section 1");
#undef MUTATE
	free(copy);
	free(img.data);
}

static void test_named_faults(void **state)
{
	(void)state;
	check_named_faults(ELFCLASS32, ELFDATA2LSB);
	check_named_faults(ELFCLASS32, ELFDATA2MSB);
	check_named_faults(ELFCLASS64, ELFDATA2LSB);
	check_named_faults(ELFCLASS64, ELFDATA2MSB);
}

static void test_file_errors(void **state)
{
	char dir[] = "/tmp/rig-elfsize-XXXXXX", path[64];
	struct elfsize es;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(elfsize_read_file(&es, dir), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "is a directory"));
	assert_non_null(strstr(err_msg(), dir));
	snprintf(path, sizeof(path), "%s/missing.elf", dir);
	assert_int_equal(elfsize_read_file(&es, path), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "missing.elf: cannot open"));
	snprintf(path, sizeof(path), "%s/empty.elf", dir);
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(elfsize_read_file(&es, path), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "empty.elf: is empty"));
	unlink(path);
	assert_int_equal(elfsize_read_file(&es, "/dev/null"), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "not a regular file"));
	rmdir(dir);
	elfsize_release(&es);
}

/*
 * The deterministic fault sweep: cut the image at every step bytes, and set
 * every byte of the headers and the section and program header tables to
 * values that break them, plus a fixed series of random flips anywhere.
 * Each read must end in a result whose totals add up, or in an error that
 * names the file. Sanitizers catch what an assertion cannot.
 */
static unsigned sweep_one(const char *data, size_t len)
{
	struct elfsize_delta d;
	struct elfsize es;
	int rc = elfsize_read_mem(&es, "fault.elf", data, len);

	if (rc != 0) {
		assert_true(rc < 0);
		if (strncmp(err_msg(), "fault.elf: ", 11) != 0 || strlen(err_msg()) < 16)
			fail_msg("error without the file or a reason: '%s'", err_msg());
		return 0;
	}
	assert_int_equal(es.totals.flash, es.totals.text + es.totals.data);
	assert_int_equal(es.totals.ram, es.totals.data + es.totals.bss);
	if (elfsize_diff(&d, &es, &es) == 0) {
		assert_int_equal(d.n_symbols, 0);
		assert_int_equal(d.delta.flash, 0);
		elfsize_delta_release(&d);
	}
	elfsize_release(&es);
	return 1;
}

static uint32_t next_random(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void sweep(const char *label, const char *data, size_t len, size_t step)
{
	static const unsigned char values[] = { 0x00, 0xff, 0x7f, 0x80, 0x01 };
	bool is64 = len > EI_CLASS && data[EI_CLASS] == ELFCLASS64;
	bool msb = len > EI_DATA && data[EI_DATA] == ELFDATA2MSB;
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t shsize = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	uint64_t shoff = get_field(data + E_SHOFF(is64), is64 ? 8 : 4, msb);
	uint64_t shnum = get_field(data + E_SHNUM(is64), 2, msb);
	uint64_t phoff = get_field(data + (is64 ? 32 : 28), is64 ? 8 : 4, msb);
	uint64_t phnum = get_field(data + E_PHNUM(is64), 2, msb);
	char *copy = malloc(len);
	unsigned reads = 0, ok = 0;
	uint32_t seed = 0x5eed1234;

	assert_non_null(copy);
	for (size_t cut = 0; cut < len; cut += cut < 256 ? 1 : step, reads++)
		ok += sweep_one(data, cut);

	/* Every byte of the ELF header, the section and the program header tables. */
	for (size_t pass = 0; pass < 3; pass++) {
		size_t from = pass == 0 ? 0 : pass == 1 ? shoff : phoff;
		size_t n = pass == 0 ? ehsize : pass == 1 ? shnum * shsize : phnum * phsize;

		if (from > len || n > len - from)
			continue;
		for (size_t i = from; i < from + n; i++) {
			for (size_t v = 0; v < sizeof(values); v++) {
				if ((unsigned char)data[i] == values[v])
					continue;
				memcpy(copy, data, len);
				copy[i] = (char)values[v];
				ok += sweep_one(copy, len);
				reads++;
			}
		}
	}

	for (int i = 0; i < 2000; i++, reads++) {
		memcpy(copy, data, len);
		for (uint32_t k = next_random(&seed) % 4 + 1; k; k--)
			copy[next_random(&seed) % len] ^= (char)(1u << (next_random(&seed) % 8));
		ok += sweep_one(copy, len);
	}
	print_message("# %s (%zu bytes): %u reads, %u results, %u errors\n", label, len, reads, ok,
		      reads - ok);
	free(copy);
}

static void test_fault_sweep_written(void **state)
{
	static const int classes[] = { ELFCLASS32, ELFCLASS64 };
	static const int orders[] = { ELFDATA2LSB, ELFDATA2MSB };

	(void)state;
	for (int c = 0; c < 2; c++)
		for (int o = 0; o < 2; o++) {
			struct image img = write_image(classes[c], orders[o], 0);
			char label[32];

			snprintf(label, sizeof(label), "ELF%d %s", classes[c] == ELFCLASS64 ? 64 : 32,
				 orders[o] == ELFDATA2MSB ? "MSB" : "LSB");
			sweep(label, img.data, img.len, 1);
			free(img.data);
		}
}

/* The fixtures built from rig/tests/elf: real compiler output. */
static void test_fault_sweep_fixtures(void **state)
{
	const char *dir = getenv("RIG_ELF_FIXTURES");
	struct dirent *e;
	unsigned files = 0;
	DIR *d = NULL;

	(void)state;
	if (!dir || !(d = opendir(dir))) {
		print_message("# RIG_ELF_FIXTURES unset or missing: no real images to sweep\n");
		skip();
		return;
	}
	while ((e = readdir(d))) {
		char path[4096];
		FILE *f;
		char *data;
		long len;

		if (!strstr(e->d_name, ".elf"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		data = malloc((size_t)len);
		assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		sweep(e->d_name, data, (size_t)len, 7);
		free(data);
		files++;
	}
	closedir(d);
	assert_true(files > 0);
}

/* A real Cortex-M image: .data runs in RAM and is loaded from flash. */
static void test_fixture_data_loads_from_flash(void **state)
{
	const char *dir = getenv("RIG_ELF_FIXTURES");
	const struct elfsize_section *s;
	struct elfsize es;
	char path[4096];

	(void)state;
	if (!dir) {
		print_message("# RIG_ELF_FIXTURES unset: skipped\n");
		skip();
		return;
	}
	snprintf(path, sizeof(path), "%s/cm3.elf", dir);
	assert_int_equal(elfsize_read_file(&es, path), 0);
	s = find_section(&es, ".data");
	assert_non_null(s);
	assert_int_equal(s->cls, ELFSIZE_DATA);
	assert_int_equal(s->region, ELFSIZE_RAM);
	assert_int_equal(s->addr, 0x20000000);
	assert_true(s->load_addr < 0x40000);	/* in FLASH (256K at 0) */
	s = find_section(&es, ".stack");
	assert_non_null(s);
	assert_int_equal(s->cls, ELFSIZE_BSS);
	assert_int_equal(s->size, 0x1000);
	s = find_section(&es, ".heap");
	assert_non_null(s);
	assert_int_equal(s->size, 0x800);
	assert_int_equal(es.totals.flash, es.totals.text + es.totals.data);
	elfsize_release(&es);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_totals_count_data_twice),
		cmocka_unit_test(test_absurd_sizes_are_refused),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_diff_of_identical_readings_is_empty),
		cmocka_unit_test(test_diff_refuses_symbol_sums_past_int64),
		cmocka_unit_test(test_reads_every_class_and_byte_order),
		cmocka_unit_test(test_reads_extended_section_numbers),
		cmocka_unit_test(test_named_faults),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_fault_sweep_written),
		cmocka_unit_test(test_fault_sweep_fixtures),
		cmocka_unit_test(test_fixture_data_loads_from_flash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
