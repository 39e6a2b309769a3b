#!/usr/bin/env bash
# rig demo: its forge script (scripts/demo-forge.sh: main and one pull request
# per patch, the same commits every time), its boards (the project's plus the
# boot seed), its configuration; then the demo itself on a copy of its
# configuration trimmed to three cases per target and short boot deadlines:
# every sample pull request gets the verdict it is there to show, and a
# second `rig demo` reuses what the first built; while it serves, every page
# its dashboard lists loads in Chromium (dashboard/tests/demo-pages.mjs).
# Real podman builds of the
# kernel, real QEMU. Emits TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rig=${RIG:-$root/build/rig/rig}
T=$(mktemp -d /tmp/rig-t0954-XXXXXX)
demo_pid=
cleanup() {
	if [ -n "$demo_pid" ]; then kill -9 "$demo_pid" 2>/dev/null; wait "$demo_pid" 2>/dev/null; fi
	rm -rf "$T"
}
trap cleanup EXIT
export HOME=$T/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
mkdir -p "$HOME"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_until() { # SECONDS COMMAND...
	local deadline=$(( $(now_ms) + $1 * 1000 )); shift
	while [ "$(now_ms)" -lt "$deadline" ]; do "$@" && return 0; sleep 0.5; done
	"$@"
}
db() { sqlite3 -cmd '.timeout 5000' "$T/data/rig.db" "$1"; }

# ---- the pieces ----
bad=
for b in qemu-mps2-an385 qemu-sifive-e; do
	d=$(diff <(grep -v '^#' "$root/scripts/demo/boards/$b.yaml" |
		sed 's/-device, "loader,addr=0x[0-9a-f]*,data={seed},data-len=4", //') "$root/boards/$b.yaml") || bad="$bad$b: $d"
	grep -q 'data={seed}' "$root/scripts/demo/boards/$b.yaml" || bad="$bad$b: no seed loader"
done
if [ -z "$bad" ]; then ok "the demo's boards are the project's, plus the boot seed"
else not_ok "the demo's boards are the project's, plus the boot seed" "$bad"; fi

out=$("$rig" check -c "$root/scripts/demo/rig.yaml" 2>&1)
if [ "$out" = "configuration OK" ]; then ok "rig check passes the demo's configuration"
else not_ok "rig check passes the demo's configuration" "$out"; fi

"$root/scripts/demo-forge.sh" "$T/data/demo/forge.git" >"$T/forge.out" 2>&1; rc=$?
refs=$(git --git-dir="$T/data/demo/forge.git" for-each-ref --format='%(objectname) %(refname)')
npatch=$(ls "$root"/scripts/demo/patches/[0-9]*-*.patch | wc -l)
if [ $rc = 0 ] && [ "$(grep -c 'refs/pull/' <<<"$refs")" = "$npatch" ] && grep -q ' refs/heads/main$' <<<"$refs"; then
	ok "demo-forge.sh: main and one pull request per patch ($npatch)"
else not_ok "demo-forge.sh: main and one pull request per patch" "exit $rc" "$(cat "$T/forge.out")" "$refs"; fi
"$root/scripts/demo-forge.sh" "$T/data/demo/forge.git" >/dev/null 2>&1
if [ "$(git --git-dir="$T/data/demo/forge.git" for-each-ref --format='%(objectname) %(refname)')" = "$refs" ]; then
	ok "a second demo-forge.sh gives the same commits"
else not_ok "a second demo-forge.sh gives the same commits"; fi
sha_of() { git --git-dir="$T/data/demo/forge.git" rev-parse "$1"; }

# ---- the demo, trimmed: three cases per target, boot deadlines of 3 s ----
mkdir -p "$T/boards" "$T/suites/smoke/apps"
for b in qemu-mps2-an385 qemu-sifive-e; do
	sed 's/^boot_timeout: .*/boot_timeout: 3/' "$root/scripts/demo/boards/$b.yaml" >"$T/boards/$b.yaml"
done
ln -s "$root/suites/syscall/apps/sc_exists" "$T/suites/smoke/apps/sc_exists"
for a in ipc_notify_drv ipc_echo; do ln -s "$root/suites/ipc/apps/$a" "$T/suites/smoke/apps/$a"; done
cat >"$T/suites/smoke/suite.yaml" <<'EOF'
name: smoke
description: three cases of the demo's, for its test
timeout: 20
cases:
  - { name: banner, apps: [hello], plan: 1 }
  - { name: command-exists, apps: [sc_exists], plan: 3 }
  - { name: notify-round-trip, apps: [ipc_notify_drv, ipc_echo], plan: 5 }
