/*
 * vboard: a virtual RISC-V board that real OpenOCD flashes and whose console
 * the rig reads, so the flashing and console paths are tested against the
 * real programs on a machine without boards.
 *
 * The board has:
 *  - a debug port: OpenOCD's remote_bitbang protocol on 127.0.0.1:PORT, in
 *    front of a JTAG TAP, a RISC-V DTM and Debug Module (bitbang.h, jtag.h,
 *    rvdtm.h, rvdm.h) and the board's flash and RAM (vmem.h), laid out as
 *    the board file's memory map says. remote_bitbang makes one round trip
 *    per scan, so the port can also listen on a unix socket, where a round
 *    trip costs less (one debugger at a time, whichever way it comes);
 *  - a console: a pseudo-terminal the --console-link path points to. It
 *    outlives the programs that run, like a USB-serial adapter;
 *  - a CPU that runs what was flashed: when the hart runs out of reset, the
 *    board starts the board file's QEMU command with {image} and {kernel}
 *    naming an ELF of exactly the bytes written into flash (and RAM), its
 *    UART relayed to the console. A halt pauses that QEMU (SIGSTOP) and a
 *    resume continues it (or, if there is none, starts one); a reset, a
 *    write into flash or power off ends it. While halted, the hart's
 *    registers are the debug module's model, not QEMU's;
 *  - power: on, off, cycle. Off drops the debug connection and refuses new
 *    ones, and silences the console. On boots what is in flash;
 *  - faults on demand, for tests: refuse the debug connection, drop it after
 *    N bytes were written over the system bus, corrupt one written word, make
 *    the console vanish (after N lines).
 *
 * Power and faults are driven through a control socket (--control PATH): one
 * line per connection, answered with one line, "ok …" or "error: …".
 * vboard_ctl() is the client `rig vboard-ctl` uses. SIGTERM or SIGINT power
 * the board off and end vboard_run(). The board runs in one thread with one
 * poll loop; every wait in it has a deadline and nothing a peer sends can
 * crash it.
 */
#ifndef RIG_VBOARD_H
#define RIG_VBOARD_H

#include "buf.h"
#include "config.h"

struct vboard_opts {
	const struct board *board;	/* its memory map, QEMU command and baud */
	int jtag_port;			/* 0: any free port (announced on stdout); -1: none */
	const char *jtag_socket;	/* remote_bitbang on this unix socket too, or NULL */
	const char *console_link;	/* replaced by a symlink to the pty */
	const char *control_path;	/* unix socket for power and faults, or NULL */
};

/*
 * Runs the board until SIGTERM or SIGINT. Prints one line on stdout when it is
 * ready: "vboard ready jtag=127.0.0.1:PORT [jtag_socket=PATH] console=PATH"
 * (jtag=none without a TCP port). Returns 0 after a clean power-off, or a
 * negative ERR_* when it could not start.
 */
int vboard_run(const struct vboard_opts *opts);

/*
 * Sends one request ("off", "fault corrupt 0x20400100", ...) to the board
 * listening on control_path and stores its answer (without the newline) in
 * reply. Returns 0 when the board answered, whatever it said; ERR_IO or
 * ERR_TIMEOUT when it could not be reached within timeout_ms.
 */
int vboard_ctl(struct buf *reply, const char *control_path, const char *request, int timeout_ms);

#endif
