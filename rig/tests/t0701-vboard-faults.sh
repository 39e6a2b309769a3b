#!/usr/bin/env bash
# Every fault the virtual board injects on demand, seen through the real
# programs: a corrupted word makes OpenOCD's verify_image fail, a connection
# dropped mid-load and a refused connection make OpenOCD exit non-zero with
# its own error, power off drops the debugger and silences the console, and
# the console vanishes under a libserialport reader. Small images keep it
# quick. Emits TAP.
set -u
. "$(dirname "$0")/vboard-lib.sh"
need_tools riscv64-unknown-elf-gcc python3
echo "1..13"

# Big enough that 8 KiB is mid-load; RIG_VBOARD_IMAGE may be bigger.
make_image "$work/image.bin" 16384
size=$(stat -c %s "$work/image.bin")
corrupt_at=$(printf '0x%08x' $(( image_addr + 0x100 )))

if ! vb_start; then not_ok "vboard is ready" "$(tail_of "$vb_log")"; exit 1; fi

# 1. One corrupted word: the load goes through, verify_image finds it.
ctl fault corrupt "$corrupt_at" >/dev/null
oocd "$work/corrupt.log" init halt "load_image $work/image.bin $image_addr bin" \
	"verify_image $work/image.bin $image_addr bin" shutdown
rc=$?
byte=$(printf '0x%08x' $(( corrupt_at + 1 )))
if [ $rc -ne 0 ] && grep -q "diff 0 address $byte" "$work/corrupt.log" &&
   ! grep -q "diff 1 " "$work/corrupt.log"; then
	ok "a corrupted word fails verify_image at $byte, and only there"
else
	not_ok "a corrupted word fails verify_image at $byte, and only there" "exit $rc" \
		"$(tail_of "$work/corrupt.log")"
fi
oocd "$work/verify.log" init halt "load_image $work/image.bin $image_addr bin" \
	"verify_image $work/image.bin $image_addr bin" shutdown
check "the fault fires once: the next flash verifies" test $? -eq 0

# 2. The connection drops halfway through load_image.
ctl fault drop-after $(( size / 2 )) >/dev/null
oocd "$work/drop.log" init halt "load_image $work/image.bin $image_addr bin" shutdown
rc=$?
if [ $rc -ne 0 ] && grep -q '^Error: ' "$work/drop.log" && ! grep -q '^downloaded' "$work/drop.log"; then
	ok "a connection dropped mid-load: openocd exits $rc with its own error"
	grep -m1 '^Error: ' "$work/drop.log" | sed 's/^/# openocd: /'
else
	not_ok "a connection dropped mid-load: openocd exits non-zero with its own error" "exit $rc" \
		"$(tail_of "$work/drop.log")"
fi
check "the board logged the drop" grep -q 'fault: dropped mid-transfer' "$vb_log"

# 3. Connections refused, then accepted again.
ctl fault refuse >/dev/null
oocd "$work/refuse.log" init halt shutdown
rc=$?
if [ $rc -ne 0 ] && grep -q 'Failed to connect\|Connection refused' "$work/refuse.log"; then
	ok "a refused connection: openocd exits $rc"
	grep -m1 'Failed to connect\|Connection refused' "$work/refuse.log" | sed 's/^/# openocd: /'
else
	not_ok "a refused connection: openocd exits non-zero" "exit $rc" "$(tail_of "$work/refuse.log")"
fi
ctl fault refuse off >/dev/null
oocd "$work/accept.log" init halt "load_image $work/image.bin $image_addr bin" "reset run" shutdown
check "accepted again after 'fault refuse off'; the flash runs" test $? -eq 0

# 4. Power off: the debugger is dropped, the program and the console stop.
for _ in $(seq 100); do [ "$(status_of qemu)" = running ] && break; sleep 0.05; done
pid=$(status_of qemu_pid)
if can_ns; then reader silent path --timeout 2 --until-vanish; have_reader=$?; else have_reader=77; fi
ctl off >/dev/null
sleep 0.2
before=$(wc -l <"$work/silent.out")
# init only warns when examination fails; halt is what must fail.
oocd "$work/off.log" init halt shutdown
rc=$?
if [ $rc -ne 0 ] && ! kill -0 "$pid" 2>/dev/null; then ok "power off: openocd exits $rc, QEMU gone"
else not_ok "power off: openocd fails, QEMU gone" "exit $rc" "$(ctl status)" "$(tail_of "$work/off.log")"; fi
if [ $have_reader -eq 0 ]; then
	reader_wait
	rc=$?
	# Lines read before power went off are fine; none may come after.
	if [ $rc -eq 1 ] && [ "$(wc -l <"$work/silent.out")" -eq "$before" ] &&
	   grep -q timeout "$work/silent.err"; then
		ok "power off: the console stays open and silent"
	else
		not_ok "power off: the console stays open and silent" "exit $rc" "$(tail_of "$work/silent.err")"
	fi
elif [ $have_reader -eq 77 ]; then
	skip "power off: the console stays open and silent" "no mount namespace (not root)"
else
	not_ok "power off: the console stays open and silent" "the reader did not start" \
		"$(tail_of "$work/silent.err")"
fi
ctl on >/dev/null
oocd "$work/on.log" init halt "verify_image $work/image.bin $image_addr bin" shutdown
check "power on: the debugger is back and flash kept its bytes" test $? -eq 0

# 5. The serial port vanishes mid-run, under a libserialport reader.
if can_ns; then
	ctl off >/dev/null
	if reader vanish path --timeout 30 --expect "$banner" --until-vanish; then
		ctl fault serial-vanish 3 >/dev/null
		ctl on >/dev/null
		reader_wait
		rc=$?
		if [ $rc -eq 0 ] && grep -q 'the port vanished' "$work/vanish.err" &&
		   [ "$(wc -l <"$work/vanish.out")" -eq 3 ]; then
			ok "the console vanishes after 3 lines: the reader gets them, then 'port vanished'"
		else
			not_ok "the console vanishes after 3 lines: the reader gets them, then 'port vanished'" \
				"exit $rc" "$(cat "$work/vanish.out")" "$(tail_of "$work/vanish.err")"
		fi
	else
		not_ok "the console vanishes after 3 lines" "$(tail_of "$work/vanish.err")"
		ctl on >/dev/null
	fi
else
	skip "the console vanishes after 3 lines" "no mount namespace (not root)"
fi
for _ in $(seq 40); do [ "$(status_of console)" = gone ] && break; sleep 0.05; done
if [ "$(status_of console)" = gone ] && [ ! -L "$vb_link" ]; then ok "a vanished console is gone, link and all"
else not_ok "a vanished console is gone, link and all" "$(ctl status)"; fi
ctl fault clear >/dev/null
case $(readlink "$vb_link") in
/dev/pts/*) ok "'fault clear' brings the console back (a new pty, as after re-enumeration)" ;;
*) not_ok "'fault clear' brings the console back" "$(ctl status)" ;;
esac

vb_stop
check "the board powers off cleanly after all that" test $? -eq 0
exit $failed
