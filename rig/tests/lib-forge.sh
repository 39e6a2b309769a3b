# Sourced by the t05xx forge tests: TAP helpers, a fixture repository and a
# real `git daemon` serving it on a random loopback port. Not a test itself.
#
# After forge_setup: $work (scratch, removed at exit), $src (the working
# repository commits are made in), $srv/fixture.git (the served bare copy;
# `publish` mirrors $src into it), $port (the daemon's), $rig.

here=$(cd "$(dirname "$0")" && pwd)
rig=${RIG:-$here/../../build/rig/rig}
rig=$(cd "$(dirname "$rig")" && pwd)/$(basename "$rig")
work=$(mktemp -d)
src=$work/src
srv=$work/srv
daemon_pid=
n=0
failed=0

forge_cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap forge_cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
}
# check NAME COMMAND...: ok when the command succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# No host or user git configuration may leak into the fixture or the rig.
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Ada Fixture" GIT_AUTHOR_EMAIL=ada@example.org
export GIT_COMMITTER_NAME="Ada Fixture" GIT_COMMITTER_EMAIL=ada@example.org
mkdir -p "$HOME"
# Loopback peers only: no proxy may stand between the rig and them.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

g() { git -C "$src" "$@"; }
commit() { # commit MESSAGE DATE
	GIT_AUTHOR_DATE="$2" GIT_COMMITTER_DATE="$2" g commit -q -m "$1"
}

# main: README, an executable build.sh, a symlink, src/a.c over three
# commits; feature (= pull/1) adds a file and merges cleanly with main;
# conflict (= pull/2) edits the line main's last commit edits; to-delete
# is there to be deleted; unrelated shares no history; merge-requests/3
# is the GitLab-style ref of feature.
make_fixture() {
	git init -q -b main "$src"
	mkdir -p "$src/src"
	printf 'fixture\n' >"$src/README"
	printf '#!/bin/sh\necho built\n' >"$src/build.sh"
	chmod +x "$src/build.sh"
	ln -s README "$src/link"
	printf 'int a = 1;\nint b = 2;\n' >"$src/src/a.c"
	g add -A && commit "first" "2024-01-01T00:00:00Z"
	printf 'fixture, second\n' >"$src/README"
	g add -A && commit "second" "2024-01-02T00:00:00Z"

	g checkout -q -b feature
	printf 'int feature;\n' >"$src/src/feature.c"
	g add -A && commit "Add the feature" "2024-01-03T00:00:00Z"

	g checkout -q -b conflict main
	printf 'int a = 3;\nint b = 2;\n' >"$src/src/a.c"
	g add -A && commit "Change a differently" "2024-01-04T00:00:00Z"

	g checkout -q main
	printf 'int a = 42;\nint b = 2;\n' >"$src/src/a.c"
	g add -A && commit "Change a on main" "2024-01-05T00:00:00Z"

	g branch to-delete main~1
	g checkout -q --orphan unrelated
	g rm -rq --cached . && rm -rf "$src/src" "$src/README" "$src/build.sh" "$src/link"
	printf 'other\n' >"$src/OTHER"
	g add -A && commit "unrelated root" "2024-01-06T00:00:00Z"
	g checkout -q -f main

	g update-ref refs/pull/1/head feature
	g update-ref refs/pull/2/head conflict
	g update-ref refs/merge-requests/3/head feature
	git init -q --bare "$srv/fixture.git"
	publish
}

# Makes the served repository hold exactly $src's refs (force, delete).
publish() { g push -q --mirror "$srv/fixture.git"; }

# A port nothing listens on right now.
free_port() {
	local p
	while :; do
		p=$(( 20000 + RANDOM % 40000 ))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# Starts git daemon on a random loopback port and waits (with a deadline)
# until it accepts; a port taken in between is retried with another.
start_daemon() {
	local tries deadline
	for tries in 1 2 3 4 5; do
		port=$(free_port)
		git daemon --reuseaddr --base-path="$srv" --export-all --port="$port" \
			--listen=127.0.0.1 "$srv" 2>"$work/daemon.log" &
		daemon_pid=$!
		deadline=$(( $(now_ms) + 5000 ))
		while [ "$(now_ms)" -lt "$deadline" ]; do
			if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
				return 0
			fi
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.05
		done
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
		daemon_pid=
	done
	echo "Bail out! git daemon did not start: $(cat "$work/daemon.log")"
	exit 1
}

forge_setup() {
	make_fixture >"$work/fixture.log" 2>&1 || {
		echo "Bail out! fixture: $(cat "$work/fixture.log")"; exit 1; }
	start_daemon
	giturl=git://127.0.0.1:$port/fixture.git
	fileurl=file://$srv/fixture.git
	data=$work/data
}

# rforge ARGS...: runs `rig forge -d $data`, stdout in $out, stderr in $errout, exit in $rc.
rforge() {
	out=$("$rig" forge -d "$data" "$@" 2>"$work/stderr"); rc=$?
	errout=$(cat "$work/stderr")
}
