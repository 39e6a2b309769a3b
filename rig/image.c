#include "image.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "fsutil.h"

#define MAX_IMAGE ((size_t)64 << 20)
#define EM_ARM 40
#define EM_RISCV 243

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A loadable segment of an ELF: size bytes of data at addr. */
struct segment {
	uint32_t addr;
	const uint8_t *data;
	size_t size;
};

/* A little-endian ELF32 executable: the header, one PT_LOAD per segment, the bytes. */
static int write_elf_segments(const char *path, const struct board *b, const struct segment *segs, size_t n)
{
	uint32_t origin = (uint32_t)b->memory.kernel_flash.origin;
	size_t headers = 52 + 32 * n, offset = headers;
	uint8_t head[52], ph[32];
	struct buf out;
	int rc;

	memset(head, 0, sizeof(head));
	memcpy(head, "\177ELF", 4);
	head[4] = 1;					/* ELFCLASS32 */
	head[5] = 1;					/* little-endian */
	head[6] = 1;					/* EV_CURRENT */
	put16(head + 16, 2);				/* ET_EXEC */
	put16(head + 18, strcmp(b->arch, "arm") == 0 ? EM_ARM : EM_RISCV);
	put32(head + 20, 1);
	put32(head + 24, origin);			/* entry */
	put32(head + 28, 52);				/* program headers follow */
	put16(head + 40, 52);
	put16(head + 42, 32);
	put16(head + 44, (uint16_t)n);
	buf_init(&out, MAX_IMAGE + headers);
	buf_add(&out, head, sizeof(head));
	for (size_t i = 0; i < n; i++) {
		memset(ph, 0, sizeof(ph));
		put32(ph, 1);				/* PT_LOAD */
		put32(ph + 4, (uint32_t)offset);
		put32(ph + 8, segs[i].addr);		/* vaddr */
		put32(ph + 12, segs[i].addr);		/* paddr */
		put32(ph + 16, (uint32_t)segs[i].size);
		put32(ph + 20, (uint32_t)segs[i].size);
		put32(ph + 24, 5);			/* R+X */
		put32(ph + 28, 4);
		buf_add(&out, ph, sizeof(ph));
		offset += segs[i].size;
	}
	for (size_t i = 0; i < n; i++)
		buf_add(&out, segs[i].data, segs[i].size);
	rc = out.truncated ? err_set(ERR_LIMIT, "%s: image too large", path) : fs_write_file(path, out.data, out.len);
	buf_release(&out);
	return rc;
}

static int write_elf(const char *path, const struct board *b, const uint8_t *data, size_t size)
{
	struct segment seg = { (uint32_t)b->memory.kernel_flash.origin, data, size };

	return write_elf_segments(path, b, &seg, 1);
}

/*
 * The flash of board from kernel_flash.origin to the end of app_flash, laid
 * out by the rules of image.h: *img (the caller frees it) holds all of it,
 * 0xFF where nothing is; *used is where the last app (or the app region's
 * start) ends; kernel_len and the apps' places go to the optional outputs
 * (app_at and app_len have room for napps).
 */
