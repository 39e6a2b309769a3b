#!/usr/bin/env bash
# Builds the kernel for each board and runs the kernel's suites in QEMU,
# without the rig. Prints TAP: a few checks of each build, then one test
# point per board x case; exits non-zero if any of them fails.
#
#   scripts/kernel-qemu-test.sh [-j N] [-o DIR] [-s SUITE]... [-c CASE]...
#                               [--no-build] [--log] [BOARD...]
#
# BOARD defaults to every board that has a kernel port (kernel/board/BOARD/)
# and a qemu: section in boards/BOARD.yaml (qemu-mps2-an385, qemu-sifive-e,
# hifive1-revb). -o is where builds go (default build/kernel-test), -s and
# -c narrow the run to some suites or cases, --log prints the console of
# passing cases too. Every boot has a deadline (the case's timeout) after
# which its QEMU process group is killed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
out="$root/build/kernel-test"
build=1
args=()
boards=()

usage() {
	# The comment at the top, whatever its length.
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-j) jobs=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	-s) args+=(--suite "$2"); shift 2 ;;
	-c) args+=(--case "$2"); shift 2 ;;
	--no-build) build=0; shift ;;
	--log) args+=(--log); shift ;;
	-h|--help) usage ;;
	-*) echo "kernel-qemu-test: unknown option $1" >&2; usage ;;
	*) boards+=("$1"); shift ;;
	esac
done
if [ ${#boards[@]} -eq 0 ]; then
	for f in "$root"/boards/*.yaml; do
		board=$(basename "$f" .yaml)
		if [ -f "$root/kernel/board/$board/board.mk" ] && grep -q '^qemu:' "$f"; then
			boards+=("$board")
		fi
	done
fi

for board in "${boards[@]}"; do
	if [ ! -f "$root/boards/$board.yaml" ] || ! grep -q '^qemu:' "$root/boards/$board.yaml"; then
		echo "Bail out! $board has no qemu: section in boards/$board.yaml (scripts/kernel-build-boards.sh builds it)"
		exit 2
	fi
done

# The pyenv or venv python that may come first on PATH lacks PyYAML.
python=/usr/bin/python3
if ! "$python" -c 'import yaml' 2>/dev/null; then
	echo "Bail out! $python cannot import yaml (Debian: python3-yaml)" >&2
	exit 2
fi

if [ "$build" = 1 ]; then
	for board in "${boards[@]}"; do
		start=$(date +%s%N)
		# Shared with the other kernel-building tests under a lock (see kernel-build-boards.sh).
		mkdir -p "$out"
		if ! flock "$out/.build.lock" make -s -C "$root/kernel" BOARD="$board" O="$out/$board" -j"$jobs" >&2; then
			echo "Bail out! build for $board failed"
			exit 1
		fi
		echo "# built $board in $(( ($(date +%s%N) - start) / 1000000 )) ms"
	done
fi

exec "$python" "$root/scripts/kernel-qemu-test.py" --root "$root" --out "$out" -j "$jobs" \
	${args[@]+"${args[@]}"} "${boards[@]}"
