#!/usr/bin/env bash
# rig run end to end: a fixture forge made from this repository's kernel
# (scripts/make-forge.sh), real libgit2, real podman builds, real QEMU.
# Each pull request gets the right verdict per target and exit code, the
# SQLite rows match the JSON, sizes are measured against the merge-base, and
# infrastructure faults give `error` and exit 3, never `fail`. Emits TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rig=${RIG:-$root/build/rig/rig}
py=/usr/bin/python3
T=$(mktemp -d /tmp/rig-t0100-XXXXXX)
trap 'rm -rf "$T"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
}
# check NAME PYTHON-EXPRESSION-OVER-d (the JSON) [FILE]
check() {
	local name=$1 expr=$2 file=${3:-$T/out.json} why
	if why=$($py - "$file" "$expr" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
res = d["results"]
builds = d["builds"]
ok = eval(sys.argv[2])
if not ok:
    print("gate:", d["gate"], "-", d["reason"])
    for b in builds:
        print("build", b["board"], b["status"], "cached" if b["cached"] else "", b.get("reason"))
    for r in res:
        if r["status"] != "pass":
            print("result", r["suite"], r["case"], r["target"], r["status"], r.get("reason"))
    sys.exit(1)
EOF
	); then ok "$name"; else not_ok "$name" "$why"; fi
}
# rig_run CONFIG ARGS...: runs rig run --json into $T/out.json, exit code in $rc.
rig_run() {
	local cfg=$1; shift
	"$rig" run -c "$cfg" --json "$@" > "$T/out.json" 2> "$T/err.log"
	rc=$?
	[ -s "$T/out.json" ] || echo '{"results":[],"builds":[],"gate":"none","reason":"no JSON"}' > "$T/out.json"
}
sql() { sqlite3 "$T/data/rig.db" "$1"; }

echo "1..31"

# ---- the forge, the configuration ----
"$root/scripts/make-forge.sh" "$T/forge" 1:clean 2:riscv-no-boot 3:syscall-fail 4:no-compile \
	5:conflict 6:grow-3k 7:noop || { echo "Bail out! cannot make the fixture forge"; exit 1; }
# Short boot deadlines: a kernel that never prints its banner costs little.
mkdir -p "$T/boards" "$T/suites/smoke/apps"
for b in qemu-mps2-an385 qemu-sifive-e; do
	sed 's/^boot_timeout: .*/boot_timeout: 3/' "$root/boards/$b.yaml" > "$T/boards/$b.yaml"
done
ln -s "$root/suites/boot" "$T/suites/boot"
ln -s "$root/suites/syscall" "$T/suites/syscall"
ln -s "$root/suites/syscall/apps/sc_exists" "$T/suites/smoke/apps/sc_exists"
cat > "$T/suites/smoke/suite.yaml" <<'EOF'
name: smoke
description: two cases, for the pipeline's own tests
timeout: 20
cases:
  - name: banner
    apps: [hello]
    plan: 1
  - name: command-exists
    apps: [sc_exists]
    plan: 3
EOF
config() { # config FILE [EXTRA-YAML]
	cat > "$1" <<EOF
data_dir: $T/data
boards_dir: ${BOARDS:-$T/boards}
suites_dir: $T/suites
containers_dir: ${CONTAINERS:-$root/containers}
kernel_dir: $root/kernel
targets: [qemu-mps2-an385, qemu-sifive-e]
suites: [smoke]
size:
  default:
    flash:
      - { bytes: 2048, action: fail }
${2:-}
EOF
}
config "$T/rig.yaml"
if "$rig" check -c "$T/rig.yaml" >/dev/null 2>"$T/err.log"; then ok "the test configuration is valid"
else not_ok "the test configuration is valid" "$(cat "$T/err.log")"; fi

boot_cases=$($py -c 'import yaml,sys; print(len(yaml.safe_load(open(sys.argv[1]))["cases"]))' "$root/suites/boot/suite.yaml")
syscall_cases=$($py -c 'import yaml,sys; print(len(yaml.safe_load(open(sys.argv[1]))["cases"]))' "$root/suites/syscall/suite.yaml")

# ---- a change that passes everywhere, on the real suites ----
rig_run "$T/rig.yaml" --repo "$T/forge" --ref pull/1 --suite boot --suite syscall
[ $rc = 0 ] && ok "clean PR: exit 0" || not_ok "clean PR: exit 0" "exit $rc" "$(tail -5 "$T/err.log")"
check "clean PR: both builds ok, built not cached" \
	'len(builds) == 2 and all(b["status"] == "ok" and not b["cached"] for b in builds)'