EOF
sed -e "s|^data_dir: .*|data_dir: $T/data|" -e "s|^boards_dir: .*|boards_dir: $T/boards|" \
	-e "s|^suites_dir: .*|suites_dir: $T/suites|" -e "s|\.\./\.\./|$root/|g" \
	-e "s|url: .*|url: $T/data/demo/forge.git|" -e "s|poll_interval: .*|poll_interval: 1|" \
	-e "s|listen: .*|listen: 127.0.0.1:0|" "$root/scripts/demo/rig.yaml" >"$T/rig.yaml"

start_demo() {
	: >"$T/demo.out"
	"$rig" demo -c "$T/rig.yaml" >>"$T/demo.out" 2>>"$T/demo.log" &
	demo_pid=$!
	wait_until 60 grep -q 'the dashboard is on' "$T/demo.out"
}
stop_demo() { kill -TERM "$demo_pid"; wait "$demo_pid"; stop_rc=$?; demo_pid=; }

t0=$(now_ms)
if start_demo; then ok "rig demo makes its forge and serves it ($(grep -o 'http://[^ ]*' "$T/demo.out"))"
else not_ok "rig demo makes its forge and serves it" "$(cat "$T/demo.out")" "$(tail -5 "$T/demo.log")"; fi
all_done() { [ "$(db "select count(*) from changes where state = 'done'")" = $((npatch + 1)) ]; }
wait_until 600 all_done
echo "# the trimmed demo, cold builds: every verdict in $(( $(now_ms) - t0 )) ms"

gate_of() { db "select gate from changes where sha = '$(sha_of "$1")' and state = 'done'"; }
results_of() { # REF: "case target status" lines
	db "select r.case_name || ' ' || r.target || ' ' || r.status from results r join changes c on c.id = r.change_id
	    where c.sha = '$(sha_of "$1")' order by r.case_name, r.target"
}
pass6="banner qemu-mps2-an385 pass
banner qemu-sifive-e pass
command-exists qemu-mps2-an385 pass
command-exists qemu-sifive-e pass
notify-round-trip qemu-mps2-an385 pass
notify-round-trip qemu-sifive-e pass"

if [ "$(gate_of main)" = pass ] && [ "$(results_of main)" = "$pass6" ]; then ok "main passes"
else not_ok "main passes" "$(gate_of main)" "$(results_of main)"; fi
if [ "$(gate_of pull/1/head)" = pass ] && [ "$(results_of pull/1/head)" = "$pass6" ]; then ok "pull/1 (clean) passes"
else not_ok "pull/1 (clean) passes" "$(gate_of pull/1/head)" "$(results_of pull/1/head)"; fi

reason2=$(db "select reason from changes where sha = '$(sha_of pull/2/head)'")
if [ "$(gate_of pull/2/head)" = fail ] && [[ $reason2 == *"size: qemu-"*"flash grew by 3"*"over the fail limit"* ]] &&
   [ "$(results_of pull/2/head)" = "$pass6" ]; then
	ok "pull/2 (a 3 KiB table) passes its cases and fails on size"
else not_ok "pull/2 (a 3 KiB table) fails on size" "$reason2" "$(results_of pull/2/head)"; fi

r3=$(results_of pull/3/head)
if [ "$(gate_of pull/3/head)" = fail ] && [ "$(grep -c 'qemu-sifive-e fail' <<<"$r3")" = 3 ] &&
   [ "$(grep -c 'qemu-mps2-an385 pass' <<<"$r3")" = 3 ] &&
   [ -z "$(db "select 1 from results r join changes c on c.id = r.change_id where c.sha = '$(sha_of pull/3/head)'
	       and r.target = 'qemu-sifive-e' and r.reason not like '%boot banner%'")" ]; then
	ok "pull/3 fails to boot on RISC-V only"
else not_ok "pull/3 fails to boot on RISC-V only" "$r3"; fi

