/*
 * Process entry and exit on ARMv7-M, in the manner of Tock.
 *
 * The kernel runs in privileged thread mode on the main stack. To run a
 * process it loads the process's r4-r11 and psp and executes `svc 0xff`;
 * the SVC handler, seeing it came from the kernel, drops thread mode to
 * unprivileged and returns on the process stack, which pops the process's
 * frame. Any exception taken from the process (its own svc, an interrupt,
 * a fault) returns instead to the kernel's frame still waiting on the main
 * stack, so cm_switch_to_user() simply returns.
 */
#include "cm.h"

	.syntax unified
	.thumb
	.text

/* uint32_t cm_switch_to_user(uint32_t psp, uint32_t *regs): returns the new psp */
	.global cm_switch_to_user
	.type cm_switch_to_user, %function
	.thumb_func
cm_switch_to_user:
	push	{r4-r12, lr}		/* ten words keep the stack 8-byte aligned */
	msr	psp, r0
	ldmia	r1, {r4-r11}
	svc	0xff
	/* Back from the process; r1 came back from the kernel's frame. */
	stmia	r1, {r4-r11}
	mrs	r0, psp
	pop	{r4-r12, pc}

/* Common tail: r0 = trap reason; return to the kernel, privileged. */
	.type to_kernel, %function
	.thumb_func
to_kernel:
	ldr	r1, =cm_trap_reason
	str	r0, [r1]
	movs	r0, #0
	msr	control, r0
	isb
	ldr	lr, =0xfffffff9		/* thread mode, main stack */
	bx	lr

	.global cm_svc_handler
	.type cm_svc_handler, %function
	.thumb_func
cm_svc_handler:
	tst	lr, #4
	bne	1f
	/* From the kernel: enter the process, unprivileged. */
	movs	r0, #1
	msr	control, r0
	isb
	ldr	lr, =0xfffffffd		/* thread mode, process stack */
	bx	lr
1:	movs	r0, #CM_TRAP_SYSCALL
	b	to_kernel

	.global cm_systick_handler
	.type cm_systick_handler, %function
	.thumb_func
cm_systick_handler:
	movs	r1, #1
	ldr	r0, =cm_systick_fired
	str	r1, [r0]
	ldr	r0, =cm_irq_seen
	str	r1, [r0]
	tst	lr, #4
	beq	1f
	movs	r0, #CM_TRAP_INTERRUPT
	b	to_kernel
1:	bx	lr

/*
 * Every external interrupt: mask its line and leave the device to the
 * kernel loop (board_poll() unmasks it), so that no device code runs in
 * interrupt context.
 */
	.global cm_irq_handler
	.type cm_irq_handler, %function
	.thumb_func
cm_irq_handler:
	mrs	r0, ipsr
	subs	r0, r0, #16
	lsrs	r1, r0, #5		/* register index */
	and	r0, r0, #31
	movs	r2, #1
	lsls	r2, r2, r0
	ldr	r3, =0xe000e180		/* NVIC_ICER0 */
	str	r2, [r3, r1, lsl #2]
	movs	r1, #1
	ldr	r0, =cm_irq_seen
	str	r1, [r0]
	tst	lr, #4
	beq	1f
	movs	r0, #CM_TRAP_INTERRUPT
	b	to_kernel
1:	bx	lr

/*
 * HardFault, MemManage, BusFault, UsageFault, NMI. From a process: back to
 * the kernel, which reads the fault status registers. From the kernel (any
 * return value other than "thread mode, process stack"): panic.
 */
	.global cm_fault_handler
	.type cm_fault_handler, %function
	.thumb_func
cm_fault_handler:
	ldr	r0, =0xfffffffd
	cmp	lr, r0
	bne	1f
	mrs	r0, ipsr
	ldr	r1, =cm_fault_exception
	str	r0, [r1]
	movs	r0, #CM_TRAP_FAULT
	b	to_kernel
1:	mov	r0, sp			/* the frame the kernel faulted with */
	push	{r4-r11}
	mov	r1, sp
	mrs	r2, ipsr
	mov	r3, lr
	bl	cm_kernel_fault
	b	.

	.pool
