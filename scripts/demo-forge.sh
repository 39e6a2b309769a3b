#!/usr/bin/env bash
# The demo's forge: this repository's kernel, suites, boards and build images
# as `main`, and each patch of scripts/demo/patches/ (N-name.patch) applied
# on main as the pull request refs/pull/N/head, in a bare repository at DEST,
# made or brought up to date. Fixed authors and dates make the same sources
# give the same commits, so a second run moves no ref and the daemon has
# nothing new to test; an edited kernel or patch moves exactly its refs.
#
#   scripts/demo-forge.sh DEST
#
# Prints one line per pull request; exits non-zero (naming the patch) when a
# patch no longer applies to the kernel.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:?usage: demo-forge.sh DEST}
patches=$root/scripts/demo/patches

export GIT_AUTHOR_NAME="Ada Demo" GIT_AUTHOR_EMAIL="ada@demo.invalid"
export GIT_COMMITTER_NAME="Ada Demo" GIT_COMMITTER_EMAIL="ada@demo.invalid"
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
# Neither the host's nor the user's git settings may change the commits.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/rig-demo-forge-XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/src
g() { git -C "$src" "$@"; }

mkdir -p "$src"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# The files git knows, as they are in the working tree: no build output rides along.
	git -C "$root" ls-files -z --cached --others --exclude-standard -- kernel suites boards containers |
		(cd "$root" && xargs -0 -r cp --parents -P -t "$src" 2>/dev/null || true)
else
	for d in kernel suites boards containers; do
		cp -r "$root/$d" "$src/$d"
	done
fi
g init -q -b main
g add -A
g commit -q -m "The kernel under test, its suites, boards and build images"

for p in "$patches"/[0-9]*-*.patch; do
	name=$(basename "$p" .patch)
	n=${name%%-*}
	g checkout -q --detach main
	if ! g am -q --committer-date-is-author-date "$p" >"$work/am.log" 2>&1; then
		echo "demo-forge: $name no longer applies to the kernel:" >&2
		cat "$work/am.log" >&2
		exit 1
	fi
	g update-ref "refs/pull/$n/head" HEAD
	printf 'pull/%s  %s  %s\n' "$n" "$(g rev-parse --short=12 HEAD)" "$(g log -1 --format=%s)"
done
g checkout -q main

[ -d "$dest" ] || git init -q --bare "$dest"
# Exactly these refs: a patch removed is a pull request gone.
g push -q --mirror "$dest"
