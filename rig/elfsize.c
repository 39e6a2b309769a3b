#include "elfsize.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

/* ---- a pool of strings that never move, freed at once ---- */

#define POOL_CHUNK 16384

struct pool_chunk {
	struct pool_chunk *next;
	size_t used, size;
	char data[];
};

struct elfsize_pool {
	struct pool_chunk *head;
};

static void pool_free(struct elfsize_pool *pool)
{
	struct pool_chunk *c, *next;

	if (!pool)
		return;
	for (c = pool->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(pool);
}

/* A NUL-terminated copy of s[0..n) that lives as long as the pool. */
static const char *pool_strndup(struct elfsize_pool **pool, const char *s, size_t n)
{
	struct pool_chunk *c;
	char *p;

	if (!*pool) {
		*pool = calloc(1, sizeof(**pool));
		if (!*pool)
			goto nomem;
	}
	c = (*pool)->head;
	if (!c || c->size - c->used < n + 1) {
		size_t size = n + 1 > POOL_CHUNK ? n + 1 : POOL_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (!c)
			goto nomem;
		c->size = size;
		c->used = 0;
		c->next = (*pool)->head;
		(*pool)->head = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
nomem:
	err_set(ERR_NOMEM, "out of memory copying a name of %zu bytes", n);
	return NULL;
}

static const char *pool_strdup(struct elfsize_pool **pool, const char *s)
{
	return pool_strndup(pool, s, strlen(s));
}

/* Makes room for one more element of v; *alloc counts elements. */
static int grow(void **v, size_t *alloc, size_t n, size_t elem)
{
	size_t want;
	void *p;

	if (n < *alloc)
		return 0;
	want = *alloc ? *alloc * 2 : 16;
	if (want > SIZE_MAX / elem)
		return err_set(ERR_NOMEM, "too many entries (%zu)", n);
	p = realloc(*v, want * elem);
	if (!p)
		return err_set(ERR_NOMEM, "out of memory growing a table to %zu entries", want);
	*v = p;
	*alloc = want;
	return 0;
}

/* ---- readings ---- */

void elfsize_init(struct elfsize *es)
{
	memset(es, 0, sizeof(*es));
}

void elfsize_release(struct elfsize *es)
{
	free(es->sections);
	free(es->symbols);
	pool_free(es->pool);
	elfsize_init(es);
}

static int add_total(uint64_t *total, uint64_t size)
{
	if (__builtin_add_overflow(*total, size, total) || *total > (uint64_t)INT64_MAX)
		return ERR_INVALID;
	return 0;
}

/* Appends *s, whose strings the reading already owns. */
static int push_section(struct elfsize *es, const struct elfsize_section *s)
{
	struct elfsize_totals t = es->totals;
	struct elfsize_section *dst;
	int rc;

	if (s->size > ELFSIZE_SIZE_MAX)
		return err_set(ERR_INVALID, "section %s: size %#llx is beyond any real image",
			       s->name, (unsigned long long)s->size);
	if (s->cls != ELFSIZE_TEXT && s->cls != ELFSIZE_DATA && s->cls != ELFSIZE_BSS)
		return err_set(ERR_INVALID, "section %s: unknown class %d", s->name, (int)s->cls);
	/* Berkeley: flash = text + data, ram = data + bss. */
	rc = add_total(s->cls == ELFSIZE_TEXT ? &t.text : s->cls == ELFSIZE_DATA ? &t.data : &t.bss,
		       s->size);
	if (!rc && s->cls != ELFSIZE_BSS)
		rc = add_total(&t.flash, s->size);
	if (!rc && s->cls != ELFSIZE_TEXT)
		rc = add_total(&t.ram, s->size);
	if (rc)
		return err_set(ERR_INVALID, "section %s: the sizes add up past 2^63 bytes", s->name);
	rc = grow((void **)&es->sections, &es->alloc_sections, es->n_sections, sizeof(*dst));
	if (rc)
		return rc;
	dst = &es->sections[es->n_sections++];
	*dst = *s;
	dst->region = s->cls == ELFSIZE_TEXT ? ELFSIZE_FLASH : ELFSIZE_RAM;
	es->totals = t;
	return 0;
}

int elfsize_add_section(struct elfsize *es, const struct elfsize_section *s)
{
	struct elfsize_section copy = *s;

	if (!s->name)
		return err_set(ERR_INVALID, "a section needs a name");
	copy.name = pool_strdup(&es->pool, s->name);
	if (!copy.name)
		return ERR_NOMEM;
	return push_section(es, &copy);
}

static int push_symbol(struct elfsize *es, const struct elfsize_symbol *sym)
{
	int rc;

	if (sym->size > ELFSIZE_SIZE_MAX)
		return err_set(ERR_INVALID, "symbol %s: size %#llx is beyond any real image",
			       sym->name, (unsigned long long)sym->size);
	rc = grow((void **)&es->symbols, &es->alloc_symbols, es->n_symbols, sizeof(*sym));
	if (rc)
		return rc;
	es->symbols[es->n_symbols++] = *sym;
	return 0;
}

int elfsize_add_symbol(struct elfsize *es, const struct elfsize_symbol *sym)
{
	struct elfsize_symbol copy = *sym;

	if (!sym->name || !sym->section)
		return err_set(ERR_INVALID, "a symbol needs a name and a section");
	copy.name = pool_strdup(&es->pool, sym->name);
	copy.section = NULL;
	/* Share the section's copy of the name when there is one. */
	for (size_t i = 0; i < es->n_sections && !copy.section; i++)
		if (strcmp(es->sections[i].name, sym->section) == 0)
			copy.section = es->sections[i].name;
	if (!copy.section)
		copy.section = pool_strdup(&es->pool, sym->section);
	copy.file = sym->file ? pool_strdup(&es->pool, sym->file) : NULL;
	if (!copy.name || !copy.section || (sym->file && !copy.file))
		return ERR_NOMEM;
	return push_symbol(es, &copy);
}

/* ---- the ELF reader ---- */

/* Section and program header tables, read from the raw header so that a bad
 * one gets a precise message rather than libelf's "invalid ELF file". */
struct raw_header {
	bool is64, msb;
	uint64_t phoff, shoff;
	unsigned ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
	/* With more than 0xff00 sections, section 0 holds the true figures. */
	size_t sections, names_index;
};

static uint64_t get_uint(const unsigned char *p, unsigned n, bool msb)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[msb ? i : n - 1 - i] << (8 * (n - 1 - i));
	return v;
}

static int check_ident(struct raw_header *h, const unsigned char *image, size_t len)
{
	const unsigned char *p = image;
	unsigned off;

	if (len == 0)
		return err_set(ERR_INVALID, "is empty, not an ELF file");
	if (len >= 8 && memcmp(image, "!<arch>\n", 8) == 0)
		return err_set(ERR_INVALID, "is an ar archive, not an ELF file");
	if (len < SELFMAG || memcmp(image, ELFMAG, SELFMAG) != 0)
		return err_set(ERR_INVALID, "not an ELF file (it does not start with \\177ELF)");
	if (len < EI_NIDENT)
		return err_set(ERR_INVALID, "truncated: %zu bytes, shorter than the ELF identification",
			       len);
	if (image[EI_CLASS] != ELFCLASS32 && image[EI_CLASS] != ELFCLASS64)
		return err_set(ERR_INVALID, "unknown ELF class %u (byte %d of the header)",
			       image[EI_CLASS], EI_CLASS);
	if (image[EI_DATA] != ELFDATA2LSB && image[EI_DATA] != ELFDATA2MSB)
		return err_set(ERR_INVALID, "unknown byte order %u (byte %d of the header)",
			       image[EI_DATA], EI_DATA);
	h->is64 = image[EI_CLASS] == ELFCLASS64;
	h->msb = image[EI_DATA] == ELFDATA2MSB;
	if (len < (h->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return err_set(ERR_INVALID, "truncated: %zu bytes, shorter than the %zu-byte ELF header",
			       len, h->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr));
	/* e_phoff, e_shoff, then six halves from e_ehsize on, in both classes. */
	off = h->is64 ? 32 : 28;
	h->phoff = get_uint(p + off, h->is64 ? 8 : 4, h->msb);
	off += h->is64 ? 8 : 4;
	h->shoff = get_uint(p + off, h->is64 ? 8 : 4, h->msb);
	off += (h->is64 ? 8 : 4) + 4;	/* e_flags */
	h->ehsize = (unsigned)get_uint(p + off, 2, h->msb);
	h->phentsize = (unsigned)get_uint(p + off + 2, 2, h->msb);
	h->phnum = (unsigned)get_uint(p + off + 4, 2, h->msb);
	h->shentsize = (unsigned)get_uint(p + off + 6, 2, h->msb);
	h->shnum = (unsigned)get_uint(p + off + 8, 2, h->msb);
	h->shstrndx = (unsigned)get_uint(p + off + 10, 2, h->msb);
	return 0;
}

/* Whether n entries of entsize bytes at off lie inside a file of len bytes. */
static bool table_fits(uint64_t off, uint64_t n, uint64_t entsize, size_t len)
{
	uint64_t bytes;

	if (__builtin_mul_overflow(n, entsize, &bytes))
		return false;
	return off <= len && bytes <= len - off;
}

static int check_tables(struct raw_header *h, const unsigned char *image, size_t len)
{
	size_t shdr = h->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	size_t phdr = h->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	const unsigned char *s0;
	uint64_t shnum = h->shnum;

	if (h->shoff == 0)
		return err_set(ERR_INVALID, "has no section header table, so no sections to measure");
	if (h->shentsize != shdr)
		return err_set(ERR_INVALID, "section headers are %u bytes each, expected %zu",
			       h->shentsize, shdr);
	if (!table_fits(h->shoff, 1, shdr, len))
		return err_set(ERR_INVALID,
			       "the section header table at offset %#llx starts past the end of the file (%zu bytes)",
			       (unsigned long long)h->shoff, len);
	s0 = image + h->shoff;
	if (shnum == 0) {
		/* More than 0xff00 sections: the count is section 0's sh_size. */
		shnum = h->is64 ? get_uint(s0 + 32, 8, h->msb) : get_uint(s0 + 20, 4, h->msb);
		if (shnum == 0)
			return err_set(ERR_INVALID, "has no sections");
	}
	/*
	 * The name table's index, likewise in section 0's sh_link when large.
	 * Read here rather than with elf_getshdrstrndx(), which for an image in
	 * memory of the other byte order tries to read a file descriptor.
	 */
	h->names_index = h->shstrndx == SHN_XINDEX ? (size_t)get_uint(s0 + (h->is64 ? 40 : 24), 4, h->msb)
						   : h->shstrndx;
	if (shnum > ELFSIZE_SECTIONS_MAX)
		return err_set(ERR_LIMIT, "claims %llu sections, more than the %zu a real image has",
			       (unsigned long long)shnum, ELFSIZE_SECTIONS_MAX);
	if (!table_fits(h->shoff, shnum, shdr, len))
		return err_set(ERR_INVALID,
			       "the section header table (%llu entries of %zu bytes at offset %#llx) runs past the end of the file (%zu bytes)",
			       (unsigned long long)shnum, shdr, (unsigned long long)h->shoff, len);
	h->sections = (size_t)shnum;
	if (h->phnum != 0) {
		if (h->phentsize != phdr)
			return err_set(ERR_INVALID, "program headers are %u bytes each, expected %zu",
				       h->phentsize, phdr);
		/* PN_XNUM (0xffff) means more, counted in section 0: checked again once known. */
		if (!table_fits(h->phoff, h->phnum, phdr, len))
			return err_set(ERR_INVALID,
				       "the program header table (%u entries of %zu bytes at offset %#llx) runs past the end of the file (%zu bytes)",
				       h->phnum, phdr, (unsigned long long)h->phoff, len);
	}
	return 0;
}

static int libelf_error(const char *what)
{
	return err_set(ERR_INVALID, "%s: %s", what, elf_errmsg(-1));
}

static enum elfsize_class classify(const GElf_Shdr *sh)
{
	/* size(1)'s Berkeley rule: code or read-only is text, else contents make data. */
	if ((sh->sh_flags & SHF_EXECINSTR) || !(sh->sh_flags & SHF_WRITE))
		return ELFSIZE_TEXT;
	return sh->sh_type == SHT_NOBITS ? ELFSIZE_BSS : ELFSIZE_DATA;
}

struct reader {
	struct elfsize *es;
	Elf *elf;
	size_t len;
	size_t shnum, shstrndx;
	uint64_t phoff;
	size_t phentsize;
	ssize_t *kept;		/* ELF section index -> index in es->sections, or -1 */
};

static const char *section_name(struct reader *r, size_t index, const GElf_Shdr *sh)
{
	const char *name = elf_strptr(r->elf, r->shstrndx, sh->sh_name);

	if (!name)
		err_set(ERR_INVALID, "section %zu: its name (offset %u) is outside the section name table",
			index, (unsigned)sh->sh_name);
	return name;
}

static int read_sections(struct reader *r)
{
	GElf_Shdr sh;
	Elf_Scn *scn;
	int rc;

	if (r->shstrndx == SHN_UNDEF || r->shstrndx >= r->shnum)
		return err_set(ERR_INVALID, "the section name table index %zu is out of range (%zu sections)",
			       r->shstrndx, r->shnum);
	scn = elf_getscn(r->elf, r->shstrndx);
	if (!scn || !gelf_getshdr(scn, &sh))
		return libelf_error("cannot read the section name table's header");
	if (sh.sh_type != SHT_STRTAB)
		return err_set(ERR_INVALID, "the section name table (section %zu) is not a string table",
			       r->shstrndx);
	if (!table_fits(sh.sh_offset, sh.sh_size, 1, r->len))
		return err_set(ERR_INVALID,
			       "the section name table (%#llx bytes at offset %#llx) runs past the end of the file (%zu bytes)",
			       (unsigned long long)sh.sh_size, (unsigned long long)sh.sh_offset, r->len);

	r->kept = malloc(r->shnum * sizeof(*r->kept));
	if (!r->kept)
		return err_set(ERR_NOMEM, "out of memory for %zu sections", r->shnum);
	r->kept[0] = -1;
	for (size_t i = 1; i < r->shnum; i++) {
		struct elfsize_section s = { 0 };
		const char *name;

		r->kept[i] = -1;
		scn = elf_getscn(r->elf, i);
		if (!scn || !gelf_getshdr(scn, &sh))
			return libelf_error("cannot read a section header");
		name = section_name(r, i, &sh);
		if (!name)
			return ERR_INVALID;
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
		    !table_fits(sh.sh_offset, sh.sh_size, 1, r->len))
			return err_set(ERR_INVALID,
				       "section %zu (%s): its %#llx bytes at offset %#llx run past the end of the file (%zu bytes)",
				       i, name, (unsigned long long)sh.sh_size,
				       (unsigned long long)sh.sh_offset, r->len);
		if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_size == 0 || sh.sh_type == SHT_NULL)
			continue;
		s.name = pool_strdup(&r->es->pool, name);
		if (!s.name)
			return ERR_NOMEM;
		s.cls = classify(&sh);
		s.addr = sh.sh_addr;
		s.load_addr = sh.sh_addr;
		s.size = sh.sh_size;
		rc = push_section(r->es, &s);
		if (rc)
			return err_prefix("section %zu", i);
		r->kept[i] = (ssize_t)r->es->n_sections - 1;
	}
	return 0;
}

