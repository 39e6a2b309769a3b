#!/usr/bin/env bash
# How long real OpenOCD takes to load and verify an image through a virtual
# board (rig vboard), over TCP (the contract) and over the unix socket.
#
#   scripts/vboard-flash-bench.sh [SIZE_KIB]...      (default: 64 128 200)
#
# RIG (default build/rig/rig) is the rig to measure; IMAGE, if set, is
# flashed instead of a padded test program. Prints one line per size and
# transport, from OpenOCD's own "downloaded"/"verified" lines.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rig=${RIG:-$root/build/rig/rig}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(64 128 200)
work=$(mktemp -d "${TMPDIR:-/tmp}/rig-vbench-XXXXXX")
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; wait 2>/dev/null || true; rm -rf "$work"' EXIT

src=$root/rig/tests/data/vboard/hello
riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32 -nostdlib -nostartfiles \
	-T "$src/hello.ld" "$src/hello.S" -o "$work/hello.elf"
riscv64-unknown-elf-objcopy -O binary "$work/hello.elf" "$work/hello.bin"

"$rig" vboard -c "$root/rig/tests/data/vboard/rig.yaml" --jtag-port 0 --jtag-socket "$work/jtag.sock" \
	--console-link "$work/console" >"$work/ready" 2>"$work/vboard.log" &
pid=$!
for _ in $(seq 100); do grep -q ready "$work/ready" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^vboard ready jtag=127.0.0.1:\([0-9]*\) .*/\1/p' "$work/ready")
if [ -z "$port" ]; then
	echo "vboard-flash-bench: the board did not start:" >&2
	cat "$work/vboard.log" >&2
	exit 1
fi

for kib in "${sizes[@]}"; do
	img=$work/image-$kib.bin
	if [ -n "${IMAGE:-}" ]; then
		cp "$IMAGE" "$img"
	else
		cp "$work/hello.bin" "$img"
		python3 -c 'import random, sys
random.seed(7)
f = open(sys.argv[1], "ab")
f.write(random.randbytes(int(sys.argv[2]) * 1024 - f.tell()))' "$img" "$kib"
	fi
	for via in tcp unix; do
		if [ $via = tcp ]; then sel=(-c "set VBOARD_PORT $port"); else sel=(-c "set VBOARD_SOCKET $work/jtag.sock"); fi
		start=$(date +%s%3N)
		timeout 300 openocd -s "$root/boards/openocd" "${sel[@]}" -f vboard.cfg \
			-c "gdb_port disabled" -c "tcl_port disabled" -c "telnet_port disabled" \
			-c init -c halt -c "load_image $img 0x20400000 bin" \
			-c "verify_image $img 0x20400000 bin" -c shutdown >"$work/oocd.log" 2>&1 ||
			{ echo "vboard-flash-bench: openocd failed:" >&2; tail -5 "$work/oocd.log" >&2; exit 1; }
		end=$(date +%s%3N)
		load=$(sed -n 's/^downloaded \([0-9]*\) bytes in \([0-9.]*\)s (\([0-9.]*\) KiB\/s)$/\1 B in \2 s (\3 KiB\/s)/p' "$work/oocd.log")
		verify=$(sed -n 's/^verified [0-9]* bytes in \([0-9.]*\)s (\([0-9.]*\) KiB\/s)$/\1 s (\2 KiB\/s)/p' "$work/oocd.log")
		printf '%-4s load %s, verify %s, whole openocd run %d ms\n' "$via" "$load" "$verify" $((end - start))
	done
done
