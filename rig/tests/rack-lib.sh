# Helpers for the rack's tests (t08xx), sourced by them: a test rack of two
# virtual boards (rig vboard) that real OpenOCD flashes and the real
# libserialport reads, a configuration naming them, and a fixture
# repository holding this tree's kernel and suites for `rig run` to build.
#
# After rack_setup: $work (scratch, removed at exit), $cfg (rig.yaml),
# $src (the fixture repository), vb-1 and vb-2 running with their consoles
# at $work/vb-N.console and control sockets at $work/vb-N.ctl.
# rig_ns runs rig inside the serial namespace harness (serial-ns.sh), where
# libserialport takes both boards' ptys for serial ports.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${RIG_HOME:-$(cd "$here/../.." && pwd)}
rig=${RIG:-$root/build/rig/rig}
rig=$(cd "$(dirname "$rig")" && pwd)/$(basename "$rig")
build=${RIG_BUILD_DIR:-$root/build}
export RIG_PTY_MODEM=${RIG_PTY_MODEM:-$build/rig/tests/libptymodem.so}
work=$(mktemp -d "${TMPDIR:-/tmp}/rig-t08-XXXXXX")
cfg=$work/cfg/rig.yaml
src=$work/src

n=0
failed=0
vb_pids=()
bg_pids=()

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
note() { printf '# %s\n' "$@"; }
tail_of() { tail -n "${2:-15}" "$1" 2>/dev/null; }
now_ms() { date +%s%3N; }

rack_cleanup() {
	for p in "${bg_pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for p in "${vb_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${vb_pids[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap rack_cleanup EXIT

# Skips the whole script unless the real programs and the harness are here.
rack_need() {
	local missing=
	for t in openocd qemu-system-riscv32 git "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		echo "1..0 # SKIP not installed:$missing"
		exit 0
	fi
	if [ ! -d "$root/kernel" ]; then
		echo "1..0 # SKIP no kernel in this tree"
		exit 0
	fi
	if ! unshare --mount --propagation private true 2>/dev/null; then
		echo "1..0 # SKIP the serial namespace harness needs root"
		exit 0
	fi
}

# vb_up NAME [ARGS...]: a virtual board of the test configuration on a free port.
vb_up() {
	local name=$1 out=$work/$1.out pid port
	shift
	rm -f "$out"
	TMPDIR=$work "$rig" vboard -c "$cfg" --board qemu-sifive-e --jtag-port 0 \
		--console-link "$work/$name.console" --control "$work/$name.ctl" "$@" >"$out" 2>>"$work/$name.log" &
	pid=$!
	vb_pids+=("$pid")
	for _ in $(seq 100); do
		grep -q '^vboard ready' "$out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	port=$(sed -n 's/^vboard ready jtag=127.0.0.1:\([0-9]*\) .*/\1/p' "$out")
	[ -n "$port" ] || return 1
	eval "port_${name//-/_}=$port"
}

ctl() { local b=$1; shift; "$rig" vboard-ctl "$work/$b.ctl" "$@"; }

# The rack file: both boards, their debug ports, consoles and power.
write_rack() {
	local lease=$1 offline=$2
	{
		echo "lease_seconds: $lease"
		echo "offline_after: $offline"
		echo "devices:"
		for b in vb-1 vb-2; do
			local v=port_${b//-/_}
			cat <<EOF
  - id: $b
    board: qemu-sifive-e
    probe:
      commands: ["remote_bitbang port ${!v}"]
    console:
      path: $work/$b.console
    power:
      on:    ["$rig", vboard-ctl, "$work/{id}.ctl", "on"]
      off:   ["$rig", vboard-ctl, "$work/{id}.ctl", "off"]
      cycle: ["$rig", vboard-ctl, "$work/{id}.ctl", cycle]
EOF
		done
	} >"$work/cfg/boards/rack.yaml"
}

# rack_setup [LEASE_SECONDS [OFFLINE_AFTER]]: the configuration, the boards, the repository.
rack_setup() {
	local lease=${1:-60} offline=${2:-3}
	mkdir -p "$work/cfg/boards" "$work/cfg/suites/rack" "$work/data"
	# The project's board, and how its virtual twin is flashed: the sparse
	# image, since every word costs a round trip over remote_bitbang.
	cp "$root/boards/qemu-sifive-e.yaml" "$work/cfg/boards/"
	cat >>"$work/cfg/boards/qemu-sifive-e.yaml" <<'EOF'
openocd:
  interface: [interface/vboard.cfg]
  target: [target/vboard-fe310.cfg]
  program: ["halt", "load_image {image_sparse} 0 elf", "verify_image {image_sparse} 0 elf",
            "reset run", "shutdown"]
EOF
	ln -s "$root/boards/openocd" "$work/cfg/boards/openocd"
	ln -s "$root/suites/boot" "$root/suites/syscall" "$work/cfg/suites/"
	[ -d "$root/suites/ipc" ] && ln -s "$root/suites/ipc" "$work/cfg/suites/"
	cat >"$work/cfg/suites/rack/suite.yaml" <<'EOF'
name: rack
description: quick boots for the rack's tests; the one-app case after the three-app one proves that no app of an earlier flash survives
timeout: 10
cases:
  - name: three-apps
    apps: [hello, spinner, idle]
    plan: 1
    expect: ["^kernel: 3 apps running$"]
  - name: one-app
    apps: [hello]
    plan: 1
    expect: ["^kernel: app hello at 0x[0-9a-f]{8} size [0-9]+$", "^kernel: 1 apps running$"]
  - name: two-apps
    apps: [hello, idle]
    plan: 1
    expect: ["^kernel: 2 apps running$"]
EOF
	cat >"$cfg" <<EOF
data_dir: $work/data
boards_dir: boards
suites_dir: suites
containers_dir: $root/containers
kernel_dir: $root/kernel
targets: [qemu-sifive-e]
suites: [rack]
EOF
	vb_up vb-1 && vb_up vb-2 || return 1
	write_rack "$lease" "$offline"

	# The fixture: this tree's committed kernel and suites.
	export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
	export GIT_AUTHOR_NAME="Ada Fixture" GIT_AUTHOR_EMAIL=ada@example.org
	export GIT_COMMITTER_NAME="Ada Fixture" GIT_COMMITTER_EMAIL=ada@example.org
	mkdir -p "$HOME" "$src"
	git init -q -b main "$src" &&
	git -C "$root" archive HEAD kernel suites | tar -x -C "$src" &&
	git -C "$src" add -A && git -C "$src" commit -q -m "kernel and suites"
}

# rig_ns ARGS...: rig inside the harness, where both consoles are serial ports.
rig_ns() {
	"$here/serial-ns.sh" "$work/vb-1.console" "$work/vb-2.console" -- "$rig" "$@"
}

# rig_run OUT ARGS...: rig run of the fixture's main in the harness; JSON in OUT, stderr in OUT.err.
rig_run() {
	local out=$1; shift
	rig_ns run -c "$cfg" --repo "$src" --ref main --json "$@" >"$out" 2>"$out.err"
}

# jq-less JSON reads, with python3: json FILE EXPR (d is the document);
# first_device FILE EXPR (r is the first result on a device).
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
first_device() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = [r for r in d["results"] if r["kind"] == "device"][0]
print(eval(sys.argv[2]))' "$@"
}

# sql QUERY: the first column of each row, from the test's store.
sql() { python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(row[0])' "$work/data/rig.db" "$1"; }

boards_line() { "$rig" boards -c "$cfg" | grep "^$1 "; }
