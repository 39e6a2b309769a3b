#!/usr/bin/env bash
# Webhooks against the running daemon: a signed pull_request event is queued
# (202) and its sha gets pending then its verdict; a bad signature gets 401,
# a replayed delivery 200 duplicate, an oversized body 413, malformed JSON
# 400, each within a second; a closed pull request cancels its change. The
# forge is polled only at start, so what is tested came by webhook. Emits TAP.
set -u
. "$(dirname "$0")/lib-serve.sh"
POLL=3600
serve_setup
template=$here/data/github

# hook EVENT DELIVERY FILE [SECRET]: POSTs FILE signed; $code, $answer, $hook_ms.
hook() {
	local sig t0
	sig=sha256=$(openssl dgst -sha256 -hmac "${4:-$secret}" -r <"$3" | cut -d' ' -f1)
	t0=$(now_ms)
	answer=$(curl -s -o - -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
		-H "X-GitHub-Event: $1" -H "X-GitHub-Delivery: $2" -H "X-Hub-Signature-256: $sig" \
		--data-binary "@$3" "${url}hooks/github")
	hook_ms=$(( $(now_ms) - t0 ))
	code=${answer##*$'\n'}
	answer=${answer%$'\n'*}
}

# pr_event ACTION NUMBER SHA: a pull_request payload for the fixture into $work/event.json.
pr_event() {
	jq --arg action "$1" --argjson n "$2" --arg sha "$3" --arg base "$(g rev-parse main)" --arg url "$giturl" \
		'.action = $action | .number = $n | .pull_request.number = $n | .pull_request.head.sha = $sha
		 | .pull_request.base.ref = "main" | .pull_request.base.sha = $base
		 | .repository.full_name = "o/fixture" | .repository.clone_url = $url' \
		"$template/pull_request-opened.json" >"$work/event.json"
}

serve_start || { echo "Bail out! rig serve did not start: $(tail -5 "$work/serve.log")"; exit 1; }
wait_until 10 grep -q 'first poll' "$work/serve.log"

# A commit on the forge that only a webhook tells the daemon about.
push_pr 5 pass; sha5=$sha
pr_event opened 5 "$sha5"
hook pull_request delivery-0001 "$work/event.json"
if [ "$code" = 202 ] && [ "$(jq -r .status <<<"$answer")" = queued ] && [ "$hook_ms" -lt 1000 ]; then
	ok "a signed pull_request event: 202 queued in ${hook_ms} ms"
else not_ok "a signed pull_request event: 202 queued" "$code $answer ($hook_ms ms)"; fi

wait_until 90 last_status_is "$sha5" success
got=$(statuses "$sha5" | tr '\n' ' ')
if [ "$got" = "pending success " ]; then ok "its sha gets pending, then success"
else not_ok "its sha gets pending, then success" "got: $got" "$(tail -20 "$work/serve.log")"; fi
row=$(db "select kind || ' ' || number || ' ' || ref || ' ' || state from changes where sha = '$sha5'")
if [ "$row" = "pr 5 refs/pull/5/head done" ]; then ok "the change is the PR's head, tested once"
else not_ok "the change is the PR's head, tested once" "$row"; fi

hook pull_request delivery-0001 "$work/event.json"
if [ "$code" = 200 ] && [ "$(jq -r .status <<<"$answer")" = duplicate ] && [ "$hook_ms" -lt 1000 ]; then
	ok "the same delivery again: 200 duplicate"
else not_ok "the same delivery again: 200 duplicate" "$code $answer"; fi

hook pull_request delivery-0002 "$work/event.json"
nc=$(db "select count(*) from changes where sha = '$sha5'")
if [ "$code" = 202 ] && [ "$nc" = 1 ]; then ok "another delivery of the same head queues nothing new"
else not_ok "another delivery of the same head queues nothing new" "$code $answer; $nc changes"; fi

hook pull_request delivery-0003 "$work/event.json" not-the-secret
if [ "$code" = 401 ] && [ "$hook_ms" -lt 1000 ]; then ok "a bad signature: 401"
else not_ok "a bad signature: 401" "$code $answer"; fi

head -c 70000 /dev/zero | tr '\0' ' ' >"$work/big.json"
hook pull_request delivery-0004 "$work/big.json"
if [ "$code" = 413 ] && [ "$hook_ms" -lt 1000 ]; then ok "a body over webhooks.max_body: 413"
else not_ok "a body over webhooks.max_body: 413" "$code $answer"; fi

printf '{"action": "opened", "number": ' >"$work/bad.json"
hook pull_request delivery-0005 "$work/bad.json"
if [ "$code" = 400 ] && [[ $(jq -r .error <<<"$answer") == *"malformed JSON"* ]] && [ "$hook_ms" -lt 1000 ]; then
	ok "malformed JSON, signed: 400"
else not_ok "malformed JSON, signed: 400" "$code $answer"; fi

# ---- a pull request closed while its change is tested ----
push_pr 6 slow; sha6=$sha
pr_event opened 6 "$sha6"
hook pull_request delivery-0006 "$work/event.json"
wait_until 60 bash -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$work/data/rig.db' \
	\"select state from changes where sha = '$sha6'\")\" = testing ]"
pr_event closed 6 "$sha6"
hook pull_request delivery-0007 "$work/event.json"
wait_until 30 last_status_is "$sha6" error
state=$(db "select state from changes where sha = '$sha6'")
post=$(curl -s "$api/__requests" | jq -c --arg sha "$sha6" '[.[] | select(.path | endswith("/statuses/" + $sha))] | last')
if [ "$code" = 202 ] && [ "$state" = cancelled ] && [[ $(jq -r .json.description <<<"$post") == cancelled* ]]; then
	ok "closing the pull request cancels its change (GitHub: error, \"cancelled\")"
else not_ok "closing the pull request cancels its change" "$code $answer; state $state; $post"; fi

received=$(grep -c 'webhook github' "$work/serve.log")
serve_stop
if [ "$stop_rc" = 0 ]; then ok "the daemon stops cleanly after $received webhook requests"
else not_ok "the daemon stops cleanly" "exit $stop_rc" "$(tail -5 "$work/serve.log")"; fi
if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error' "$work/serve.log"; then
	not_ok "the daemon's log shows no sanitizer report" "$(grep -A10 Sanitizer "$work/serve.log" | head -30)"
else ok "the daemon's log shows no sanitizer report"; fi

echo "1..$n"
exit $failed
