#!/usr/bin/env bash
# The dashboard's JSON API, /metrics, its pages' status codes and the admin
# actions, against `rig dashboard` on a store dash-fill made. Emits TAP.
set -u
. "$(dirname "$0")/dash-lib.sh"
dash_setup

# req METHOD PATH [curl args…]: sets $code, $type and $body.
req() {
	local m=$1 p=$2; shift 2
	body=$(curl -s -X "$m" -o - -w '\n%{http_code} %{content_type}' "$@" "$url$p")
	local tail=${body##*$'\n'}
	body=${body%$'\n'*}
	code=${tail%% *}
	type=${tail#* }
}
is() { [ "$1" = "$2" ] || { echo "expected '$2', got '$1'; body: ${body:0:400}"; return 1; }; }
json() { echo "$body" | jq -e "$@" >/dev/null || { echo "jq $*: false on ${body:0:600}"; return 1; }; }
err400() { req GET "$1" && is "$code" 400 && is "$type" application/json && json '.error | length > 0'; }
err404() { req GET "$1" && is "$code" 404 && json '.error | length > 0'; }

echo "1..34"

req GET /api/changes
check "GET /api/changes: every change, newest first" \
	eval 'is "$code" 200 && is "$type" application/json && json ".changes | length == 4" &&
	      json ".changes[0].id == $CHANGE_RUNNING and .changes[3].id == $CHANGE_FAIL"'
check "a change in the list has its sha, verdict, size delta and age" \
	json ".changes[] | select(.id == $CHANGE_FAIL) | .sha != null and .gate == \"fail\" and
	      .size.flash_delta > 0 and (.age | test(\"ago\")) and .failed == 1 and .results == 40"
check "untrusted strings come back as they were" \
	json '.changes[] | select(.number == 13) | .ref == "<script>alert(1)</script>" and
	      (.title | startswith("<img src=x onerror=alert(2)>"))'
req GET "/api/changes?gate=fail"
check "filter by verdict" json ".changes | length == 1 and .[0].id == $CHANGE_FAIL"
req GET "/api/changes?state=testing&gate=none"
check "filter by state, and undecided" json ".changes | length == 1 and .[0].id == $CHANGE_RUNNING"
req GET "/api/changes?limit=2"
next=$(echo "$body" | jq -r .next_before)
req GET "/api/changes?limit=2&before=$next"
check "pages by before=" json "(.changes | length == 2) and .changes[1].id == $CHANGE_FAIL and .next_before == $CHANGE_FAIL"
check "bad parameters of /api/changes are 400" \
	eval 'err400 "/api/changes?state=bogus" && err400 "/api/changes?gate=maybe" && err400 "/api/changes?limit=abc" &&
	      err400 "/api/changes?limit=0" && err400 "/api/changes?limit=100000" && err400 "/api/changes?before=-1" &&
	      err400 "/api/changes?nope=1" && err400 "/api/changes?state=%zz"'

req GET "/api/changes/$CHANGE_FAIL"
check "GET /api/changes/{id}: builds with sizes and deltas" \
	json '.builds | length == 2 and all(.[]; .status == "ok" and .sizes.flash > 0 and .delta != null and
	      (.log_url | startswith("/builds/")))'
check "the symbols that changed most" \
	json '.builds[] | select(.board == "vm-arm") | .symbols | length >= 1 and .[0].name == "ipc_notify" and .[0].delta > 0'
check "the matrix: QEMU beside the hardware, one discrepancy" \
	json '.matrix.discrepancies == 1 and ([.matrix.targets[].target] == ["vm-arm", "vm-rv", "rv-1", "rv-2"]) and
	      (.matrix.rows[] | select(.case == "notify") | .discrepancy and
	       ([.cells[].status] == ["pass", "pass", "fail", "pass"]))'
check "a flaky case is marked" json '.matrix.rows[] | select(.case == "ping") | .cells[3].flaky'
check "links to every log" json '.logs | length == 14 and all(.[]; .url | test("^/(runs|builds)/[0-9]+"))'
check "bad change ids are 404" \
	eval 'err404 /api/changes/999999 && err404 /api/changes/abc && err404 /api/changes/0 &&
	      err404 "/api/changes/$CHANGE_FAIL/extra" && err404 /api/changes/-1 && err404 /api/changes/99999999999999999999'
req GET "/api/changes/$CHANGE_FAIL?x=1"
check "an unknown parameter of /api/changes/{id} is 400" is "$code" 400

req GET /api/devices
check "GET /api/devices: state, lease holder, health, reasons" \
	json '(.devices | length == 4) and
	      (.devices[] | select(.id == "rv-2") | .state == "leased" and .lease_holder == "rig@test") and
	      (.devices[] | select(.id == "rv-1") | .state == "idle" and .health_status == "ok") and
	      (.devices[] | select(.id == "hifive-3") | .state == "locked" and .locked_reason == "probe swapped <see ticket #42>") and
	      (.devices[] | select(.id == "nrf-4") | .state == "offline" and (.offline_reason | test("CMSIS-DAP")))'

req GET "/api/runs/$JOB_RUNNING/log"
first_next=$(echo "$body" | jq -r .next)
check "GET /api/runs/{id}/log: timestamped lines, the steps marked" \
	json '.job.running and (.lines | length == 4) and .lines[0].step and .lines[0].stream == "rig" and
	      .lines[0].t == 3 and (.lines[3].text | startswith("rig-kernel")) and (.lines[3].step | not) and
	      (.complete | not) and (.job.log_path == null)'
req GET "/api/runs/$JOB_RUNNING/log?from=$first_next"
check "from= reads on from an offset" json '.lines == [] and .eof'
check "bad run ids are 404, bad parameters 400" \
	eval 'err404 /api/runs/999999/log && err404 /api/runs/x/log && err404 /api/runs/999999/events &&
	      err404 /api/runs/999999 && err404 "/api/runs/$JOB_RUNNING/nope" && err400 "/api/runs/$JOB_RUNNING/log?from=x" &&
	      err400 "/api/runs/$JOB_RUNNING/log?limit=0" && err400 "/api/runs/$JOB_RUNNING/events?from=-5" &&
	      err400 "/api/runs/$JOB_RUNNING/log?x=1"'
req GET "/api/runs/$JOB_DONE"
check "GET /api/runs/{id}: the job" json ".job.id == $JOB_DONE and .job.state == \"error\" and (.job.running | not)"

req GET /api/cases/ipc/notify
check "GET /api/cases/{suite}/{case}: verdicts per target, flake rate" \
	json '(.targets | length == 4) and (.targets[] | select(.target == "rv-1") | .fails == 1 and .runs == 3) and
	      all(.targets[]; .flake_rate >= 0)'
check "unknown cases are 404, bad limits 400" \
	eval 'err404 /api/cases/ipc/nosuch && err404 /api/cases/ipc && err400 "/api/cases/ipc/notify?limit=x"'
req GET /api/sizes/vm-rv
check "GET /api/sizes/{board}: flash and RAM over the base branch, oldest first" \
	json '(.points | length == 11) and .points[0].flash < .points[10].flash and .points[10].ref == "refs/heads/main" and
	      all(.points[]; .flash == .text + .data and .ram == .data + .bss)'
req GET /api/boards
check "GET /api/boards; unknown boards are 404" eval 'json ".boards == [\"vm-arm\", \"vm-rv\"]" && err404 /api/sizes/nosuch'

curl -s -o /dev/null -X POST -H 'X-GitHub-Event: ping' -d '{}' "$url/hooks/github"
req GET /metrics
check "GET /metrics: Prometheus text with queue depth, verdicts, devices, cache, webhooks" \
	eval 'is "$code" 200 && echo "$type" | grep -q "^text/plain; version=0.0.4" &&
	      echo "$body" | grep -qx "rig_queue_depth 0" && echo "$body" | grep -qx "rig_jobs{state=\"running\"} 1" &&
	      echo "$body" | grep -qx "rig_jobs_verdict{verdict=\"fail\"} 1" &&
	      echo "$body" | grep -qx "rig_jobs_verdict{verdict=\"error\"} 1" &&
	      echo "$body" | grep -qx "rig_devices{state=\"locked\"} 1" && echo "$body" | grep -qx "rig_devices{state=\"leased\"} 1" &&
	      echo "$body" | grep -q "^rig_build_cache_hit_ratio 0.0" &&
	      echo "$body" | grep -qx "rig_webhook_requests_total{forge=\"\",outcome=\"rejected\"} 1" &&
	      ! echo "$body" | grep -v "^#" | grep -v "^$" | grep -vqE "^[a-z_]+(\{[^}]*\})? [0-9.]+$"'

# Admin actions: refused without the token, and nothing changes.
state() { curl -s "$url/api/devices" | jq -r ".devices[] | select(.id == \"$1\") | .state"; }
job_state() { curl -s "$url/api/runs/$1" | jq -r .job.state; }
req POST /api/devices/rv-1/lock --data-urlencode "reason=flaky usb"
a=$code; a_type=$type
req POST /api/devices/rv-1/lock -H "Authorization: Bearer wrong-$token" -d "reason=x"
b=$code
req POST "/api/runs/$JOB_DONE/retry"
c=$code
check "admin actions without the token are refused (401, 403) and change nothing" \
	eval 'is "$a" 401 && is "$b" 403 && is "$c" 401 && is "$(state rv-1)" idle && is "$(job_state "$JOB_DONE")" error'
req POST /api/devices/rv-1/lock -H "Authorization: Bearer $token"
check "a lock needs a reason" eval 'is "$code" 400 && is "$(state rv-1)" idle'
req POST /api/devices/rv-1/lock -H "Authorization: Bearer $token" --data-urlencode "reason=flaky usb hub" \
	-H 'Content-Type: text/plain'
check "lock with the token" eval 'is "$code" 200 && json ".status == \"ok\"" && is "$(state rv-1)" locked'
req POST /api/devices/rv-1/unlock --data-urlencode "token=$token"
check "unlock from the page's form (token in the form): answered with a page" \
	eval 'is "$code" 200 && echo "$type" | grep -q text/html && echo "$body" | grep -q "back in service" &&
	      is "$(state rv-1)" idle'
req POST "/api/runs/$JOB_DONE/retry" -H "Authorization: Bearer $token"
r1=$code
req POST "/api/runs/$JOB_DONE/retry" -H "Authorization: Bearer $token"
r2=$code
req POST /api/runs/999999/retry -H "Authorization: Bearer $token"
r3=$code
req GET "/api/runs/$JOB_DONE/retry"
check "retry with the token queues the job once; again 409, unknown 404, GET 405" \
	eval 'is "$r1" 200 && is "$r2" 409 && is "$r3" 404 && is "$code" 405 && is "$(job_state "$JOB_DONE")" queued'
req POST /api/devices/nosuch/lock -H "Authorization: Bearer $token" -d reason=x
check "admin actions on unknown devices are 404" is "$code" 404

check "pages: 200 for each, 404 and 400 as pages" \
	eval 'for p in / /changes /changes/$CHANGE_FAIL /cases/ipc/notify /sizes /sizes/vm-rv /rack /runs/$JOB_RUNNING /builds/1/log; do
	        req GET "$p"; is "$code" 200 || return 1; echo "$type" | grep -q "^text/html" || return 1; done
	      req GET /changes/999999; is "$code" 404 && echo "$type" | grep -q text/html &&
	      req GET /nope; is "$code" 404 && req GET "/changes?state=<x>"; is "$code" 400 &&
	      echo "$body" | grep -q "state must be" && req GET /static/nope.js && is "$code" 404 &&
	      req DELETE /changes && is "$code" 405'
req GET "/changes/$CHANGE_XSS"
check "pages escape what the forge sent" \
	eval 'echo "$body" | grep -qF "&lt;script&gt;alert(1)&lt;/script&gt;" && ! echo "$body" | grep -qF "<script>alert" &&
	      ! echo "$body" | grep -qF "<img src=x"'
req GET /static/uPlot.iife.min.js
check "the chart library is served, cacheable" \
	eval 'is "$code" 200 && echo "$type" | grep -q javascript && curl -sI "$url/static/dash.css" | grep -qi "cache-control: public, max-age"'

# Admin actions are off where the configuration names no token file.
dash_stop
sed -i '/admin_token_file/d' "$T/rig.yaml"
"$rig" dashboard -c "$T/rig.yaml" >"$T/dash.out" 2>"$T/dash.err" &
dash_pid=$!
for _ in $(seq 100); do url=$(sed -n 's/^listening on //p' "$T/dash.out"); [ -n "$url" ] && break; sleep 0.1; done
req POST /api/devices/rv-1/lock -H "Authorization: Bearer $token" -d reason=x
check "without admin_token_file, admin actions are 403" eval 'is "$code" 403 && is "$(state rv-1)" idle'
exit $failed
