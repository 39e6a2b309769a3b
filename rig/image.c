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

/* A little-endian ELF32 executable: the header, one PT_LOAD, the bytes. */
static int write_elf(const char *path, const struct board *b, const uint8_t *data, size_t size)
{
	uint8_t head[52 + 32];
	uint32_t origin = (uint32_t)b->memory.kernel_flash.origin;
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
	put16(head + 44, 1);
	put32(head + 52, 1);				/* PT_LOAD */
	put32(head + 56, sizeof(head));			/* file offset */
	put32(head + 60, origin);			/* vaddr */
	put32(head + 64, origin);			/* paddr */
	put32(head + 68, (uint32_t)size);
	put32(head + 72, (uint32_t)size);
	put32(head + 76, 5);				/* R+X */
	put32(head + 80, 4);
	buf_init(&out, MAX_IMAGE + sizeof(head));
	buf_add(&out, head, sizeof(head));
	buf_add(&out, data, size);
	rc = fs_write_file(path, out.data, out.len);
	buf_release(&out);
	return rc;
}

int image_compose(const char *out_bin, const char *out_elf, const struct board *b, const char *kernel_bin,
		  const char *const *apps, size_t napps)
{
	uint64_t kernel_origin = b->memory.kernel_flash.origin;
	uint64_t app_origin = b->memory.app_flash.origin;
	uint64_t app_end = app_origin + b->memory.app_flash.length;
	uint64_t addr = app_origin;
	struct buf kernel, app;
	uint8_t *img = NULL;
	size_t size;
	int rc = 0;

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
	img = malloc(size ? size : 1);
	if (!img) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	memset(img, 0xff, size);
	memcpy(img, kernel.data, kernel.len);

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
		memcpy(img + (addr - kernel_origin), app.data, n);
		addr += n;
	}
	size = (size_t)(addr - kernel_origin);
	if ((rc = fs_write_file(out_bin, img, size)) != 0)
		goto cleanup;
	if (out_elf)
		rc = write_elf(out_elf, b, img, size);
cleanup:
	free(img);
	buf_release(&kernel);
	buf_release(&app);
	return rc;
}
