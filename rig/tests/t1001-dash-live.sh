#!/usr/bin/env bash
# Live logs: GET /api/runs/{id}/events follows a job's log file as it grows
# (server-sent events), resumes by Last-Event-ID, ends with "end" once the
# job is over, keeps to its deadline and to the cap on streams, and never
# holds up a stop. Emits TAP.
set -u
. "$(dirname "$0")/dash-lib.sh"
dash_setup --sse-seconds 3
events=$url/api/runs/$JOB_RUNNING/events
db=$T/data/rig.db
sql() { sqlite3 -cmd '.timeout 5000' "$db" "$1"; }
# wait_for SECONDS PID: whether the process ended within the time.
wait_for() {
	local i
	for i in $(seq $(($1 * 10))); do kill -0 "$2" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
count() { grep -c "^event: $1" "$2" 2>/dev/null || true; }
echo "1..9"

curl -sN --max-time 2 -D "$T/h0" "$events" >"$T/s0"
check "the stream: event-stream, the lines so far, each with its offset as id" \
	eval 'grep -qi "^content-type: text/event-stream" "$T/h0" && grep -qx "retry: 1000" "$T/s0" &&
	      [ "$(count line "$T/s0")" = 4 ] && grep -q "^data: {\"t\": *3," "$T/s0" &&
	      [ "$(grep "^id: " "$T/s0" | tail -n 1 | cut -d" " -f2)" = "$(stat -c %s "$JOB_RUNNING_LOG")" ]'

curl -sN --max-time 20 "$events" >"$T/s1" &
c1=$!
sleep 0.8
printf '     900 console half' >>"$JOB_RUNNING_LOG"
sleep 0.8
half_early=$(grep -c "half" "$T/s1")
printf -- '-line <b>&\n     950 rig     flash again\n' >>"$JOB_RUNNING_LOG"
sleep 0.8
check "appended lines arrive while the stream is open; a half-written line waits for its end" \
	eval '[ "$half_early" = 0 ] && [ "$(count line "$T/s1")" = 6 ] &&
	      grep -q "\"text\": *\"half-line <b>&\"" "$T/s1" && grep -q "\"step\": *true" "$T/s1"'
check "a stream ends at its deadline (the browser reconnects)" wait_for 4 $c1

head_code=$(curl -s -o /dev/null -I -w '%{http_code}' --max-time 1 "$events")
curl -sN --max-time 1 -H "Last-Event-ID: 0" "$events?from=999999" >"$T/s5"
check "HEAD answers at once; Last-Event-ID 0 starts from the top" \
	eval '[ "$head_code" = 200 ] && [ "$(count line "$T/s5")" -ge 4 ]'

second=$(grep "^id: " "$T/s0" | sed -n 2p | cut -d" " -f2)
curl -sN --max-time 1 -H "Last-Event-ID: $second" "$events" >"$T/s2"
check "Last-Event-ID resumes after the line it names" \
	eval '[ "$(count line "$T/s2")" = 4 ] && sed -n "/^event: line/{n;p;q}" "$T/s2" | grep -q "reset; console open"'

pids=()
for i in 1 2 3 4; do curl -sN --max-time 10 "$events" >/dev/null & pids+=($!); done
sleep 0.5
code=$(curl -s -o "$T/s3" -w '%{http_code}' --max-time 2 "$events")
kill "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null
check "past the cap on live logs, a stream is refused with 503" \
	eval '[ "$code" = 503 ] && grep -q "too many live logs" "$T/s3"'
# The server learns that those clients left at its next write (a ping every 2 s).
sleep 4.5

curl -sN --max-time 10 "$events?from=$(stat -c %s "$JOB_RUNNING_LOG")" >"$T/s4" &
c4=$!
sleep 0.5
printf '    1000 console ok 2 - last words\n' >>"$JOB_RUNNING_LOG"
sql "UPDATE jobs SET state = 'done' WHERE id = $JOB_RUNNING"
check "once the job is over, the rest of its log, then 'end', and the stream closes" \
	eval 'wait_for 3 $c4 && [ "$(count line "$T/s4")" = 1 ] && grep -q "last words" "$T/s4" &&
	      [ "$(tail -n 3 "$T/s4" | head -n 1)" = "event: end" ]'

sql "UPDATE jobs SET state = 'running' WHERE id = $JOB_RUNNING"
curl -sN --max-time 30 "$events" >/dev/null &
c5=$!
sleep 0.5
start=$(date +%s%N)
kill "$dash_pid"
wait "$dash_pid"
rc=$?
dash_pid=
ms=$((($(date +%s%N) - start) / 1000000))
check "a stop with a live log open ends within 2.5 s, cleanly (took ${ms} ms)" \
	eval '[ $rc = 0 ] && [ $ms -lt 2500 ] && wait_for 2 $c5'
check "no warning from the server" eval '! grep -E "warn|error|ERROR" "$T/dash.err"'
exit $failed
