/*
 * The kernel's link, for every board: run through the C preprocessor with
 * the board's memory map (board/<board>/board.mk) defined.
 */
MEMORY
{
	FLASH (rx) : ORIGIN = KERNEL_FLASH_ORIGIN, LENGTH = KERNEL_FLASH_LENGTH
	RAM (rwx)  : ORIGIN = KERNEL_RAM_ORIGIN, LENGTH = KERNEL_RAM_LENGTH
}

ENTRY(ENTRY_POINT)

SECTIONS
{
	.text : {
		KEEP(*(.vectors))
		KEEP(*(.text.reset))
		*(.text .text.*)
		*(.rodata .rodata.* .srodata .srodata.*)
		. = ALIGN(4);
	} > FLASH

	/*
	 * The stack first: overflowing it runs off the start of kernel RAM, not
	 * into kernel data. Boards that can trap that (RISC-V: a locked PMP
	 * entry on the guard) put a stack for the trap handler below it.
	 */
	.stack (NOLOAD) : {
		. = ALIGN(32);
		. += TRAP_STACK_SIZE;
		__trap_stack_top = .;
		__stack_guard = .;
		. += STACK_GUARD_SIZE;
		. += KERNEL_STACK_SIZE;
		__kernel_stack_top = .;
	} > RAM

	.data : {
		__data_start = .;
		*(.data .data.* .sdata .sdata.*)
		. = ALIGN(4);
		__data_end = .;
	} > RAM AT > FLASH
	__data_load = LOADADDR(.data);

	.bss (NOLOAD) : {
		__bss_start = .;
		*(.bss .bss.* .sbss .sbss.* COMMON)
		. = ALIGN(4);
		__bss_end = .;
	} > RAM

	__kernel_flash_end = LOADADDR(.data) + SIZEOF(.data);

	/DISCARD/ : { *(.ARM.exidx* .ARM.extab* .comment .note* .eh_frame*) }
}

ASSERT(__kernel_flash_end <= APP_FLASH_ORIGIN, "the kernel runs into the app region")
