/*
 * App entry on Cortex-M. The kernel starts us with
 *   r0 = image start (flash), r1 = RAM start, r2 = RAM size, r3 = break.
 * Set r9 to the GOT, copy .data, clear .bss, apply the relocation table
 * tbftool appended after the .data image (doc/image.md), run main() and
 * exit with what it returns. Only link-time offsets are used here, never
 * link-time addresses, so this code is the same wherever it runs.
 */
	.syntax unified
	.thumb
	.section .crt0, "ax"
	.global _start
	.type _start, %function
	.thumb_func
_start:
	mov	r4, r0			/* flash base */
	mov	r5, r1			/* RAM base */
	ldr	r6, =__got_offset
	add	r9, r5, r6

	ldr	r0, =__data_ram_offset
	add	r0, r0, r5
	ldr	r1, =__data_load_offset
	add	r1, r1, r4
	ldr	r2, =__data_size
1:	cbz	r2, 2f
	ldr	r3, [r1], #4
	str	r3, [r0], #4
	subs	r2, r2, #4
	b	1b

2:	ldr	r0, =__bss_ram_offset
	add	r0, r0, r5
	ldr	r2, =__bss_size
	movs	r3, #0
3:	cbz	r2, 4f
	str	r3, [r0], #4
	subs	r2, r2, #4
	b	3b

	/* r1 points just past the .data image: the relocation count, then entries. */
4:	ldr	r2, [r1], #4
5:	cbz	r2, 6f
	ldr	r3, [r1], #4
	bic	r0, r3, #3		/* offset into RAM */
	add	r0, r0, r5
	tst	r3, #1			/* 1: points into flash, 0: into RAM */
	ite	ne
	movne	r6, r4
	moveq	r6, r5
	ldr	r7, [r0]
	add	r7, r7, r6
	str	r7, [r0]
	subs	r2, r2, #1
	b	5b

6:	bl	main
	mov	r1, r0
	movs	r0, #0			/* EXIT_TERMINATE */
	svc	6
	b	.

	.pool
