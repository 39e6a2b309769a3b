/*
 * image: the flash image of one case — the kernel and the case's apps — laid
 * out as the kernel expects it (kernel/doc/image.md):
 *
 *  - kernel.bin from kernel_flash.origin, padded with 0xFF up to
 *    app_flash.origin;
 *  - each app image, in the order given, at the next address aligned to its
 *    own length (a power of two of at least 1 KiB: what an MPU region can
 *    cover), gaps 0xFF, inside app_flash;
 *  - nothing after the last app.
 *
 * Optionally the same bytes as an ELF executable with one loadable segment
 * at kernel_flash.origin, for loaders (QEMU's) that refuse large raw files.
 */
#ifndef RIG_IMAGE_H
#define RIG_IMAGE_H

#include <stddef.h>

struct board;

#define IMAGE_MIN_APP 1024

/*
 * Writes out_bin (and out_elf unless NULL) from kernel_bin and the app
 * images. ERR_INVALID names the file that does not fit or is malformed.
 */
int image_compose(const char *out_bin, const char *out_elf, const struct board *b, const char *kernel_bin,
		  const char *const *apps, size_t napps);

#endif
