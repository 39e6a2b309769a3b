# RV32IMAC, machine mode kernel, user mode processes. A core without the
# A extension sets RV_MARCH := rv32imc (the kernel uses no atomics) and
# RV_LIBGCC_MARCH := rv32im (the nearest multilib of Debian's toolchain).
CROSS ?= riscv64-unknown-elf-
RV_MARCH ?= rv32imac
RV_LIBGCC_MARCH ?= rv32imac
ARCH_CFLAGS := -march=$(RV_MARCH)_zicsr -mabi=ilp32 -mcmodel=medany
# Apps: code and read-only data PC-relative; .data and .bss reached through
# gp (linker relaxation), the symbols hidden so that nothing goes through a
# GOT. Tables of pointers land in writable .data.rel*, which crt0 relocates.
APP_ARCH_CFLAGS := -fPIE -include $(SRC)/userland/arch/riscv32/hidden.h
# The multilib matching does not know _zicsr: name the libgcc to use.
LIBGCC := $(shell $(CROSS)gcc -march=$(RV_LIBGCC_MARCH) -mabi=ilp32 -print-libgcc-file-name)
