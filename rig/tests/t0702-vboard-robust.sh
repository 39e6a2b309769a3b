#!/usr/bin/env bash
# The virtual board against bad input: wrong arguments and boards, garbage
# and rudeness on its debug port and control socket, a second debugger, and
# its own death by SIGKILL (its QEMU must not outlive it). Emits TAP.
set -u
. "$(dirname "$0")/vboard-lib.sh"
need_tools riscv64-unknown-elf-gcc python3
echo "1..14"

# Arguments and configuration.
"$rig" vboard -c "$vb_config" --console-link "$work/x" >/dev/null 2>"$work/usage.err"
rc=$?
if [ $rc -eq 2 ] && grep -q 'required' "$work/usage.err"; then ok "missing --jtag-port: exit 2"
else not_ok "missing --jtag-port: exit 2" "exit $rc" "$(cat "$work/usage.err")"; fi
"$rig" vboard -c "$vb_config" --board no-such-board --jtag-port 0 --console-link "$work/x" \
	>/dev/null 2>"$work/board.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "no board 'no-such-board' in .*; boards: qemu-sifive-e" "$work/board.err"; then
	ok "an unknown board: exit 2, naming the boards there are"
else not_ok "an unknown board: exit 2, naming the boards there are" "exit $rc" "$(cat "$work/board.err")"; fi
touch "$work/plainfile"
"$rig" vboard -c "$vb_config" --jtag-port 0 --console-link "$work/plainfile" >/dev/null 2>"$work/link.err"
rc=$?
if [ $rc -eq 3 ] && grep -q 'exists and is not a symlink' "$work/link.err" && [ -f "$work/plainfile" ]; then
	ok "a console link path that is a file is left alone: exit 3"
else not_ok "a console link path that is a file is left alone: exit 3" "exit $rc" "$(cat "$work/link.err")"; fi

# The control client's own errors.
"$rig" vboard-ctl "$work/nobody-here" status >/dev/null 2>"$work/ctl.err"
rc=$?
if [ $rc -eq 3 ] && grep -q 'no virtual board answers' "$work/ctl.err"; then ok "vboard-ctl without a board: exit 3"
else not_ok "vboard-ctl without a board: exit 3" "exit $rc" "$(cat "$work/ctl.err")"; fi

if ! vb_start; then not_ok "vboard is ready" "$(tail_of "$vb_log")"; exit 1; fi
out=$(ctl frobnicate 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "${out#error: unknown request}" != "$out" ]; then ok "an unknown request: 'error: …', exit 1"
else not_ok "an unknown request: 'error: …', exit 1" "exit $rc" "$out"; fi

# Garbage on the control socket and on the debug port.
python3 - "$vb_ctl" "$vb_port" <<'EOF'
import os, random, socket, sys
random.seed(3)
ctl, port = sys.argv[1], int(sys.argv[2])
for size in (0, 1, 100, 600, 5000):		# 600 and up: longer than a request may be
    s = socket.socket(socket.AF_UNIX)
    s.connect(ctl)
    try:
        s.sendall(bytes(random.randrange(256) for _ in range(size)))
        s.shutdown(socket.SHUT_WR)
        s.recv(4096)
    except OSError:
        pass
    s.close()
for round in range(20):
    s = socket.create_connection(("127.0.0.1", port))
    try:
        s.sendall(bytes(random.randrange(256) for _ in range(random.randrange(1, 4000))))
        s.settimeout(2)
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()
EOF
st=$(ctl status)
case $st in
"ok power=on "*"debugger=none"*) ok "garbage on both sockets: the board still answers" ;;
*) not_ok "garbage on both sockets: the board still answers" "$st" "$(tail_of "$vb_log")" ;;
esac
check "the board said why it dropped the garbage" grep -q 'is not a request\|JTAG only' "$vb_log"

# One debugger at a time: a second connection is closed at once.
python3 - "$vb_port" >"$work/second.out" 2>&1 <<'EOF'
import socket, sys
port = int(sys.argv[1])
first = socket.create_connection(("127.0.0.1", port))
first.sendall(b"R")
assert first.recv(1) in (b"0", b"1"), "no answer on the first connection"
second = socket.create_connection(("127.0.0.1", port))
second.settimeout(5)
try:
    second.sendall(b"R")
    got = second.recv(1)
except (ConnectionResetError, BrokenPipeError):
    got = b""		# turned away with a reset
assert got == b"", "the second connection was served"
first.sendall(b"R")
assert first.recv(1) in (b"0", b"1"), "the first connection was disturbed"
first.sendall(b"Q")
print("ok")
EOF
if grep -qx ok "$work/second.out"; then ok "a second debugger is turned away, the first keeps working"
else not_ok "a second debugger is turned away, the first keeps working" "$(cat "$work/second.out")"; fi

# Power templates as the rack uses them: argv lists, exit status only.
if "$rig" vboard-ctl "$vb_ctl" off >/dev/null && [ "$(status_of power)" = off ] &&
   "$rig" vboard-ctl -t 2 "$vb_ctl" on >/dev/null && [ "$(status_of power)" = on ]; then
	ok "vboard-ctl off / on as power command templates"
else not_ok "vboard-ctl off / on as power command templates" "$(ctl status)"; fi

# Killed outright, the board takes its QEMU with it (nothing left burning CPU).
make_image "$work/image.bin" 4096
oocd "$work/flash.log" init halt "load_image $work/image.bin $image_addr bin" "reset run" shutdown
for _ in $(seq 100); do [ "$(status_of qemu)" = running ] && break; sleep 0.05; done
pid=$(status_of qemu_pid)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
	kill -KILL "$vb_pid"
	wait "$vb_pid" 2>/dev/null
	vb_pid=
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$pid" 2>/dev/null; then
		not_ok "SIGKILL of the board ends its QEMU" "pid $pid still there"
		kill -KILL "$pid"
	else ok "SIGKILL of the board ends its QEMU"; fi
else
	not_ok "SIGKILL of the board ends its QEMU" "QEMU did not start" "$(tail_of "$work/flash.log")"
fi

# A board killed that way leaves its control socket behind; the next one reuses the path.
if vb_start --jtag-socket "$work/jtag.sock" && [ "$(status_of power)" = on ]; then
	ok "a stale control socket is reused by the next board"
else not_ok "a stale control socket is reused by the next board" "$(tail_of "$vb_log")"; fi

# The debug port on a unix socket as well (one round trip per scan costs less there).
oocd_socket=$work/jtag.sock oocd "$work/unix.log" init halt "load_image $work/image.bin $image_addr bin" \
	"verify_image $work/image.bin $image_addr bin" shutdown
rc=$?
if [ $rc -eq 0 ] && grep -q 'verified 4096 bytes' "$work/unix.log"; then ok "load and verify through --jtag-socket"
else not_ok "load and verify through --jtag-socket" "exit $rc" "$(tail_of "$work/unix.log")"; fi
ctl fault refuse >/dev/null
oocd_socket=$work/jtag.sock oocd "$work/unix-refused.log" init halt shutdown
rc=$?
if [ $rc -ne 0 ] && [ ! -e "$work/jtag.sock" ]; then ok "'fault refuse' closes the unix socket too"
else not_ok "'fault refuse' closes the unix socket too" "exit $rc" "$(ls -la "$work")"; fi
ctl fault clear >/dev/null
vb_stop
if [ ! -e "$work/jtag.sock" ]; then ok "the unix socket goes with the board"
else not_ok "the unix socket goes with the board" "$(ls -la "$work")"; fi
exit $failed
