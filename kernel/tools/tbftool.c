/*
 * tbftool: makes app images and flash images (doc/image.md).
 *
 *   tbftool pack -o APP.tbf --name NAME [--heap BYTES] [--corrupt magic|crc|overlap]
 *                LINK1.elf LINK2.elf
 *   tbftool compose -o IMAGE.bin --kernel-origin ADDR --app-origin ADDR
 *                [--app-length LEN] [--elf IMAGE.elf --arch arm|riscv32]
 *                KERNEL.bin [APP.tbf...]
 *
 * pack takes the same app linked at two different flash and RAM addresses.
 * Code and read-only data must come out byte for byte the same (else the
 * code depends on where it runs, and the app is refused); every word of
 * .data that differs must differ by exactly the flash shift or the RAM
 * shift, and becomes a relocation crt0 applies at start. The image carries
 * the first link's .data with those words made relative to the flash or
 * RAM base.
 *
 * --corrupt writes a deliberately broken image, for the tests of the
 * kernel's checks: a wrong magic, a CRC that does not match, or a length
 * that runs over the next app.
 *
 * compose --elf also writes the same bytes as an ELF file with one loadable
 * segment at the kernel origin: QEMU's generic loader takes a raw file only
 * up to the machine's RAM size (16 KiB on sifive_e), an ELF file at any size.
 *
 * Errors go to stderr as "tbftool: FILE: message"; the exit status is 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "rig/tbf.h"

#define EM_ARM 40
#define EM_RISCV 243
#define SHT_PROGBITS 1
#define SHT_SYMTAB 2
#define SHF_ALLOC 2

struct elf {
	const char *path;
	uint8_t *data;
	size_t size;
	uint32_t shoff, shnum, shentsize, shstrndx;
};

static void fail(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void fail(const char *path, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "tbftool: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail(path, "%s", strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0)
		fail(path, "cannot seek: %s", strerror(errno));
	long n = ftell(f);
	if (n < 0)
		fail(path, "cannot tell size: %s", strerror(errno));
	rewind(f);
	uint8_t *buf = malloc((size_t)n + 1);
	if (buf == NULL)
		fail(path, "out of memory");
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail(path, "short read");
	fclose(f);
	*size = (size_t)n;
	return buf;
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		fail(path, "%s", strerror(errno));
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		fail(path, "write failed: %s", strerror(errno));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static const uint8_t *elf_bytes(const struct elf *e, uint32_t off, uint32_t len)
{
	if (off > e->size || len > e->size - off)
		fail(e->path, "truncated ELF (offset 0x%x, length 0x%x)", off, len);
	return e->data + off;
}

static void elf_open(struct elf *e, const char *path)
{
	e->path = path;
	e->data = read_file(path, &e->size);
	const uint8_t *h = elf_bytes(e, 0, 52);
	if (memcmp(h, "\177ELF", 4) != 0 || h[4] != 1 || h[5] != 1)
		fail(path, "not a 32-bit little-endian ELF file");
	uint16_t machine = le16(h + 18);
	if (machine != EM_ARM && machine != EM_RISCV)
		fail(path, "ELF machine %u is neither ARM nor RISC-V", machine);
	e->shoff = le32(h + 32);
	e->shentsize = le16(h + 46);
	e->shnum = le16(h + 48);
	e->shstrndx = le16(h + 50);
	if (e->shentsize != 40 || e->shstrndx >= e->shnum)
		fail(path, "unexpected section header table");
}

static uint32_t elf_entry(const struct elf *e)
{
	return le32(e->data + 24);
}

static const uint8_t *elf_section(const struct elf *e, uint32_t i)
{
	return elf_bytes(e, e->shoff + i * e->shentsize, e->shentsize);
}

static const char *elf_string(const struct elf *e, uint32_t strtab, uint32_t off)
{
	const uint8_t *s = elf_section(e, strtab);
	uint32_t base = le32(s + 16), size = le32(s + 20);
	if (off >= size)
		fail(e->path, "bad string offset");
	const char *str = (const char *)elf_bytes(e, base, size) + off;
	if (memchr(str, '\0', size - off) == NULL)
		fail(e->path, "unterminated string");
	return str;
}

/* The value of a symbol, if the file has it. */
static bool elf_symbol(const struct elf *e, const char *name, uint32_t *value)
{
	for (uint32_t i = 0; i < e->shnum; i++) {
		const uint8_t *sh = elf_section(e, i);
		if (le32(sh + 4) != SHT_SYMTAB)
			continue;
		uint32_t off = le32(sh + 16), size = le32(sh + 20), link = le32(sh + 24);
		const uint8_t *syms = elf_bytes(e, off, size);
		for (uint32_t s = 0; s + 16 <= size; s += 16) {
			if (strcmp(elf_string(e, link, le32(syms + s)), name) == 0) {
				*value = le32(syms + s + 4);
				return true;
			}
		}
	}
	return false;
}

