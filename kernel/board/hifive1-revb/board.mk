# SiFive HiFive1 rev B: the FE310-G002, the SoC QEMU's sifive_e models, with
# 4 MiB of SPI flash at 0x20000000. Its bootloader occupies the first 64 KiB
# and jumps to 0x20010000, where this kernel starts (QEMU: -M
# sifive_e,revb=true starts there too). RAM as on qemu-sifive-e. The memory
# map must match boards/hifive1-revb.yaml; the test script checks.
ARCH := riscv32
BOARD_ARCH := riscv32
SOC := fe310

KERNEL_FLASH_ORIGIN := 0x20010000
KERNEL_FLASH_LENGTH := 0x00030000
APP_FLASH_ORIGIN    := 0x20040000
APP_FLASH_LENGTH    := 0x00040000
APP_RAM_ORIGIN      := 0x80000000
APP_RAM_LENGTH      := 0x00002800
KERNEL_RAM_ORIGIN   := 0x80002800
KERNEL_RAM_LENGTH   := 0x00001800

KERNEL_STACK_SIZE   := 1024
TRAP_STACK_SIZE     := 256
STACK_GUARD_SIZE    := 32
CONSOLE_RING_SIZE   := 512

# mtime counts the 32768 Hz RTC clock; under QEMU (7.2: 10 MHz) the QEMU
# command line says so with a note in RAM (soc/fe310/fe310.c).
BOARD_CFLAGS := -DFE310_CLINT_HZ=32768u -DFE310_QEMU_NOTE
