# Cortex-M3 (ARMv7-M), Thumb-2, no FPU; a board may name another core of
# the same profile (CM_CPU := cortex-m4: its FPU stays off, unused).
CROSS ?= arm-none-eabi-
CM_CPU ?= cortex-m3
ARCH_CFLAGS := -mcpu=$(CM_CPU) -mthumb -mfloat-abi=soft
# Apps: code and read-only data are reached PC-relative, everything in RAM
# through the GOT at r9, so neither address needs to be known at link time.
APP_ARCH_CFLAGS := -fPIC -msingle-pic-base -mpic-register=r9 -mno-pic-data-is-text-relative
LIBGCC := $(shell $(CROSS)gcc $(ARCH_CFLAGS) -print-libgcc-file-name)
