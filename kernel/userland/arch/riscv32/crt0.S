/*
 * App entry on RISC-V. The kernel starts us with
 *   a0 = image start (flash), a1 = RAM start, a2 = RAM size, a3 = break.
 * Set gp (through which all of .data and .bss is reached), copy .data,
 * clear .bss, apply the relocation table tbftool appended after the .data
 * image (doc/image.md), run main() and exit with what it returns.
 */
	.section .crt0, "ax"
	.global _start
	.type _start, @function
_start:
	.option push
	.option norelax
	mv	s0, a0			/* flash base */
	mv	s1, a1			/* RAM base */
	lui	t0, %hi(__gp_offset)
	addi	t0, t0, %lo(__gp_offset)
	add	gp, s1, t0

	lui	t0, %hi(__data_ram_offset)
	addi	t0, t0, %lo(__data_ram_offset)
	add	t0, t0, s1		/* destination */
	lui	t1, %hi(__data_load_offset)
	addi	t1, t1, %lo(__data_load_offset)
	add	t1, t1, s0		/* source */
	lui	t2, %hi(__data_size)
	addi	t2, t2, %lo(__data_size)
1:	beqz	t2, 2f
	lw	t3, 0(t1)
	sw	t3, 0(t0)
	addi	t0, t0, 4
	addi	t1, t1, 4
	addi	t2, t2, -4
	j	1b

2:	lui	t0, %hi(__bss_ram_offset)
	addi	t0, t0, %lo(__bss_ram_offset)
	add	t0, t0, s1
	lui	t2, %hi(__bss_size)
	addi	t2, t2, %lo(__bss_size)
3:	beqz	t2, 4f
	sw	zero, 0(t0)
	addi	t0, t0, 4
	addi	t2, t2, -4
	j	3b

	/* t1 points just past the .data image: the relocation count, then entries. */
4:	lw	t2, 0(t1)
	addi	t1, t1, 4
5:	beqz	t2, 7f
	lw	t3, 0(t1)
	addi	t1, t1, 4
	andi	t4, t3, -4		/* offset into RAM */
	add	t4, t4, s1
	andi	t5, t3, 1		/* 1: points into flash, 0: into RAM */
	mv	t6, s1
	beqz	t5, 6f
	mv	t6, s0
6:	lw	t5, 0(t4)
	add	t5, t5, t6
	sw	t5, 0(t4)
	addi	t2, t2, -1
	j	5b

7:	call	main
	mv	a1, a0
	li	a0, 0			/* EXIT_TERMINATE */
	li	a4, 6			/* SYS_EXIT */
	ecall
	j	.
	.option pop
