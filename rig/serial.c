#include "serial.h"

#include <errno.h>
#include <libserialport.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "proc.h"

struct serial {
	struct sp_port *port;
	char *name;
	int fd;
	struct buf pending;	/* read, not yet returned as lines */
	bool vanished;
};

/* "console NAME: WHAT: <libserialport's message>", with a code for its kind of failure. */
static int sp_error(enum sp_return sp, const char *name, const char *what)
{
	char *msg = sp == SP_ERR_FAIL ? sp_last_error_message() : NULL;
	int code = sp == SP_ERR_MEM ? ERR_NOMEM : sp == SP_ERR_SUPP ? ERR_UNSUPPORTED :
		   sp == SP_ERR_ARG ? ERR_INVALID : ERR_IO;

	err_set(code, "console %s: %s: %s", name, what,
		msg ? msg : sp == SP_ERR_MEM ? "out of memory" : sp == SP_ERR_SUPP ? "not supported" :
		sp == SP_ERR_ARG ? "invalid argument" : "failed");
	if (msg)
		sp_free_error_message(msg);
	return code;
}

static int configure(struct serial *s, int baud)
{
	enum sp_return sp;

	sp = sp_open(s->port, SP_MODE_READ_WRITE);
	if (sp != SP_OK)
		return sp_error(sp, s->name, "open");
	if ((sp = sp_set_baudrate(s->port, baud)) != SP_OK ||
	    (sp = sp_set_bits(s->port, 8)) != SP_OK ||
	    (sp = sp_set_parity(s->port, SP_PARITY_NONE)) != SP_OK ||
	    (sp = sp_set_stopbits(s->port, 1)) != SP_OK ||
	    (sp = sp_set_flowcontrol(s->port, SP_FLOWCONTROL_NONE)) != SP_OK)
		return sp_error(sp, s->name, "settings");
	if ((sp = sp_get_port_handle(s->port, &s->fd)) != SP_OK)
		return sp_error(sp, s->name, "handle");
	/* What arrived before the port was opened belongs to no run of ours. */
	if ((sp = sp_flush(s->port, SP_BUF_INPUT)) != SP_OK)
		return sp_error(sp, s->name, "flush");
	return 0;
}

static struct serial *serial_new(struct sp_port *port)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->port = port;
	s->fd = -1;
	s->name = strdup(sp_get_port_name(port));
	buf_init(&s->pending, 4 * SERIAL_LINE_MAX);
	if (!s->name) {
		free(s);
		return NULL;
	}
	return s;
}

void serial_close(struct serial *s)
{
	if (!s)
		return;
	if (s->port) {
		sp_close(s->port);
		sp_free_port(s->port);
	}
	buf_release(&s->pending);
	free(s->name);
	free(s);
}

const char *serial_name(const struct serial *s)
{
	return s->name;
}

static int open_port(struct serial **out, struct sp_port *port, int baud)
{
	struct serial *s = serial_new(port);
	int rc;

	if (!s) {
		sp_free_port(port);
		return err_set(ERR_NOMEM, "out of memory");
	}
	rc = configure(s, baud);
	if (rc) {
		serial_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int serial_open(struct serial **out, const char *path, int baud)
{
	char real[PATH_MAX];
	struct sp_port *port;
	enum sp_return sp;

	*out = NULL;
	if (!realpath(path, real))
		return err_errno(ERR_NOTFOUND, "console %s", path);
	sp = sp_get_port_by_name(real, &port);
	if (sp == SP_ERR_ARG)
		return err_set(ERR_NOTFOUND, "console %s: %s is not a serial port libserialport knows "
			       "(no /sys/class/tty entry)", path, real);
	if (sp != SP_OK)
		return sp_error(sp, path, "lookup");
	return open_port(out, port, baud);
}

int serial_open_usb(struct serial **out, const char *usb_serial, int baud)
{
	struct sp_port **list = NULL, *port = NULL;
	enum sp_return sp;
	size_t seen = 0;

	*out = NULL;
	sp = sp_list_ports(&list);
	if (sp != SP_OK)
		return sp_error(sp, usb_serial, "listing serial ports");
	for (size_t i = 0; list[i]; i++) {
		const char *sn;

		if (sp_get_port_transport(list[i]) != SP_TRANSPORT_USB)
			continue;
		seen++;
		sn = sp_get_port_usb_serial(list[i]);
		if (sn && strcmp(sn, usb_serial) == 0) {
			sp = sp_copy_port(list[i], &port);
			break;
		}
	}
	sp_free_port_list(list);
	if (sp != SP_OK)
		return sp_error(sp, usb_serial, "copy");
	if (!port)
		return err_set(ERR_NOTFOUND, "no serial port with USB serial number '%s' (%zu USB ports seen)",
			       usb_serial, seen);
	return open_port(out, port, baud);
}

/* A whole line at the front of pending (or a full piece of a long one) into line. */
static bool take_line(struct serial *s, struct buf *line)
{
	char *nl = memchr(s->pending.data, '\n', s->pending.len);
	size_t n, len;

	if (nl)
		n = (size_t)(nl - s->pending.data) + 1;
	else if (s->pending.len >= SERIAL_LINE_MAX)
		n = SERIAL_LINE_MAX;
	else
		return false;
	len = nl ? n - 1 : n;
	if (nl && len && s->pending.data[len - 1] == '\r')
		len--;
	buf_reset(line);
	buf_add(line, s->pending.data, len);
	buf_consume(&s->pending, n);
	return true;
}

int serial_read_line(struct serial *s, struct buf *line, long long deadline_ms)
{
	for (;;) {
		char chunk[1024];
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		long long left;
		int ready, n;

		if (take_line(s, line))
			return 0;
		if (s->vanished)
			return err_set(ERR_IO, "console %s: the port vanished", s->name);
		left = deadline_ms - proc_now_ms();
		if (left <= 0)
			return err_set(ERR_TIMEOUT, "console %s: no complete line in time", s->name);
		ready = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (ready < 0 && errno != EINTR)
			return err_errno(ERR_IO, "console %s: poll", s->name);
		if (ready <= 0)
			continue;
		n = sp_nonblocking_read(s->port, chunk, sizeof(chunk));
		if (n > 0) {
			/* pending's cap is far above a line: a full buffer cannot happen here. */
			buf_add(&s->pending, chunk, (size_t)n);
			continue;
		}
		if (n < 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
			/* The adapter or the pty behind the port is gone; what was read still counts. */
			s->vanished = true;
			if (s->pending.len) {
				buf_reset(line);
				buf_add(line, s->pending.data, s->pending.len);
				buf_reset(&s->pending);
				return 0;
			}
		}
	}
}

int serial_write(struct serial *s, const void *data, size_t len, long long deadline_ms)
{
	long long left = deadline_ms - proc_now_ms();
	enum sp_return n;

	if (s->vanished)
		return err_set(ERR_IO, "console %s: the port vanished", s->name);
	if (left <= 0)
		return err_set(ERR_TIMEOUT, "console %s: no time left to write", s->name);
	n = sp_blocking_write(s->port, data, len, left > UINT_MAX ? UINT_MAX : (unsigned)left);
	if (n < 0)
		return sp_error(n, s->name, "write");
	if ((size_t)n < len)
		return err_set(ERR_TIMEOUT, "console %s: %d of %zu bytes written in time", s->name, (int)n,
			       len);
	return 0;
}
