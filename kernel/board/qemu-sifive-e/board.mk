# SiFive FE310 (E31 core, RV32IMAC) as QEMU's sifive_e models it. 16 KiB of
# RAM in all: 10 KiB for apps (1 KiB blocks and up, from the bottom), 6 KiB
# for the kernel on top. The kernel stack is at the bottom of kernel RAM,
# over a 32-byte guard that a locked PMP entry makes untouchable even by
# the kernel, so an overflow panics instead of writing into app RAM. The
# memory map must match boards/qemu-sifive-e.yaml; the test script checks.
ARCH := riscv32
BOARD_ARCH := riscv32
SOC := fe310

KERNEL_FLASH_ORIGIN := 0x20400000
KERNEL_FLASH_LENGTH := 0x00040000
APP_FLASH_ORIGIN    := 0x20440000
APP_FLASH_LENGTH    := 0x00040000
APP_RAM_ORIGIN      := 0x80000000
APP_RAM_LENGTH      := 0x00002800
KERNEL_RAM_ORIGIN   := 0x80002800
KERNEL_RAM_LENGTH   := 0x00001800

KERNEL_STACK_SIZE   := 1024
TRAP_STACK_SIZE     := 256
STACK_GUARD_SIZE    := 32
CONSOLE_RING_SIZE   := 512

# QEMU 7.2 runs the CLINT at 10 MHz (from QEMU 8.1 on it is the 32768 Hz of
# the real board's RTC, and this must follow), and its UART needs pacing.
BOARD_CFLAGS := -DFE310_CLINT_HZ=10000000u -DFE310_PACED_TX=1
