# Helpers for the virtual board's tests (t07xx), sourced by them.
#
# The image flashed is a tiny RISC-V program (data/vboard/hello) padded with
# pseudo-random bytes, unless RIG_VBOARD_IMAGE names another raw image, e.g.
# the kernel's qemu-sifive-e image.bin once the kernel is merged:
#   RIG_VBOARD_IMAGE       raw image (default: built here)
#   RIG_VBOARD_IMAGE_ADDR  where it goes (default 0x20400000)
#   RIG_VBOARD_BANNER      extended regex of its boot banner
#   RIG_VBOARD_CONFIG      rig.yaml naming the board (default data/vboard)
#   RIG_VBOARD_BOARD       board name (default qemu-sifive-e)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${RIG_HOME:-$(cd "$here/../.." && pwd)}
rig=${RIG:-$root/build/rig/rig}
build=${RIG_BUILD_DIR:-$root/build}
serial_read=${RIG_SERIAL_READ:-$build/rig/tests/serial-read}
export RIG_PTY_MODEM=${RIG_PTY_MODEM:-$build/rig/tests/libptymodem.so}
vb_config=${RIG_VBOARD_CONFIG:-$here/data/vboard/rig.yaml}
vb_board=${RIG_VBOARD_BOARD:-qemu-sifive-e}
image_addr=${RIG_VBOARD_IMAGE_ADDR:-0x20400000}
banner=${RIG_VBOARD_BANNER:-booted from flash}
work=$(mktemp -d "${TMPDIR:-/tmp}/rig-t07-XXXXXX")

n=0
failed=0
vb_pid=
bg_pids=()

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift
	for l in "$@"; do printf '# %s\n' "$l"; done
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() {	# check NAME COMMAND...: ok when the command succeeds
	local name=$1; shift
	if "$@" >"$work/check.out" 2>&1; then ok "$name"
	else not_ok "$name" "$(tail -n 20 "$work/check.out")"; fi
}
# The last lines of a log, for a failure's diagnostics.
tail_of() { tail -n "${2:-15}" "$1" 2>/dev/null; }

cleanup() {
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
	vb_stop >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

# Skips the whole script unless the real programs are here.
need_tools() {
	local missing=
	for t in openocd qemu-system-riscv32 "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		echo "1..0 # SKIP not installed:$missing"
		exit 0
	fi
}

# make_image OUT SIZE: the test program padded to SIZE bytes, or RIG_VBOARD_IMAGE.
make_image() {
	local out=$1 size=$2 src=$here/data/vboard/hello
	if [ -n "${RIG_VBOARD_IMAGE:-}" ]; then
		cp "$RIG_VBOARD_IMAGE" "$out"
		return
	fi
	riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32 -nostdlib -nostartfiles \
		-T "$src/hello.ld" "$src/hello.S" -o "$out.elf" &&
	riscv64-unknown-elf-objcopy -O binary "$out.elf" "$out" &&
	python3 -c 'import random, sys
out, size = sys.argv[1], int(sys.argv[2])
data = open(out, "rb").read()
random.seed(7)
open(out, "ab").write(random.randbytes(max(0, size - len(data))))' "$out" "$size"
}

# vb_start [ARGS...]: a virtual board on a free port; sets vb_pid, vb_port,
# vb_link, vb_ctl, vb_log.
vb_start() {
	vb_link=$work/console
	vb_ctl=$work/control
	vb_log=$work/vboard.log
	rm -f "$work/vboard.out"
	# TMPDIR: the board's own scratch folder stays inside ours, even when
	# a test kills the board outright.
	TMPDIR=$work "$rig" vboard -c "$vb_config" --board "$vb_board" --jtag-port 0 --console-link "$vb_link" \
		--control "$vb_ctl" "$@" >"$work/vboard.out" 2>>"$vb_log" &
	vb_pid=$!
	for _ in $(seq 100); do
		grep -q '^vboard ready' "$work/vboard.out" 2>/dev/null && break
		kill -0 "$vb_pid" 2>/dev/null || break
		sleep 0.05
	done
	vb_port=$(sed -n 's/^vboard ready jtag=127.0.0.1:\([0-9]*\) .*/\1/p' "$work/vboard.out")
	[ -n "$vb_port" ]
}

# vb_stop: SIGTERM (power off), then wait at most 5 s.
vb_stop() {
	[ -n "$vb_pid" ] || return 0
	kill -TERM "$vb_pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$vb_pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$vb_pid" 2>/dev/null; then
		kill -KILL "$vb_pid"
		wait "$vb_pid" 2>/dev/null
		vb_pid=
		return 1
	fi
	wait "$vb_pid"
	local rc=$?
	vb_pid=
	return $rc
}

ctl() { "$rig" vboard-ctl "$vb_ctl" "$@"; }

# A field of `vboard-ctl status`: status_of qemu -> running
status_of() { ctl status | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# oocd LOG COMMANDS...: real OpenOCD against the board, each argument a -c
# command, bounded in time; no GDB, Tcl or telnet ports (other tests run).
oocd() {
	local log=$1; shift
	local args=()
	for c in "$@"; do args+=(-c "$c"); done
	local port=(-c "set VBOARD_PORT $vb_port")
	# With oocd_socket set, through the board's unix socket instead of TCP.
	[ -n "${oocd_socket:-}" ] && port=(-c "set VBOARD_SOCKET $oocd_socket")
	timeout 120 openocd -s "$root/boards/openocd" "${port[@]}" -f vboard.cfg \
		-c "gdb_port disabled" -c "tcl_port disabled" -c "telnet_port disabled" \
		"${args[@]}" >"$log" 2>&1
}

# The namespace harness works as root only.
can_ns() { unshare --mount --propagation private true 2>/dev/null; }

# reader NAME path|usb:SERIAL [serial-read ARGS...]: reads the console through
# libserialport (by the link's path, or as a USB port by serial number) in the
# background; returns once the port is open. Sets reader_pid.
reader() {
	local name=$1 mode=$2; shift 2
	local via=() port=(--path "$vb_link")
	if [ "${mode#usb:}" != "$mode" ]; then
		via=(--usb-serial "${mode#usb:}")
		port=(--usb-serial "${mode#usb:}")
	fi
	rm -f "$work/$name.ready"
	"$here/serial-ns.sh" "${via[@]}" "$vb_link" -- "$serial_read" "${port[@]}" \
		--ready "$work/$name.ready" "$@" >"$work/$name.out" 2>"$work/$name.err" &
	reader_pid=$!
	bg_pids+=("$reader_pid")
	for _ in $(seq 100); do
		[ -s "$work/$name.ready" ] && return 0
		kill -0 "$reader_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# reader_wait: the reader's exit code, waiting at most as long as it allows itself.
reader_wait() { wait "$reader_pid"; }

now_ms() { date +%s%3N; }