/* Load addresses from the PT_LOAD segments, the way objdump -h shows LMAs. */
static int read_load_addresses(struct reader *r)
{
	GElf_Phdr *loads = NULL;
	size_t phnum, n = 0;
	int rc = 0;

	if (elf_getphdrnum(r->elf, &phnum) != 0)
		return libelf_error("cannot count the program headers");
	if (phnum == 0 || r->es->n_sections == 0)
		return 0;
	/* Again: PN_XNUM in e_phnum means the count is in section 0. */
	if (!table_fits(r->phoff, phnum, r->phentsize, r->len))
		return err_set(ERR_INVALID,
			       "the program header table (%zu entries of %zu bytes at offset %#llx) runs past the end of the file (%zu bytes)",
			       phnum, r->phentsize, (unsigned long long)r->phoff, r->len);
	/* Each section is looked up in every segment: bound the work. */
	if (phnum * r->es->n_sections > ((size_t)1 << 26))
		return err_set(ERR_LIMIT, "%zu program headers for %zu sections is more than a real image has",
			       phnum, r->es->n_sections);
	loads = malloc(phnum * sizeof(*loads));
	if (!loads)
		return err_set(ERR_NOMEM, "out of memory for %zu program headers", phnum);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(r->elf, (int)i, &ph)) {
			rc = libelf_error("cannot read a program header");
			goto cleanup;
		}
		if (ph.p_type == PT_LOAD)
			loads[n++] = ph;
	}
	for (size_t i = 1; i < r->shnum; i++) {
		struct elfsize_section *s;
		GElf_Shdr sh;

		if (r->kept[i] < 0)
			continue;
		s = &r->es->sections[r->kept[i]];
		if (!gelf_getshdr(elf_getscn(r->elf, i), &sh))
			continue;
		for (size_t j = 0; j < n; j++) {
			const GElf_Phdr *ph = &loads[j];
			bool in_memory = sh.sh_addr >= ph->p_vaddr && sh.sh_addr - ph->p_vaddr < ph->p_memsz;
			bool in_file = sh.sh_offset >= ph->p_offset &&
				       sh.sh_offset - ph->p_offset < ph->p_filesz;

			if (in_memory && (sh.sh_type == SHT_NOBITS || in_file)) {
				s->load_addr = ph->p_paddr + (sh.sh_addr - ph->p_vaddr);
				break;
			}
		}
	}
