#!/usr/bin/env bash
# rig serve with a test rack of two virtual boards (real OpenOCD, the real
# libserialport): a pull request gets its QEMU job and its device job, a
# device leased for it and released after; a daemon killed with SIGKILL in
# the middle of a device job holds a lease that expires on its own, and the
# next one resumes the job on another device and records every case exactly
# once. Emits TAP.
set -u
. "$(dirname "$0")/rack-lib.sh"
rack_need sqlite3
serve_pid=
# Killed by rack_cleanup with the rest.
kill_serve() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; serve_pid=; }
trap 'kill_serve; rack_cleanup' EXIT

if rack_setup 4 3; then ok "two virtual boards in a test rack, and the fixture repository"
else not_ok "two virtual boards in a test rack" "$(tail_of "$work/vb-1.log")"; exit 1; fi
cat >>"$cfg" <<EOF
forges:
  - { name: fixture, url: $src, kind: git, base: main, poll_interval: 1 }
dashboard: { listen: "127.0.0.1:0" }
build: { parallelism: 2 }
EOF
db() { sqlite3 -cmd '.timeout 5000' "$work/data/rig.db" "$1"; }
wait_until() { # SECONDS COMMAND...
	local deadline=$(( $(now_ms) + $1 * 1000 )); shift
	while [ "$(now_ms)" -lt "$deadline" ]; do "$@" && return 0; sleep 0.2; done
	"$@"
}
serve_start() {
	: >"$work/serve.out"
	# serial-ns.sh execs its way to rig: the job's pid is the daemon's.
	"$here/serial-ns.sh" "$work/vb-1.console" "$work/vb-2.console" -- "$rig" serve -c "$cfg" \
		>>"$work/serve.out" 2>>"$work/serve.log" &
	serve_pid=$!
	wait_until 30 grep -q 'listening on' "$work/serve.out"
}
# pr N: a new commit on refs/pull/N/head; its sha in $sha.
pr() {
	git -C "$src" checkout -q -B "pr$1" main
	echo "change $1" >>"$src/kernel/README.md"
	git -C "$src" commit -q -am "pull request $1"
	git -C "$src" update-ref "refs/pull/$1/head" "pr$1"
	git -C "$src" checkout -q main
	sha=$(git -C "$src" rev-parse "refs/pull/$1/head")
}
done_change() { [ "$(db "select state from changes where sha = '$1'")" = done ]; }
rows() { # SHA: "kind target status" per job
	db "select j.target_kind || ' ' || j.state || ' ' || coalesce(j.device, '-') from jobs j join changes c on c.id = j.change_id
	    where c.sha = '$1' order by j.target_kind"
}

serve_start || { not_ok "rig serve starts" "$(tail_of "$work/serve.log")"; exit 1; }
if grep -q 'rig-dev-.*runs the jobs of vb-' "$work/serve.log"; then ok "a worker per device of the rack"
else not_ok "a worker per device of the rack" "$(grep runs "$work/serve.log")"; fi

wait_until 10 grep -q 'first poll' "$work/serve.log"
pr 1; sha1=$sha
wait_until 240 done_change "$sha1"
r=$(rows "$sha1")
results=$(db "select group_concat(s, ' ') from (select r.target || ':' || r.status as s from results r
	      join changes c on c.id = r.change_id where c.sha = '$sha1' order by r.target, r.case_name)")
if done_change "$sha1" && [[ $r =~ ^device\ done\ vb-[12]$'\n'qemu\ done\ -$ ]] &&
   [ "$(db "select gate from changes where sha = '$sha1'")" = pass ] &&
   [ "$(grep -o ':pass' <<<"$results" | wc -l)" = 6 ]; then
	ok "a pull request runs on QEMU and on a device of the rack, and passes"
else not_ok "a pull request runs on QEMU and on a device of the rack" "$r" "$results" \
	"$(db "select reason from changes where sha = '$sha1'")" "$(tail_of "$work/serve.log")"; fi
leased=$(db "select count(*) from devices where lease_job is not null and lease_expires > $(now_ms)")
if [ "$leased" = 0 ]; then ok "the device's lease is released when the job ends"
else not_ok "the device's lease is released when the job ends" "$("$rig" boards -c "$cfg")"; fi

# ---- SIGKILL in the middle of a device job ----
pr 2; sha2=$sha
device_midway() {
	[ "$(db "select count(*) from results r join jobs j on j.id = r.job_id join changes c on c.id = j.change_id
		 where c.sha = '$sha2' and j.target_kind = 'device'")" -ge 1 ] &&
	[ "$(db "select j.state from jobs j join changes c on c.id = j.change_id
		 where c.sha = '$sha2' and j.target_kind = 'device'")" = running ]
}
wait_until 240 device_midway
kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=
held=$(db "select id from devices where lease_job is not null and lease_expires > $(now_ms)")
before=$(db "select count(*) from results r join changes c on c.id = r.change_id where c.sha = '$sha2'")
if [ -n "$held" ]; then ok "killed mid device job ($before results in): its lease on $held is still held"
else not_ok "killed mid device job: its lease is still held" "$(db 'select * from devices')"; fi

serve_start || { not_ok "rig serve starts again" "$(tail_of "$work/serve.log")"; exit 1; }
wait_until 240 done_change "$sha2"
counts=$(db "select count(*) || ' ' || count(distinct r.job_id || r.case_name) from results r
	     join changes c on c.id = r.change_id where c.sha = '$sha2'")
if done_change "$sha2" && [ "$counts" = "6 6" ] && [ "$(db "select gate from changes where sha = '$sha2'")" = pass ] &&
   grep -q 'on a device of .*(resumed)' "$work/serve.log"; then
	ok "the next daemon resumes the device job: every case recorded once ($counts)"
else not_ok "the next daemon resumes the device job" "results/distinct: $counts" "$(rows "$sha2")" \
	"$(grep -E 'job [0-9]+:|lease' "$work/serve.log" | tail -8)"; fi

no_lease() { [ "$(db "select count(*) from devices where lease_job is not null and lease_expires > $(now_ms)")" = 0 ]; }
if wait_until 10 no_lease; then ok "the killed daemon's lease expired on its own (lease_seconds 4)"
else not_ok "the killed daemon's lease expired on its own" "$(db "select id, lease_job, lease_holder from devices")"; fi

kill -TERM "$serve_pid"; wait "$serve_pid"; rc=$?; serve_pid=
leased=$(db "select count(*) from devices where lease_job is not null and lease_expires > $(now_ms)")
if [ "$rc" = 0 ] && [ "$leased" = 0 ]; then ok "SIGTERM: the daemon exits and holds no lease"
else not_ok "SIGTERM: the daemon exits and holds no lease" "exit $rc; $leased leased" "$(db "select id, lease_job, lease_holder, lease_expires - $(now_ms) from devices")" "$(db "select id, target_kind, state, device from jobs")"; fi
if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error' "$work/serve.log"; then
	not_ok "the daemons' log shows no sanitizer report" "$(grep -A10 Sanitizer "$work/serve.log" | head -30)"
else ok "the daemons' log shows no sanitizer report"; fi

echo "1..$n"
exit $failed