static uint32_t elf_need(const struct elf *e, const char *name)
{
	uint32_t v;
	if (!elf_symbol(e, name, &v))
		fail(e->path, "no symbol %s (not linked with userland/app.ld?)", name);
	return v;
}

/* The function or object symbol at or below addr, for error messages. */
static const char *elf_nearest(const struct elf *e, uint32_t addr)
{
	const char *best = "?";
	uint32_t best_value = 0;

	for (uint32_t i = 0; i < e->shnum; i++) {
		const uint8_t *sh = elf_section(e, i);
		if (le32(sh + 4) != SHT_SYMTAB)
			continue;
		uint32_t off = le32(sh + 16), size = le32(sh + 20), link = le32(sh + 24);
		const uint8_t *syms = elf_bytes(e, off, size);
		for (uint32_t s = 0; s + 16 <= size; s += 16) {
			uint32_t v = le32(syms + s + 4) & ~1u;
			uint8_t type = syms[s + 12] & 0xf;
			if ((type == 1 || type == 2) && v <= addr && v >= best_value) {
				best_value = v;
				best = elf_string(e, link, le32(syms + s));
			}
		}
	}
	return best;
}

/* The bytes the file puts at [start, start + len), zero where nothing is. */
static uint8_t *elf_range(const struct elf *e, uint32_t start, uint32_t len)
{
	uint8_t *out = calloc(1, len ? len : 1);
	if (out == NULL)
		fail(e->path, "out of memory");
	for (uint32_t i = 0; i < e->shnum; i++) {
		const uint8_t *sh = elf_section(e, i);
		uint32_t type = le32(sh + 4), flags = le32(sh + 8), addr = le32(sh + 12);
		uint32_t off = le32(sh + 16), size = le32(sh + 20);
		if (type != SHT_PROGBITS || !(flags & SHF_ALLOC) || size == 0)
			continue;
		uint64_t lo = addr > start ? addr : start;
		uint64_t hi = (uint64_t)addr + size < (uint64_t)start + len ? (uint64_t)addr + size
									   : (uint64_t)start + len;
		if (lo >= hi)
			continue;
		const uint8_t *src = elf_bytes(e, off, size);
		memcpy(out + (lo - start), src + (lo - addr), hi - lo);
	}
	return out;
}

struct layout {
	uint32_t flash_link, ram_link, flash_end, data_start, data_end, bss_end, stack_size, entry;
};

static struct layout layout_of(const struct elf *e)
{
	struct layout l = {
		.flash_link = elf_need(e, "__flash_link"),
		.ram_link = elf_need(e, "__ram_link"),
		.flash_end = elf_need(e, "__flash_end"),
		.data_start = elf_need(e, "__data_start"),
		.data_end = elf_need(e, "__data_end"),
		.bss_end = elf_need(e, "__bss_end"),
		.stack_size = elf_need(e, "__stack_size"),
		.entry = elf_entry(e) & ~1u,   /* the Thumb bit is implied on Cortex-M */
	};
	if (l.flash_end < l.flash_link + TBF_HEADER_LEN || l.data_end < l.data_start ||
	    l.data_start < l.ram_link || l.bss_end < l.data_end)
		fail(e->path, "inconsistent app layout symbols");
	if (l.entry < l.flash_link + TBF_HEADER_LEN || l.entry >= l.flash_end)
		fail(e->path, "entry point 0x%x outside the code", l.entry);
	return l;
}

