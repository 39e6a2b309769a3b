# shellcheck shell=bash
# Sourced, not run: what podman needs on a host like the CI machines, in one
# place for the scripts (rig/container.c applies the same rules in C).
#
# Two host quirks break rootful podman with crun, each detected from its cause
# so that a host without it runs podman untouched:
#
#  1. A "hybrid" cgroup layout (v1 controllers under /sys/fs/cgroup, cgroup2
#     beside them at /sys/fs/cgroup/unified): crun refuses to start any
#     container. podman then runs in a private mount namespace (unshare -m)
#     in which /sys/fs/cgroup/unified is detached, so crun sees pure v1. The
#     host's mounts are not touched.
#  2. No CAP_SYS_RESOURCE and hard RLIMIT_NOFILE/RLIMIT_NPROC below podman's
#     rootful default (1048576): crun cannot raise them and fails with
#     "setrlimit RLIMIT_NOFILE: Operation not permitted". CONTAINERS_CONF then
#     names a file with `default_ulimits = []`, so containers keep the
#     caller's limits.
#
# A third rule belongs to the callers: `podman build` gets `--network host`,
# because RUN steps (apt-get) need the network and podman's bridge (CNI)
# networking does not come up here; recipes themselves run with
# `--network none`.

# True when cgroup2 is mounted at /sys/fs/cgroup/unified beside v1 controllers.
rig_cgroup_hybrid() {
	[ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] &&
		[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]
}

# True when crun could not apply podman's default rlimits.
rig_ulimits_blocked() {
	local capeff nofile nproc
	capeff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
	# CAP_SYS_RESOURCE is bit 24.
	if [ -n "$capeff" ] && (( (16#$capeff >> 24) & 1 )); then
		return 1
	fi
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nofile" != unlimited ] && [ "$nofile" -lt 1048576 ] && return 0
	[ "$nproc" != unlimited ] && [ "$nproc" -lt 1048576 ] && return 0
	return 1
}

# Detaches /sys/fs/cgroup/unified when the layout is hybrid. Only for a
# caller already in a private mount namespace: the host keeps its mounts.
rig_podman_detach_cgroup2() {
	if rig_cgroup_hybrid; then
		umount -l /sys/fs/cgroup/unified
	fi
}

# Re-executes the calling script ("$0" "$@") in a private mount namespace when
# the layout is hybrid, and there detaches /sys/fs/cgroup/unified. After the
# detach the layout no longer looks hybrid, so nothing happens twice.
rig_podman_namespace() {
	if ! rig_cgroup_hybrid; then
		return 0
	fi
	if [ -z "${RIG_PODMAN_UNSHARED:-}" ]; then
		RIG_PODMAN_UNSHARED=1 exec unshare --mount --propagation private -- "$0" "$@"
	fi
	rig_podman_detach_cgroup2
}

# Sets CONTAINERS_CONF when the rlimit quirk applies and the caller has not
# chosen a file already. $1: the file to write (its folder is created).
rig_podman_conf() {
	local file=$1
	if [ -n "${CONTAINERS_CONF:-}" ] || ! rig_ulimits_blocked; then
		return 0
	fi
	mkdir -p "$(dirname "$file")"
	if [ ! -f "$file" ] || ! grep -q '^default_ulimits = \[\]' "$file"; then
		printf '# Written by rig: crun here cannot raise rlimits (no CAP_SYS_RESOURCE),\n# so containers keep the caller'\''s limits.\n[containers]\ndefault_ulimits = []\n' >"$file.tmp.$$"
		mv "$file.tmp.$$" "$file"
	fi
	export CONTAINERS_CONF=$file
}