check "clean PR: every boot and syscall case passes on both boards" \
	"d['gate'] == 'pass' and len(res) == 2 * ($boot_cases + $syscall_cases) and all(r['status'] == 'pass' for r in res)"
change=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["change_id"])' "$T/out.json")
rows=$(sql "SELECT count(*), sum(status = 'pass') FROM results WHERE change_id = $change")
want="$((2 * (boot_cases + syscall_cases)))|$((2 * (boot_cases + syscall_cases)))"
[ "$rows" = "$want" ] && ok "clean PR: the SQLite rows match the JSON" || not_ok "clean PR: the SQLite rows match the JSON" "rows $rows, want $want"
rows=$(sql "SELECT state || ' ' || gate FROM changes WHERE id = $change; SELECT group_concat(status) FROM builds WHERE change_id = $change;")
[ "$rows" = "$(printf 'done pass\nok,ok')" ] && ok "clean PR: change done/pass, builds ok in the store" \
	|| not_ok "clean PR: change done/pass, builds ok in the store" "$rows"
rows=$(sql "SELECT count(*) FROM checks c JOIN results r ON c.result_id = r.id WHERE r.change_id = $change AND c.ok = 1")
[ "$rows" -gt "$((2 * (boot_cases + syscall_cases)))" ] && ok "clean PR: every TAP point stored ($rows)" \
	|| not_ok "clean PR: every TAP point stored" "$rows"
log=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["log"])' "$T/out.json")
grep -qE '^ +[0-9]+ console +rig-kernel [0-9.]+ board=qemu-mps2-an385 arch=arm$' "$log" \
	&& ok "clean PR: the job log holds the timestamped banner" || not_ok "clean PR: the job log holds the timestamped banner" "$(head -5 "$log")"

# ---- the same change again: nothing to build ----
rig_run "$T/rig.yaml" --repo "$T/forge" --ref pull/1
[ $rc = 0 ] && ok "clean PR again: exit 0" || not_ok "clean PR again: exit 0" "exit $rc"
check "clean PR again: both builds reused (cached)" 'all(b["cached"] and b["status"] == "ok" for b in builds)'

# ---- the boot breaks on RISC-V only ----
rig_run "$T/rig.yaml" --repo "$T/forge" --ref pull/2
[ $rc = 1 ] && ok "RISC-V boot broken: exit 1" || not_ok "RISC-V boot broken: exit 1" "exit $rc"
check "RISC-V boot broken: fail on qemu-sifive-e (no banner), pass on qemu-mps2-an385" \
	'all((r["status"] == "fail" and "no boot banner" in r["reason"]) if r["target"] == "qemu-sifive-e" else r["status"] == "pass" for r in res) and len(res) == 4'

# ---- one syscall case fails on both targets ----
rig_run "$T/rig.yaml" --repo "$T/forge" --ref pull/3 --suite syscall
[ $rc = 1 ] && ok "syscall case broken: exit 1" || not_ok "syscall case broken: exit 1" "exit $rc"
check "syscall case broken: exactly command-exists fails, on each board, naming the point" \
	'sorted((r["case"], r["target"]) for r in res if r["status"] == "fail") == [("command-exists", "qemu-mps2-an385"), ("command-exists", "qemu-sifive-e")] and all("not ok 2 - console driver exists" in r["reason"] for r in res if r["status"] == "fail") and sum(r["status"] == "pass" for r in res) == len(res) - 2'

# ---- a change that does not compile ----
rig_run "$T/rig.yaml" --repo "$T/forge" --ref pull/4
[ $rc = 1 ] && ok "no-compile: exit 1" || not_ok "no-compile: exit 1" "exit $rc"
check "no-compile: both builds fail with the compiler's words, nothing runs" \
	'all(b["status"] == "fail" and "error" in b["reason"] for b in builds) and len(res) == 0 and "build failed" in d["reason"]'

# ---- a change that conflicts with its base ----
rig_run "$T/rig.yaml" --repo "$T/forge" --ref pull/5 --base main --merge
[ $rc = 1 ] && ok "conflict: exit 1" || not_ok "conflict: exit 1" "exit $rc" "$(tail -3 "$T/err.log")"
check "conflict: the gate names the conflict and the file" \
	'd["gate"] == "fail" and "conflict" in d["reason"] and "kernel/README.md" in d["reason"]'

