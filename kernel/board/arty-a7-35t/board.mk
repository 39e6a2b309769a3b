# Digilent Arty A7-35T with a LiteX SoC around a VexRiscv core (RV32IMC,
# PMP), the SoC Tock's litex_arty board targets: LiteX UART and timer0 at
# the CSR addresses of Tock's litex_generated_constants.rs, 100 MHz system
# clock. Everything lives in the board's DDR (LiteX main_ram at 0x40000000,
# initialized by the LiteX BIOS after the bitstream loads): the "flash"
# regions too, which OpenOCD writes like RAM. The memory map must match
# boards/arty-a7-35t.yaml; the test script checks.
ARCH := riscv32
BOARD_ARCH := riscv32
RV_MARCH := rv32imc
RV_LIBGCC_MARCH := rv32im

KERNEL_FLASH_ORIGIN := 0x40000000
KERNEL_FLASH_LENGTH := 0x00040000
APP_FLASH_ORIGIN    := 0x40040000
APP_FLASH_LENGTH    := 0x00040000
KERNEL_RAM_ORIGIN   := 0x40100000
KERNEL_RAM_LENGTH   := 0x00010000
APP_RAM_ORIGIN      := 0x40200000
APP_RAM_LENGTH      := 0x00040000

KERNEL_STACK_SIZE   := 2048
TRAP_STACK_SIZE     := 256
STACK_GUARD_SIZE    := 32
CONSOLE_RING_SIZE   := 1024

# VexRiscv's PmpPlugin as LiteX configures its secure variants: 16
# entries, 32-byte granule.
BOARD_CFLAGS := -DPMP_ENTRIES=16 -DPMP_GRANULE=32

# The bitstream is not built here (that takes Vivado): the build copies
# gateware/arty.bit from this folder into its output when it is there,
# for the rig's fpga step (boards/arty-a7-35t.yaml).
FPGA_BITSTREAM := gateware/arty.bit
