#!/usr/bin/env bash
# What the rack does when boards misbehave, through `rig run` with real
# OpenOCD and libserialport against two virtual boards and their faults:
# a corrupted flash write fails verification and the case moves to the
# other device (error, then pass; the gate passes, the change is not
# blamed, the device is health-checked); a console that vanishes mid-case
# is an error, not a fail; a board whose debug port stays dead makes three
# consecutive infrastructure errors and goes offline with the reason, which
# `rig boards` shows; `rig boards unlock` keeps it out while its health check
# fails and brings it back once the board is fixed. Emits TAP.
set -u
. "$(dirname "$0")/rack-lib.sh"
rack_need
echo "1..16"

if rack_setup 60 3; then ok "two virtual boards in a test rack, and the fixture repository"
else not_ok "two virtual boards in a test rack" "$(tail_of "$work/vb-1.log")" "$(tail_of "$work/vb-2.log")"; exit 1; fi

# The first run builds and proves the kernel boots (QEMU and a board).
rig_run "$work/warm.json"
rc=$?
if [ $rc -eq 0 ]; then ok "a first run passes (the kernel is now known to boot)"
else not_ok "a first run passes" "exit $rc" "$(tail_of "$work/warm.json.err")"; fi

# The device the next job takes: the one released longest ago.
next_device() { sql "SELECT id FROM devices ORDER BY coalesce(lease_expires, 0), id LIMIT 1"; }
other_of() { [ "$1" = vb-1 ] && echo vb-2 || echo vb-1; }

# 1. A corrupted word: verify fails on the first device, the case passes on the other.
first=$(next_device)
second=$(other_of "$first")
ctl "$first" fault corrupt >/dev/null
rig_run "$work/corrupt.json"
rc=$?
c=$(first_device "$work/corrupt.json" 'r')
moved=$(first_device "$work/corrupt.json" '(r["status"], r["target"], r["attempts"], r["retried_after"]["target"], r["retried_after"]["status"])')
if [ "$moved" = "('pass', '$second', 2, '$first', 'error')" ]; then
	ok "a corrupted flash write: error on $first, then a pass on $second"
else
	not_ok "a corrupted flash write: error on $first, then a pass on $second" "$moved" "$c" \
		"$(tail_of "$work/corrupt.json.err")"
fi
reason=$(first_device "$work/corrupt.json" 'r["retried_after"]["reason"]')
if [[ $reason =~ ^flash\ $first:\ verify\ failed\ at\ 0x204[0-9a-f]{5}\ \(flash\ contents\ differ\)$ ]]; then
	ok "the reason says what to act on: $reason"
else
	not_ok "the reason says what failed and where" "$reason"
fi
gate=$(json "$work/corrupt.json" 'd["gate"]')
if [ $rc -eq 0 ] && [ "$gate" = pass ]; then ok "the gate passes: the change is not blamed"
else not_ok "the gate passes: the change is not blamed" "exit $rc, gate $gate" "$(json "$work/corrupt.json" 'd["reason"]')"; fi
line=$(boards_line "$first")
if [[ $line =~ ^$first\ +qemu-sifive-e\ +idle\ +-\ +ok,\ [0-9]+\ s\ ago:\ banner ]]; then
	ok "$first got a health check after the error, and passed it"
else
	not_ok "$first got a health check after the error" "$line"
fi
log=$(first_device "$work/corrupt.json" 'r["log"]')
if grep -q 'openocd: diff 0 address 0x204' "$log" && grep -q "moving job [0-9]* from $first to $second" "$log"; then
	ok "the job log keeps OpenOCD's words and the move"
else
	not_ok "the job log keeps OpenOCD's words and the move" "$(grep -n 'openocd: \(Error\|diff\)\|moving' "$log" | head)"
fi

