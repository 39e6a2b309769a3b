/*
 * What the portable kernel needs from the CPU architecture (arch/<arch>/).
 *
 * The kernel runs as an ordinary loop; arch_run() drops into one process,
 * unprivileged and confined to its memory, and comes back when the process
 * makes a system call, faults, or an interrupt arrives. The process's
 * registers stay in p->ctx (and, on Cortex-M, in the frame the hardware
 * pushed on the process stack) until it runs again.
 */
#ifndef ARCH_H
#define ARCH_H

#include "kernel.h"

enum trap {
	TRAP_SYSCALL,
	TRAP_INTERRUPT,   /* an interrupt arrived; the process can simply go on */
	TRAP_FAULT,
};

struct fault_info {
	const char *reason;
	uint32_t addr;
};

void arch_init(void);

/* Set up p to start at entry with the given stack pointer and arguments. */
void arch_process_start(struct process *p, uint32_t entry, uint32_t sp,
			const uint32_t args[4]);

/* Run p until it traps. Programs the MPU/PMP for p (and its shares) first. */
enum trap arch_run(struct process *p);

/* After TRAP_SYSCALL: the class and the four arguments. */
void arch_syscall_args(const struct process *p, uint32_t *class, uint32_t args[4]);

/* Make the pending system call of p return r. */
void arch_syscall_return(struct process *p, struct syscall_ret r);

/*
 * Make p, stopped in a system call, run fn(args[0..3]) next; when fn
 * returns, p goes on after that system call.
 */
void arch_upcall(struct process *p, uint32_t fn, const uint32_t args[4]);

/*
 * IPC shares (p->shares, at most ARCH_SHARE_REGIONS of them) are mapped
 * read-write, never executable, one protection region each: a share must be
 * a power of two of at least arch_share_min() bytes, aligned to its size.
 */
uint32_t arch_share_min(void);

/*
 * The highest break at or below limit that the MPU/PMP can hold p to: p
 * can touch nothing at or above it.
 */
uint32_t arch_break_limit(const struct process *p, uint32_t limit);

/* After TRAP_FAULT: why and where. */
void arch_fault_info(const struct process *p, struct fault_info *out);

/*
 * Whether an interrupt handler ran in kernel mode since the last clear: the
 * kernel loop clears it before polling the devices and, when it has nothing
 * to run, sleeps only if it is still clear.
 */
bool arch_irq_seen(void);
void arch_irq_seen_clear(void);

/* Interrupt masking for the idle check; does not nest. */
void arch_irq_disable(void);
void arch_irq_enable(void);
/* Sleep until an interrupt is pending (works with interrupts masked). */
void arch_wait_for_interrupt(void);

/* Stop the CPU for good, interrupts off (after a panic). */
_Noreturn void arch_halt(void);

#endif
