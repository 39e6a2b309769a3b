/*
 * vmem: the memories of a virtual board, flash and RAM, as byte arrays at
 * their bus addresses.
 *
 * Regions come from a board file's memory map (vmem_add_board merges
 * kernel_flash with app_flash and kernel_ram with app_ram when they touch).
 * Flash starts erased (0xff), RAM zeroed. Every region remembers the end of
 * the highest byte written since it was last cleared, so the board can hand
 * QEMU exactly what was programmed and no megabytes of erased flash. A struct
 * vmem owns its regions' bytes: vmem_release frees them.
 */
#ifndef RIG_VMEM_H
#define RIG_VMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define VMEM_REGIONS 4
#define VMEM_MAX_BYTES ((uint64_t)64 << 20)	/* all regions together */

enum vmem_kind { VMEM_FLASH, VMEM_RAM };

struct vmem_region {
	enum vmem_kind kind;
	uint32_t origin;
	uint32_t length;
	uint8_t *bytes;
	uint32_t written_end;	/* offset past the highest byte written; 0: none */
};

struct vmem {
	struct vmem_region r[VMEM_REGIONS];
	size_t n;
};

void vmem_init(struct vmem *m);
void vmem_release(struct vmem *m);

/* Adds a region; ERR_INVALID when it overlaps another, leaves 32-bit space or is empty. */
int vmem_add(struct vmem *m, enum vmem_kind kind, uint32_t origin, uint32_t length);

/* The flash and RAM regions of a board's memory map. */
int vmem_add_board(struct vmem *m, const struct board *b);

/* A read or write of size 1, 2 or 4 bytes, little-endian; -1 where no region answers. */
int vmem_read(const struct vmem *m, uint32_t addr, unsigned size, uint32_t *value);
int vmem_write(struct vmem *m, uint32_t addr, unsigned size, uint32_t value);

/* The region holding addr, or NULL. */
struct vmem_region *vmem_find(struct vmem *m, uint32_t addr);

/* Erases flash, zeroes RAM, forgets what was written. */
void vmem_clear(struct vmem *m, enum vmem_kind kind);

/*
 * Writes what was written into the memories to path as an ELF32 RISC-V
 * executable: one loadable segment per region, from its origin up to
 * written_end. QEMU's generic loader takes an ELF of any size at its own
 * addresses, where a raw image is limited to the machine's RAM size (16 KiB
 * on sifive_e). Returns ERR_NOTFOUND when nothing was written.
 */
int vmem_dump_elf(const struct vmem *m, uint32_t entry, const char *path);

#endif
