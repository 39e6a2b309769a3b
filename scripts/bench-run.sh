#!/usr/bin/env bash
# The rig's overhead on one change: `rig run` of a clean PR (cold: builds;
# warm: builds reused) next to the same work done by hand in the same run —
# the container build with scripts/rig-podman, and the same cases booted in
# QEMU by the kernel's own runner (scripts/kernel-qemu-test.py, one at a
# time as the rig does). Prints milliseconds and the overhead in percent.
#
#   scripts/bench-run.sh [SUITE...]      (default: boot syscall)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rig=${RIG:-$root/build/rig/rig}
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(boot syscall)
boards=(qemu-mps2-an385 qemu-sifive-e)
T=$(mktemp -d /tmp/rig-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

[ -x "$rig" ] || { echo "bench-run: build the rig first (make)" >&2; exit 2; }
"$root/scripts/make-forge.sh" "$T/forge" 1:clean
suite_args=(); py_suites=()
for s in "${suites[@]}"; do suite_args+=(--suite "$s"); py_suites+=(--suite "$s"); done
cat > "$T/rig.yaml" <<YAML
data_dir: $T/data
boards_dir: $root/boards
suites_dir: $root/suites
containers_dir: $root/containers
kernel_dir: $root/kernel
targets: [${boards[0]}, ${boards[1]}]
YAML

# The build image exists before timing: both sides use it, neither builds it.
"$rig" run -c "$T/rig.yaml" --repo "$T/forge" --ref main --suite boot >/dev/null 2>&1 || true
rm -rf "$T/data/builds" "$T/data/rig.db"*

t0=$(now)
"$rig" run -c "$T/rig.yaml" --repo "$T/forge" --ref pull/1 "${suite_args[@]}" --json > "$T/cold.json" 2>/dev/null
t1=$(now)
"$rig" run -c "$T/rig.yaml" --repo "$T/forge" --ref pull/1 "${suite_args[@]}" --json > "$T/warm.json" 2>/dev/null
t2=$(now)
rig_cold=$(ms "$t0" "$t1"); rig_warm=$(ms "$t1" "$t2")
cases=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["results"]))' "$T/cold.json")

# By hand: the same tree, the same image, the same recipe.
git -C "$T/forge" archive refs/pull/1/head | (mkdir -p "$T/src" && tar -x -C "$T/src")
image=$(sqlite3 "$T/data/rig.db" "SELECT image_id FROM builds WHERE image_id IS NOT NULL ORDER BY id DESC LIMIT 1")
t3=$(now)
for b in "${boards[@]}"; do
	mkdir -p "$T/raw/$b"
	# The same MAKEFLAGS the rig gives a recipe (its containers.cpus, 2 by default).
	"$root/scripts/rig-podman" run --rm --network none --read-only --tmpfs /tmp --cpus 2 -e MAKEFLAGS=-j2 \
		-v "$T/src:/src:ro" -v "$T/raw/$b:/out" "$image" make -C /src/kernel BOARD="$b" O=/out >/dev/null
done
t4=$(now)
/usr/bin/python3 "$root/scripts/kernel-qemu-test.py" --root "$root" --out "$T/raw" -j 1 "${py_suites[@]}" \
	"${boards[@]}" > "$T/raw.tap" 2>&1 || true
t5=$(now)
raw_build=$(ms "$t3" "$t4"); raw_qemu=$(ms "$t4" "$t5")
raw_cases=$(grep -cE '^(not )?ok [0-9]+ - qemu-[a-z0-9-]+ [a-z]+/' "$T/raw.tap" || true)
rig_builds=$(/usr/bin/python3 -c 'import json,sys; print(sum(b["duration_ms"] for b in json.load(open(sys.argv[1]))["builds"]))' "$T/cold.json")

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? (a - b) * 100.0 / b : 0 }'; }
echo "cases: $cases through the rig, $raw_cases by hand (${suites[*]} on ${boards[*]})"
printf '%-38s %8s ms\n' "rig run, cold (builds):" "$rig_cold"
printf '%-38s %8s ms\n' "  of which the rig's builds" "$rig_builds"
printf '%-38s %8s ms\n' "by hand: podman builds" "$raw_build"
printf '%-38s %8s ms\n' "by hand: QEMU, one case at a time" "$raw_qemu"
printf '%-38s %8s ms  (%s%%)\n' "overhead, cold" "$((rig_cold - raw_build - raw_qemu))" \
	"$(pct "$rig_cold" "$((raw_build + raw_qemu))")"
printf '%-38s %8s ms\n' "rig run, warm (builds reused):" "$rig_warm"
printf '%-38s %8s ms  (%s%%)\n' "overhead, warm (against QEMU by hand)" "$((rig_warm - raw_qemu))" \
	"$(pct "$rig_warm" "$raw_qemu")"
