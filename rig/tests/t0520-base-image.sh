#!/usr/bin/env bash
# scripts/bootstrap-base-image.sh and scripts/rig-podman with the real podman:
# the base image is made when missing (CI machines start without images) and
# found afterwards, concurrent callers wait on the lock instead of racing, a
# missing docker engine is a clear error, and the image runs under the host
# workaround with the settings the Containerfiles rely on. Emits TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=${RIG_HOME:-$(cd "$here/../.." && pwd)}
bootstrap=$root/scripts/bootstrap-base-image.sh
rig_podman=$root/scripts/rig-podman
base=localhost/rig-base:bookworm
work=$(mktemp -d)
export RIG_DATA_DIR=$work/data
test_tag=localhost/rig-t0520:$$-$RANDOM
cleanup() {
	podman rmi --force "$test_tag" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do printf '# %s\n' "$l"; done; }
check() { # check NAME CONDITION-STATUS [DETAIL…]
	local name=$1 status=$2
	shift 2
	if [ "$status" -eq 0 ]; then ok "$name"; else not_ok "$name" "$@"; fi
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }
echo "1..10"

# 1. Made when missing (this is where a fresh machine pays for it), found after.
start=$(ms)
out=$("$bootstrap" 2>&1); rc=$?
took=$(( $(ms) - start ))
if [ $rc -eq 0 ] && podman image exists "$base"; then
	ok "base image ensured ($took ms): $(echo "$out" | tail -n 1)"
else
	not_ok "base image ensured" "exit $rc" "$out"
fi
while IFS= read -r line; do echo "# $line"; done <<<"$out"

start=$(ms)
out=$("$bootstrap" 2>&1); rc=$?
took=$(( $(ms) - start ))
[ $rc -eq 0 ] && [ "$out" = "bootstrap-base-image: $base exists" ] && [ $took -lt 10000 ]
check "second call finds it ($took ms)" $? "exit $rc" "$out"

# 2. Usage.
out=$("$bootstrap" --no-such-flag 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $out == *"unknown argument '--no-such-flag'"* ]]
check "unknown argument refused" $? "exit $rc" "$out"
out=$("$bootstrap" --help 2>&1); rc=$?
[ $rc -eq 0 ] && [[ $out == *"--runtime podman|docker"* ]]
check "--help prints the usage" $? "exit $rc" "$out"

# 3. A caller that finds the lock held waits, and then finds the image made
# by the holder instead of debootstrapping a second time.
lock=$work/base.lock
exec 8>"$lock"
flock 8
# (8>&-: a child holding a copy of the locked descriptor would keep the lock.)
RIG_BASE_LOCK=$lock "$bootstrap" --image "$test_tag" >"$work/waiter.out" 2>&1 8>&- &
waiter=$!
for _ in $(seq 1 100); do
	grep -q "waiting for another bootstrap" "$work/waiter.out" && break
	sleep 0.1
done
grep -q "waiting for another bootstrap" "$work/waiter.out"
check "a second caller waits on the lock" $? "$(cat "$work/waiter.out")"
podman tag "$base" "$test_tag"
exec 8>&-
wait $waiter; rc=$?
out=$(cat "$work/waiter.out")
[ $rc -eq 0 ] && [[ $out == *"was made by another caller meanwhile"* ]] && [[ $out != *debootstrap* ]]
check "and uses the image the holder made" $? "exit $rc" "$out"
podman rmi --force "$test_tag" >/dev/null 2>&1

# 4. A lock held too long is an error, not a hang.
exec 8>"$lock"
flock 8
out=$(RIG_BASE_LOCK=$lock RIG_BASE_LOCK_WAIT=1 "$bootstrap" --image "$test_tag" 2>&1 8>&-); rc=$?
exec 8>&-
[ $rc -eq 1 ] && [[ $out == *"held $lock for over 1 s"* ]]
check "a lock held too long is reported" $? "exit $rc" "$out"

# 5. docker without its engine: a clear error (skipped where an engine runs).
if ! command -v docker >/dev/null; then
	ok "docker engine missing is an error # SKIP no docker CLI"
elif docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
	ok "docker engine missing is an error # SKIP a docker engine answers"
else
	out=$("$bootstrap" --runtime docker 2>&1); rc=$?
	[ $rc -eq 1 ] && [[ $out == *"the docker engine is not reachable"* ]]
	check "docker engine missing is an error" $? "exit $rc" "$out"
fi

# 6. The image runs under the workaround, with what the Containerfiles rely on.
out=$("$rig_podman" run --rm --network none "$base" sh -c \
	'cat /etc/debian_version; cat /etc/apt/apt.conf.d/90rig /etc/dpkg/dpkg.cfg.d/90rig; ls /var/lib/apt/lists | wc -l; grep -c "^deb " /etc/apt/sources.list' 2>&1); rc=$?
[ $rc -eq 0 ] && [[ $out == 12.* ]] && [[ $out == *'APT::Install-Recommends "false";'* ]] &&
	[[ $out == *force-unsafe-io* ]] && [ "$(echo "$out" | tail -n 2 | head -n 1)" = 0 ] &&
	[ "$(echo "$out" | tail -n 1)" -ge 2 ]
check "rig-podman runs the base image: bookworm, lean apt, no stale lists" $? "exit $rc" "$out"

# 7. rig-podman leaves the host's mounts alone.
mount | grep -q ' /sys/fs/cgroup/unified ' && before=1 || before=0
"$rig_podman" info >/dev/null 2>&1
mount | grep -q ' /sys/fs/cgroup/unified ' && after=1 || after=0
[ "$before" -eq "$after" ]
check "the host's /sys/fs/cgroup/unified is untouched" $? "before $before after $after"
