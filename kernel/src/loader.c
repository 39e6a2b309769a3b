#include "loader.h"

#include "console.h"
#include "crc32.h"
#include "process.h"
#include "rigstr.h"

static bool is_power_of_two(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static uint32_t round_up_power_of_two(uint32_t v)
{
	uint32_t p = 1;
	while (p < v && p != 0x80000000u)
		p <<= 1;
	return p;
}

static bool name_ok(const char *name)
{
	size_t n = strnlen(name, TBF_NAME_LEN);
	if (n == 0 || n == TBF_NAME_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-';
		if (!ok)
			return false;
	}
	/* NUL-padded, so that the CRC and a byte-wise compare agree. */
	for (size_t i = n; i < TBF_NAME_LEN; i++) {
		if (name[i] != '\0')
			return false;
	}
	return true;
}

static bool header_ok(const struct tbf_header *h)
{
	return h->version == TBF_VERSION && h->header_len == TBF_HEADER_LEN &&
	       is_power_of_two(h->total_len) && h->total_len >= TBF_MIN_TOTAL &&
	       h->total_len <= APP_FLASH_LENGTH &&
	       h->entry >= TBF_HEADER_LEN && h->entry < h->total_len &&
	       h->stack_size % 8 == 0 && h->stack_size > 0 &&
	       h->stack_size <= h->init_brk && h->init_brk <= h->min_ram &&
	       h->flags == 0 && h->reserved == 0 && name_ok(h->name);
}

static bool looks_like_header(uint32_t addr)
{
	const struct tbf_header *h = (const void *)(uintptr_t)addr;
	return h->magic == TBF_MAGIC && h->version == TBF_VERSION &&
	       h->header_len == TBF_HEADER_LEN;
}

/*
 * An image must sit at an address aligned to its length (its MPU/PMP
 * region is exactly the image) and must not run past the region or over
 * the header of the image after it.
 */
static bool overlaps(uint32_t addr, const struct tbf_header *h)
{
	uint32_t end = APP_FLASH_ORIGIN + APP_FLASH_LENGTH;

	if (addr % h->total_len != 0 || h->total_len > end - addr)
		return true;
	for (uint32_t a = addr + TBF_MIN_TOTAL; a < addr + h->total_len; a += TBF_MIN_TOTAL) {
		if (looks_like_header(a))
			return true;
	}
	return false;
}

static bool crc_ok(const struct tbf_header *h)
{
	const uint8_t *image = (const uint8_t *)h;
	static const uint8_t zero[4];

	uint32_t crc = crc32_update(0, image, TBF_CRC_OFFSET);
	crc = crc32_update(crc, zero, sizeof(zero));
	crc = crc32_update(crc, image + TBF_HEADER_LEN, h->total_len - TBF_HEADER_LEN);
	return crc == h->crc32;
}

struct scan {
	uint32_t ram_next;     /* first free byte of app RAM */
	bool in_bad_run;       /* a rejection was reported and no app accepted since */
};

/*
 * A corrupt image leaves garbage at every 1 KiB step of its body; only the
 * first rejection of such a run is worth a line.
 */
static void reject(struct kernel *k, struct scan *s, uint32_t addr, const char *why)
{
	if (!s->in_bad_run)
		kprintf(k, "kernel: app at 0x%08x rejected: %s\n", (unsigned)addr, why);
	s->in_bad_run = true;
}

/* Returns where the scan goes on. */
static uint32_t scan_one(struct kernel *k, struct scan *s, uint32_t addr)
{
	const struct tbf_header *h = (const void *)(uintptr_t)addr;

	if (h->magic == 0xffffffffu || h->magic == 0) {
		/* Erased flash or an alignment gap: nothing here. */
		return addr + TBF_MIN_TOTAL;
	}
	if (h->magic != TBF_MAGIC) {
		reject(k, s, addr, "bad magic");
		return addr + TBF_MIN_TOTAL;
	}
	if (!header_ok(h)) {
		reject(k, s, addr, "bad header");
		return addr + TBF_MIN_TOTAL;
	}
	if (overlaps(addr, h)) {
		reject(k, s, addr, "overlap");
		return addr + TBF_MIN_TOTAL;
	}
	if (!crc_ok(h)) {
		reject(k, s, addr, "bad crc");
		return addr + TBF_MIN_TOTAL;
	}

	/* From here on the image is sound; running out of room is not its fault. */
	s->in_bad_run = false;
	if (k->nprocs == MAX_PROCESSES) {
		kprintf(k, "kernel: app at 0x%08x rejected: too many apps\n", (unsigned)addr);
		return addr + h->total_len;
	}
	uint32_t block = round_up_power_of_two(h->min_ram);
	if (block < APP_RAM_MIN_BLOCK)
		block = APP_RAM_MIN_BLOCK;
	uint32_t ram_end = APP_RAM_ORIGIN + APP_RAM_LENGTH;
	uint32_t ram = (s->ram_next + block - 1) & ~(block - 1);
	/* Aligning a large block can carry it past the end, or past 4 GiB. */
	if (ram < s->ram_next || ram > ram_end || block > ram_end - ram) {
		kprintf(k, "kernel: app at 0x%08x rejected: no ram\n", (unsigned)addr);
		return addr + h->total_len;
	}
	s->ram_next = ram + block;

	struct process *p = &k->procs[k->nprocs];
	process_init(p, k->nprocs, h, ram, block);
	k->nprocs++;
	kprintf(k, "kernel: app %s at 0x%08x size %u\n", h->name, (unsigned)addr,
		(unsigned)h->total_len);
	return addr + h->total_len;
}

void loader_scan(struct kernel *k)
{
	struct scan s = { .ram_next = APP_RAM_ORIGIN, .in_bad_run = false };
	uint32_t end = APP_FLASH_ORIGIN + APP_FLASH_LENGTH;

	for (uint32_t addr = APP_FLASH_ORIGIN; addr < end;)
		addr = scan_one(k, &s, addr);
}