cleanup:
	free(loads);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int read_symbols(struct reader *r)
{
	size_t symtab = 0, strtab, count, entsize;
	Elf_Data *data, *xdata = NULL;
	const char *file = NULL;
	GElf_Shdr sh, strsh;
	Elf_Scn *scn;

	for (size_t i = 1; i < r->shnum && !symtab; i++)
		if (gelf_getshdr(elf_getscn(r->elf, i), &sh) && sh.sh_type == SHT_SYMTAB)
			symtab = i;
	if (!symtab)
		return 0;
	r->es->has_symtab = true;
	scn = elf_getscn(r->elf, symtab);
	gelf_getshdr(scn, &sh);
	entsize = gelf_fsize(r->elf, ELF_T_SYM, 1, EV_CURRENT);
	if (sh.sh_entsize != entsize)
		return err_set(ERR_INVALID, "symbol table entries are %llu bytes, expected %zu",
			       (unsigned long long)sh.sh_entsize, entsize);
	strtab = sh.sh_link;
	if (strtab == 0 || strtab >= r->shnum || !gelf_getshdr(elf_getscn(r->elf, strtab), &strsh) ||
	    strsh.sh_type != SHT_STRTAB)
		return err_set(ERR_INVALID, "the symbol table's string table (section %zu) is not one",
			       strtab);
	data = elf_getdata(scn, NULL);
	if (!data)
		return libelf_error("cannot read the symbol table");
	count = sh.sh_size / entsize;

	/* Section indexes past 0xff00 live in a SHT_SYMTAB_SHNDX section. */
	for (size_t i = 1; i < r->shnum; i++) {
		GElf_Shdr xsh;
		Elf_Scn *xscn = elf_getscn(r->elf, i);

		if (gelf_getshdr(xscn, &xsh) && xsh.sh_type == SHT_SYMTAB_SHNDX &&
		    xsh.sh_link == symtab) {
			xdata = elf_getdata(xscn, NULL);
			if (!xdata)
				return libelf_error("cannot read the extended section indexes");
			break;
		}
	}

	for (size_t i = 1; i < count; i++) {
		struct elfsize_symbol s = { 0 };
		Elf32_Word xndx = 0;
		const char *name;
		size_t shndx;
		GElf_Sym sym;
		int type, rc;

		if (!gelf_getsymshndx(data, xdata, (int)i, &sym, &xndx))
			return libelf_error("cannot read a symbol");
		type = GELF_ST_TYPE(sym.st_info);
		if (type == STT_FILE) {
			name = elf_strptr(r->elf, strtab, sym.st_name);
			file = NULL;
			if (name && name[0]) {
				file = pool_strdup(&r->es->pool, base_name(name));
				if (!file)
					return ERR_NOMEM;
			}
			continue;
		}
		if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_OBJECT && type != STT_TLS)
			continue;
		if (sym.st_size == 0)
			continue;
		shndx = sym.st_shndx == SHN_XINDEX ? xndx : sym.st_shndx;
		if (shndx == SHN_UNDEF || (sym.st_shndx >= SHN_LORESERVE && sym.st_shndx != SHN_XINDEX))
			continue;
		name = elf_strptr(r->elf, strtab, sym.st_name);
		if (!name)
			return err_set(ERR_INVALID, "symbol %zu: its name (offset %u) is outside the string table",
				       i, (unsigned)sym.st_name);
		if (shndx >= r->shnum)
			return err_set(ERR_INVALID, "symbol %zu (%s): section %zu does not exist (%zu sections)",
				       i, name, shndx, r->shnum);
		if (r->kept[shndx] < 0)
			continue;
		s.name = pool_strdup(&r->es->pool, name);
		if (!s.name)
			return ERR_NOMEM;
		s.section = r->es->sections[r->kept[shndx]].name;
		s.file = GELF_ST_BIND(sym.st_info) == STB_LOCAL ? file : NULL;
		s.kind = type == STT_FUNC || type == STT_GNU_IFUNC ? ELFSIZE_FUNC : ELFSIZE_OBJECT;
		s.addr = sym.st_value;
		s.size = sym.st_size;
		rc = push_symbol(r->es, &s);
		if (rc)
			return err_prefix("symbol %zu", i);
	}
	return 0;
}

