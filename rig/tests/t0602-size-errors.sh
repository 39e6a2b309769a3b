#!/usr/bin/env bash
# rig size on bad input: each case exits 2 with one line on stderr that names
# the file and the problem, and nothing crashes (the test build aborts on any
# sanitizer report). Emits TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rig=${RIG:-$here/../../build/rig/rig}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fx=${RIG_ELF_FIXTURES:-}
if [ -z "$fx" ] || [ ! -d "$fx" ]; then
	fx=$work/fixtures
	"$here/elf/build-fixtures.sh" "$here/elf" "$fx" >/dev/null 2>&1 || { echo "1..0 # SKIP no fixtures"; exit 0; }
fi
good=$fx/cm3.elf
be=$fx/cm3-be.elf
h64=$fx/host64.elf

# patch IN OUT OFFSET BYTES...: a copy of IN with bytes (hex) written at OFFSET.
patch() {
	python3 - "$@" <<'PY'
import sys
src, dst, off = sys.argv[1], sys.argv[2], int(sys.argv[3], 0)
data = bytearray(open(src, "rb").read())
new = bytes(int(b, 16) for b in sys.argv[4:])
data[off:off + len(new)] = new
open(dst, "wb").write(data)
PY
}
# field FILE OFFSET SIZE: an ELF header field (in the file's byte order), decimal.
field() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
o, n = int(sys.argv[2]), int(sys.argv[3])
print(int.from_bytes(d[o:o + n], "big" if d[5] == 2 else "little"))' "$@"
}

shoff=$(field "$good" 32 4)
text_hdr=$((shoff + 40))	# section 1 (.text) in the Elf32_Shdr table

: > "$work/empty.elf"
printf 'hello, world\n' > "$work/text.elf"
printf '!<arch>\n' > "$work/lib.a"
head -c 30 "$good" > "$work/short.elf"
head -c 2000 "$good" > "$work/cut.elf"
head -c $(($(stat -c %s "$good") - 10)) "$good" > "$work/tail-cut.elf"
patch "$good" "$work/shnum.elf" 48 ff ff
patch "$good" "$work/shoff.elf" 32 f0 ff ff 7f
patch "$good" "$work/shentsize.elf" 46 00 00
patch "$good" "$work/shstrndx.elf" 50 f0 fe
patch "$good" "$work/class.elf" 4 07
patch "$good" "$work/text-off.elf" $((text_hdr + 16)) 00 00 00 70
patch "$good" "$work/text-size.elf" $((text_hdr + 20)) ff ff ff 7f
patch "$good" "$work/text-name.elf" "$text_hdr" ff ff ff 00
patch "$be" "$work/be-shnum.elf" 48 ff ff
patch "$h64" "$work/h64-shoff.elf" 40 00 00 00 00 00 00 00 01
patch "$h64" "$work/h64-phnum.elf" 56 ff 7f
mkdir "$work/dir.elf"
mkfifo "$work/fifo.elf"

cases=(
	"empty.elf|is empty, not an ELF file"
	"text.elf|not an ELF file"
	"lib.a|is an ar archive"
	"dir.elf|is a directory"
	"fifo.elf|is not a regular file"
	"missing.elf|cannot open: No such file or directory"
	"short.elf|truncated: 30 bytes"
	"cut.elf|starts past the end of the file (2000 bytes)"
	"tail-cut.elf|section header table (20 entries of 40 bytes at offset 0x"
	"shnum.elf|section header table (65535 entries"
	"shoff.elf|section header table at offset 0x7ffffff0 starts past the end of the file"
	"shentsize.elf|section headers are 0 bytes each, expected 40"
	"shstrndx.elf|section name table index 65264 is out of range"
	"class.elf|unknown ELF class 7"
	"text-off.elf|section 1 (.text): its 0x"
	"text-size.elf|section 1 (.text): its 0x7fffffff bytes"
	"text-name.elf|section 1: its name (offset 16777215) is outside the section name table"
	"be-shnum.elf|section header table (65535 entries"
	"h64-shoff.elf|starts past the end of the file"
	"h64-phnum.elf|program header table (32767 entries"
)

n=0
failed=0
echo "1..$(( ${#cases[@]} + 6 ))"
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do printf '# %s\n' "$l"; done; }

# expect_error WHAT FILE PROBLEM ARGS...: exit 2 and one line, "rig size: FILE: ...PROBLEM...".
expect_error() {
	local what=$1 file=$2 want=$3 err rc
	shift 3
	err=$("$rig" size "$@" 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] &&
	   [[ $err == "rig size: $file: "* ]] && [[ $err == *"$want"* ]]; then
		ok "$what"
	else
		not_ok "$what" "exit $rc, expected 2 and: rig size: $file: ...$want..." "$err"
	fi
}

for c in "${cases[@]}"; do
	f=${c%%|*}
	want=${c#*|}
	expect_error "$f: $want" "$work/$f" "$want" "$work/$f"
done

expect_error "a bad base names the base file" "$work/shnum.elf" "65535 entries" "$good" --base "$work/shnum.elf"
expect_error "--json changes nothing for errors" "$work/text.elf" "not an ELF file" --json "$work/text.elf"
err=$("$rig" size 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ $err == *"which ELF file"* ]]; then ok "no file: usage, exit 2"; else not_ok "no file: usage, exit 2" "exit $rc" "$err"; fi
err=$("$rig" size "$good" "$good" 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ $err == *"one ELF file at a time"* ]]; then ok "two files: exit 2"; else not_ok "two files: exit 2" "exit $rc" "$err"; fi
err=$("$rig" size --symbols many "$good" 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ $err == *"--symbols takes a number or 'all', not 'many'"* ]]; then ok "bad --symbols: exit 2"; else not_ok "bad --symbols: exit 2" "exit $rc" "$err"; fi
out=$("$rig" size --help); rc=$?
if [ $rc -eq 0 ] && [[ $out == "usage: rig size"* ]]; then ok "--help: exit 0"; else not_ok "--help: exit 0" "exit $rc"; fi
exit $failed
