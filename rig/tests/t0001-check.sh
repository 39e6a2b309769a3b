#!/usr/bin/env bash
# rig check on a valid tree and on every broken configuration under
# data/check/cases: each case is a set of files laid over a copy of
# data/check/base (a file named `remove` lists files to delete), and
# `expected` holds exactly what rig check must print on stderr, with $T
# standing for the copy's path. Emits TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rig=${RIG:-$here/../../build/rig/rig}
data=$here/data/check
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0
failed=0
cases=("$data"/cases/*/)
echo "1..$(( ${#cases[@]} + 3 ))"

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do printf '# %s\n' "$l"; done; }

# The valid tree.
T=$work/base
cp -r "$data/base" "$T"
out=$("$rig" check -c "$T/rig.yaml" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$out" = "configuration OK" ]; then ok "valid tree: configuration OK"
else not_ok "valid tree: configuration OK" "exit $rc" "$out"; fi

# The built-in default configuration (the project's own boards and suites).
out=$("$rig" check 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$out" = "configuration OK" ]; then ok "built-in configuration: configuration OK"
else not_ok "built-in configuration: configuration OK" "exit $rc" "$out"; fi

# Unknown arguments are usage errors.
"$rig" check --no-such-flag >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then ok "unknown flag exits 2"; else not_ok "unknown flag exits 2" "exit $rc"; fi

for c in "${cases[@]}"; do
	name=$(basename "$c")
	T=$work/$name
	cp -r "$data/base" "$T"
	(cd "$c" && find . -type f ! -name expected ! -name remove -exec cp --parents {} "$T" \;)
	if [ -f "$c/remove" ]; then
		while read -r f; do rm -f "$T/$f"; done < "$c/remove"
	fi
	actual=$("$rig" check -c "$T/rig.yaml" 2>&1 >/dev/null); rc=$?
	actual=${actual//$T/\$T}
	if [ ! -f "$c/expected" ]; then
		not_ok "$name: no expected file" "exit $rc" "$actual"
		continue
	fi
	expected=$(cat "$c/expected")
	if [ $rc -ne 2 ]; then
		not_ok "$name: exits 2" "exit $rc" "$actual"
	elif [ "$actual" != "$expected" ]; then
		not_ok "$name: message" "expected:" "$expected" "actual:" "$actual"
	else
		ok "$name"
	fi
done
exit $failed
