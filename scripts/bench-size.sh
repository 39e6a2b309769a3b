#!/usr/bin/env bash
# Times `rig size --base BASE NEW` next to what it replaces, `size -A` on
# both images plus `nm -S` on each, and prints the figures.
#
# usage: scripts/bench-size.sh [BASE NEW]
#
# Without a pair it measures the largest pairs available:
#   - a generated Cortex-M3 firmware of $BENCH_FUNCTIONS functions (default
#     4000; a kernel with its drivers and apps is smaller), before and after
#     a change that adds a 3 KiB table and grows a few functions;
#   - the two largest ELF files under $RIG_SIZE_ELF_DIR, when it is set
#     (e.g. the kernel build output of every board);
#   - rig itself, the gcc build against the sanitized clang build, when
#     both are built (the largest ELF files in this tree, ~10^4 symbols).
# Uses hyperfine when installed (scripts/install-deps.sh installs it), else
# repeated runs timed with date +%s%N.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rig=${RIG:-$root/build/rig/rig}
runs=${BENCH_RUNS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$rig" ]; then
	echo "bench-size: $rig is not built; run make first" >&2
	exit 2
fi

# The binutils that know an image's machine best.
tool_prefix() {
	case $(readelf -h "$1" | sed -n 's/^ *Machine: *//p') in
	ARM) echo arm-none-eabi- ;;
	RISC-V) echo riscv64-unknown-elf- ;;
	*) echo "" ;;
	esac
}

# mean_ms COMMAND: the mean wall time of a shell command, in milliseconds, with its spread.
mean_ms() {
	if command -v hyperfine >/dev/null 2>&1; then
		# Its warnings (short commands, a cold first run) go to stderr: the figures say enough.
		hyperfine --style none --warmup 3 --runs "$runs" --export-json "$work/h.json" "$1" \
			>/dev/null 2>&1
		python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%8.2f ms ± %6.2f   median %8.2f   min %8.2f   (%d runs)" % (r["mean"] * 1e3,
      r["stddev"] * 1e3, r["median"] * 1e3, r["min"] * 1e3, len(r["times"])))' "$work/h.json"
	else
		local t0 t1 i
		for i in 1 2 3; do bash -c "$1"; done
		t0=$(date +%s%N)
		for ((i = 0; i < runs; i++)); do bash -c "$1"; done
		t1=$(date +%s%N)
		awk -v ns=$((t1 - t0)) -v n="$runs" \
			'BEGIN { printf "%8.2f ms (mean of %d runs, date +%%s%%N, bash start-up included)\n", ns / n / 1e6, n }'
	fi
}

bench_pair() {
	local label=$1 base=$2 new=$3 p q
	p=$(tool_prefix "$new")
	q=$(printf '%q' "$base")' '$(printf '%q' "$new")
	printf '\n%s\n' "$label"
	printf '  base %s (%s bytes), new %s (%s bytes)\n' "$base" "$(stat -c %s "$base")" \
		"$new" "$(stat -c %s "$new")"
	printf '  symbols (nm -S, sized): %s and %s\n' \
		"$("${p}nm" -S "$base" 2>/dev/null | awk 'NF == 4' | wc -l)" \
		"$("${p}nm" -S "$new" 2>/dev/null | awk 'NF == 4' | wc -l)"
	printf '  %-52s %s\n' "rig size --base" \
		"$(mean_ms "$(printf '%q' "$rig") size --base $q >/dev/null")"
	printf '  %-52s %s\n' "rig size --base --json --symbols all" \
		"$(mean_ms "$(printf '%q' "$rig") size --json --symbols all --base $q >/dev/null")"
	printf '  %-52s %s\n' "${p}size -A + ${p}nm -S (both)" \
		"$(mean_ms "${p}size -A $q >/dev/null; ${p}nm -S $(printf '%q' "$base") >/dev/null; ${p}nm -S $(printf '%q' "$new") >/dev/null")"
}

