#!/usr/bin/env bash
# Fills a store with 100,000 results (dash-fill: changes of 40 results each,
# with their builds, sizes, symbols and jobs) and measures, with wrk on
# loopback, the changes API and a change's page served by `rig dashboard`:
# requests per second and latency percentiles.
#
# usage: scripts/bench-dashboard.sh [RESULTS]
#   BENCH_SECONDS  length of each wrk run (default 10)
#   BENCH_THREADS, BENCH_CONNECTIONS  wrk's (default 2 and 16)
#   RIG_THREADS    the server's worker threads (default 8)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rig=${RIG:-$root/build/rig/rig}
fill=${RIG_DASH_FILL:-$root/build/rig/tests/dash-fill}
results=${1:-100000}
seconds=${BENCH_SECONDS:-10}
threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNECTIONS:-16}
work=$(mktemp -d "${TMPDIR:-/tmp}/rig-bench-dash-XXXXXX")
pid=
stop() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap stop EXIT

for x in "$rig" "$fill"; do
	[ -x "$x" ] || { echo "bench-dashboard: $x is not built; run make first" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "bench-dashboard: no wrk; scripts/install-deps.sh installs it" >&2; exit 2; }

printf 'data_dir: data\nstorage: { sqlite: rig.db }\ndashboard: { listen: 127.0.0.1:0 }\n' >"$work/rig.yaml"
mkdir -p "$work/data" "$work/boards" "$work/suites"
start=$(date +%s%N)
"$fill" "$work/data/rig.db" "$work/data/logs" --results "$results" >"$work/ids"
. "$work/ids"
fill_ms=$((($(date +%s%N) - start) / 1000000))
changes=$(sqlite3 "$work/data/rig.db" "SELECT count(*) FROM changes")
echo "store: $RESULTS results, $changes changes, $(du -h "$work/data/rig.db" | cut -f1) (filled in $fill_ms ms)"

"$rig" dashboard -c "$work/rig.yaml" --threads "${RIG_THREADS:-8}" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
	url=$(sed -n 's/^listening on //p' "$work/out" 2>/dev/null || true)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { echo "bench-dashboard: rig dashboard did not start: $(cat "$work/err")" >&2; exit 1; }

# A change among the bulk ones, a third of the way down the list.
change=$(sqlite3 "$work/data/rig.db" "SELECT id FROM changes ORDER BY id DESC LIMIT 1 OFFSET $((changes / 3))")
bench() {
	local name=$1 path=$2 size
	size=$(curl -s -o /dev/null -w '%{size_download}' "$url$path")
	echo
	echo "== $name: GET $path ($size bytes), wrk -t$threads -c$conns -d${seconds}s"
	wrk -t"$threads" -c"$conns" -d"$seconds"s --latency "$url$path" |
		grep -E "Requests/sec|Latency  |^ +(50|75|90|99)%|requests in|Non-2xx|Socket errors"
}
bench "changes API, newest 50" "/api/changes"
bench "changes API, filtered by verdict" "/api/changes?gate=fail"
bench "a change's page (40 results, 2 builds)" "/changes/$change"
bench "a change in JSON" "/api/changes/$change"