# ---- sizes: a 3 KiB table, and a change that changes nothing ----
rig_run "$T/rig.yaml" --repo "$T/forge" --ref pull/6 --base main
[ $rc = 1 ] && ok "grow-3k: exit 1 (the fail threshold)" || not_ok "grow-3k: exit 1 (the fail threshold)" "exit $rc"
check "grow-3k: flash grows by 3 KiB and a little code on every board" \
	'all(3072 <= b["delta"]["kernel"]["flash"] < 3072 + 256 and b["delta"]["kernel"]["ram"] == 0 for b in builds) and len(builds) == 2'
check "grow-3k: the new table is listed first" \
	'all(b["symbols"][0]["name"] == "fixture_big_table" and b["symbols"][0]["change"] == "new" and b["symbols"][0]["delta"] == 3072 for b in builds)'
check "grow-3k: the gate fails with the reason size, naming board and figure" \
	'd["gate"] == "fail" and "size:" in d["reason"] and "flash grew by" in d["reason"] and "fail limit of 2048 bytes" in d["reason"] and all(r["status"] == "pass" for r in res)'
rig_run "$T/rig.yaml" --repo "$T/forge" --ref pull/7 --base main
check "noop: zero delta, nothing listed, gate passes" \
	'd["gate"] == "pass" and all(all(v == 0 for v in b["delta"]["kernel"].values()) and b["symbols"] == [] for b in builds)'
rows=$(sql "SELECT count(DISTINCT build_id) FROM sizes; SELECT count(*) > 100 FROM symbols;")
[ "$rows" = "$(printf '10\n1')" ] && ok "sizes and symbols stored per build that did the work" || not_ok "sizes and symbols stored per build that did the work" "$rows"

# ---- usage errors ----
rig_run "$T/rig.yaml" --repo "$T/forge" --ref pull/99
[ $rc = 2 ] && grep -q "pull/99" "$T/err.log" && ok "unknown ref: exit 2 naming it" || not_ok "unknown ref: exit 2 naming it" "exit $rc" "$(cat "$T/err.log")"

# ---- infrastructure faults: error and exit 3, never fail ----
config "$T/docker.yaml" "containers: { runtime: docker }"
rig_run "$T/docker.yaml" --repo "$T/forge" --ref pull/3
[ $rc = 3 ] && ok "container runtime missing (docker, no engine): exit 3" || not_ok "container runtime missing (docker, no engine): exit 3" "exit $rc"
check "container runtime missing: builds error, gate error, no fail" \
	'd["gate"] == "error" and all(b["status"] == "error" for b in builds) and not any(r["status"] == "fail" for r in res)'

mkdir -p "$T/boards-noqemu"
for b in qemu-mps2-an385 qemu-sifive-e; do
	sed 's/qemu-system-\(arm\|riscv32\)/qemu-system-nonexistent/; s/^boot_timeout: .*/boot_timeout: 3/' \
		"$root/boards/$b.yaml" > "$T/boards-noqemu/$b.yaml"
done
BOARDS=$T/boards-noqemu config "$T/noqemu.yaml"
rig_run "$T/noqemu.yaml" --repo "$T/forge" --ref pull/1
[ $rc = 3 ] && ok "QEMU binary missing: exit 3" || not_ok "QEMU binary missing: exit 3" "exit $rc"
check "QEMU binary missing: every case error, naming the binary" \
	'd["gate"] == "error" and len(res) == 4 and all(r["status"] == "error" and "qemu-system-nonexistent" in r["reason"] for r in res)'

mkdir -p "$T/containers/kernel-build"
printf 'FROM localhost/rig-base:bookworm\nRUN echo "cannot install the toolchains" && exit 3\n' \
	> "$T/containers/kernel-build/Containerfile"
CONTAINERS=$T/containers config "$T/badimage.yaml"
rig_run "$T/badimage.yaml" --repo "$T/forge" --ref pull/3
[ $rc = 3 ] && ok "image build failing: exit 3" || not_ok "image build failing: exit 3" "exit $rc"
check "image build failing: builds error naming the image, no fail" \
	'd["gate"] == "error" and all(b["status"] == "error" and "kernel-build" in b["reason"] for b in builds) and not any(r["status"] == "fail" for r in res)'

exit $failed
