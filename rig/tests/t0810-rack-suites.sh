#!/usr/bin/env bash
# The kernel's suites on both boards of a test rack through `rig run`: real
# OpenOCD flashes two virtual boards (one over TCP, one over its unix
# socket), the real libserialport reads their consoles. A first run records
# QEMU and device results of one build side by side; then every suite runs
# on each device, pinned with `--target DEVICE`, both devices at once (two
# rig runs sharing the store). `rig boards unlock` brings a device back with
# a health check. Prints where a suite's time goes on a virtual board:
# power, flash, boot, test. Emits TAP.
set -u
. "$(dirname "$0")/rack-lib.sh"
rack_need
suites=(boot syscall)
[ -d "$root/suites/ipc" ] && suites+=(ipc)
echo "1..10"

if rack_setup 60 3; then ok "two virtual boards in a test rack, and the fixture repository"
else not_ok "two virtual boards in a test rack" "$(tail_of "$work/vb-1.log")" "$(tail_of "$work/vb-2.log")"; exit 1; fi

# 1. QEMU and a device side by side, for one build.
rig_run "$work/first.json"
rc=$?
side=$(json "$work/first.json" '"%s %s" % (d["gate"], sorted(set((r["kind"], r["target"], r["board"], r["status"]) for r in d["results"])))')
if [ $rc -eq 0 ] && [ "$side" = "pass [('device', 'vb-1', 'qemu-sifive-e', 'pass'), ('qemu', 'qemu-sifive-e', 'qemu-sifive-e', 'pass')]" ]; then
	ok "QEMU and vb-1 side by side: results carry kind and board, device results name the device"
else
	not_ok "QEMU and a device side by side" "exit $rc" "$side" "$(tail_of "$work/first.json.err")"
fi
rows=$(sql "SELECT target_kind || ' ' || coalesce(device, '-') || ' ' || build_id FROM jobs ORDER BY id" | sort -u | tr '\n' ' ')
if [[ $rows =~ ^device\ vb-1\ ([0-9]+)\ qemu\ -\ \1\ $ ]]; then ok "the store has both jobs of the build, the device job naming vb-1"
else not_ok "the store has both jobs of the build" "$rows"; fi

# The second device over its unix socket (remote_bitbang host PATH), 1.6 times faster.
sed -i "/^  - id: vb-2/,/^  - id/ s|commands: \[\"remote_bitbang port [0-9]*\"\]|commands: [\"remote_bitbang port 0\", \"remote_bitbang host $work/vb-2.jtag\"]|" \
	"$work/cfg/boards/rack.yaml"
kill -TERM "${vb_pids[1]}"; wait "${vb_pids[1]}" 2>/dev/null
unset 'vb_pids[1]'
vb_up vb-2 --jtag-socket "$work/vb-2.jtag" || not_ok "vb-2 restarted with a unix socket" "$(tail_of "$work/vb-2.log")"

# 2. Every suite on each device: two runs at once, each pinned to its device.
args=()
for s in "${suites[@]}"; do args+=(--suite "$s"); done
want=0
for s in "${suites[@]}"; do want=$(( want + $(grep -c '^  - name:' "$root/suites/$s/suite.yaml") )); done
t0=$(now_ms)
for dev in vb-1 vb-2; do
	"$here/serial-ns.sh" "$work/vb-1.console" "$work/vb-2.console" -- "$rig" run -c "$cfg" --repo "$src" \
		--ref main --json --target "$dev" "${args[@]}" >"$work/$dev.json" 2>"$work/$dev.json.err" &
	eval "pid_${dev//-/_}=$!"
	bg_pids+=("$!")
done
wait "$pid_vb_1"; rc1=$?
wait "$pid_vb_2"; rc2=$?
note "both runs of ${suites[*]} ($want cases each) took $(( $(now_ms) - t0 )) ms side by side"
for dev in vb-1 vb-2; do
	v=rc${dev#vb-}
	out=$work/$dev.json
	got=$(json "$out" '"%d %s" % (sum(1 for r in d["results"] if r["kind"] == "device" and r["target"] == sys.argv[3]
		and r["status"] == "pass"), d["gate"])' "$dev" 2>&1)
	if [ "${!v}" -eq 0 ] && [ "$got" = "$want pass" ]; then
		ok "${suites[*]} pass on $dev, pinned with --target $dev ($want cases)"
	else
		not_ok "${suites[*]} pass on $dev" "exit ${!v}: $got (want $want pass)" \
			"$(json "$out" '"\n".join("%s/%s %s %s: %s" % (r["suite"], r["case"], r["target"], r["status"], r["reason"]) for r in d["results"] if r["status"] != "pass")' 2>&1 | head -20)" \
			"$(tail_of "$out.err")"
	fi
	grep 'time on devices' "$out.err" | sed "s/.*info: \([a-z]*\) on devices of [^:]*: time on devices: /# \1 on $dev: /"
done
if [ "$(json "$work/vb-1.json" 'sum(1 for r in d["results"] if r["kind"] == "qemu")')" = 0 ]; then
	ok "a device as the target runs nothing in QEMU"
else
	not_ok "a device as the target runs nothing in QEMU" "$(json "$work/vb-1.json" '[r["target"] for r in d["results"]]')"
fi

# 3. Back in service with a health check, now that a kernel has booted here.
"$rig" boards -c "$cfg" lock vb-2 --reason "t0810: a check" >/dev/null
out=$(rig_ns boards -c "$cfg" unlock vb-2 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ $out == "vb-2 back in service: health check ok, banner "* ]]; then ok "unlock runs the health check: $out"
else not_ok "unlock runs the health check" "exit $rc" "$out"; fi
line=$(boards_line vb-2)
if [[ $line =~ ^vb-2\ +qemu-sifive-e\ +idle\ +-\ +ok,\ [0-9]+\ s\ ago:\ banner ]]; then ok "rig boards shows the check"
else not_ok "rig boards shows the check" "$line"; fi

for b in vb-1 vb-2; do
	if grep -q 'AddressSanitizer\|runtime error' "$work/$b.log" "$work"/*.err 2>/dev/null; then
		not_ok "no sanitizer reports ($b)" "$(grep -h -m5 'AddressSanitizer\|runtime error' "$work/$b.log" "$work"/*.err)"
	else ok "no sanitizer reports ($b)"; fi
done
exit $failed