static uint32_t round_up_pow2(uint32_t v)
{
	uint32_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= TBF_NAME_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static uint32_t image_crc(const uint8_t *img, uint32_t total)
{
	static const uint8_t zero[4];
	uint32_t crc = crc32_update(0, img, TBF_CRC_OFFSET);
	crc = crc32_update(crc, zero, sizeof(zero));
	return crc32_update(crc, img + TBF_HEADER_LEN, total - TBF_HEADER_LEN);
}

static unsigned long parse_number(const char *what, const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno != 0 || *s == '\0' || *end != '\0' || v > UINT32_MAX)
		fail(what, "not a number: '%s'", s);
	return v;
}

static int cmd_pack(int argc, char **argv)
{
	const char *out = NULL, *name = NULL, *corrupt = NULL;
	uint32_t heap = 0;
	const char *inputs[2];
	int ninputs = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--heap") == 0 && i + 1 < argc)
			heap = (uint32_t)parse_number("--heap", argv[++i]);
		else if (strcmp(argv[i], "--corrupt") == 0 && i + 1 < argc)
			corrupt = argv[++i];
		else if (argv[i][0] != '-' && ninputs < 2)
			inputs[ninputs++] = argv[i];
		else
			fail("pack", "unexpected argument '%s'", argv[i]);
	}
	if (out == NULL || name == NULL || ninputs != 2)
		fail("pack", "usage: tbftool pack -o OUT --name NAME [--heap N] [--corrupt magic|crc|overlap] A.elf B.elf");
	if (!name_ok(name))
		fail(out, "app name '%s' must be 1-%d of [A-Za-z0-9_-]", name, TBF_NAME_LEN - 1);
	if (corrupt != NULL && strcmp(corrupt, "magic") != 0 && strcmp(corrupt, "crc") != 0 &&
	    strcmp(corrupt, "overlap") != 0)
		fail(out, "--corrupt takes magic, crc or overlap, not '%s'", corrupt);

	struct elf a, b;
	elf_open(&a, inputs[0]);
	elf_open(&b, inputs[1]);
	struct layout la = layout_of(&a), lb = layout_of(&b);
	if (la.flash_link == lb.flash_link || la.ram_link == lb.ram_link ||
	    la.flash_link - lb.flash_link == la.ram_link - lb.ram_link)
		fail(out, "the two links must differ in flash and in RAM address, by different amounts");
	if (la.flash_end - la.flash_link != lb.flash_end - lb.flash_link ||
	    la.data_start - la.ram_link != lb.data_start - lb.ram_link ||
	    la.data_end - la.data_start != lb.data_end - lb.data_start ||
	    la.bss_end - la.ram_link != lb.bss_end - lb.ram_link ||
	    la.entry - la.flash_link != lb.entry - lb.flash_link || la.stack_size != lb.stack_size)
		fail(out, "the two links have different layouts");

	uint32_t code_len = la.flash_end - la.flash_link - TBF_HEADER_LEN;
	uint8_t *code_a = elf_range(&a, la.flash_link + TBF_HEADER_LEN, code_len);
	uint8_t *code_b = elf_range(&b, lb.flash_link + TBF_HEADER_LEN, code_len);
	for (uint32_t i = 0; i < code_len; i++) {
		if (code_a[i] != code_b[i]) {
			uint32_t at = la.flash_link + TBF_HEADER_LEN + i;
			fail(a.path, "code or read-only data depends on the link address at image offset "
				     "0x%x (in %s): not position-independent, see doc/image.md",
			     at - la.flash_link, elf_nearest(&a, at));
		}
	}

	uint32_t data_len = la.data_end - la.data_start;
	if (data_len % 4 != 0)
		fail(a.path, ".data is not a whole number of words");
	uint8_t *data_a = elf_range(&a, la.data_start, data_len);
	uint8_t *data_b = elf_range(&b, lb.data_start, data_len);
	uint32_t flash_shift = lb.flash_link - la.flash_link;
	uint32_t ram_shift = lb.ram_link - la.ram_link;
	uint32_t *relocs = malloc((data_len / 4 + 1) * sizeof(uint32_t));
	uint32_t nrelocs = 0;
	if (relocs == NULL)
		fail(out, "out of memory");
	for (uint32_t i = 0; i < data_len; i += 4) {
		uint32_t va = le32(data_a + i), vb = le32(data_b + i);
		uint32_t ram_offset = la.data_start - la.ram_link + i;
		if (va == vb)
			continue;
		if (vb - va == flash_shift && va - la.flash_link < la.flash_end - la.flash_link) {
			put32(data_a + i, va - la.flash_link);
			relocs[nrelocs++] = ram_offset | 1;
		} else if (vb - va == ram_shift && va - la.ram_link <= la.bss_end - la.ram_link) {
			put32(data_a + i, va - la.ram_link);
			relocs[nrelocs++] = ram_offset;
		} else {
			uint32_t at = la.data_start + i;
			fail(a.path, "data word at 0x%x (in %s) changes with the link address but is not "
				     "an aligned pointer into the app", at, elf_nearest(&a, at));
		}
	}

	uint32_t init_brk = la.bss_end - la.ram_link;
	uint32_t used = TBF_HEADER_LEN + code_len + data_len + 4 + 4 * nrelocs;
	uint32_t total = round_up_pow2(used < TBF_MIN_TOTAL ? TBF_MIN_TOTAL : used);
	uint8_t *img = malloc(total);
	if (img == NULL)
		fail(out, "out of memory");
	memset(img, 0xff, total);

	struct tbf_header h;
	memset(&h, 0, sizeof(h));
	h.magic = TBF_MAGIC;
	h.version = TBF_VERSION;
	h.header_len = TBF_HEADER_LEN;
	h.total_len = total;
	h.entry = la.entry - la.flash_link;
	h.min_ram = init_brk + heap;
	h.init_brk = init_brk;
	h.stack_size = la.stack_size;
	h.flags = 0;
	memcpy(h.name, name, strlen(name));   /* the rest stays NUL */
	h.reserved = 0;
	h.crc32 = 0;
	/* The struct is little-endian on every host this builds on; say so loudly if not. */
	const uint16_t probe = 1;
	if (*(const uint8_t *)&probe != 1)
		fail(out, "big-endian hosts are not supported");
	memcpy(img, &h, sizeof(h));

	uint32_t pos = TBF_HEADER_LEN;
	memcpy(img + pos, code_a, code_len);
	pos += code_len;
	memcpy(img + pos, data_a, data_len);
	pos += data_len;
	put32(img + pos, nrelocs);
	pos += 4;
	for (uint32_t i = 0; i < nrelocs; i++, pos += 4)
		put32(img + pos, relocs[i]);

	put32(img + TBF_CRC_OFFSET, image_crc(img, total));

	if (corrupt != NULL && strcmp(corrupt, "magic") == 0)
		put32(img, TBF_MAGIC ^ 1);
	else if (corrupt != NULL && strcmp(corrupt, "crc") == 0)
		img[TBF_HEADER_LEN] ^= 0xff;
	else if (corrupt != NULL && strcmp(corrupt, "overlap") == 0)
		put32(img + 8, total * 2);

	write_file(out, img, total);
	free(img);
	free(relocs);
	free(code_a);
	free(code_b);
	free(data_a);
	free(data_b);
	free(a.data);
	free(b.data);
	return 0;
}

