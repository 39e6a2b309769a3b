# Nordic nRF52840-DK: the nRF52840 (Cortex-M4F at 64 MHz, 1 MiB flash, 256
# KiB RAM), laid out as Tock lays it out. The memory map must match
# boards/nrf52840dk.yaml; the test script checks.
ARCH := cortex-m
BOARD_ARCH := arm
CM_CPU := cortex-m4

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

# 48 interrupt lines; the kernel uses UARTE0 (2) and RTC1 (17).
BOARD_CFLAGS := -DCM_EXTERNAL_IRQS=48
