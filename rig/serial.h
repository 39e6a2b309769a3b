/*
 * serial: a board's console through libserialport, read line by line with
 * deadlines.
 *
 * A port is opened by path or by the USB serial number of its adapter (a
 * rack names consoles by serial number since /dev names move when USB
 * re-enumerates). The port is set to BAUD 8N1 without flow control. A path
 * may be a symlink (/dev/serial/by-id/…, a virtual board's console link): it
 * is resolved first, because libserialport only knows ports by their
 * /dev/<name>.
 *
 * serial_read_line() returns whole lines without their "\r\n"; a line longer
 * than SERIAL_LINE_MAX is returned in pieces, so a console spewing garbage
 * cannot exhaust memory. A port that disappears (adapter unplugged, board
 * powered off with its on-board adapter, a virtual board's pty closed) gives
 * ERR_IO with "vanished" in the message, which callers report as an
 * infrastructure error, not a test failure.
 *
 * struct serial is opaque; serial_open* hand back one the caller frees with
 * serial_close().
 */
#ifndef RIG_SERIAL_H
#define RIG_SERIAL_H

#include "buf.h"

#define SERIAL_LINE_MAX 4096

struct serial;

int serial_open(struct serial **out, const char *path, int baud);
int serial_open_usb(struct serial **out, const char *usb_serial, int baud);
void serial_close(struct serial *s);

/* The /dev path in use, for messages. */
const char *serial_name(const struct serial *s);

/*
 * Waits until deadline_ms (proc_now_ms() clock) for a whole line and stores
 * it in line. ERR_TIMEOUT when none came in time (a partial line is kept for
 * the next call); ERR_IO when the port vanished or failed.
 */
int serial_read_line(struct serial *s, struct buf *line, long long deadline_ms);

/* Sends bytes to the board, within deadline_ms. */
int serial_write(struct serial *s, const void *data, size_t len, long long deadline_ms);

#endif