/* Reads image, which libelf may convert in place: it must be a private copy. */
static int read_image(struct elfsize *es, const char *name, char *image, size_t len)
{
	struct reader r = { .es = es, .len = len };
	struct raw_header h = { 0 };
	GElf_Ehdr eh;
	int rc;

	elfsize_init(es);
	rc = check_ident(&h, (const unsigned char *)image, len);
	if (rc)
		goto cleanup;
	rc = check_tables(&h, (const unsigned char *)image, len);
	if (rc)
		goto cleanup;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		rc = libelf_error("libelf is too old");
		goto cleanup;
	}
	r.elf = elf_memory(image, len);
	if (!r.elf) {
		rc = libelf_error("libelf cannot read it");
		goto cleanup;
	}
	if (elf_kind(r.elf) != ELF_K_ELF) {
		rc = err_set(ERR_INVALID, "not an ELF file");
		goto cleanup;
	}
	if (!gelf_getehdr(r.elf, &eh)) {
		rc = libelf_error("cannot read the ELF header");
		goto cleanup;
	}
	if (elf_getshdrnum(r.elf, &r.shnum) != 0) {
		rc = libelf_error("cannot count the sections");
		goto cleanup;
	}
	if (r.shnum != h.sections) {
		rc = err_set(ERR_INVALID, "libelf counts %zu sections where the header says %zu",
			     r.shnum, h.sections);
		goto cleanup;
	}
	r.shstrndx = h.names_index;
	r.phoff = h.phoff;
	r.phentsize = h.is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	es->elf_class = h.is64 ? 64 : 32;
	es->big_endian = h.msb;
	es->machine = eh.e_machine;
	es->file = pool_strdup(&es->pool, name);
	if (!es->file) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	rc = read_sections(&r);
	if (!rc)
		rc = read_load_addresses(&r);
	if (!rc)
		rc = read_symbols(&r);
