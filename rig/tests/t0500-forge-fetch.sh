#!/usr/bin/env bash
# Mirrors and fetches through `rig forge`, against a fixture served by a real
# git daemon on loopback, by file:// and by local path: creation, re-fetch,
# force-pushed and deleted refs, GitLab refspecs, repositories that do not
# exist, ports that refuse or never answer, https certificate checks, and
# the fetch lock. Emits TAP.
set -u
. "$(dirname "$0")/lib-forge.sh"
forge_setup

refs_of() { "$rig" forge -d "$data" refs "$1" 2>/dev/null; }
mirror_of() { "$rig" forge -d "$data" path "$1" 2>/dev/null; }
lines() { if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l; fi; }
zeros=0000000000000000000000000000000000000000

# ---- creation and re-fetch over git:// ----
t0=$(now_ms); rforge fetch "$giturl"; clone_ms=$(( $(now_ms) - t0 ))
expected="$zeros $(g rev-parse conflict) refs/heads/conflict
$zeros $(g rev-parse feature) refs/heads/feature
$zeros $(g rev-parse main) refs/heads/main
$zeros $(g rev-parse to-delete) refs/heads/to-delete
$zeros $(g rev-parse unrelated) refs/heads/unrelated
$zeros $(g rev-parse feature) refs/pull/1/head
$zeros $(g rev-parse conflict) refs/pull/2/head"
if [ $rc -eq 0 ] && [ "$out" = "$expected" ]; then ok "git://: first fetch creates the mirror, reports every ref as new"
else not_ok "git://: first fetch creates the mirror, reports every ref as new" "exit $rc" "$errout" "$out"; fi
echo "# mirror clone of the fixture over git://: $clone_ms ms"

mirror=$(mirror_of "$giturl")
if [[ $mirror =~ ^$data/mirrors/127\.0\.0\.1_$port/fixture-[0-9a-f]{12}\.git$ ]] &&
   [ "$(git --git-dir="$mirror" rev-parse --is-bare-repository)" = true ]; then
	ok "the mirror is a bare repository at a readable path"
else not_ok "the mirror is a bare repository at a readable path" "$mirror"; fi

beside=$(cd "$(dirname "$mirror")" && ls -A | tr '\n' ' ')
if [ "$beside" = "$(basename "$mirror") $(basename "$mirror").lock " ]; then
	ok "the mirror's lock file is beside it, and no temporary folder is left"
else not_ok "the mirror's lock file is beside it, and no temporary folder is left" "$beside"; fi

if [ -z "$(refs_of "$giturl" | grep merge-requests)" ]; then ok "default refspecs leave merge-requests out"
else not_ok "default refspecs leave merge-requests out" "$(refs_of "$giturl")"; fi

t0=$(now_ms); rforge fetch "$giturl"; refetch_ms=$(( $(now_ms) - t0 ))
if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "git://: re-fetch with nothing new reports nothing"
else not_ok "git://: re-fetch with nothing new reports nothing" "exit $rc" "$errout" "$out"; fi
echo "# re-fetch with nothing new over git://: $refetch_ms ms"

# ---- file:// and a local path: their own mirrors, the same refs ----
for url in "$fileurl" "$srv/fixture.git"; do
	rforge fetch "$url"
	if [ $rc -eq 0 ] && [ "$(lines "$out")" -eq 7 ] && [ "$(refs_of "$url")" = "$(refs_of "$giturl")" ] &&
	   [ "$(mirror_of "$url")" != "$mirror" ]; then
		ok "fetch $url: its own mirror, the same refs"
	else not_ok "fetch $url: its own mirror, the same refs" "exit $rc" "$errout" "$out"; fi
	rforge fetch "$url"
	if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "re-fetch $url reports nothing"
	else not_ok "re-fetch $url reports nothing" "exit $rc" "$errout" "$out"; fi
done

(cd "$srv" && "$rig" forge -d "$data" path fixture.git >"$work/rel" 2>/dev/null)
if [ "$(cat "$work/rel")" = "$(mirror_of "$srv/fixture.git")" ]; then ok "a relative path names the same mirror as its absolute path"
else not_ok "a relative path names the same mirror as its absolute path" "$(cat "$work/rel")"; fi

