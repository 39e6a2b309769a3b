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

/*
 * What a device's flasher writes, where flash keeps what earlier images
 * left: the kernel scans the whole app region for apps (kernel/doc/image.md),
 * so an app of an earlier case must not survive past this one's. Any output
 * may be NULL.
 *
 *  out_full      the image padded with 0xFF to the end of app_flash, from
 *                kernel_flash.origin: every byte the kernel may read
 *  out_full_elf  the same bytes as an ELF
 *  out_sparse    an ELF of only what the kernel reads: kernel.bin, each app,
 *                and an erased first word (0xFFFFFFFF) at every
 *                IMAGE_MIN_APP step of app_flash that no app covers, which
 *                the kernel's scan reads as empty. A tenth of the bytes or
 *                less, for flashers where every byte costs (a virtual board
 *                over remote_bitbang); only right where writing does not
 *                erase more than it writes (no flash sectors).
 */
int image_compose_device(const char *out_full, const char *out_full_elf, const char *out_sparse,
			 const struct board *b, const char *kernel_bin, const char *const *apps, size_t napps);

#endif
