/*
 * The virtual board's test program for QEMU's sifive_e: prints a banner on
 * UART0 (0x10013000), then numbered tick lines forever, so a test can watch
 * a console that keeps talking (and vanishes mid-run on demand).
 */
	.equ UART0, 0x10013000
	.equ TXDATA, 0x00
	.equ TXCTRL, 0x08

	.section .text.start
	.globl _start
_start:
	la	sp, __stack_top
	li	s0, UART0
	li	t0, 1
	sw	t0, TXCTRL(s0)		/* txen */
	la	a0, banner
	call	puts
	li	s1, 0			/* tick count */
1:
	la	a0, tick
	call	puts
	mv	a0, s1
	call	putdec
	li	a0, '\n'
	call	putc
	addi	s1, s1, 1
	li	t0, 2000000		/* a few ms between ticks under TCG */
2:	addi	t0, t0, -1
	bnez	t0, 2b
	j	1b

/* putc(a0): waits while the transmit FIFO is full (txdata bit 31). */
putc:
	lw	t0, TXDATA(s0)
	bltz	t0, putc
	sw	a0, TXDATA(s0)
	ret

/* puts(a0): a NUL-terminated string. */
puts:
	mv	t2, ra
	mv	t1, a0
3:	lbu	a0, 0(t1)
	beqz	a0, 4f
	call	putc
	addi	t1, t1, 1
	j	3b
4:	mv	ra, t2
	ret

/* putdec(a0): unsigned decimal, at most 10 digits, via a stack buffer. */
putdec:
	addi	sp, sp, -32
	sw	ra, 28(sp)
	addi	t3, sp, 16		/* digits are stored backwards from here */
	li	t4, 10
	mv	t5, t3
5:	remu	t6, a0, t4
	addi	t6, t6, '0'
	addi	t5, t5, -1
	sb	t6, 0(t5)
	divu	a0, a0, t4
	bnez	a0, 5b
6:	lbu	a0, 0(t5)
	call	putc
	addi	t5, t5, 1
	bne	t5, t3, 6b
	lw	ra, 28(sp)
	addi	sp, sp, 32
	ret

	.section .rodata
banner:	.asciz	"rig-vboard-test: booted from flash\n"
tick:	.asciz	"tick "