/* The image as an ELF executable: one PT_LOAD segment, no sections. */
static void write_elf(const char *path, const char *arch, uint32_t origin, const uint8_t *data,
		      size_t size)
{
	uint8_t h[52 + 32];
	uint16_t machine;

	if (strcmp(arch, "arm") == 0)
		machine = EM_ARM;
	else if (strcmp(arch, "riscv32") == 0)
		machine = EM_RISCV;
	else
		fail(path, "--arch takes arm or riscv32, not '%s'", arch);

	memset(h, 0, sizeof(h));
	memcpy(h, "\177ELF", 4);
	h[4] = 1;                    /* 32-bit */
	h[5] = 1;                    /* little-endian */
	h[6] = 1;                    /* version */
	h[16] = 2;                   /* ET_EXEC */
	h[18] = (uint8_t)machine;
	h[19] = (uint8_t)(machine >> 8);
	put32(h + 20, 1);            /* version */
	put32(h + 24, origin);       /* entry: the start of the image */
	put32(h + 28, 52);           /* program headers right after this one */
	h[40] = 52;                  /* header size */
	h[42] = 32;                  /* program header size */
	h[44] = 1;                   /* one program header */
	put32(h + 52, 1);            /* PT_LOAD */
	put32(h + 56, sizeof(h));    /* offset of the bytes */
	put32(h + 60, origin);       /* virtual address */
	put32(h + 64, origin);       /* physical address */
	put32(h + 68, (uint32_t)size);
	put32(h + 72, (uint32_t)size);
	put32(h + 76, 5);            /* read, execute */
	put32(h + 80, 4);            /* alignment */

	uint8_t *out = malloc(sizeof(h) + size);
	if (out == NULL)
		fail(path, "out of memory");
	memcpy(out, h, sizeof(h));
	memcpy(out + sizeof(h), data, size);
	write_file(path, out, sizeof(h) + size);
	free(out);
}

