/*
 * What the kernel keeps of a RISC-V process while it is not running: all
 * of its registers. trap.S reaches the fields by the offsets below.
 */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#define CTX_PC      0      /* regs[0]: x0 is always zero, so its slot holds pc */
#define CTX_MCAUSE  128
#define CTX_MTVAL   132
#define CTX_KSP     136

/*
 * PMP entries (the board says how many the core has, and its granule):
 * 0 the app image, 1-2 its RAM (top of range), the last a locked guard under
 * the kernel stack, the rest for IPC shares.
 */
#ifndef PMP_ENTRIES
#define PMP_ENTRIES 8
#endif
#ifndef PMP_GRANULE
#define PMP_GRANULE 4
#endif
#define ARCH_SHARE_REGIONS (PMP_ENTRIES - 4)

#ifndef __ASSEMBLER__
#include <stdint.h>

struct arch_context {
	uint32_t regs[32];     /* regs[i] = x_i, regs[0] = pc */
	uint32_t mcause;       /* of the trap that stopped the process */
	uint32_t mtval;
	uint32_t kernel_sp;    /* the kernel's stack while the process runs */
};

_Static_assert(__builtin_offsetof(struct arch_context, mcause) == CTX_MCAUSE, "trap.S offsets");
_Static_assert(__builtin_offsetof(struct arch_context, mtval) == CTX_MTVAL, "trap.S offsets");
_Static_assert(__builtin_offsetof(struct arch_context, kernel_sp) == CTX_KSP, "trap.S offsets");
#endif

#endif
