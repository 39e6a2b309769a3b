#!/usr/bin/env bash
# The kernel's suites on both boards of a test rack through `rig run`: real
# OpenOCD flashes two virtual boards (one over TCP, one over its unix
# socket), the real libserialport reads their consoles, and every case
# passes on each device beside the same build's QEMU run. Between the two
# runs `rig boards unlock` brings a device back with a health check. Prints
# where a suite's time goes on a virtual board: power, flash, boot, test.
# Emits TAP.
set -u
. "$(dirname "$0")/rack-lib.sh"
rack_need
suites=(boot syscall)
[ -d "$root/suites/ipc" ] && suites+=(ipc)
echo "1..9"

if rack_setup 60 3; then ok "two virtual boards in a test rack, and the fixture repository"
else not_ok "two virtual boards in a test rack" "$(tail_of "$work/vb-1.log")" "$(tail_of "$work/vb-2.log")"; exit 1; fi
args=()
for s in "${suites[@]}"; do args+=(--suite "$s"); done

# run_on DEVICE OTHER: every suite with OTHER locked, so all device jobs land on DEVICE.
run_on() {
	local dev=$1 other=$2 out=$work/$1.json t0 rc
	"$rig" boards -c "$cfg" lock "$other" --reason "t0810: everything on $dev" >/dev/null
	t0=$(now_ms)
	rig_run "$out" "${args[@]}"
	rc=$?
	note "rig run of ${suites[*]} with the device jobs on $dev: exit $rc in $(( $(now_ms) - t0 )) ms"
	local summary
	summary=$(json "$out" '"%d device results on %s, %d qemu, %s" % (
		sum(1 for r in d["results"] if r["kind"] == "device" and r["target"] == sys.argv[3] and r["status"] == "pass"),
		sys.argv[3], sum(1 for r in d["results"] if r["kind"] == "qemu" and r["status"] == "pass"), d["gate"])' "$dev")
	local want
	want=$(json "$out" 'sum(1 for r in d["results"] if r["kind"] == "qemu")')
	if [ $rc -eq 0 ] && [ "$summary" = "$want device results on $dev, $want qemu, pass" ]; then
		ok "${suites[*]} pass on $dev and in QEMU, side by side ($want cases each)"
	else
		not_ok "${suites[*]} pass on $dev and in QEMU, side by side" "exit $rc: $summary (want $want each)" \
			"$(json "$out" '"\n".join("%s/%s %s %s: %s" % (r["suite"], r["case"], r["target"], r["status"], r["reason"]) for r in d["results"] if r["status"] != "pass")' 2>&1 | head -20)" \
			"$(tail_of "$out.err")"
	fi
	grep 'time on devices' "$out.err" | sed 's/.*info: /# /'
}

run_on vb-1 vb-2
# JSON: kind and board beside target; a device's cases name the device.
if json "$work/vb-1.json" 'all(r["kind"] in ("qemu", "device") and r["board"] == "qemu-sifive-e" and
	(r["target"] == "qemu-sifive-e") == (r["kind"] == "qemu") for r in d["results"])' | grep -qx True; then
	ok "results carry kind and board; device results name the device"
else
	not_ok "results carry kind and board" "$(head -c 2000 "$work/vb-1.json")"
fi

# Back in service with a health check: a kernel that booted here now exists.
out=$("$here/serial-ns.sh" "$work/vb-1.console" "$work/vb-2.console" -- "$rig" boards -c "$cfg" unlock vb-2 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ $out == "vb-2 back in service: health check ok, banner "* ]]; then ok "unlock runs the health check: $out"
else not_ok "unlock runs the health check" "exit $rc" "$out"; fi
line=$(boards_line vb-2)
if [[ $line =~ ^vb-2\ +qemu-sifive-e\ +idle\ +-\ +ok,\ [0-9]+\ s\ ago:\ banner ]]; then ok "rig boards shows the check"
else not_ok "rig boards shows the check" "$line"; fi

# The second device over its unix socket (remote_bitbang host PATH), 1.6 times faster.
sed -i "/^  - id: vb-2/,/^  - id/ s|commands: \[\"remote_bitbang port [0-9]*\"\]|commands: [\"remote_bitbang port 0\", \"remote_bitbang host $work/vb-2.jtag\"]|" \
	"$work/cfg/boards/rack.yaml"
kill -TERM "${vb_pids[1]}"; wait "${vb_pids[1]}" 2>/dev/null
unset 'vb_pids[1]'
vb_up vb-2 --jtag-socket "$work/vb-2.jtag" || not_ok "vb-2 restarted with a unix socket" "$(tail_of "$work/vb-2.log")"
run_on vb-2 vb-1
"$rig" boards -c "$cfg" unlock vb-1 >/dev/null 2>&1

# Both runs recorded QEMU and device results of the same build side by side.
rows=$(sql "SELECT count(*) FROM (SELECT build_id FROM jobs GROUP BY build_id
	HAVING count(DISTINCT target_kind) = 2 AND count(*) = 2 * ${#suites[@]})" 2>&1)
if [ "$rows" = 2 ]; then ok "the store holds qemu and device jobs of each run's build"
else not_ok "the store holds qemu and device jobs of each run's build" "$rows"; fi
for b in vb-1 vb-2; do
	if grep -q 'AddressSanitizer\|runtime error' "$work/$b.log" "$work"/*.err 2>/dev/null; then
		not_ok "no sanitizer reports ($b)" "$(grep -h -m5 'AddressSanitizer\|runtime error' "$work/$b.log" "$work"/*.err)"
	else ok "no sanitizer reports ($b)"; fi
done
exit $failed
