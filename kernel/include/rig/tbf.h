/*
 * The app image header, shared by the kernel (which checks it), the host
 * tool that writes it (tools/tbftool.c) and doc/image.md, which is the
 * normative description. All fields are little-endian.
 */
#ifndef RIG_TBF_H
#define RIG_TBF_H

#include <stdint.h>

#define TBF_MAGIC        0x41474952u  /* the bytes "RIGA" */
#define TBF_VERSION      1
#define TBF_HEADER_LEN   64
#define TBF_NAME_LEN     24           /* including the terminating NUL */
#define TBF_MIN_TOTAL    1024u        /* smallest image, and the scan step */
#define TBF_CRC_OFFSET   60

struct tbf_header {
	uint32_t magic;
	uint16_t version;
	uint16_t header_len;
	uint32_t total_len;   /* power of two >= TBF_MIN_TOTAL; the file size */
	uint32_t entry;       /* offset of the entry point from the image start */
	uint32_t min_ram;     /* RAM bytes the process needs, heap included */
	uint32_t init_brk;    /* initial break, as an offset into its RAM */
	uint32_t stack_size;  /* initial stack pointer = RAM start + stack_size */
	uint32_t flags;       /* none defined: must be 0 */
	char name[TBF_NAME_LEN];
	uint32_t reserved;    /* must be 0 */
	uint32_t crc32;       /* CRC-32 of all total_len bytes, this field read as 0 */
};

_Static_assert(sizeof(struct tbf_header) == TBF_HEADER_LEN, "header layout");

#endif