cleanup:
	free(r.kept);
	if (r.elf)
		elf_end(r.elf);
	if (rc) {
		elfsize_release(es);
		err_prefix("%s", name);
	}
	return rc;
}

int elfsize_read_mem(struct elfsize *out, const char *name, const void *data, size_t len)
{
	char *copy;
	int rc;

	elfsize_init(out);
	copy = malloc(len ? len : 1);
	if (!copy)
		return err_set(ERR_NOMEM, "%s: out of memory for a copy of %zu bytes", name, len);
	if (len)
		memcpy(copy, data, len);
	rc = read_image(out, name, copy, len);
	free(copy);
	return rc;
}

int elfsize_read_file(struct elfsize *out, const char *path)
{
	struct stat st;
	void *map;
	int fd, rc;

	elfsize_init(out);
	/* O_NONBLOCK: a FIFO given by mistake must be refused below, not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_errno(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%s: cannot open", path);
	if (fstat(fd, &st) != 0) {
		rc = err_errno(ERR_IO, "%s: cannot stat", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = err_set(ERR_INVALID, "%s: is a directory, not an ELF file", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(ERR_INVALID, "%s: is not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > ELFSIZE_FILE_MAX) {
		rc = err_set(ERR_LIMIT, "%s: %lld bytes is larger than the %llu this rig reads",
			     path, (long long)st.st_size, (unsigned long long)ELFSIZE_FILE_MAX);
		goto out;
	}
	if (st.st_size == 0) {
		rc = err_set(ERR_INVALID, "%s: is empty, not an ELF file", path);
		goto out;
	}
	/* Private and writable: libelf may byte-swap tables in place. */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		rc = err_errno(ERR_IO, "%s: cannot map", path);
		goto out;
	}
	rc = read_image(out, path, map, (size_t)st.st_size);
	munmap(map, (size_t)st.st_size);
