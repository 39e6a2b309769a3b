#!/usr/bin/env bash
# Builds the ELF fixtures of rig size's tests from app.c into OUTDIR:
#   cm3.elf         Cortex-M3 (arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb), little-endian
#   cm3-table.elf   the same with a 3 KiB const table more (big_table)
#   cm3-renum.elf   cm3.elf with its clones renumbered, as a rebuild may do
#   cm3-be.elf      Cortex-M3, big-endian (BE8)
#   cm3-stripped.elf  cm3.elf without its symbol table
#   rv32.elf        RV32IMAC (riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32)
#   rv32-table.elf  the same with the 3 KiB table
#   rv64.elf        RV64IMAC, a 64-bit cross image
#   host64.elf      the build machine's own (x86-64) program
# Every cross image uses flash-ram.ld.in: .data in RAM loaded from flash.
# usage: build-fixtures.sh [SRCDIR] OUTDIR
set -euo pipefail
if [ $# -eq 2 ]; then src=$1; out=$2; else src=$(cd "$(dirname "$0")" && pwd); out=$1; fi
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -e 's/@FLASH@/0x00000000/; s/@RAM@/0x20000000/' "$src/flash-ram.ld.in" > "$tmp/cm3.ld"
sed -e 's/@FLASH@/0x20400000/; s/@RAM@/0x80000000/' "$src/flash-ram.ld.in" > "$tmp/rv.ld"

# No libc: the loops in Reset_Handler must not become memcpy/memset calls.
common=(-O2 -g -ffreestanding -ffunction-sections -fdata-sections
	-fno-tree-loop-distribute-patterns -nostdlib -Wl,--gc-sections)
arm=(arm-none-eabi-gcc "${common[@]}" -mcpu=cortex-m3 -mthumb -T "$tmp/cm3.ld")
rv32=(riscv64-unknown-elf-gcc "${common[@]}" -march=rv32imac_zicsr -mabi=ilp32 -T "$tmp/rv.ld")
rv64=(riscv64-unknown-elf-gcc "${common[@]}" -march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany
	-T "$tmp/rv.ld")

"${arm[@]}" "$src/app.c" -o "$tmp/cm3.elf" -lgcc
"${arm[@]}" -DWITH_TABLE "$src/app.c" -o "$tmp/cm3-table.elf" -lgcc
"${arm[@]}" -mbig-endian "$src/app.c" -o "$tmp/cm3-be.elf" -lgcc
"${rv32[@]}" "$src/app.c" -o "$tmp/rv32.elf" -lgcc
"${rv32[@]}" -DWITH_TABLE "$src/app.c" -o "$tmp/rv32-table.elf" -lgcc
"${rv64[@]}" "$src/app.c" -o "$tmp/rv64.elf" -lgcc
${CC_HOST:-gcc} -O2 -g -DHOSTED "$src/app.c" -o "$tmp/host64.elf"
arm-none-eabi-strip -o "$tmp/cm3-stripped.elf" "$tmp/cm3.elf"

# A rebuild that numbers its clones differently (and combines suffixes).
renames=()
for sym in $(arm-none-eabi-nm "$tmp/cm3.elf" | awk '$3 ~ /\.(constprop|isra)\.[0-9]+$/ { print $3 }'); do
	case $sym in
	*.isra.*) renames+=(--redefine-sym "$sym=${sym}.constprop.3") ;;
	*) renames+=(--redefine-sym "$sym=${sym%.*}.7") ;;
	esac
done
if [ ${#renames[@]} -eq 0 ]; then
	echo "build-fixtures: GCC made no .constprop/.isra clones in cm3.elf" >&2
	exit 1
fi
arm-none-eabi-objcopy "${renames[@]}" "$tmp/cm3.elf" "$tmp/cm3-renum.elf"

for f in "$tmp"/*.elf; do
	mv -f "$f" "$out/"
done
