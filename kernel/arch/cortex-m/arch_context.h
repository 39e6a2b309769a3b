/*
 * What the kernel keeps of a Cortex-M process while it is not running.
 * r0-r3, r12, lr, pc and xPSR are in the frame the hardware pushed at psp.
 */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include <stdint.h>

/* PMSAv7 has 8 regions: 0 the app image, 1 its RAM, the rest for IPC shares. */
#define ARCH_SHARE_REGIONS 6

struct arch_context {
	uint32_t psp;
	uint32_t r4_r11[8];
	/* Captured at a fault, for arch_fault_info(). */
	uint32_t fault_exception;
	uint32_t cfsr, hfsr, mmfar, bfar;
};

#endif
