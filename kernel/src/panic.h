/*
 * Kernel panics: the kernel itself broke an invariant or faulted. The
 * console gets everything still queued, then `kernel: panic: <reason>` and
 * the registers, and the CPU stops.
 */
#ifndef PANIC_H
#define PANIC_H

#include <stdint.h>

struct panic_regs {
	uint32_t count;
	const char *const *names;
	const uint32_t *values;
};

/* regs may be NULL when there is no trap frame to show. */
_Noreturn void kernel_panic(const char *reason, const struct panic_regs *regs);

#endif
