#!/usr/bin/env bash
# rig boards on the base test tree's rack: listing, lock with a reason,
# refusals, unlock. Emits TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rig=${RIG:-$here/../../build/rig/rig}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp -r "$here/data/check/base/." "$T/"
n=0; failed=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else failed=1; echo "not ok $n - $1"; printf '# %s\n' "$out"; fi; }
echo "1..7"

out=$("$rig" boards -c "$T/rig.yaml" 2>&1)
check "lists both devices idle, never checked" '[ "$(echo "$out" | grep -cE "^rv-[12] +vm-rv +idle +- +never$")" = 2 ]'
out=$("$rig" boards -c "$T/rig.yaml" lock rv-1 2>&1); rc=$?
check "lock without a reason is refused" '[ $rc = 2 ] && echo "$out" | grep -q "say why with --reason"'
out=$("$rig" boards -c "$T/rig.yaml" lock rv-1 --reason "probe swapped" 2>&1); rc=$?
check "lock with a reason" '[ $rc = 0 ]'
out=$("$rig" boards -c "$T/rig.yaml" 2>&1)
check "the lock and its reason are shown, and kept across runs" 'echo "$out" | grep -qE "^rv-1 +vm-rv +locked +probe swapped"'
out=$("$rig" boards -c "$T/rig.yaml" unlock rv-7 2>&1); rc=$?
check "unknown device named" '[ $rc = 2 ] && echo "$out" | grep -q "no device '"'"'rv-7'"'"'"'
out=$("$rig" boards -c "$T/rig.yaml" unlock rv-1 2>&1); rc=$?
check "unlock, without a health check while no kernel of the board is known to boot" \
	'[ $rc = 0 ] && [ "$out" = "rv-1 back in service; no health check: no kernel of vm-rv known to boot: no build of that board has passed a case yet" ]'
out=$("$rig" boards -c "$T/rig.yaml" 2>&1)
check "idle again" 'echo "$out" | grep -qE "^rv-1 +vm-rv +idle"'
exit $failed