# ---- a force-pushed PR, a moved branch, a deleted branch ----
old_pr=$(g rev-parse feature); old_main=$(g rev-parse main); old_del=$(g rev-parse to-delete)
g checkout -q feature
printf 'int feature = 2;\n' >"$src/src/feature.c"
g add -A && commit "Add the feature, take two" "2024-02-01T00:00:00Z"
g reset -q --soft HEAD~2 && commit "Add the feature (squashed)" "2024-02-02T00:00:00Z"
g update-ref refs/pull/1/head feature
g checkout -q main
printf 'more\n' >>"$src/README"
g add -A && commit "Third on main" "2024-02-03T00:00:00Z"
g branch -q -D to-delete
publish
new_pr=$(g rev-parse feature); new_main=$(g rev-parse main)
rforge fetch "$giturl"
expected="$old_pr $new_pr refs/heads/feature
$old_main $new_main refs/heads/main
$old_del $zeros refs/heads/to-delete
$old_pr $new_pr refs/pull/1/head"
if [ $rc -eq 0 ] && [ "$out" = "$expected" ]; then ok "force-pushed PR, moved and deleted branches are reported old → new"
else not_ok "force-pushed PR, moved and deleted branches are reported old → new" "exit $rc" "$errout" "$out"; fi
if ! refs_of "$giturl" | grep -q to-delete && [ "$(refs_of "$giturl" | grep pull/1)" = "$new_pr refs/pull/1/head" ]; then
	ok "the deleted branch is pruned, the PR ref forced"
else not_ok "the deleted branch is pruned, the PR ref forced" "$(refs_of "$giturl")"; fi

# ---- GitLab-style refspecs ----
rforge -r '+refs/heads/*:refs/heads/*' -r '+refs/merge-requests/*/head:refs/merge-requests/*/head' fetch "$fileurl"
if [ $rc -eq 0 ] && [ "$(refs_of "$fileurl" | grep merge-requests)" = "$(g rev-parse refs/merge-requests/3/head) refs/merge-requests/3/head" ] &&
   ! refs_of "$fileurl" | grep -q refs/pull/; then
	ok "configured merge-request refspecs fetch merge-requests and prune what they leave out"
else not_ok "configured merge-request refspecs fetch merge-requests and prune what they leave out" "exit $rc" "$errout" "$(refs_of "$fileurl")"; fi
rforge -r 'not a refspec' fetch "$fileurl"
if [ $rc -eq 2 ] && [[ $errout == *"refspec 'not a refspec'"* ]]; then ok "a malformed refspec is a usage error naming it"
else not_ok "a malformed refspec is a usage error naming it" "exit $rc" "$errout"; fi

rforge -r 'refs/heads/main' fetch "$fileurl"
if [ $rc -eq 2 ] && [[ $errout == *"refspec 'refs/heads/main' names no refs/ destination"* ]]; then
	ok "a refspec without a destination is refused before it empties the mirror"
else not_ok "a refspec without a destination is refused before it empties the mirror" "exit $rc" "$errout"; fi

# ---- repositories that are not there ----
rforge fetch "git://127.0.0.1:$port/nope.git"
if [ $rc -ne 0 ] && [[ $errout == *"fetch git://127.0.0.1:$port/nope.git: "*"not exported"* ]]; then
	ok "git:// repository the daemon does not have: clear error"
else not_ok "git:// repository the daemon does not have: clear error" "exit $rc" "$errout"; fi
rforge fetch "$work/nope.git"
if [ $rc -eq 1 ] && [[ $errout == *"fetch $work/nope.git: no repository at $work/nope.git"* ]]; then
	ok "local path that does not exist: not found, named"
else not_ok "local path that does not exist: not found, named" "exit $rc" "$errout"; fi
rforge fetch "file://$work/nope.git"
if [ $rc -eq 1 ] && [[ $errout == *"fetch file://$work/nope.git: no repository at $work/nope.git"* ]]; then
	ok "file:// URL that does not exist: not found, named"
else not_ok "file:// URL that does not exist: not found, named" "exit $rc" "$errout"; fi

# ---- ports that refuse, ports that never answer ----
closed=$(free_port)
t0=$(now_ms); rforge --timeout 5 fetch "git://127.0.0.1:$closed/fixture.git"; took=$(( $(now_ms) - t0 ))
if [ $rc -eq 3 ] && [ $took -lt 5000 ] && [[ $errout == *"connect to 127.0.0.1:$closed: Connection refused"* ]]; then
	ok "git:// on a closed port fails at once ($took ms)"
else not_ok "git:// on a closed port fails at once ($took ms)" "exit $rc" "$errout"; fi

