#!/usr/bin/env bash
# Builds the kernel and every app for every board with a kernel port, the
# boards that only build here (no QEMU) included, the way each board
# file's recipe does (make -C kernel BOARD=... O=...). Prints TAP: per
# board, that it builds and that its memory map matches boards/BOARD.yaml,
# with the kernel's text/data/bss as a diagnostic.
#
#   scripts/kernel-build-boards.sh [-j N] [-o DIR] [BOARD...]
#
# BOARD defaults to every folder under kernel/board/. -o is where builds go
# (default build/kernel-boards).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
out="$root/build/kernel-boards"
boards=()

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-j) jobs=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "kernel-build-boards: unknown option $1" >&2; usage ;;
	*) boards+=("$1"); shift ;;
	esac
done
if [ ${#boards[@]} -eq 0 ]; then
	for d in "$root"/kernel/board/*/; do
		boards+=("$(basename "$d")")
	done
fi

python=/usr/bin/python3
if ! "$python" -c 'import yaml' 2>/dev/null; then
	echo "Bail out! $python cannot import yaml (Debian: python3-yaml)" >&2
	exit 2
fi

echo "1..$(( 2 * ${#boards[@]} ))"
n=0
failed=0
for board in "${boards[@]}"; do
	n=$((n + 1))
	start=$(date +%s%N)
	# The lock: the tests that build the kernel share $out and take turns, so
	# each board is built once and the others find make up to date.
	mkdir -p "$out"
	log=$(flock "$out/.build.lock" make -s -C "$root/kernel" BOARD="$board" O="$out/$board" -j"$jobs" 2>&1) && rc=0 || rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if [ $rc -ne 0 ]; then
		echo "not ok $n - $board builds # make exited $rc"
		printf '%s\n' "$log" | tail -20 | sed 's/^/#   /'
		failed=1
		n=$((n + 1))
		echo "not ok $n - $board: memory map matches boards/$board.yaml # SKIP no build"
		continue
	fi
	echo "ok $n - $board builds (${ms} ms)"
	printf '%s\n' "$log" | grep '^note:' | sed 's/^/#   /' || true
	arch=$(awk '$1 == "arch" { print $2 }' "$out/$board/layout.txt")
	case "$arch" in
	arm) size=arm-none-eabi-size ;;
	*) size=riscv64-unknown-elf-size ;;
	esac
	"$size" "$out/$board/kernel.elf" | awk -v b="$board" 'NR == 2 { printf "#   %s kernel: text %d data %d bss %d\n", b, $1, $2, $3 }'

	n=$((n + 1))
	if why=$("$python" - "$root/boards/$board.yaml" "$out/$board/layout.txt" <<'PY'
import sys, yaml
spec_path, layout_path = sys.argv[1], sys.argv[2]
try:
    spec = yaml.safe_load(open(spec_path))
except OSError:
    sys.exit("no %s" % spec_path)
layout = {}
for line in open(layout_path):
    key, *vals = line.split()
    layout[key] = vals
wrong = [r for r in ("kernel_flash", "app_flash", "kernel_ram", "app_ram")
         if [int(x, 0) for x in layout[r]] != [spec["memory"][r]["origin"], spec["memory"][r]["length"]]]
if layout["arch"] != [spec["arch"]]:
    wrong.append("arch")
if wrong:
    sys.exit("differs: " + ", ".join(wrong))
PY
	); then
		echo "ok $n - $board: memory map matches boards/$board.yaml"
	else
		echo "not ok $n - $board: memory map matches boards/$board.yaml # $why"
		failed=1
	fi
done
exit $failed
