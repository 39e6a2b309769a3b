# RV32IMAC, machine mode kernel, user mode processes.
CROSS ?= riscv64-unknown-elf-
ARCH_CFLAGS := -march=rv32imac_zicsr -mabi=ilp32 -mcmodel=medany
# Apps: code and read-only data PC-relative; .data and .bss reached through
# gp (linker relaxation), the symbols hidden so that nothing goes through a
# GOT. Tables of pointers land in writable .data.rel*, which crt0 relocates.
APP_ARCH_CFLAGS := -fPIE -include $(SRC)/userland/arch/riscv32/hidden.h
# The multilib matching does not know _zicsr; the rv32imac libgcc is the one.
LIBGCC := $(shell $(CROSS)gcc -march=rv32imac -mabi=ilp32 -print-libgcc-file-name)
