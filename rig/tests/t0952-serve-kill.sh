#!/usr/bin/env bash
# Durability: rig serve killed with SIGKILL in the middle of its jobs, twice,
# and started again, completes every job exactly once and loses no recorded
# result: the job and result rows are counted, and every result recorded
# before a kill is still there after. QEMU does not outlive the daemon.
# Emits TAP.
set -u
. "$(dirname "$0")/lib-serve.sh"
serve_setup

serve_start || { echo "Bail out! rig serve did not start: $(tail -5 "$work/serve.log")"; exit 1; }
wait_until 10 grep -q 'first poll' "$work/serve.log"

# Two changes of slow cases (about two seconds a boot): 2 changes x 2 targets x 4 cases.
push_pr 1 slow; sha1=$sha
push_pr 2 slow; sha2=$sha

qemus() { pgrep -f "qemu-system-arm.*$work/data" | wc -l; }

# kill_mid_run MIN_RESULTS: SIGKILL once that many results are recorded and a job runs.
kill_mid_run() {
	wait_until 120 bash -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$work/data/rig.db' \
		\"select (select count(*) from results) >= $1 and
		         (select count(*) from jobs where state = 'running') > 0\")\" = 1 ]"
	kill -9 "$serve_pid"
	wait "$serve_pid" 2>/dev/null
	serve_pid=
	db "select id || ':' || job_id || ':' || case_name from results order by id" >"$work/results.$1"
	db "select id || ':' || state from jobs order by id" >"$work/jobs.$1"
}

kill_mid_run 2
running=$(grep -c ':running$' "$work/jobs.2")
if [ "$(wc -l <"$work/results.2")" -ge 2 ] && [ "$running" -ge 1 ]; then
	ok "killed with SIGKILL with $(wc -l <"$work/results.2") results recorded and $running job(s) running"
else not_ok "killed mid-run" "$(cat "$work/jobs.2")"; fi
sleep 0.5
if [ "$(qemus)" = 0 ]; then ok "no QEMU outlives the killed daemon"
else not_ok "no QEMU outlives the killed daemon" "$(pgrep -af qemu-system-arm)"; fi

serve_start || { echo "Bail out! rig serve did not start again: $(tail -5 "$work/serve.log")"; exit 1; }
if grep -q 'recovery: [1-9][0-9]* jobs\? resumed' "$work/serve.log"; then ok "the restarted daemon takes back the jobs that were running"
else not_ok "the restarted daemon takes back the jobs that were running" "$(grep recovery "$work/serve.log")"; fi

kill_mid_run 9
serve_start || { echo "Bail out! rig serve did not start a third time: $(tail -5 "$work/serve.log")"; exit 1; }

wait_until 180 bash -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$work/data/rig.db' \
	\"select count(*) from changes where state = 'done'\")\" = 2 ]"
jobs=$(db "select count(*) || ' ' || sum(state = 'done') from jobs")
results=$(db "select count(*) from results")
distinct=$(db "select count(*) from (select distinct job_id, case_name from results)")
if [ "$jobs" = "4 4" ]; then ok "every job done, and no job made twice (4 jobs)"
else not_ok "every job done, and no job made twice" "jobs/done: $jobs" "$(db 'select * from jobs')"; fi
if [ "$results" = 16 ] && [ "$distinct" = 16 ]; then ok "every case recorded exactly once (16 results)"
else not_ok "every case recorded exactly once" "results $results, distinct (job, case) $distinct"; fi

lost=0
for f in "$work/results.2" "$work/results.9"; do
	while IFS=: read -r id job case; do
		[ "$(db "select job_id || ':' || case_name from results where id = $id")" = "$job:$case" ] || lost=$((lost + 1))
	done <"$f"
done
if [ "$lost" = 0 ]; then ok "no result recorded before a kill was lost or changed"
else not_ok "no result recorded before a kill was lost or changed" "$lost missing"; fi

wait_until 30 last_status_is "$sha2" success
if last_status_is "$sha1" success && last_status_is "$sha2" success &&
   [ "$(statuses "$sha1" | grep -c success)" = 1 ] && [ "$(statuses "$sha2" | grep -c success)" = 1 ]; then
	ok "each change's verdict is posted once"
else not_ok "each change's verdict is posted once" "$sha1: $(statuses "$sha1" | tr '\n' ' ')" \
	"$sha2: $(statuses "$sha2" | tr '\n' ' ')"; fi
resumed=$(db "select count(*) from jobs where attempts > 1")
echo "# jobs resumed after a kill: $resumed of 4"

serve_stop
if [ "$stop_rc" = 0 ]; then ok "the third daemon stops cleanly"
else not_ok "the third daemon stops cleanly" "exit $stop_rc"; fi
if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error' "$work/serve.log"; then
	not_ok "the daemons' log shows no sanitizer report" "$(grep -A10 Sanitizer "$work/serve.log" | head -30)"
else ok "the daemons' log shows no sanitizer report"; fi

echo "1..$n"
exit $failed
