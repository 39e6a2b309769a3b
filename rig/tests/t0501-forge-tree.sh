#!/usr/bin/env bash
# What the rig asks of a fetched mirror, through `rig forge`, checked against
# git itself: resolving refs, merge bases, in-memory merges (clean and
# conflicting) and checkouts into fresh folders, none of which may touch the
# mirror's HEAD, index or refs. Emits TAP.
set -u
. "$(dirname "$0")/lib-forge.sh"
forge_setup

rforge fetch "$giturl"
if [ $rc -ne 0 ]; then echo "Bail out! fetch: $errout"; exit 1; fi
mirror=$("$rig" forge -d "$data" path "$giturl" 2>/dev/null)
head_before=$(cat "$mirror/HEAD")
refs_before=$("$rig" forge -d "$data" refs "$giturl" 2>/dev/null)

# expect_out NAME EXPECTED ARGS...: rig forge ARGS succeeds and prints EXPECTED.
expect_out() {
	local name=$1 expected=$2; shift 2
	rforge "$@"
	if [ $rc -eq 0 ] && [ "$out" = "$expected" ]; then ok "$name"
	else not_ok "$name" "exit $rc" "$errout" "got: $out" "expected: $expected"; fi
}
# expect_err NAME EXIT PATTERN ARGS...: rig forge ARGS exits EXIT, stderr matches PATTERN.
expect_err() {
	local name=$1 code=$2 pattern=$3; shift 3
	rforge "$@"
	if [ $rc -eq "$code" ] && [[ $errout == $pattern ]]; then ok "$name"
	else not_ok "$name" "exit $rc (expected $code)" "$errout" "expected: $pattern"; fi
}

# ---- resolving ----
main=$(g rev-parse main); feature=$(g rev-parse feature)
expect_out "resolve a branch" "$main" resolve "$giturl" main
expect_out "resolve pull/1 to refs/pull/1/head" "$feature" resolve "$giturl" pull/1
expect_out "resolve pull/2" "$(g rev-parse conflict)" resolve "$giturl" pull/2
expect_out "resolve a full ref name" "$feature" resolve "$giturl" refs/heads/feature
expect_out "resolve a full sha" "$main" resolve "$giturl" "$main"
expect_out "resolve an abbreviated sha" "$main" resolve "$giturl" "${main:0:7}"
expect_out "resolve a branch's parent by sha" "$(g rev-parse main~1)" resolve "$giturl" "$(g rev-parse --short=10 main~1)"
expect_err "an unknown ref is not found, named with the repository" 1 \
	"*ref 'nope' not found in $giturl*" resolve "$giturl" nope
expect_err "an unknown PR is not found, named" 1 \
	"*ref 'pull/99' not found in $giturl: no refs/pull/99/head*" resolve "$giturl" pull/99
expect_err "an unknown sha is not found" 1 "*ref 'deadbeef' not found*" resolve "$giturl" deadbeef
tree=$(g rev-parse 'main^{tree}')
expect_err "a tree id is no commit" 2 "*is a tree ($tree), not a commit*" resolve "$giturl" "$tree"
rforge commit "$giturl" pull/1
if [ $rc -eq 0 ] && [[ $out == *"commit $feature"* ]] && [[ $out == *"tree $(g rev-parse 'feature^{tree}')"* ]] &&
   [[ $out == *"author Ada Fixture <ada@example.org>"* ]] && [[ $out == *"summary Add the feature"* ]] &&
   [[ $out == *"time 1704240000"* ]]; then
	ok "a commit's tree, author, time and summary"
else not_ok "a commit's tree, author, time and summary" "exit $rc" "$errout" "$out"; fi

# ---- merge bases ----
expect_out "merge base of pull/1 and main" "$(g merge-base feature main)" merge-base "$giturl" pull/1 main
expect_out "merge base of pull/2 and main" "$(g merge-base conflict main)" merge-base "$giturl" pull/2 main
expect_err "no merge base with unrelated history" 1 "*no common history*" merge-base "$giturl" unrelated main

# ---- in-memory merges ----
expected_tree=$(g merge-tree --write-tree main feature)
expect_out "clean merge of pull/1 onto main: git's merged tree" "$expected_tree" merge "$giturl" pull/1 main
merged=$out
expect_err "conflicting merge of pull/2 onto main names the path" 1 \
	"*merge 'pull/2' onto 'main' in $giturl: conflict in src/a.c" merge "$giturl" pull/2 main

# ---- checkouts ----
co=$work/co/main
t0=$(now_ms); rforge checkout "$giturl" main "$co"; took=$(( $(now_ms) - t0 ))
if [ $rc -eq 0 ] && [ "$out" = "$tree" ]; then ok "checkout of main reports its tree id"
else not_ok "checkout of main reports its tree id" "exit $rc" "$errout" "$out"; fi
echo "# checkout of main: $took ms"
mkdir -p "$work/archive" && g archive main | tar -x -C "$work/archive"
if diff -r --no-dereference "$work/archive" "$co" >"$work/diff" 2>&1; then ok "checked-out content equals git archive"
else not_ok "checked-out content equals git archive" "$(cat "$work/diff")"; fi
check "the executable bit is kept" test -x "$co/build.sh"
check "a plain file is not executable" test ! -x "$co/README"
if [ -L "$co/link" ] && [ "$(readlink "$co/link")" = README ]; then ok "the symlink is a symlink to README"
else not_ok "the symlink is a symlink to README" "$(ls -l "$co/link" 2>&1)"; fi
check "no .git in the workspace" test ! -e "$co/.git"

mco=$work/co/merged
rforge checkout "$giturl" "$merged" "$mco"
if [ $rc -eq 0 ] && [ "$out" = "$merged" ] && [ -f "$mco/src/feature.c" ] &&
   [ "$(head -1 "$mco/src/a.c")" = "int a = 42;" ]; then
	ok "checkout of the merged tree holds both sides"
else not_ok "checkout of the merged tree holds both sides" "exit $rc" "$errout" "$(ls -R "$mco" 2>&1)"; fi

expect_err "checkout into a folder that is not empty is refused" 3 \
	"*checkout into $co: the folder is not empty*" checkout "$giturl" pull/1 "$co"
mkdir -p "$work/co/empty"
expect_out "checkout into an existing empty folder" "$(g rev-parse 'feature^{tree}')" \
	checkout "$giturl" pull/1 "$work/co/empty"

# ---- the mirror is left as it was ----
if [ "$(cat "$mirror/HEAD")" = "$head_before" ] && [ ! -e "$mirror/index" ] &&
   [ "$("$rig" forge -d "$data" refs "$giturl" 2>/dev/null)" = "$refs_before" ]; then
	ok "merges and checkouts leave the mirror's HEAD, index and refs alone"
else not_ok "merges and checkouts leave the mirror's HEAD, index and refs alone" "$(ls "$mirror")" "$(cat "$mirror/HEAD")"; fi
if git --git-dir="$mirror" cat-file -e "$merged^{tree}" 2>/dev/null; then ok "the merged tree is in the mirror's object database"
else not_ok "the merged tree is in the mirror's object database"; fi
if git --git-dir="$mirror" fsck --no-dangling >"$work/fsck" 2>&1; then ok "git fsck finds the mirror sound"
else not_ok "git fsck finds the mirror sound" "$(cat "$work/fsck")"; fi

echo "1..$n"
exit $failed
