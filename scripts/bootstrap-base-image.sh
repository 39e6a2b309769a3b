#!/usr/bin/env bash
# Makes the base image every containers/*/Containerfile starts FROM,
# localhost/rig-base:bookworm, when it does not exist: no image registry is
# reachable, so a minimal Debian bookworm is debootstrapped (variant minbase,
# from the Debian mirror this host's apt uses), packed with tar and imported.
#
#   scripts/bootstrap-base-image.sh [--runtime podman|docker] [--image NAME]
#                                   [--mirror URL] [--force]
#
# Idempotent: an existing image makes it exit 0 at once. Concurrent callers
# (two CI jobs, two worktrees sharing the machine's image store) serialise on
# a lock and the second finds the image made. Needs root (debootstrap does).
#
# Made for speed, since CI starts from machines without images: the tree is
# built on a tmpfs in a private mount namespace (no disk writes, nothing left
# behind if killed), streamed through tar into the import without a tarball on
# disk, and trimmed (apt lists and caches, docs) so the import is small.
# The image carries apt and dpkg settings that make the RUN steps of the
# Containerfiles fast and lean: no recommends, no docs, unsafe-io dpkg.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=podman-env.sh
. "$here/podman-env.sh"

runtime=podman
image=localhost/rig-base:bookworm
suite=bookworm
mirror=
force=0
lock_wait=${RIG_BASE_LOCK_WAIT:-1800}
lock_file=${RIG_BASE_LOCK:-/run/lock/rig-base-image.lock}

say() { printf 'bootstrap-base-image: %s\n' "$*"; }
die() { printf 'bootstrap-base-image: error: %s\n' "$*" >&2; exit 1; }

args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--runtime) runtime=${2:?--runtime needs podman or docker}; shift 2 ;;
	--image) image=${2:?--image needs a name}; shift 2 ;;
	--mirror) mirror=${2:?--mirror needs a URL}; shift 2 ;;
	--force) force=1; shift ;;
	-h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
case $runtime in
podman|docker) ;;
*) die "runtime must be podman or docker, not '$runtime'" ;;
esac
command -v "$runtime" >/dev/null || die "$runtime not found in PATH"
if [ "$runtime" = docker ] && ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
	die "the docker engine is not reachable ($(docker version 2>&1 | tail -n 1))"
fi

image_exists() {
	if [ "$runtime" = podman ]; then
		podman image exists "$image"
	else
		docker image inspect "$image" >/dev/null 2>&1
	fi
}

if [ $force -eq 0 ] && image_exists; then
	say "$image exists"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap not found (scripts/install-deps.sh installs it)"

# The rest runs in a private mount namespace: the tree is built on a tmpfs
# there (a killed run leaves no mount and no files behind), and podman gets
# the cgroup workaround of podman-env.sh there.
if [ -z "${RIG_BASE_UNSHARED:-}" ]; then
	RIG_BASE_UNSHARED=1 exec unshare --mount --propagation private -- "$0" "${args[@]}"
fi
if [ "$runtime" = podman ]; then
	rig_podman_detach_cgroup2
	rig_podman_conf "${RIG_DATA_DIR:-$here/../build/data}/podman/containers.conf"
fi

[ -d "$(dirname "$lock_file")" ] || lock_file=${TMPDIR:-/tmp}/rig-base-image.lock
exec 9>>"$lock_file"
if ! flock -n 9; then
	say "waiting for another bootstrap (lock $lock_file)"
	flock -w "$lock_wait" 9 || die "another bootstrap held $lock_file for over $lock_wait s"
fi
if [ $force -eq 0 ] && image_exists; then
	say "$image was made by another caller meanwhile"
	exit 0
fi

# The Debian mirror and security mirror this host's apt uses, from
# sources.list (one-line format) and sources.list.d (both formats).
find_uri() {
	local want=$1 f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v want="$want" -v deb822="$([[ $f == *.sources ]] && echo 1)" '
		function take(uri, suites,   n, i, s) {
			n = split(suites, s, /[ \t]+/)
			for (i = 1; i <= n; i++)
				if (s[i] == want && uri ~ /^https?:\/\//) { print uri; exit }
		}
		function stanza() {
			if (types ~ /(^|[ \t])deb([ \t]|$)/) take(uris, suites)
			types = uris = suites = ""
		}
		deb822 && /^[ \t]*$/ { stanza(); next }
		deb822 && sub(/^Types:[ \t]*/, "") { types = $0; next }
		deb822 && sub(/^URIs:[ \t]*/, "") { split($0, u, /[ \t]+/); uris = u[1]; next }
		deb822 && sub(/^Suites:[ \t]*/, "") { suites = $0; next }
		!deb822 && $1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
			take($i, $(i + 1))
		}
		END { if (deb822) stanza() }' "$f"
	done | head -n 1
}
[ -n "$mirror" ] || mirror=$(find_uri "$suite")
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security=$(find_uri "$suite-security")

start=$(date +%s%N)
elapsed() { echo $(( ($(date +%s%N) - start) / 1000000 )); }

work=$(mktemp -d "${TMPDIR:-/tmp}/rig-base.XXXXXX")
cleanup() {
	umount "$work/root" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/root"
mount -t tmpfs -o size=4g,mode=0755 rig-base "$work/root"

say "debootstrap $suite (minbase) from $mirror"
if ! debootstrap --variant=minbase "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
	tail -n 30 "$work/debootstrap.log" >&2
	[ -f "$work/root/debootstrap/debootstrap.log" ] && tail -n 30 "$work/root/debootstrap/debootstrap.log" >&2
	die "debootstrap failed after $(elapsed) ms"
fi
say "debootstrap done in $(elapsed) ms"

root=$work/root
{
	echo "deb $mirror $suite main"
	echo "deb $mirror $suite-updates main"
	[ -z "$security" ] || echo "deb $security $suite-security main"
} >"$root/etc/apt/sources.list"
cat >"$root/etc/apt/apt.conf.d/90rig" <<'CONF'
// Build images stay lean: only what a Containerfile names.
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
CONF
cat >"$root/etc/dpkg/dpkg.cfg.d/90rig" <<'CONF'
# An image build that dies is thrown away whole, so dpkg need not fsync.
force-unsafe-io
# Documentation is never read inside a build image; licences stay.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CONF
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
	"$root"/var/lib/apt/lists/* "$root"/usr/share/man/* "$root"/usr/share/info/*
find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"

say "importing into $runtime as $image ($(du -sm "$root" | cut -f1) MiB)"
tar -C "$root" --numeric-owner --one-file-system -cf - . |
	"$runtime" import \
		--change 'CMD ["/bin/bash"]' \
		--change 'ENV LANG=C.UTF-8' \
		--message "rig base: debootstrap --variant=minbase $suite $mirror" \
		- "$image" >"$work/import.log" 2>&1 || { cat "$work/import.log" >&2; die "$runtime import failed"; }
if [ "$runtime" = podman ]; then
	id=$(podman image inspect --format '{{.Id}}' "$image")
else
	id=$(docker image inspect --format '{{.Id}}' "$image")
fi
say "made $image ${id:0:19} in $(elapsed) ms"