# A listener that accepts and never speaks: only the stall limit or the
# deadline can end the fetch.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$work/silent.port" &
silent_pid=$!
for _ in $(seq 100); do [ -s "$work/silent.port" ] && break; sleep 0.05; done
silent=$(cat "$work/silent.port")
t0=$(now_ms); rforge --stall 0.4 fetch "git://127.0.0.1:$silent/fixture.git"; took=$(( $(now_ms) - t0 ))
if [ $rc -eq 3 ] && [ $took -lt 3000 ] && [[ $errout == *"read from 127.0.0.1:$silent: nothing for 400 ms"* ]]; then
	ok "git:// peer that never answers: the stall limit ends the fetch ($took ms)"
else not_ok "git:// peer that never answers: the stall limit ends the fetch ($took ms)" "exit $rc" "$errout"; fi
t0=$(now_ms); rforge --stall 30 --timeout 0.6 fetch "http://127.0.0.1:$silent/fixture.git"; took=$(( $(now_ms) - t0 ))
if [ $rc -eq 3 ] && [ $took -lt 3000 ] && [[ $errout == *"deadline of 600 ms passed"* ]]; then
	ok "http:// peer that never answers: the deadline ends the fetch ($took ms)"
else not_ok "http:// peer that never answers: the deadline ends the fetch ($took ms)" "exit $rc" "$errout"; fi
t0=$(now_ms); rforge --stall 0.4 fetch "https://127.0.0.1:$silent/fixture.git"; took=$(( $(now_ms) - t0 ))
if [ $rc -eq 3 ] && [ $took -lt 3000 ] && [[ $errout == *"nothing for 400 ms"* ]]; then
	ok "https:// runs on the bounded stream too ($took ms)"
else not_ok "https:// runs on the bounded stream too ($took ms)" "exit $rc" "$errout"; fi
kill "$silent_pid" 2>/dev/null; wait "$silent_pid" 2>/dev/null

# ---- https keeps checking certificates ----
if command -v openssl >/dev/null; then
	(cd "$work" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj /CN=127.0.0.1 -keyout key.pem -out cert.pem -days 2) >/dev/null 2>&1
	tls=$(free_port)
	openssl s_server -quiet -accept "$tls" -cert "$work/cert.pem" -key "$work/key.pem" -www \
		>/dev/null 2>&1 &
	tls_pid=$!
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$tls") 2>/dev/null && break; sleep 0.05; done
	rforge --stall 5 fetch "https://127.0.0.1:$tls/fixture.git"
	if [ $rc -eq 3 ] && [[ $errout == *"certificate"* ]]; then ok "https with a self-signed certificate is refused"
	else not_ok "https with a self-signed certificate is refused" "exit $rc" "$errout"; fi
	kill "$tls_pid" 2>/dev/null; wait "$tls_pid" 2>/dev/null
else
	ok "# SKIP no openssl for a TLS server"
fi

# ---- the fetch lock ----
lock=$mirror.lock
# exec: the holder is the process killed below, so killing it frees the lock.
( exec 9>>"$lock"; flock 9; exec sleep 5 ) &
holder=$!
for _ in $(seq 100); do flock -n "$lock" true 2>/dev/null || break; sleep 0.02; done
t0=$(now_ms); rforge --lock-timeout 0.3 fetch "$giturl"; took=$(( $(now_ms) - t0 ))
if [ $rc -eq 3 ] && [ $took -lt 3000 ] && [[ $errout == *"another fetch held $lock for more than 300 ms"* ]]; then
	ok "a held fetch lock makes a second fetch give up at its deadline ($took ms)"
else not_ok "a held fetch lock makes a second fetch give up at its deadline ($took ms)" "exit $rc" "$errout"; fi
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
rforge --lock-timeout 2 fetch "$giturl"
if [ $rc -eq 0 ]; then ok "once the lock is released the fetch goes through"
else not_ok "once the lock is released the fetch goes through" "exit $rc" "$errout"; fi

# Three first fetches of one new mirror at once: one creates the refs, the
# others wait their turn and find nothing new.
data=$work/data-race
for i in 1 2 3; do
	"$rig" forge -d "$data" fetch "$giturl" >"$work/race.$i" 2>"$work/race-err.$i" &
	pids[$i]=$!
done
race_rc=0
for i in 1 2 3; do wait "${pids[$i]}" || race_rc=1; done
counts=$(for i in 1 2 3; do wc -l <"$work/race.$i"; done | sort -n | tr '\n' ' ')
if [ $race_rc -eq 0 ] && [ "$counts" = "0 0 6 " ]; then ok "concurrent fetches of one mirror take turns"
else not_ok "concurrent fetches of one mirror take turns" "exit $race_rc, lines: $counts" "$(cat "$work"/race-err.*)"; fi

echo "1..$n"
exit $failed