# A firmware with many functions of varied sizes, kept by a table of pointers.
synthetic_pair() {
	local n=${BENCH_FUNCTIONS:-4000}
	python3 - "$n" "$work/fw.c" <<'PY'
import sys
n, out = int(sys.argv[1]), sys.argv[2]
with open(out, "w") as f:
    f.write("#include <stdint.h>\nvolatile uint32_t sink;\n")
    f.write("#ifdef CHANGED\nconst uint8_t added_table[3072] = { 1 };\n#endif\n")
    for i in range(n):
        f.write("static uint32_t state_%d[%d];\n" % (i, 1 + i % 7))
        f.write("const uint16_t table_%d[%d] = { %d };\n" % (i, 2 + i % 13, i))
        body = "".join("    case %d: x = x * %d + table_%d[%d] + state_%d[%d]++; break;\n"
                       % (k, 3 + k, i, k % (2 + i % 13), i, k % (1 + i % 7))
                       for k in range(1 + i % 9))
        grow = "#ifdef CHANGED\n    if (x == %d) sink = x;\n#endif\n" % i if i % 500 == 0 else ""
        f.write("uint32_t fn_%d(uint32_t x)\n{\n%s  switch (x & 15) {\n%s  }\n  return x;\n}\n"
                % (i, grow, body))
    f.write("uint32_t (*const fns[])(uint32_t) = {\n%s};\n"
            % "".join("  fn_%d,\n" % i for i in range(n)))
    f.write("void Reset_Handler(void)\n{\n  uint32_t x = sink;\n"
            "  for (unsigned i = 0; i < %d; i++)\n    x = fns[i](x);\n"
            "#ifdef CHANGED\n  x += added_table[x & 1023];\n#endif\n  sink = x;\n  for (;;)\n    ;\n}\n" % n)
PY
	cat > "$work/fw.ld" <<'LD'
MEMORY { FLASH (rx) : ORIGIN = 0, LENGTH = 4M  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 1M }
ENTRY(Reset_Handler)
SECTIONS {
	.text : { *(.text .text.*) } > FLASH
	.rodata : { *(.rodata .rodata.*) } > FLASH
	.data : { *(.data .data.*) } > RAM AT> FLASH
	.bss (NOLOAD) : { *(.bss .bss.* COMMON) } > RAM
}
LD
	local cc=(arm-none-eabi-gcc -O2 -g -mcpu=cortex-m3 -mthumb -ffunction-sections -fdata-sections
		  -ffreestanding -nostdlib -T "$work/fw.ld")
	"${cc[@]}" "$work/fw.c" -o "$work/fw-base.elf" -lgcc
	"${cc[@]}" -DCHANGED "$work/fw.c" -o "$work/fw-new.elf" -lgcc
}

echo "rig size benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $rig"
if [ $# -eq 2 ]; then
	bench_pair "given pair" "$1" "$2"
	exit 0
fi
if [ $# -ne 0 ]; then
	sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
fi

synthetic_pair
bench_pair "generated Cortex-M3 firmware, ${BENCH_FUNCTIONS:-4000} functions (+3 KiB table)" \
	"$work/fw-base.elf" "$work/fw-new.elf"

if [ -n "${RIG_SIZE_ELF_DIR:-}" ]; then
	mapfile -t big < <(find "$RIG_SIZE_ELF_DIR" -type f -printf '%s %p\n' | sort -rn |
		while read -r _ f; do [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"; done |
		head -2)
	if [ ${#big[@]} -eq 2 ]; then
		bench_pair "largest pair under RIG_SIZE_ELF_DIR" "${big[1]}" "${big[0]}"
	fi
fi

if [ -f "$root/build/rig/rig" ] && [ -f "$root/build-test/rig/rig" ]; then
	bench_pair "rig itself: gcc build -> clang ASan build" "$root/build/rig/rig" "$root/build-test/rig/rig"
fi
