#!/usr/bin/env bash
# Installs, from Debian's packages, what Rig needs to build, test and run its
# demo, and nothing that is already there. Safe to run again: a second run
# with everything present makes no network access and exits in well under a
# second.
set -euo pipefail

packages=(
	# build of the service
	build-essential pkg-config meson ninja-build clang libclang-rt-14-dev
	libgit2-dev libserialport-dev libsqlite3-dev sqlite3 libcivetweb-dev
	libfyaml-dev libjansson-dev libelf-dev libcurl4-openssl-dev libssl-dev
	libcmocka-dev
	# kernel under test
	gcc-arm-none-eabi binutils-arm-none-eabi gcc-riscv64-unknown-elf
	binutils-riscv64-unknown-elf picolibc-arm-none-eabi
	picolibc-riscv64-unknown-elf
	# targets and tools the rig drives
	qemu-system-arm qemu-system-misc openocd git
	# containers: the base image is made locally (no registry is reachable)
	podman crun debootstrap util-linux
	# dashboard browser tests and benchmarks
	chromium wrk python3 python3-yaml
	hyperfine
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

# Node.js may come from outside Debian (its own npm then conflicts with
# Debian's); only ask for Debian's when there is none at all.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
else
	sudo=
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/rig-apt-updated
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
	$sudo apt-get update -q
	$sudo mkdir -p "$(dirname "$stamp")" && $sudo touch "$stamp"
fi
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