static int cmd_compose(int argc, char **argv)
{
	const char *out = NULL, *elf_out = NULL, *arch = NULL;
	const char *inputs[64];
	int ninputs = 0;
	uint32_t kernel_origin = 0, app_origin = 0, app_length = 0;
	bool have_kernel_origin = false, have_app_origin = false;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(argv[i], "--kernel-origin") == 0 && i + 1 < argc) {
			kernel_origin = (uint32_t)parse_number("--kernel-origin", argv[++i]);
			have_kernel_origin = true;
		} else if (strcmp(argv[i], "--app-origin") == 0 && i + 1 < argc) {
			app_origin = (uint32_t)parse_number("--app-origin", argv[++i]);
			have_app_origin = true;
		} else if (strcmp(argv[i], "--elf") == 0 && i + 1 < argc) {
			elf_out = argv[++i];
		} else if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc) {
			arch = argv[++i];
		} else if (strcmp(argv[i], "--app-length") == 0 && i + 1 < argc) {
			app_length = (uint32_t)parse_number("--app-length", argv[++i]);
		} else if (argv[i][0] != '-' && ninputs < 64) {
			inputs[ninputs++] = argv[i];
		} else {
			fail("compose", "unexpected argument '%s'", argv[i]);
		}
	}
	if (out == NULL || !have_kernel_origin || !have_app_origin || ninputs < 1)
		fail("compose", "usage: tbftool compose -o OUT --kernel-origin A --app-origin A "
				"[--app-length N] [--elf OUT.elf --arch A] KERNEL.bin [APP.tbf...]");
	if ((elf_out == NULL) != (arch == NULL))
		fail("compose", "--elf and --arch go together");
	if (app_origin < kernel_origin)
		fail(out, "the app region starts before the kernel");

	size_t kernel_size;
	uint8_t *kernel = read_file(inputs[0], &kernel_size);
	uint32_t kernel_room = app_origin - kernel_origin;
	if (kernel_size > kernel_room)
		fail(inputs[0], "kernel is %zu bytes, but only %u fit before the app region",
		     kernel_size, kernel_room);

	/* The whole image, then trimmed after the last app. */
	size_t cap = kernel_room;
	for (int i = 1; i < ninputs; i++) {
		size_t n;
		free(read_file(inputs[i], &n));
		cap += 2 * n;
	}
	uint8_t *img = malloc(cap ? cap : 1);
	if (img == NULL)
		fail(out, "out of memory");
	memset(img, 0xff, cap);
	memcpy(img, kernel, kernel_size);
	free(kernel);

	uint32_t addr = app_origin;
	for (int i = 1; i < ninputs; i++) {
		size_t n;
		uint8_t *app = read_file(inputs[i], &n);
		if (n < TBF_MIN_TOTAL || n > UINT32_MAX || (n & (n - 1)) != 0)
			fail(inputs[i], "an app image must be a power of two of at least %u bytes, not %zu",
			     TBF_MIN_TOTAL, n);
		addr = (addr + (uint32_t)n - 1) & ~((uint32_t)n - 1);
		if (app_length != 0 && addr + n > (uint64_t)app_origin + app_length)
			fail(inputs[i], "does not fit in the app region (ends at 0x%llx)",
			     (unsigned long long)addr + n);
		memcpy(img + (addr - kernel_origin), app, n);
		addr += (uint32_t)n;
		free(app);
	}
	size_t size = ninputs > 1 ? addr - kernel_origin : kernel_room;
	write_file(out, img, size);
	if (elf_out != NULL)
		write_elf(elf_out, arch, kernel_origin, img, size);
	free(img);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "pack") == 0)
		return cmd_pack(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "compose") == 0)
		return cmd_compose(argc - 2, argv + 2);
	fprintf(stderr, "usage: tbftool pack|compose ... (see the comment at the top of tbftool.c)\n");
	return 2;
}
