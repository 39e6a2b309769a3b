#!/usr/bin/env bash
# Signals: SIGHUP swaps in a new configuration whole while a job runs on (and
# keeps the running one when the new one is invalid); a second daemon on the
# same data folder is refused; SIGTERM lets a job end its case, re-queues it
# and exits within the deadline, and past the deadline puts it back and
# exits anyway; the next start completes every job exactly once. Emits TAP.
set -u
. "$(dirname "$0")/lib-serve.sh"
serve_setup

running_jobs() { db "select count(*) from jobs where state = 'running'"; }
some_running() { [ "$(running_jobs)" -gt 0 ]; }

serve_start || { echo "Bail out! rig serve did not start: $(tail -5 "$work/serve.log")"; exit 1; }
wait_until 10 grep -q 'first poll' "$work/serve.log"

# ---- one daemon per data folder ----
second=$("$rig" serve -c "$cfg" 2>&1 >/dev/null); rc=$?
if [ "$rc" = 3 ] && [[ $second == *"another rig serve (pid $serve_pid)"* ]]; then
	ok "a second daemon on the same data folder is refused"
else not_ok "a second daemon on the same data folder is refused" "exit $rc: $second"; fi

# ---- SIGHUP while a job runs ----
push_pr 1 slow; sha1=$sha
wait_until 60 some_running
write_config "[serve-arm]"
kill -HUP "$serve_pid"
wait_until 10 grep -q 'configuration 2 in force' "$work/serve.log"
if grep -q 'configuration 2 in force' "$work/serve.log" && some_running; then
	ok "SIGHUP: the new configuration is in force while the jobs run on"
else not_ok "SIGHUP: the new configuration is in force while the jobs run on" "$(grep SIGHUP "$work/serve.log")"; fi
wait_until 90 last_status_is "$sha1" success
if last_status_is "$sha1" success && [ "$(db "select count(*) from results r join changes c on c.id = r.change_id where c.sha = '$sha1'")" = 8 ]; then
	ok "the jobs running across the reload finish and are reported"
else not_ok "the jobs running across the reload finish and are reported" "$(statuses "$sha1")"; fi
push_pr 2 pass; sha2=$sha
wait_until 90 last_status_is "$sha2" success
targets=$(db "select group_concat(target) from jobs j join changes c on c.id = j.change_id where c.sha = '$sha2'")
if [ "$targets" = serve-arm ] && grep -q 'rig-job-2 *$\|retire\|serve-arm2' "$work/serve.log"; then
	ok "a change queued after the reload runs on the new configuration's targets only"
else not_ok "a change queued after the reload runs on the new configuration's targets only" "targets: $targets"; fi

printf 'targets: [\n' >"$cfg"
kill -HUP "$serve_pid"
wait_until 10 grep -q 'the running configuration stays' "$work/serve.log"
push_pr 3 pass; sha3=$sha
wait_until 90 last_status_is "$sha3" success
if grep -q 'the running configuration stays' "$work/serve.log" && last_status_is "$sha3" success; then
	ok "SIGHUP with a broken configuration: it says why and keeps the running one"
else not_ok "SIGHUP with a broken configuration keeps the running one" "$(grep -i sighup "$work/serve.log")"; fi
write_config

# ---- SIGTERM: the job ends its case, is queued again, the daemon exits within its deadline ----
serve_stop
serve_start --shutdown-timeout 20 || { echo "Bail out! rig serve did not start again"; exit 1; }
push_pr 4 slow; sha4=$sha
wait_until 60 bash -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$work/data/rig.db' \
	\"select count(*) from results r join changes c on c.id = r.change_id where c.sha = '$sha4'\")\" -ge 1 ]"
before=$(db "select count(*) from results")
serve_stop
jobs=$(db "select group_concat(state) from (select j.state from jobs j join changes c on c.id = j.change_id where c.sha = '$sha4' order by j.id)")
if [ "$stop_rc" = 0 ] && [ "$stop_ms" -lt 20000 ] && [[ $jobs == *queued* ]] &&
   grep -q 'queued again, to be resumed' "$work/serve.log"; then
	ok "SIGTERM: jobs end their case and are queued again; exit 0 in ${stop_ms} ms (deadline 20 s)"
else not_ok "SIGTERM: jobs end their case and are queued again" "exit $stop_rc in $stop_ms ms; jobs: $jobs"; fi
echo "# SIGTERM with jobs running: exit in ${stop_ms} ms"

# ---- SIGTERM past the deadline: put back, and out ----
serve_start --shutdown-timeout 0.3 || { echo "Bail out! rig serve did not start again"; exit 1; }
wait_until 60 some_running
sleep 0.3
serve_stop
if [ "$stop_rc" = 0 ] && [ "$stop_ms" -lt 2500 ] && grep -q 'deadline of 300 ms passed' "$work/serve.log" &&
   [ "$(running_jobs)" = 0 ]; then
	ok "SIGTERM with a case running past the deadline: jobs put back, exit in ${stop_ms} ms"
else not_ok "SIGTERM past the deadline: jobs put back, exit" "exit $stop_rc in $stop_ms ms; running: $(running_jobs)" \
	"$(grep -i 'deadline\|stopping' "$work/serve.log" | tail -3)"; fi
sleep 0.5
if [ "$(pgrep -f "qemu-system-arm.*$work/data" | wc -l)" = 0 ]; then ok "no QEMU outlives the daemon's exit"
else not_ok "no QEMU outlives the daemon's exit" "$(pgrep -af qemu-system-arm)"; fi

serve_start || { echo "Bail out! rig serve did not start again"; exit 1; }
wait_until 120 last_status_is "$sha4" success
results=$(db "select count(*) || ' ' || count(distinct job_id || case_name) from results r join changes c on c.id = r.change_id where c.sha = '$sha4'")
if last_status_is "$sha4" success && [ "$results" = "8 8" ] && [ "$(db 'select count(*) from results')" -ge "$before" ]; then
	ok "the next start completes the change: every case once, nothing lost"
else not_ok "the next start completes the change: every case once" "results/distinct: $results"; fi

serve_stop
if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error' "$work/serve.log"; then
	not_ok "the daemons' log shows no sanitizer report" "$(grep -A10 Sanitizer "$work/serve.log" | head -30)"
else ok "the daemons' log shows no sanitizer report"; fi

echo "1..$n"
exit $failed
