# SiFive FE310 (E31 core, RV32IMAC) as QEMU's sifive_e models it. 16 KiB of
# RAM in all: 10 KiB for apps (1 KiB blocks and up), 6 KiB for the kernel,
# on top so its stack overflow runs into no app. The memory map must match
# boards/qemu-sifive-e.yaml; the test script checks that it does.
ARCH := riscv32
BOARD_ARCH := riscv32

KERNEL_FLASH_ORIGIN := 0x20400000
KERNEL_FLASH_LENGTH := 0x00040000
APP_FLASH_ORIGIN    := 0x20440000
APP_FLASH_LENGTH    := 0x00040000
APP_RAM_ORIGIN      := 0x80000000
APP_RAM_LENGTH      := 0x00002800
KERNEL_RAM_ORIGIN   := 0x80002800
KERNEL_RAM_LENGTH   := 0x00001800

KERNEL_STACK_SIZE   := 1024
CONSOLE_RING_SIZE   := 512