# 2. The console vanishes under the case: an error, never a fail.
first=$(next_device)
ctl "$first" fault serial-vanish 2 >/dev/null
rig_run "$work/vanish.json"
rc=$?
v=$(first_device "$work/vanish.json" '(r["status"], r["retried_after"]["target"], r["retried_after"]["status"], r["retried_after"]["reason"])')
# It vanishes under the reader, or (when the board's old program printed
# the lines before the new one was flashed) before the console opens.
if [[ $v =~ ^\(\'pass\',\ \'$first\',\ \'error\',\ \'(console\ lost:\ $first:\ console\ /dev/pts/[0-9]+:\ the\ port\ vanished|console\ of\ $first:\ console\ $work/$first.console:\ No\ such\ file\ or\ directory)\'\)$ ]] &&
   [ $rc -eq 0 ]; then
	ok "a vanished console: error on $first (the port vanished), then a pass; gate passes"
else
	not_ok "a vanished console gives an error, not a fail" "exit $rc" "$v" "$(tail_of "$work/vanish.json.err")"
fi

# 3. A debug port that stays dead, with the other board locked: three
#    consecutive infrastructure errors (the case, its health check, its
#    retry) take vb-2 offline; the other cases find no device in service.
"$rig" boards -c "$cfg" lock vb-1 --reason "t0811: vb-2 alone" >/dev/null
ctl vb-2 fault refuse >/dev/null
rig_run "$work/dead.json"
rc=$?
d=$(json "$work/dead.json" '[(r["status"], r["target"]) for r in d["results"] if r["kind"] == "device"]')
if [ $rc -eq 3 ] && [ "$(json "$work/dead.json" 'd["gate"]')" = error ] &&
   [ "$d" = "[('error', 'vb-2'), ('error', 'qemu-sifive-e'), ('error', 'qemu-sifive-e')]" ]; then
	ok "a dead debug port: every device case is an error, the gate says error (exit 3), nothing fails"
else
	not_ok "a dead debug port: errors, gate error, exit 3" "exit $rc" "$d" "$(json "$work/dead.json" 'd["reason"]')"
fi
line=$(boards_line vb-2)
if [[ $line =~ ^vb-2\ +qemu-sifive-e\ +offline\ +3\ consecutive\ infrastructure\ errors,\ last:\ flash\ vb-2:\ cannot\ connect\ to\ the\ debug\ adapter\ at\ 127.0.0.1:[0-9]+ ]]; then
	ok "rig boards shows vb-2 offline and why"
	note "$line"
else
	not_ok "rig boards shows vb-2 offline and why" "$line"
fi
why=$(json "$work/dead.json" '[r["reason"] for r in d["results"] if r["kind"] == "device"][1]')
if [[ $why == "no device of board qemu-sifive-e is in service: vb-1 locked (t0811: vb-2 alone); vb-2 offline (3 consecutive"* ]]; then
	ok "later cases say why no device could run them"
else
	not_ok "later cases say why no device could run them" "$why"
fi

# 4. Back into service only through a passing health check.
out=$(rig_ns boards -c "$cfg" unlock vb-2 2>&1)
rc=$?
if [ $rc -eq 3 ] && [[ $out == "vb-2 failed its health check and stays out of service: flash vb-2: cannot connect"* ]] &&
   [[ $(boards_line vb-2) =~ ^vb-2\ +qemu-sifive-e\ +offline ]]; then
	ok "unlock of a board still broken: the health check fails, it stays offline (exit 3)"
else
	not_ok "unlock of a board still broken keeps it offline" "exit $rc" "$out" "$(boards_line vb-2)"
fi
ctl vb-2 fault refuse off >/dev/null
out=$(rig_ns boards -c "$cfg" unlock vb-2 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ $out == "vb-2 back in service: health check ok"* ]] && [[ $(boards_line vb-2) =~ ^vb-2\ +qemu-sifive-e\ +idle\ +-\ +ok ]]; then
	ok "fixed, unlocked: health check ok, idle again"
else
	not_ok "fixed, unlocked: health check ok, idle again" "exit $rc" "$out" "$(boards_line vb-2)"
fi
"$rig" boards -c "$cfg" unlock vb-1 >/dev/null 2>&1
rig_run "$work/after.json"
rc=$?
if [ $rc -eq 0 ]; then ok "the rack runs again"; else not_ok "the rack runs again" "exit $rc" "$(tail_of "$work/after.json.err")"; fi

for b in vb-1 vb-2; do
	if grep -q 'AddressSanitizer\|runtime error' "$work/$b.log" "$work"/*.err 2>/dev/null; then
		not_ok "no sanitizer reports ($b)" "$(grep -h -m5 'AddressSanitizer\|runtime error' "$work/$b.log" "$work"/*.err)"
	else ok "no sanitizer reports ($b)"; fi
done
exit $failed
