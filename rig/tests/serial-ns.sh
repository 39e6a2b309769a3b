#!/usr/bin/env bash
# Runs a command in a private mount namespace where libserialport takes a
# pseudo-terminal (a virtual board's console) for a serial port.
#
#   serial-ns.sh [--usb-serial SERIAL] LINK [LINK]... -- COMMAND [ARG]...
#
# libserialport 0.1.1 looks a port up in /sys/class/tty/<name after /dev/>
# and has no entry for a pty. Inside the namespace a tmpfs over
# /sys/class/tty gives the pty each LINK leads to (/dev/pts/N) an entry
# pts/N (several links: a rack of virtual boards). With --usb-serial the
# first LINK's pty also becomes /dev/ttyACM0, a USB CDC-ACM port of a SEGGER
# J-Link with that serial number (a tmpfs /dev with the usual nodes bound
# back), so opening a console by USB serial number is exercised too.
#
# libserialport also reads and sets the modem lines, which a pty lacks: when
# RIG_PTY_MODEM names the pty_modem shim it is preloaded into COMMAND (and
# into nothing else). Nothing outside the namespace changes. Needs root (or
# CAP_SYS_ADMIN); exits 77 (skip) when unshare is refused.
set -eu

if [ "${RIG_SERIAL_NS_INSIDE:-}" != 1 ]; then
	if ! unshare --mount --propagation private true 2>/dev/null; then
		echo "serial-ns: cannot create a mount namespace (root needed)" >&2
		exit 77
	fi
	RIG_SERIAL_NS_INSIDE=1 exec unshare --mount --propagation private "$0" "$@"
fi
unset RIG_SERIAL_NS_INSIDE

usb=
if [ "${1:-}" = --usb-serial ]; then
	usb=$2
	shift 2
fi
links=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	links+=("$1")
	shift
done
if [ ${#links[@]} -lt 1 ] || [ $# -lt 2 ]; then
	echo "usage: serial-ns.sh [--usb-serial SERIAL] LINK [LINK]... -- COMMAND [ARG]..." >&2
	exit 2
fi
shift
ptys=()
for link in "${links[@]}"; do
	p=$(readlink -f "$link")
	case $p in
	/dev/pts/[0-9]*) ;;
	*) echo "serial-ns: $link does not lead to a pty (${p:-nothing})" >&2; exit 2 ;;
	esac
	ptys+=("$p")
done
pty=${ptys[0]}

mount -t tmpfs -o mode=755 rig-sys-class-tty /sys/class/tty
cd /sys/class/tty
# The kernel's own layout: class entries are symlinks into the device tree.
# A path without "usb" in it is a native port to libserialport.
mkdir -p pts
for p in "${ptys[@]}"; do
	n=${p#/dev/pts/}
	mkdir -p .rig/devices/virtual/pts/"$n"
	ln -sfn ../.rig/devices/virtual/pts/"$n" pts/"$n"
done

if [ -n "$usb" ]; then
	dev=.rig/devices/pci0000:00/0000:00:14.0/usb1/1-1
	mkdir -p "$dev/1-1:1.0/tty/ttyACM0"
	echo 1 >"$dev/busnum"
	echo 5 >"$dev/devnum"
	echo 1366 >"$dev/idVendor"
	echo 1051 >"$dev/idProduct"
	echo SEGGER >"$dev/manufacturer"
	echo J-Link >"$dev/product"
	echo "$usb" >"$dev/serial"
	ln -s ../.. "$dev/1-1:1.0/tty/ttyACM0/device"
	ln -s "$dev/1-1:1.0/tty/ttyACM0" ttyACM0

	# /dev/ttyACM0 must be the pty: a tmpfs /dev, with the old one kept
	# under the tmpfs above (a dot entry libserialport skips).
	old=/sys/class/tty/.rig/olddev
	mkdir "$old"
	mount --rbind /dev "$old"
	mount -t tmpfs -o mode=755 rig-dev /dev
	for e in null zero full random urandom tty ptmx; do
		[ -e "$old/$e" ] || continue
		touch "/dev/$e"
		mount --bind "$old/$e" "/dev/$e"
	done
	for d in pts shm; do
		[ -d "$old/$d" ] || continue
		mkdir "/dev/$d"
		mount --rbind "$old/$d" "/dev/$d"
	done
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin
	ln -s /proc/self/fd/1 /dev/stdout
	ln -s /proc/self/fd/2 /dev/stderr
	touch /dev/ttyACM0
	mount --bind "$pty" /dev/ttyACM0
fi
cd /

if [ -n "${RIG_PTY_MODEM:-}" ]; then
	exec env LD_PRELOAD="$RIG_PTY_MODEM${LD_PRELOAD:+:$LD_PRELOAD}" "$@"
fi
exec "$@"
