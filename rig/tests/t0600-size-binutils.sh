#!/usr/bin/env bash
# rig size against binutils on real cross-compiled images: every allocated
# section as `size -A` lists it, the Berkeley totals of `size` (flash = text
# + data, RAM = data + bss), and every function and object symbol with the
# size `nm -S` gives it. Runs over the fixtures (RIG_ELF_FIXTURES, built here
# when unset) and over every ELF under RIG_SIZE_ELF_DIR when that is set —
# e.g. the kernel build output of every board. Emits TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rig=${RIG:-$here/../../build/rig/rig}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fixtures=${RIG_ELF_FIXTURES:-}
if [ -z "$fixtures" ] || [ ! -d "$fixtures" ]; then
	fixtures=$work/fixtures
	if ! "$here/elf/build-fixtures.sh" "$here/elf" "$fixtures" >"$work/build.log" 2>&1; then
		echo "1..1"
		echo "not ok 1 - build the ELF fixtures"
		sed 's/^/# /' "$work/build.log"
		exit 1
	fi
fi

files=("$fixtures"/*.elf)
if [ -n "${RIG_SIZE_ELF_DIR:-}" ]; then
	while IFS= read -r -d '' f; do
		[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && files+=("$f")
	done < <(find "$RIG_SIZE_ELF_DIR" -type f -print0 | sort -z)
fi
exec python3 "$here/size-vs-binutils.py" "$rig" "${files[@]}"
