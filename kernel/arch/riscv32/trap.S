/*
 * Process entry and trap handling on RISC-V.
 *
 * The kernel runs in machine mode with interrupts off (mstatus.MIE = 0);
 * processes run in user mode, where machine interrupts are always taken.
 * mscratch tells the trap vector where it came from: zero while the kernel
 * runs, the process's context while a process runs. A trap from a process
 * saves all of its registers there and returns from rv_switch_to_user() on
 * the kernel's stack; a trap from the kernel is a kernel fault.
 */
#include "arch_context.h"

	.text

/* void rv_switch_to_user(struct arch_context *ctx) */
	.global rv_switch_to_user
	.type rv_switch_to_user, @function
rv_switch_to_user:
	addi	sp, sp, -64
	sw	ra, 0(sp)
	sw	s0, 4(sp)
	sw	s1, 8(sp)
	sw	s2, 12(sp)
	sw	s3, 16(sp)
	sw	s4, 20(sp)
	sw	s5, 24(sp)
	sw	s6, 28(sp)
	sw	s7, 32(sp)
	sw	s8, 36(sp)
	sw	s9, 40(sp)
	sw	s10, 44(sp)
	sw	s11, 48(sp)
	sw	gp, 52(sp)
	sw	tp, 56(sp)
	sw	sp, CTX_KSP(a0)
	csrw	mscratch, a0

	lw	t0, CTX_PC(a0)
	csrw	mepc, t0
	li	t0, 0x1800		/* mstatus.MPP = user */
	csrc	mstatus, t0

	lw	x1, 4(a0)
	lw	x2, 8(a0)
	lw	x3, 12(a0)
	lw	x4, 16(a0)
	lw	x5, 20(a0)
	lw	x6, 24(a0)
	lw	x7, 28(a0)
	lw	x8, 32(a0)
	lw	x9, 36(a0)
	lw	x11, 44(a0)
	lw	x12, 48(a0)
	lw	x13, 52(a0)
	lw	x14, 56(a0)
	lw	x15, 60(a0)
	lw	x16, 64(a0)
	lw	x17, 68(a0)
	lw	x18, 72(a0)
	lw	x19, 76(a0)
	lw	x20, 80(a0)
	lw	x21, 84(a0)
	lw	x22, 88(a0)
	lw	x23, 92(a0)
	lw	x24, 96(a0)
	lw	x25, 100(a0)
	lw	x26, 104(a0)
	lw	x27, 108(a0)
	lw	x28, 112(a0)
	lw	x29, 116(a0)
	lw	x30, 120(a0)
	lw	x31, 124(a0)
	lw	x10, 40(a0)
	mret

	.align 2
	.global rv_trap_entry
	.type rv_trap_entry, @function
rv_trap_entry:
	csrrw	sp, mscratch, sp
	beqz	sp, from_kernel
	/* sp = the process's context, mscratch = its stack pointer */
	sw	x1, 4(sp)
	sw	x3, 12(sp)
	sw	x4, 16(sp)
	sw	x5, 20(sp)
	sw	x6, 24(sp)
	sw	x7, 28(sp)
	sw	x8, 32(sp)
	sw	x9, 36(sp)
	sw	x10, 40(sp)
	sw	x11, 44(sp)
	sw	x12, 48(sp)
	sw	x13, 52(sp)
	sw	x14, 56(sp)
	sw	x15, 60(sp)
	sw	x16, 64(sp)
	sw	x17, 68(sp)
	sw	x18, 72(sp)
	sw	x19, 76(sp)
	sw	x20, 80(sp)
	sw	x21, 84(sp)
	sw	x22, 88(sp)
	sw	x23, 92(sp)
	sw	x24, 96(sp)
	sw	x25, 100(sp)
	sw	x26, 104(sp)
	sw	x27, 108(sp)
	sw	x28, 112(sp)
	sw	x29, 116(sp)
	sw	x30, 120(sp)
	sw	x31, 124(sp)
	csrr	t0, mscratch
	sw	t0, 8(sp)
	csrr	t0, mepc
	sw	t0, CTX_PC(sp)
	csrr	t0, mcause
	sw	t0, CTX_MCAUSE(sp)
	csrr	t0, mtval
	sw	t0, CTX_MTVAL(sp)
	csrw	mscratch, zero

	lw	sp, CTX_KSP(sp)
	lw	ra, 0(sp)
	lw	s0, 4(sp)
	lw	s1, 8(sp)
	lw	s2, 12(sp)
	lw	s3, 16(sp)
	lw	s4, 20(sp)
	lw	s5, 24(sp)
	lw	s6, 28(sp)
	lw	s7, 32(sp)
	lw	s8, 36(sp)
	lw	s9, 40(sp)
	lw	s10, 44(sp)
	lw	s11, 48(sp)
	lw	gp, 52(sp)
	lw	tp, 56(sp)
	addi	sp, sp, 64
	ret

from_kernel:
	/*
	 * A kernel fault: sp is 0, mscratch the kernel's stack pointer. Take the
	 * trap stack, since the fault may be that the kernel stack overflowed.
	 */
	la	sp, __trap_stack_top
	addi	sp, sp, -144
	sw	x1, 4(sp)
	sw	x3, 12(sp)
	sw	x4, 16(sp)
	sw	x5, 20(sp)
	sw	x6, 24(sp)
	sw	x7, 28(sp)
	sw	x8, 32(sp)
	sw	x9, 36(sp)
	sw	x10, 40(sp)
	sw	x11, 44(sp)
	sw	x12, 48(sp)
	sw	x13, 52(sp)
	sw	x14, 56(sp)
	sw	x15, 60(sp)
	sw	x16, 64(sp)
	sw	x17, 68(sp)
	sw	x18, 72(sp)
	sw	x19, 76(sp)
	sw	x20, 80(sp)
	sw	x21, 84(sp)
	sw	x22, 88(sp)
	sw	x23, 92(sp)
	sw	x24, 96(sp)
	sw	x25, 100(sp)
	sw	x26, 104(sp)
	sw	x27, 108(sp)
	sw	x28, 112(sp)
	sw	x29, 116(sp)
	sw	x30, 120(sp)
	sw	x31, 124(sp)
	csrrw	t0, mscratch, zero	/* the kernel's stack pointer; mscratch 0 again */
	sw	t0, 8(sp)
	csrr	t0, mepc
	sw	t0, 0(sp)
	csrr	t0, mcause
	sw	t0, 128(sp)
	csrr	t0, mtval
	sw	t0, 132(sp)
	mv	a0, sp
	call	rv_kernel_trap
	j	.