out:
	close(fd);
	return rc;
}

/* ---- folding ---- */

static bool is_clone_word(const char *s, size_t n)
{
	static const char *const words[] = { "constprop", "isra", "part", "lto_priv", "cold" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return true;
	return false;
}

static bool is_number(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

size_t elfsize_fold(const char *name)
{
	size_t len = strlen(name);

	for (;;) {
		const char *dot = memrchr(name, '.', len);
		const char *part;
		size_t n;

		if (!dot || dot == name)
			return len;
		part = dot + 1;
		n = len - (size_t)(part - name);
		if (!is_number(part, n) && !is_clone_word(part, n))
			return len;
		len = (size_t)(dot - name);
	}
}


/* ---- deltas ---- */

static int sum(uint64_t *total, uint64_t size, const char *what)
{
	if (add_total(total, size))
		return err_set(ERR_INVALID, "%s: sizes add up past 2^63 bytes", what);
	return 0;
}

struct section_item {
	const struct elfsize_section *s;
	size_t order;		/* the new image's sections first, then the base's */
	bool cur;
};

struct section_group {
	size_t order;
	struct elfsize_section_delta d;
};

static int cmp_section_item(const void *a, const void *b)
{
	const struct section_item *x = a, *y = b;
	int c = strcmp(x->s->name, y->s->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_section_group(const void *a, const void *b)
{
	const struct section_group *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

static int diff_sections(struct elfsize_delta *out, const struct elfsize *base,
			 const struct elfsize *cur)
{
	size_t n = base->n_sections + cur->n_sections, ngroups = 0;
	struct section_group *groups = NULL;
	struct section_item *items;
	int rc = 0;

	if (n == 0)
		return 0;
	items = calloc(n, sizeof(*items));
	groups = calloc(n, sizeof(*groups));
	if (!items || !groups) {
		rc = err_set(ERR_NOMEM, "out of memory comparing %zu sections", n);
		goto cleanup;
	}
	for (size_t i = 0; i < cur->n_sections; i++)
		items[i] = (struct section_item){ &cur->sections[i], i, true };
	for (size_t i = 0; i < base->n_sections; i++)
		items[cur->n_sections + i] =
			(struct section_item){ &base->sections[i], cur->n_sections + i, false };
	qsort(items, n, sizeof(*items), cmp_section_item);

	for (size_t i = 0, j; i < n; i = j) {
		struct section_group *g = &groups[ngroups++];

		/* Sorted by order within a name: the first is the new image's when present. */
		g->order = items[i].order;
		g->d.cls = items[i].s->cls;
		g->d.region = g->d.cls == ELFSIZE_TEXT ? ELFSIZE_FLASH : ELFSIZE_RAM;
		for (j = i; j < n && strcmp(items[j].s->name, items[i].s->name) == 0; j++) {
			rc = sum(items[j].cur ? &g->d.size : &g->d.base, items[j].s->size,
				 items[j].s->name);
			if (rc)
				goto cleanup;
		}
		g->d.delta = (int64_t)g->d.size - (int64_t)g->d.base;
		g->d.name = pool_strdup(&out->pool, items[i].s->name);
		if (!g->d.name) {
			rc = ERR_NOMEM;
			goto cleanup;
		}
	}
	qsort(groups, ngroups, sizeof(*groups), cmp_section_group);
	out->sections = calloc(ngroups, sizeof(*out->sections));
	if (!out->sections) {
		rc = err_set(ERR_NOMEM, "out of memory for %zu sections", ngroups);
		goto cleanup;
	}
	for (size_t i = 0; i < ngroups; i++)
		out->sections[i] = groups[i].d;
	out->n_sections = ngroups;
cleanup:
	free(items);
	free(groups);
	return rc;
}

struct symbol_item {
	const struct elfsize_symbol *s;
	size_t len;		/* of the folded name */
	bool cur;
};

static int cmp_file(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Orders by folded name, then file (globals first). */
static int cmp_symbol_item(const void *a, const void *b)
{
	const struct symbol_item *x = a, *y = b;
	int c = memcmp(x->s->name, y->s->name, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return cmp_file(x->s->file, y->s->file);
}

static uint64_t magnitude(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

static int cmp_symbol_delta(const void *a, const void *b)
{
	const struct elfsize_symbol_delta *x = a, *y = b;
	uint64_t mx = magnitude(x->delta), my = magnitude(y->delta);
	int c;

	if (mx != my)
		return mx > my ? -1 : 1;
	c = strcmp(x->name, y->name);
	return c ? c : cmp_file(x->file, y->file);
}

static int diff_symbols(struct elfsize_delta *out, const struct elfsize *base,
			const struct elfsize *cur)
{
	size_t n = base->n_symbols + cur->n_symbols, alloc = 0;
	struct symbol_item *items;
	int rc = 0;

	if (n == 0)
		return 0;
	items = calloc(n, sizeof(*items));
	if (!items)
		return err_set(ERR_NOMEM, "out of memory comparing %zu symbols", n);
	for (size_t i = 0; i < cur->n_symbols; i++)
		items[i] = (struct symbol_item){ &cur->symbols[i], elfsize_fold(cur->symbols[i].name),
						 true };
	for (size_t i = 0; i < base->n_symbols; i++)
		items[cur->n_symbols + i] = (struct symbol_item){
			&base->symbols[i], elfsize_fold(base->symbols[i].name), false };
	qsort(items, n, sizeof(*items), cmp_symbol_item);

	for (size_t i = 0, j; i < n; i = j) {
		const struct elfsize_symbol *largest[2] = { NULL, NULL }, *home;
		struct elfsize_symbol_delta d = { 0 };

		for (j = i; j < n && cmp_symbol_item(&items[i], &items[j]) == 0; j++) {
			const struct elfsize_symbol *s = items[j].s;

			rc = sum(items[j].cur ? &d.size : &d.base, s->size, s->name);
			if (rc)
				goto cleanup;
			if (!largest[items[j].cur] || s->size > largest[items[j].cur]->size)
				largest[items[j].cur] = s;
		}
		if (d.size == d.base)
			continue;
		home = largest[1] ? largest[1] : largest[0];
		d.delta = (int64_t)d.size - (int64_t)d.base;
		d.change = d.base == 0 ? ELFSIZE_NEW : d.size == 0 ? ELFSIZE_REMOVED :
			   d.delta > 0 ? ELFSIZE_GREW : ELFSIZE_SHRANK;
		d.name = pool_strndup(&out->pool, items[i].s->name, items[i].len);
		d.section = pool_strdup(&out->pool, home->section);
		d.file = home->file ? pool_strdup(&out->pool, home->file) : NULL;
		if (!d.name || !d.section || (home->file && !d.file)) {
			rc = ERR_NOMEM;
			goto cleanup;
		}
		rc = grow((void **)&out->symbols, &alloc, out->n_symbols, sizeof(d));
		if (rc)
			goto cleanup;
		out->symbols[out->n_symbols++] = d;
	}
	if (out->n_symbols)
		qsort(out->symbols, out->n_symbols, sizeof(*out->symbols), cmp_symbol_delta);
cleanup:
	free(items);
	return rc;
}

int elfsize_diff(struct elfsize_delta *out, const struct elfsize *base, const struct elfsize *cur)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->base = base->totals;
	out->size = cur->totals;
	/* Each total is at most INT64_MAX (see push_section): the differences fit. */
	out->delta.text = (int64_t)cur->totals.text - (int64_t)base->totals.text;
	out->delta.data = (int64_t)cur->totals.data - (int64_t)base->totals.data;
	out->delta.bss = (int64_t)cur->totals.bss - (int64_t)base->totals.bss;
	out->delta.flash = (int64_t)cur->totals.flash - (int64_t)base->totals.flash;
	out->delta.ram = (int64_t)cur->totals.ram - (int64_t)base->totals.ram;
	rc = diff_sections(out, base, cur);
	if (!rc)
		rc = diff_symbols(out, base, cur);
	if (rc)
		elfsize_delta_release(out);
	return rc;
}

void elfsize_delta_release(struct elfsize_delta *d)
{
	free(d->sections);
	free(d->symbols);
	pool_free(d->pool);
	memset(d, 0, sizeof(*d));
}

/* ---- names ---- */

const char *elfsize_class_name(enum elfsize_class cls)
{
	switch (cls) {
	case ELFSIZE_TEXT: return "text";
	case ELFSIZE_DATA: return "data";
	case ELFSIZE_BSS: return "bss";
	}
	return "?";
}

const char *elfsize_region_name(enum elfsize_region region)
{
	return region == ELFSIZE_FLASH ? "flash" : "ram";
}

const char *elfsize_kind_name(enum elfsize_kind kind)
{
	return kind == ELFSIZE_FUNC ? "func" : "object";
}

const char *elfsize_change_name(enum elfsize_change change)
{
	switch (change) {
	case ELFSIZE_SAME: return "same";
	case ELFSIZE_GREW: return "grew";
	case ELFSIZE_SHRANK: return "shrank";
	case ELFSIZE_NEW: return "new";
	case ELFSIZE_REMOVED: return "removed";
	}
	return "?";
}

int elfsize_parse_class(enum elfsize_class *out, const char *name)
{
	for (int c = ELFSIZE_TEXT; c <= ELFSIZE_BSS; c++)
		if (strcmp(name, elfsize_class_name((enum elfsize_class)c)) == 0) {
			*out = (enum elfsize_class)c;
			return 0;
		}
	return err_set(ERR_INVALID, "'%s' is not a section class (text, data or bss)", name);
}

const char *elfsize_machine_name(unsigned machine)
{
	switch (machine) {
	case EM_ARM: return "ARM";
	case EM_RISCV: return "RISC-V";
	case EM_X86_64: return "x86-64";
	case EM_386: return "i386";
	case EM_AARCH64: return "AArch64";
	case EM_XTENSA: return "Xtensa";
	case EM_AVR: return "AVR";
	case EM_MSP430: return "MSP430";
	}
	return NULL;
}
