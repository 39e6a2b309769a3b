#!/usr/bin/env bash
# Real OpenOCD flashes an image into the virtual board (rig vboard), verifies
# it and resets it; the board then runs exactly those bytes in QEMU and its
# boot banner comes out of the pty, read through the real libserialport.
# Also: how long the flash takes, power cycling boots the flash again (read
# by USB serial number), halt pauses the program, a new flash stops it, and
# SIGTERM powers off cleanly. Emits TAP.
set -u
. "$(dirname "$0")/vboard-lib.sh"
need_tools riscv64-unknown-elf-gcc python3
echo "1..12"

# 64 KiB keeps the test short on a shared machine; scripts/vboard-flash-bench.sh
# measures bigger images.
size=${RIG_VBOARD_FLASH_SIZE:-65536}
make_image "$work/image.bin" "$size"
size=$(stat -c %s "$work/image.bin")

if vb_start; then ok "vboard is ready on 127.0.0.1:$vb_port"
else not_ok "vboard is ready" "$(tail_of "$vb_log")"; exit 1; fi

st=$(ctl status)
case $st in
"ok power=on hart=running qemu=none flash=0 "*) ok "a fresh board is on, runs nothing, flash blank" ;;
*) not_ok "a fresh board is on, runs nothing, flash blank" "$st" ;;
esac

# The console is open before the reset, as the rig does it.
if can_ns; then
	reader boot path --timeout 60 --expect "$banner"
	have_reader=$?
else
	have_reader=77
fi

t0=$(now_ms)
oocd "$work/flash.log" init halt "load_image $work/image.bin $image_addr bin" \
	"verify_image $work/image.bin $image_addr bin" "reset run" shutdown
rc=$?
t1=$(now_ms)
if [ $rc -eq 0 ] && grep -q "verified $size bytes" "$work/flash.log"; then
	ok "openocd init, halt, load_image, verify_image, reset run"
else
	not_ok "openocd init, halt, load_image, verify_image, reset run" "exit $rc" \
		"$(tail_of "$work/flash.log")" "$(tail_of "$vb_log")"
fi
load=$(sed -n 's/^downloaded [0-9]* bytes in \([0-9.]*\)s (\([0-9.]*\) KiB\/s)$/\1 s (\2 KiB\/s)/p' "$work/flash.log")
verify=$(sed -n 's/^verified [0-9]* bytes in \([0-9.]*\)s (\([0-9.]*\) KiB\/s)$/\1 s (\2 KiB\/s)/p' "$work/flash.log")
echo "# flash of $size bytes through OpenOCD and the virtual board: load $load, verify $verify," \
	"whole openocd run $(( (t1 - t0) )) ms"

case $have_reader in
0)
	reader_wait
	rc=$?
	if [ $rc -eq 0 ]; then ok "the banner came through libserialport on the pty"
	else not_ok "the banner came through libserialport on the pty" "exit $rc" \
		"$(tail_of "$work/boot.err")" "$(tail_of "$work/boot.out")" "$(tail_of "$vb_log")"; fi
	;;
77) skip "the banner came through libserialport on the pty" "no mount namespace (not root)" ;;
*) not_ok "the banner came through libserialport on the pty" "reader did not start" \
	"$(tail_of "$work/boot.err")" ;;
esac

st=$(ctl status)
case $st in
*" hart=running qemu=running "*" flash=$size "*) ok "the board runs the $size bytes flashed" ;;
*) not_ok "the board runs the $size bytes flashed" "$st" ;;
esac

# Power cycling boots what flash holds; this time the console is found by
# the USB serial number of its (simulated) adapter.
if can_ns; then
	ctl off >/dev/null
	if reader cycle usb:VB0700 --timeout 30 --expect "$banner"; then
		ctl on >/dev/null
		reader_wait
		rc=$?
		if [ $rc -eq 0 ]; then ok "power off and on boots the flash (console by USB serial)"
		else not_ok "power off and on boots the flash (console by USB serial)" "exit $rc" \
			"$(tail_of "$work/cycle.err")"; fi
	else
		not_ok "power off and on boots the flash (console by USB serial)" "$(tail_of "$work/cycle.err")"
		ctl on >/dev/null
	fi
else
	skip "power off and on boots the flash (console by USB serial)" "no mount namespace (not root)"
fi

# A halt pauses the program (QEMU stopped, not killed); a resume continues it.
for _ in $(seq 100); do [ "$(status_of qemu)" = running ] && break; sleep 0.05; done
pid=$(status_of qemu_pid)
oocd "$work/halt.log" init halt shutdown
st=$(ctl status)
# SIGSTOP takes a moment to reach every thread of QEMU.
for _ in $(seq 40); do
	state=$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)
	[ "$state" = T ] && break
	sleep 0.05
done
case $st in
*" hart=halted qemu=paused qemu_pid=$pid "*)
	if [ "$state" = T ]; then ok "halt pauses the running QEMU"
	else not_ok "halt pauses the running QEMU" "process state '$state'"; fi ;;
*) not_ok "halt pauses the running QEMU" "$st" "$(tail_of "$work/halt.log")" ;;
esac
oocd "$work/resume.log" init resume shutdown
st=$(ctl status)
case $st in
*" hart=running qemu=running qemu_pid=$pid "*) ok "resume continues the same QEMU" ;;
*) not_ok "resume continues the same QEMU" "$st" "$(tail_of "$work/resume.log")" ;;
esac

# Writing flash ends the program that ran from it.
head -c 4096 "$work/image.bin" >"$work/small.bin"
oocd "$work/reflash.log" init halt "load_image $work/small.bin $image_addr bin" shutdown
rc=$?
st=$(ctl status)
case "$rc $st" in
"0 ok power=on hart=halted qemu=none "*)
	if kill -0 "$pid" 2>/dev/null; then not_ok "a new flash stops QEMU" "pid $pid still there"
	else ok "a new flash stops QEMU"; fi ;;
*) not_ok "a new flash stops QEMU" "exit $rc" "$st" "$(tail_of "$work/reflash.log")" ;;
esac

# reset run starts the new program.
oocd "$work/reset.log" init "reset run" shutdown
for _ in $(seq 100); do [ "$(status_of qemu)" = running ] && break; sleep 0.05; done
pid=$(status_of qemu_pid)
if [ "$(status_of qemu)" = running ]; then ok "reset run starts QEMU on the new flash"
else not_ok "reset run starts QEMU on the new flash" "$(ctl status)" "$(tail_of "$work/reset.log")"; fi

# SIGTERM is power off: QEMU gone, the console link and control socket removed.
vb_stop
rc=$?
if [ $rc -eq 0 ] && ! kill -0 "$pid" 2>/dev/null && [ ! -e "$vb_link" ] && [ ! -L "$vb_link" ] &&
   [ ! -e "$vb_ctl" ]; then
	ok "SIGTERM powers off: exit 0, QEMU gone, link and socket removed"
else
	not_ok "SIGTERM powers off: exit 0, QEMU gone, link and socket removed" "exit $rc" \
		"$(ls -la "$work")" "$(tail_of "$vb_log")"
fi
if grep -q 'AddressSanitizer\|runtime error' "$vb_log"; then
	not_ok "no sanitizer reports" "$(grep -m5 'AddressSanitizer\|runtime error' "$vb_log")"
else ok "no sanitizer reports"; fi
exit $failed
