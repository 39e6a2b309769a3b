#!/usr/bin/env bash
# Device leases under `rig run`: a running device job holds its lease past
# the lease's lifetime (the heartbeat renews it), `rig boards` shows the
# job holding it, and a `rig run` killed with SIGKILL leaves a lease that
# expires on its own, so the device is idle again and the next run gets it
# (finding its console by USB serial number this time). Emits TAP.
set -u
. "$(dirname "$0")/rack-lib.sh"
rack_need
echo "1..6"
lease=3

if rack_setup $lease 3; then ok "two virtual boards in a test rack with ${lease} s leases"
else not_ok "two virtual boards in a test rack" "$(tail_of "$work/vb-1.log")"; exit 1; fi
# One device, so the runs below are about one lease.
"$rig" boards -c "$cfg" lock vb-2 --reason "t0812: one device" >/dev/null

# A whole suite outlives several leases; the heartbeat keeps this one.
t0=$(now_ms)
rig_run "$work/long.json"
rc=$?
took=$(( $(now_ms) - t0 ))
log=$(first_device "$work/long.json" 'r["log"]' 2>/dev/null)
if [ $rc -eq 0 ] && ! grep -q 'lost' "$log" 2>/dev/null; then
	ok "a run of ${took} ms keeps its ${lease} s lease to the end"
else
	not_ok "a run keeps its lease to the end" "exit $rc" "$(tail_of "$work/long.json.err")" "$(grep lost "$log")"
fi

# Killed mid-job (the boot suite runs long enough to be caught): the lease
# stays until it expires, then the device is idle.
# serial-ns.sh execs its way to rig, so $! is rig itself.
"$here/serial-ns.sh" "$work/vb-1.console" "$work/vb-2.console" -- \
	"$rig" run -c "$cfg" --repo "$src" --ref main --suite boot >"$work/killed.out" 2>&1 &
pid=$!
bg_pids+=("$pid")
held=
for _ in $(seq 600); do
	line=$(boards_line vb-1)
	if [[ $line =~ ^vb-1\ +qemu-sifive-e\ +leased\ +job\ [0-9]+\ \(.*:$pid\) ]]; then held=$line; break; fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
if [ -n "$held" ]; then ok "rig boards shows the job and holder leasing vb-1"; note "$held"
else not_ok "rig boards shows the job leasing vb-1" "$line" "$(tail_of "$work/killed.out")"; fi
kill -KILL "$pid"
wait "$pid" 2>/dev/null
killed_at=$(now_ms)
line=$(boards_line vb-1)
if [[ $line =~ ^vb-1\ +qemu-sifive-e\ +leased ]]; then ok "right after SIGKILL the dead holder's lease still stands"
else not_ok "right after SIGKILL the dead holder's lease still stands" "$line"; fi
for _ in $(seq 200); do
	line=$(boards_line vb-1)
	[[ $line =~ ^vb-1\ +qemu-sifive-e\ +idle ]] && break
	sleep 0.05
done
freed=$(( $(now_ms) - killed_at ))
if [[ $line =~ ^vb-1\ +qemu-sifive-e\ +idle ]] && [ $freed -le $(( lease * 1000 + 1500 )) ]; then
	ok "the lease expired on its own: vb-1 idle ${freed} ms after the kill"
else
	not_ok "the lease expires on its own" "$line after $freed ms"
fi
# The next run gets it; this time its console is found by the USB serial
# number of its (simulated) adapter, as a rack names real boards' consoles.
sed -i '/^  - id: vb-1/,/^  - id/ s|      path: .*/vb-1.console|      usb_serial: "VB1-RACK"|' "$work/cfg/boards/rack.yaml"
"$here/serial-ns.sh" --usb-serial VB1-RACK "$work/vb-1.console" "$work/vb-2.console" -- \
	"$rig" run -c "$cfg" --repo "$src" --ref main --json >"$work/after.json" 2>"$work/after.json.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(json "$work/after.json" 'sorted(set(r["target"] for r in d["results"] if r["kind"] == "device"))')" = "['vb-1']" ] &&
   grep -q 'console: /dev/ttyACM0 open at 115200 baud' "$(first_device "$work/after.json" 'r["log"]')"; then
	ok "the next run gets vb-1, its console found by USB serial number"
else
	not_ok "the next run gets vb-1, its console found by USB serial number" "exit $rc" "$(tail_of "$work/after.json.err")"
fi
exit $failed
