#!/usr/bin/env bash
# Makes a local git forge from this repository's own kernel, suites, boards
# and containers: `main` as they are now, and sample changes as pull requests
# (refs/pull/N/head), so that the rig can be exercised end to end without a
# network. Used by the tests of `rig run` and by the demo.
#
#   scripts/make-forge.sh DEST N:SCENARIO [N:SCENARIO...]
#
# Scenarios (each a commit on top of main unless said otherwise):
#   clean          a comment in the kernel's README: passes everywhere
#   noop           an empty commit: the same tree as main, zero size delta
#   grow-3k        a 3 KiB table the kernel keeps: flash grows ~3 KiB on every board
#   riscv-no-boot  the RISC-V kernel hangs before its banner; Cortex-M boots
#   syscall-fail   one syscall case (command-exists) fails on every board
#   no-compile     a syntax error in the kernel
#   conflict       made on main's parent, changing the line main changed last
#                  (main gets one more commit for it): merging onto main conflicts
# DEST must not exist. Prints nothing but errors; exits non-zero on failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:?usage: make-forge.sh DEST N:SCENARIO...}
shift
[ ! -e "$dest" ] || { echo "make-forge: $dest exists" >&2; exit 2; }

export GIT_AUTHOR_NAME="Rig Fixture" GIT_AUTHOR_EMAIL="fixture@rig.invalid"
export GIT_COMMITTER_NAME="Rig Fixture" GIT_COMMITTER_EMAIL="fixture@rig.invalid"
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
g() { git -C "$dest" "$@"; }

mkdir -p "$dest"
for d in kernel suites boards containers; do
	cp -r "$root/$d" "$dest/$d"
done
g init -q -b main
g config commit.gpgsign false
g add -A
g commit -q -m "kernel, suites and boards"
has_conflict=false
for s in "$@"; do [ "${s#*:}" = conflict ] && has_conflict=true; done
if $has_conflict; then
	# main moves one commit on, touching the line the conflicting PR will touch.
	sed -i '1s/.*/# The kernel under test (main)/' "$dest/kernel/README.md"
	g commit -q -am "README: title on main"
fi

scenario() {
	local name=$1 f
	case $name in
	clean)
		echo "" >> "$dest/kernel/README.md"
		echo "A clean change." >> "$dest/kernel/README.md" ;;
	noop)
		g commit -q --allow-empty -m "noop: nothing changes"
		return ;;
	grow-3k)
		f=$dest/kernel/src/main.c
		# A table the kernel reads, so the linker keeps it.
		sed -i 's|^_Noreturn void kernel_main(void)$|const unsigned char fixture_big_table[3072] = { 1, 2, 3 };\n\n&|' "$f"
		sed -i 's|^\tloader_scan(k);$|\tloader_scan(k);\n\tif (k->nprocs > 1000)\n\t\tkprintf(k, "%u\\n", (unsigned)fixture_big_table[k->nprocs % 3072]);|' "$f" ;;
	riscv-no-boot)
		f=$dest/kernel/src/main.c
		sed -i 's|^\tkprintf(k, "rig-kernel |#if defined(__riscv)\n\tfor (;;)\n\t\t;\n#endif\n&|' "$f" ;;
	syscall-fail)
		f=$dest/suites/syscall/apps/sc_exists/main.c
		sed -i 's|command(DRV_CONSOLE, CMD_EXISTS, 0, 0), RET_SUCCESS|command(DRV_CONSOLE, CMD_EXISTS, 0, 0), RET_FAILURE|' "$f" ;;
	no-compile)
		sed -i 's|^_Noreturn void kernel_main(void)$|int broken = ;\n\n&|' "$dest/kernel/src/main.c" ;;
	conflict)
		g checkout -q HEAD~1
		sed -i '1s/.*/# The kernel under test (from the pull request)/' "$dest/kernel/README.md" ;;
	*)
		echo "make-forge: unknown scenario '$name'" >&2
		exit 2 ;;
	esac
	g commit -q -am "$name"
}

for spec in "$@"; do
	n=${spec%%:*}
	name=${spec#*:}
	case $n in ''|*[!0-9]*) echo "make-forge: '$spec' is not N:SCENARIO" >&2; exit 2 ;; esac
	g checkout -q main
	g checkout -q --detach
	scenario "$name"
	g update-ref "refs/pull/$n/head" HEAD
done
g checkout -q main
