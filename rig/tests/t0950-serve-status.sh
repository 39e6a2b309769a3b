#!/usr/bin/env bash
# rig serve against a real git daemon and a fake status API: a push to a PR
# ref makes pending then the right final status appear for its sha; a newer
# push supersedes a change under test (its queued jobs cancelled, what its
# running job records kept, its status left pending); a push to the base
# branch is tested too; a forge's first poll queues nothing. Emits TAP.
set -u
. "$(dirname "$0")/lib-serve.sh"
serve_setup

if serve_start; then ok "rig serve starts and listens"
else not_ok "rig serve starts and listens" "$(tail -5 "$work/serve.log")"; exit 1; fi

body=$(curl -s -w ' %{http_code}' "${url}healthz")
if [[ $body == ok*' 200' ]]; then ok "GET /healthz answers ok"
else not_ok "GET /healthz answers ok" "$body"; fi

wait_until 10 grep -q 'first poll' "$work/serve.log"
sleep 1.5
if [ "$(db 'select count(*) from changes')" = 0 ]; then ok "a forge's first poll takes its branches as they are"
else not_ok "a forge's first poll takes its branches as they are" "$(db 'select * from changes')"; fi

# ---- a passing PR and a failing one: pending, then the verdict ----
t0=$(now_ms)
push_pr 1 pass; pass_sha=$sha
push_pr 2 fail; fail_sha=$sha
wait_until 90 last_status_is "$pass_sha" success
pass_ms=$(( $(now_ms) - t0 ))
wait_until 90 last_status_is "$fail_sha" failure
fail_ms=$(( $(now_ms) - t0 ))
got=$(statuses "$pass_sha" | tr '\n' ' ')
if [ "$got" = "pending success " ]; then ok "a passing PR: pending, then success, for its sha"
else not_ok "a passing PR: pending, then success, for its sha" "got: $got" "$(tail -20 "$work/serve.log")"; fi
got=$(statuses "$fail_sha" | tr '\n' ' ')
if [ "$got" = "pending failure " ]; then ok "a failing PR: pending, then failure"
else not_ok "a failing PR: pending, then failure" "got: $got"; fi
echo "# push to final status (fixture kernel, 2 targets x 4 cases): pass ${pass_ms} ms, fail ${fail_ms} ms"

post=$(curl -s "$api/__requests" | jq -c --arg sha "$fail_sha" \
	'[.[] | select(.path | endswith("/statuses/" + $sha))] | last')
cid=$(db "select id from changes where sha = '$fail_sha'")
if [ "$(jq -r .path <<<"$post")" = "/repos/o/fixture/statuses/$fail_sha" ] &&
   [ "$(jq -r .json.context <<<"$post")" = rig ] &&
   [ "$(jq -r .json.target_url <<<"$post")" = "${url}changes/$cid" ] &&
   [[ $(jq -r .json.description <<<"$post") == *"not ok 2 - b"* ]] &&
   [ "$(jq -r '.headers.authorization' <<<"$post")" = "Bearer $token" ]; then
	ok "the final status names the failing case and links to the change's page"
else not_ok "the final status names the failing case and links to the change's page" "$post"; fi

rows=$(db "select count(*) from jobs where change_id = $cid and state = 'done'")/$(db "select count(*) from results where change_id = $cid")
if [ "$rows" = "2/8" ]; then ok "one job per target, one result per case and target"
else not_ok "one job per target, one result per case and target" "jobs done/results: $rows"; fi

# ---- a newer push supersedes a change under test ----
push_pr 3 slow; old_sha=$sha
old_id=
wait_until 60 bash -c "[ -n \"\$(sqlite3 -cmd '.timeout 5000' '$work/data/rig.db' \
	\"select 1 from jobs j join changes c on c.id = j.change_id where c.sha = '$old_sha' and j.state = 'running'\")\" ]"
old_id=$(db "select id from changes where sha = '$old_sha'")
push_pr 3 pass; new_sha=$sha
wait_until 90 last_status_is "$new_sha" success
if [ "$(db "select state from changes where id = $old_id")" = superseded ]; then ok "a newer push supersedes the change under test"
else not_ok "a newer push supersedes the change under test" "$(db "select * from changes where id = $old_id")"; fi
# The running job of the old change ends its cases; a queued one is cancelled.
wait_until 30 bash -c "[ -z \"\$(sqlite3 -cmd '.timeout 5000' '$work/data/rig.db' \
	\"select 1 from jobs where change_id = $old_id and state in ('queued', 'running')\")\" ]"
states=$(db "select group_concat(state, ' ') from (select state from jobs where change_id = $old_id order by state)")
kept=$(db "select count(*) from results where change_id = $old_id")
if [[ $states == *done* ]] && [ "$kept" -ge 4 ]; then
	ok "its running job finishes and what it recorded is kept ($states; $kept results)"
else not_ok "its running job finishes and what it recorded is kept" "jobs: $states; results: $kept"; fi
got=$(statuses "$old_sha" | tr '\n' ' ')
if [ "$got" = "pending " ]; then ok "the superseded sha gets no verdict"
else not_ok "the superseded sha gets no verdict" "got: $got"; fi
got=$(statuses "$new_sha" | tr '\n' ' ')
if [ "$got" = "pending success " ]; then ok "the new head gets pending, then success"
else not_ok "the new head gets pending, then success" "got: $got"; fi

# ---- a push to the base branch ----
g checkout -q main
printf 'more\n' >>"$src/build.sh"
g add -A && commit "main: second" "2024-03-01T00:00:00Z"
publish
main_sha=$(g rev-parse main)
wait_until 90 last_status_is "$main_sha" success
kind=$(db "select kind || ' ' || coalesce(base_sha, '') from changes where sha = '$main_sha'")
if last_status_is "$main_sha" success && [ "$kind" = "push $(g rev-parse main~1)" ]; then
	ok "a push to the base branch is tested against the head it replaced"
else not_ok "a push to the base branch is tested against the head it replaced" "$kind" "$(statuses "$main_sha")"; fi

n_before=$(db 'select count(*) from changes')
sleep 2.5
if [ "$(db 'select count(*) from changes')" = "$n_before" ]; then ok "polls that find nothing moved queue nothing"
else not_ok "polls that find nothing moved queue nothing" "$(db 'select id, ref, sha from changes')"; fi

serve_stop
if [ "$stop_rc" = 0 ] && [ "$stop_ms" -lt 5000 ]; then ok "SIGTERM on an idle daemon: exit 0 in ${stop_ms} ms"
else not_ok "SIGTERM on an idle daemon: exit 0 in ${stop_ms} ms" "exit $stop_rc" "$(tail -5 "$work/serve.log")"; fi

if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error' "$work/serve.log"; then
	not_ok "the daemon's log shows no sanitizer report" "$(grep -A10 Sanitizer "$work/serve.log" | head -30)"
else ok "the daemon's log shows no sanitizer report"; fi

echo "1..$n"
exit $failed
