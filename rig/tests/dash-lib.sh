# Helpers for the dashboard's tests (t10xx), sourced by them: a rig
# configuration with an admin token, a store filled by dash-fill, and
# `rig dashboard` on a free loopback port.
#
#   dash_setup [ARGS for rig dashboard]   sets $T, $url, $token and the ids
#   dash_stop                             (also on exit)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${RIG_HOME:-$(cd "$here/../.." && pwd)}
rig=${RIG:-$root/build/rig/rig}
fill=${RIG_DASH_FILL:-$root/build/rig/tests/dash-fill}
T=$(mktemp -d "${TMPDIR:-/tmp}/rig-t10-XXXXXX")
dash_pid=
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift
	for l in "$@"; do printf '# %s\n' "$l"; done
}
# check NAME COMMAND...: ok when the command succeeds; its output is kept for the failure.
check() {
	local name=$1; shift
	if "$@" >"$T/check.out" 2>&1; then ok "$name"
	else not_ok "$name" "$(tail -n 20 "$T/check.out")"; fi
}

dash_stop() {
	if [ -n "$dash_pid" ]; then
		kill "$dash_pid" 2>/dev/null
		wait "$dash_pid" 2>/dev/null
		dash_pid=
	fi
}
cleanup() { dash_stop; rm -rf "$T"; }
trap cleanup EXIT

dash_setup() {
	cp -r "$here/data/check/base/." "$T/"
	chmod 600 "$T/token"
	printf 'dashboard:\n  listen: 127.0.0.1:0\n  admin_token_file: admin.token\n' >>"$T/rig.yaml"
	token=admin-$RANDOM-$RANDOM
	printf '%s\n' "$token" >"$T/admin.token"
	chmod 600 "$T/admin.token"
	mkdir -p "$T/data"
	"$fill" "$T/data/rig.db" "$T/data/logs" >"$T/ids" || { echo "Bail out! dash-fill failed"; exit 1; }
	# shellcheck disable=SC1091
	. "$T/ids"
	"$rig" dashboard -c "$T/rig.yaml" "$@" >"$T/dash.out" 2>"$T/dash.err" &
	dash_pid=$!
	for _ in $(seq 100); do
		url=$(sed -n 's/^listening on //p' "$T/dash.out")
		[ -n "$url" ] && return 0
		kill -0 "$dash_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "Bail out! rig dashboard did not start: $(cat "$T/dash.err")"
	exit 1
}
