# Sourced by the t095x daemon tests: lib-forge.sh's TAP helpers and git
# daemon, a fixture repository whose "kernel build" copies prebuilt tiny ARM
# images (data/serve/), the fake forge API that records statuses
# (fake_forge.py), and a running `rig serve`. Not a test itself.
#
# serve_setup: builds the tiny kernels, makes the fixture ($src, served as
# $giturl), starts the fake forge ($api) and writes $cfg. Then:
#   serve_start [ARGS]   starts rig serve -c $cfg (pid $serve_pid, $url)
#   push_pr N VARIANT    a new commit on refs/pull/N/head with that kernel; sets $sha
#   statuses SHA         the states posted for SHA, in order, one per line
#   db SQL               a query on the daemon's store
#   wait_until SECS CMD  polls CMD until it succeeds or SECS pass

. "$(dirname "$0")/lib-forge.sh"

data_serve=$here/data/serve
token=fixture-token-0123456789
secret=fixture-hook-secret
serve_pid=
forge_pid=

serve_cleanup() {
	if [ -n "$serve_pid" ]; then
		kill -9 "$serve_pid" 2>/dev/null
		wait "$serve_pid" 2>/dev/null
	fi
	if [ -n "$forge_pid" ]; then
		exec 7>&-
		kill "$forge_pid" 2>/dev/null
		wait "$forge_pid" 2>/dev/null
	fi
	forge_cleanup
}
trap serve_cleanup EXIT

wait_until() { # SECONDS COMMAND...
	local deadline=$(( $(now_ms) + $1 * 1000 )); shift
	while [ "$(now_ms)" -lt "$deadline" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# tiny NAME TENTHS TAP...: a kernel printing the banner, then after TENTHS of a second the TAP lines.
tiny() {
	local name=$1 delay=$2 out=; shift 2
	local l
	for l in "$@"; do out="$out$l\\n"; done
	mkdir -p "$work/tiny"
	arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -O1 -nostdlib -ffreestanding \
		-T "$here/data/tiny-arm/tiny.ld" '-DBANNER="rig-kernel 0.1.0 board=serve-arm arch=arm\n"' \
		"-DOUTPUT=\"$out\"" "-DDELAY=$delay" \
		-o "$work/tiny/$name.elf" "$data_serve/tiny.c" &&
	arm-none-eabi-objcopy -O binary "$work/tiny/$name.elf" "$work/tiny/$name.bin"
}

build_kernels() {
	tiny pass 0 '1..2' 'ok 1 - a' 'ok 2 - b' '# tap-end' &&
	tiny fail 0 '1..2' 'ok 1 - a' 'not ok 2 - b # broken on purpose' '# tap-end' &&
	tiny slow 15 '1..2' 'ok 1 - a' 'ok 2 - b' '# tap-end'
}

# The kernel variant the next commit holds.
set_kernel() {
	mkdir -p "$src/prebuilt/apps"
	cp "$work/tiny/$1.elf" "$src/prebuilt/kernel.elf"
	cp "$work/tiny/$1.bin" "$src/prebuilt/kernel.bin"
}

make_serve_fixture() {
	git init -q -b main "$src" || return 1
	printf '#!/bin/sh\nset -e\ncp -r /src/prebuilt/. /out/\n' >"$src/build.sh"
	set_kernel pass
	head -c 1024 /dev/zero | tr '\0' '\377' >"$src/prebuilt/apps/app.tbf"
	g add -A && commit "main: the passing kernel" "2024-01-01T00:00:00Z"
	git init -q --bare "$srv/fixture.git"
	publish
}

commits=0
# push_pr N VARIANT: a new commit (of kernel VARIANT) on pull/N, published; its sha in $sha.
push_pr() {
	commits=$((commits + 1))
	g checkout -q -B "pr$1" main
	set_kernel "$2"
	printf '%s\n' "$commits" >"$src/counter"
	g add -A && commit "pr $1: $2 ($commits)" "2024-02-01T00:00:$(printf %02d $((commits % 60)))Z"
	g update-ref "refs/pull/$1/head" "pr$1"
	g checkout -q main
	publish
	sha=$(g rev-parse "refs/pull/$1/head")
}

start_fake_forge() {
	mkfifo "$work/forge.in"
	python3 "$here/fake_forge.py" --github-token "$token" --gitlab-token "$token" \
		<"$work/forge.in" >"$work/forge.out" 2>"$work/forge.log" &
	forge_pid=$!
	exec 7>"$work/forge.in"
	wait_until 10 grep -q '^port ' "$work/forge.out" || {
		echo "Bail out! the fake forge did not start: $(cat "$work/forge.log")"; exit 1; }
	api=http://127.0.0.1:$(sed -n 's/^port //p' "$work/forge.out")
}

# write_config [TARGETS]: the daemon's configuration ($POLL: the forge's poll interval, default 1 s)
write_config() {
	local targets=${1:-"[serve-arm, serve-arm2]"}
	printf '%s\n' "$token" >"$work/token" && chmod 600 "$work/token"
	printf '%s\n' "$secret" >"$work/hook.secret" && chmod 600 "$work/hook.secret"
	cat >"$cfg.new" <<EOF
data_dir: $work/data
boards_dir: $data_serve/boards
suites_dir: $data_serve/suites
containers_dir: $data_serve/containers
targets: $targets
suites: [smoke]
forges:
  - name: fixture
    url: $giturl
    kind: github
    poll_interval: ${POLL:-1}
    webhook_secret_file: $work/hook.secret
    status: { api: $api, repo: o/fixture, token_file: $work/token }
dashboard: { listen: "127.0.0.1:0" }
build: { parallelism: 2 }
webhooks: { max_body: 65536 }
EOF
	mv "$cfg.new" "$cfg"
}

serve_setup() {
	build_kernels >"$work/tiny.log" 2>&1 || { echo "Bail out! tiny kernels: $(cat "$work/tiny.log")"; exit 1; }
	make_serve_fixture >"$work/fixture.log" 2>&1 || {
		echo "Bail out! fixture: $(cat "$work/fixture.log")"; exit 1; }
	start_daemon
	giturl=git://127.0.0.1:$port/fixture.git
	start_fake_forge
	cfg=$work/rig.yaml
	write_config
}

# serve_start [ARGS]: starts the daemon and waits until it listens; $url, $serve_pid.
serve_start() {
	: >"$work/serve.out"
	"$rig" --log-level debug serve -c "$cfg" "$@" >>"$work/serve.out" 2>>"$work/serve.log" &
	serve_pid=$!
	if ! wait_until 20 grep -q 'listening on' "$work/serve.out"; then
		echo "# the daemon did not start:"; tail -20 "$work/serve.log" | sed 's/^/# /'
		return 1
	fi
	url=$(sed -n 's/.*listening on \(http[^ ]*\)/\1/p' "$work/serve.out" | tail -1)
}

# serve_stop: SIGTERM, and the time it took to exit in $stop_ms; its exit code in $stop_rc.
serve_stop() {
	local t0
	t0=$(now_ms)
	kill -TERM "$serve_pid"
	wait "$serve_pid"; stop_rc=$?
	stop_ms=$(( $(now_ms) - t0 ))
	serve_pid=
}

statuses() {
	curl -s "$api/__requests" | jq -r --arg sha "$1" \
		'.[] | select(.path | endswith("/statuses/" + $sha)) | .json.state'
}

db() { sqlite3 -cmd '.timeout 5000' "$work/data/rig.db" "$1"; }

last_status_is() { [ "$(statuses "$1" | tail -1)" = "$2" ]; }
