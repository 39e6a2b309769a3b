# ARM MPS2 with the AN385 FPGA image (Cortex-M3), as QEMU's mps2-an385
# models it. The memory map must match boards/qemu-mps2-an385.yaml; the test
# script checks that it does.
ARCH := cortex-m
BOARD_ARCH := arm

KERNEL_FLASH_ORIGIN := 0x00000000
KERNEL_FLASH_LENGTH := 0x00040000
APP_FLASH_ORIGIN    := 0x00040000
APP_FLASH_LENGTH    := 0x00040000
KERNEL_RAM_ORIGIN   := 0x20000000
KERNEL_RAM_LENGTH   := 0x00008000
APP_RAM_ORIGIN      := 0x20008000
APP_RAM_LENGTH      := 0x00038000

KERNEL_STACK_SIZE   := 2048
CONSOLE_RING_SIZE   := 1024
