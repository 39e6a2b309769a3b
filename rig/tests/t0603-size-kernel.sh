#!/usr/bin/env bash
# rig size against binutils on the kernel and app images of every board
# that the kernel builds for: each board of boards/ with a build section is
# built with the host's cross compilers, then t0600's comparison (sections
# with `size -A`, totals with Berkeley `size`, symbols with `nm -S`) runs
# over every kernel and app ELF the builds produced. Emits TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# The builds are shared with the other kernel tests (kernel-build-boards.sh's lock).
builds=${RIG_KERNEL_BUILDS:-$(mktemp -d /tmp/rig-t0603-builds-XXXXXX)}
out=$(mktemp -d /tmp/rig-t0603-XXXXXX)
trap 'rm -rf "$out"' EXIT

boards=$(/usr/bin/python3 - "$root/boards" <<'PY'
import glob, os, sys, yaml
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.yaml"))):
    d = yaml.safe_load(open(f)) or {}
    cmd = (d.get("build") or {}).get("command") or []
    # Boards built by the kernel's own Makefile (BOARD=…), not the rack file.
    if any(str(a).startswith("BOARD=") for a in cmd):
        print(d["name"])
PY
)
for b in $boards; do
	mkdir -p "$builds"
	if ! flock "$builds/.build.lock" make -s -C "$root/kernel" BOARD="$b" O="$builds/$b" -j2 >"$out/$b.log" 2>&1; then
		echo "Bail out! the kernel does not build for $b: $(tail -3 "$out/$b.log")"
		exit 1
	fi
done
[ -n "$boards" ] || { echo "Bail out! no board builds the kernel"; exit 1; }
# The kernel and app images only: object files and the host tool are not
# what a board runs, and image.elf is a section-less wrapper of the flash
# image that rig size rightly refuses to measure.
mkdir -p "$out/elves"
for b in $boards; do
	mkdir -p "$out/elves/$b/apps"
	cp "$builds/$b/kernel.elf" "$out/elves/$b/"
	cp "$builds/$b"/apps/*.elf "$out/elves/$b/apps/"
done
RIG_SIZE_ELF_DIR=$out/elves exec "$here/t0600-size-binutils.sh"