static int layout(uint8_t **img, size_t *used, size_t *kernel_len, uint64_t *app_at, size_t *app_len,
		  const struct board *b, const char *kernel_bin, const char *const *apps, size_t napps)
{
	uint64_t kernel_origin = b->memory.kernel_flash.origin;
	uint64_t app_origin = b->memory.app_flash.origin;
	uint64_t app_end = app_origin + b->memory.app_flash.length;
	uint64_t addr = app_origin;
	struct buf kernel, app;
	size_t size;
	int rc = 0;

	*img = NULL;
	if (app_origin < kernel_origin)
		return err_set(ERR_INVALID, "board %s: app_flash starts before kernel_flash", b->name);
	buf_init(&kernel, MAX_IMAGE);
	buf_init(&app, MAX_IMAGE);
	if ((rc = fs_read_file(&kernel, kernel_bin)) != 0)
		goto cleanup;
	if (kernel.len > app_origin - kernel_origin) {
		rc = err_set(ERR_INVALID, "%s: the kernel is %zu bytes, but only %llu fit before the app region",
			     kernel_bin, kernel.len, (unsigned long long)(app_origin - kernel_origin));
		goto cleanup;
	}
	size = (size_t)(app_end - kernel_origin);
	if (size > MAX_IMAGE) {
		rc = err_set(ERR_INVALID, "board %s: flash of %zu bytes is beyond what the rig composes", b->name,
			     size);
		goto cleanup;
	}
	*img = malloc(size ? size : 1);
	if (!*img) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	memset(*img, 0xff, size);
	memcpy(*img, kernel.data, kernel.len);
	if (kernel_len)
		*kernel_len = kernel.len;

	for (size_t i = 0; i < napps; i++) {
		size_t n;

		buf_reset(&app);
		if ((rc = fs_read_file(&app, apps[i])) != 0)
			goto cleanup;
		n = app.len;
		if (n < IMAGE_MIN_APP || (n & (n - 1)) != 0) {
			rc = err_set(ERR_INVALID, "%s: an app image must be a power of two of at least %d bytes, not %zu",
				     apps[i], IMAGE_MIN_APP, n);
			goto cleanup;
		}
		addr = (addr + n - 1) & ~(uint64_t)(n - 1);
		if (addr + n > app_end) {
			rc = err_set(ERR_INVALID, "%s: does not fit in the app region of %s (it would end at 0x%llx, "
				     "the region at 0x%llx)", apps[i], b->name, (unsigned long long)(addr + n),
				     (unsigned long long)app_end);
			goto cleanup;
		}
		memcpy(*img + (addr - kernel_origin), app.data, n);
		if (app_at)
			app_at[i] = addr;
		if (app_len)
			app_len[i] = n;
		addr += n;
	}
	*used = (size_t)(addr - kernel_origin);
cleanup:
	if (rc) {
		free(*img);
		*img = NULL;
	}
	buf_release(&kernel);
	buf_release(&app);
	return rc;
}

int image_compose(const char *out_bin, const char *out_elf, const struct board *b, const char *kernel_bin,
		  const char *const *apps, size_t napps)
{
	uint8_t *img;
	size_t size;
	int rc;

	if ((rc = layout(&img, &size, NULL, NULL, NULL, b, kernel_bin, apps, napps)) != 0)
		return rc;
	rc = fs_write_file(out_bin, img, size);
	if (rc == 0 && out_elf)
		rc = write_elf(out_elf, b, img, size);
	free(img);
	return rc;
}

int image_compose_device(const char *out_full, const char *out_full_elf, const char *out_sparse,
			 const struct board *b, const char *kernel_bin, const char *const *apps, size_t napps)
{
	uint64_t kernel_origin = b->memory.kernel_flash.origin, app_origin = b->memory.app_flash.origin;
	uint64_t app_end = app_origin + b->memory.app_flash.length;
	uint64_t *app_at = calloc(napps + 1, sizeof(*app_at));
	size_t *app_len = calloc(napps + 1, sizeof(*app_len));
	static const uint8_t erased[4] = { 0xff, 0xff, 0xff, 0xff };
	struct segment *segs = NULL;
	size_t used = 0, kernel_len = 0, full, nsegs = 0, next = 0;
	uint8_t *img = NULL;
	int rc;

	if (!app_at || !app_len) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = layout(&img, &used, &kernel_len, app_at, app_len, b, kernel_bin, apps, napps)) != 0)
		goto cleanup;
	full = (size_t)(app_end - kernel_origin);
	if (out_full && (rc = fs_write_file(out_full, img, full)) != 0)
		goto cleanup;
	if (out_full_elf && (rc = write_elf(out_full_elf, b, img, full)) != 0)
		goto cleanup;
	if (!out_sparse)
		goto cleanup;

	/* The kernel, each app, and an erased first word at every scan step no app covers. */
	segs = calloc(1 + napps + (size_t)(b->memory.app_flash.length / IMAGE_MIN_APP) + 1, sizeof(*segs));
	if (!segs) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	if (kernel_len)
		segs[nsegs++] = (struct segment){ (uint32_t)kernel_origin, img, kernel_len };
	for (uint64_t addr = app_origin; addr < app_end;) {
		if (next < napps && addr == app_at[next]) {
			segs[nsegs++] = (struct segment){ (uint32_t)addr, img + (addr - kernel_origin), app_len[next] };
			addr += app_len[next++];
			continue;
		}
		segs[nsegs++] = (struct segment){ (uint32_t)addr, erased, sizeof(erased) };
		addr += IMAGE_MIN_APP;
		/* Apps sit on the scan's grid when app_flash does; if not, never write into one. */
		if (next < napps && addr > app_at[next])
			addr = app_at[next];
	}
	rc = write_elf_segments(out_sparse, b, segs, nsegs);
cleanup:
	free(segs);
	free(img);
	free(app_at);
	free(app_len);
	return rc;
}