r4=$(results_of pull/4/head)
if [ "$(gate_of pull/4/head)" = fail ] && [ "$r4" = "banner qemu-mps2-an385 pass
banner qemu-sifive-e pass
command-exists qemu-mps2-an385 pass
command-exists qemu-sifive-e pass
notify-round-trip qemu-mps2-an385 fail
notify-round-trip qemu-sifive-e fail" ] &&
   [ "$(db "select count(*) from results r join changes c on c.id = r.change_id where c.sha = '$(sha_of pull/4/head)'
	     and r.reason like '%STALE%'")" = 2 ]; then ok "pull/4 fails its IPC case on every board (a stale handle accepted)"
else not_ok "pull/4 fails its IPC case on every board" "$r4"; fi

r5=$(db "select r.case_name || ' ' || r.status || ' ' || r.attempt || ' ' || r.flaky || ' ' || coalesce(r.reason, '')
	 from results r join changes c on c.id = r.change_id where c.sha = '$(sha_of pull/5/head)' order by r.case_name")
if [ "$(grep -c '^banner pass 1 0' <<<"$r5")" = 2 ] && [ "$(grep -c '^notify-round-trip pass 1 0' <<<"$r5")" = 2 ] &&
   ! grep '^command-exists' <<<"$r5" | grep -vqE '^command-exists (pass 1 0|pass 2 1 flaky: .*console driver exists|fail 2 0 .*console driver exists)'; then
	ok "pull/5 (flaky): its case passes, passes on the retry, or fails twice ($(grep -c 'flaky' <<<"$r5") flaky here)"
else not_ok "pull/5 (flaky)" "$r5"; fi

url=$(grep -o 'http://[^ ]*' "$T/demo.out" | tail -1)
page=$(curl -s -o /dev/null -w '%{http_code}' "$url")
listed=$(curl -s "${url}api/changes" | jq '.changes | length' 2>/dev/null)
if [ "$page" = 200 ] && [ "$listed" = $((npatch + 1)) ]; then ok "the dashboard on the demo's address lists every change"
else not_ok "the dashboard on the demo's address lists every change" "GET / $page; /api/changes: $(curl -s "${url}api/changes" | head -c 300)"; fi

# ---- the dashboard in Chromium, served by the demo's daemon ----
# A branch named like a script, run into the demo's store beside the daemon,
# then every page the daemon's API lists, in the browser.
xss='<script>alert(1)</script>'
git --git-dir="$T/data/demo/forge.git" branch "$xss" main
if "$rig" run -c "$T/rig.yaml" --repo "$T/data/demo/forge.git" --ref "$xss" >"$T/xss.out" 2>"$T/xss.err"; then
	ok "rig run of a branch named $xss beside the daemon passes"
else not_ok "rig run of a branch named $xss beside the daemon passes" "$(tail -5 "$T/xss.err")"; fi
shots=${RIG_BUILD_DIR:-$root/build}/dashboard-screenshots
if [ -d "$root/dashboard/node_modules/playwright-core" ] && [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
	node "$root/dashboard/tests/demo-pages.mjs" "$url" "$shots" "$xss" >"$T/pages.tap" 2>&1
	# Each of its points becomes one of ours; its diagnostics follow as they are.
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "dashboard: ${line#ok * - }" ;;
		"not ok "*) not_ok "dashboard: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done < "$T/pages.tap"
	grep -q '^ok' "$T/pages.tap" || not_ok "dashboard: the browser check ran" "$(head -20 "$T/pages.tap")"
else
	not_ok "dashboard: playwright-core and chromium are installed (make runs scripts/dashboard-deps.sh)"
fi

builds=$(db "select count(*) from builds")
changes=$(db "select count(*) from changes")
stop_demo
if [ "$stop_rc" = 0 ]; then ok "Ctrl-C (SIGTERM) stops the demo"
else not_ok "Ctrl-C (SIGTERM) stops the demo" "exit $stop_rc"; fi

# ---- a second demo: nothing moved, nothing to build ----
start_demo
sleep 3
if [ "$(db 'select count(*) from changes')" = "$changes" ] && [ "$(db 'select count(*) from builds')" = "$builds" ] &&
   grep -q "forge .* ready" "$T/demo.out"; then
	ok "a second rig demo reuses the forge, the mirror and the builds: nothing new to do"
else not_ok "a second rig demo reuses what the first built" "$(db 'select id, ref, state from changes')" \
	"builds: $builds then $(db 'select count(*) from builds')"; fi
stop_demo

if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error' "$T/demo.log"; then
	not_ok "the demo's log shows no sanitizer report" "$(grep -A10 Sanitizer "$T/demo.log" | head -30)"
else ok "the demo's log shows no sanitizer report"; fi

echo "1..$n"
exit $failed
