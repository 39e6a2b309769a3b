/* Reset: stack, trap vector, .data and .bss, then kernel_main(). */
	.section .text.reset, "ax"
	.global _reset
	.type _reset, @function
_reset:
	.option push
	.option norelax
	csrw	mie, zero
	csrw	mstatus, zero
	la	sp, __kernel_stack_top
	la	t0, rv_trap_entry
	csrw	mtvec, t0
	csrw	mscratch, zero		/* zero: "trapped from the kernel" */

	la	t0, __data_start
	la	t1, __data_end
	la	t2, __data_load
1:	bgeu	t0, t1, 2f
	lw	t3, 0(t2)
	sw	t3, 0(t0)
	addi	t0, t0, 4
	addi	t2, t2, 4
	j	1b
2:	la	t0, __bss_start
	la	t1, __bss_end
3:	bgeu	t0, t1, 4f
	sw	zero, 0(t0)
	addi	t0, t0, 4
	j	3b
4:	call	kernel_main
	j	.
	.option pop
