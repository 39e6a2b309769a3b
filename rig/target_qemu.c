#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "proc.h"
#include "target.h"
#include "tmpl.h"

/* QEMU needs a moment to create its socket; a host under load needs more. */
#define CONNECT_DEADLINE_MS 20000
#define STOP_GRACE_MS 500

struct qemu_target {
	struct target base;
	int port;			/* QEMU's console server on 127.0.0.1 */
	char outlog[PATH_MAX];
	struct proc qemu;
	int console;
};

static struct qemu_target *qt(struct target *t)
{
	return (struct qemu_target *)t;
}

/* The last lines QEMU printed, for an error message a person can act on. */
static void output_tail(struct qemu_target *q, char *out, size_t n)
{
	char buf[600];
	ssize_t got = 0;
	off_t size;
	int fd = open(q->outlog, O_RDONLY | O_CLOEXEC);
	char *p;

	out[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > 0) {
		off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;

		got = pread(fd, buf, sizeof(buf) - 1, from);
	}
	close(fd);
	if (got <= 0)
		return;
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	for (p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	snprintf(out, n, "%s", buf);
}

static void stop_qemu(struct qemu_target *q)
{
	if (q->console >= 0) {
		close(q->console);
		q->console = -1;
	}
	if (q->qemu.pid) {
		/*
		 * Straight to SIGKILL: an emulator has nothing to flush, and
		 * QEMU 7.2's sifive_e, once its guest idles, ignores SIGTERM
		 * for minutes while spinning at full CPU.
		 */
		proc_signal(&q->qemu, SIGKILL);
		proc_stop(&q->qemu, STOP_GRACE_MS);
		if (q->base.log)
			q->base.log(q->base.log_user, "power off: qemu stopped");
	}
}

/*
 * A free loopback port for QEMU's console server. Another process could take
 * it before QEMU binds it; QEMU then exits at once and the error says so.
 */
static int free_port(int *port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return err_errno(ERR_IO, "socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		close(fd);
		return err_errno(ERR_IO, "finding a free loopback port");
	}
	*port = ntohs(addr.sin_port);
	close(fd);
	return 0;
}

static int qemu_power(struct target *t, bool on)
{
	if (!on)
		stop_qemu(qt(t));
	return 0;
}

static int qemu_flash(struct target *t, const struct target_image *img)
{
	struct qemu_target *q = qt(t);
	const struct board *b = t->board;
	struct tmpl_var vars[] = {
		{ "image", img->image },
		{ "image_elf", img->image_elf },
		{ "kernel", img->kernel },
	};
	char **tmpl_out = NULL;
	const char **argv = NULL;
	char chardev[128];
	size_t n = b->qemu.command.n;
	int out_fd = -1, rc;
	struct proc_opts o = { 0 };

	stop_qemu(q);
	rc = tmpl_argv(&tmpl_out, b->qemu.command.v, n, vars, 3);
	if (rc)
		return err_prefix("qemu command of board %s", b->name);
	argv = calloc(n + 5, sizeof(*argv));
	if (!argv) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	memcpy(argv, tmpl_out, n * sizeof(*argv));
	/*
	 * The console is a socket QEMU serves and waits on: the CPU runs only
	 * once the rig listens. TCP, not a Unix socket: QEMU 7.2's SiFive UART
	 * drops what its chardev cannot take at once, and a Unix socket refuses
	 * after a few hundred one-byte writes when the reader lags.
	 */
	if ((rc = free_port(&q->port)) != 0)
		goto cleanup;
	snprintf(chardev, sizeof(chardev), "socket,id=rigcon,host=127.0.0.1,port=%d,server=on,wait=on",
		 q->port);
	argv[n] = "-chardev";
	argv[n + 1] = chardev;
	argv[n + 2] = "-serial";
	argv[n + 3] = "chardev:rigcon";
	argv[n + 4] = NULL;

	out_fd = open(q->outlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		rc = err_errno(ERR_IO, "qemu %s: cannot create %s", b->name, q->outlog);
		goto cleanup;
	}
	o.argv = argv;
	o.out = PROC_STDIO_FD;
	o.out_fd = out_fd;
	o.err_to_out = true;
	rc = proc_spawn(&q->qemu, &o);
	if (rc) {
		err_prefix("qemu %s", b->name);
		goto cleanup;
	}
	if (t->log)
		t->log(t->log_user, "flash: qemu %s started on %s (pid %d)", argv[0], img->image,
		       (int)q->qemu.pid);
cleanup:
	if (out_fd >= 0)
		close(out_fd);
	free(argv);
	free(tmpl_out);
	return rc;
}

static int qemu_console_open(struct target *t)
{
	struct qemu_target *q = qt(t);
	long long deadline = proc_now_ms() + CONNECT_DEADLINE_MS;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (!q->qemu.pid)
		return err_set(ERR_INVALID, "qemu %s: console opened before flash", t->board->name);
	addr.sin_port = htons((uint16_t)q->port);
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return err_errno(ERR_IO, "qemu %s: socket", t->board->name);
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
			int one = 1;

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			q->console = fd;
			if (t->log)
				t->log(t->log_user, "console: connected to 127.0.0.1:%d", q->port);
			return 0;
		}
		close(fd);
		if (proc_wait(&q->qemu, 0) == 0) {
			char tail[512];

			output_tail(q, tail, sizeof(tail));
			return err_set(ERR_IO, "qemu %s exited with status %d before its console opened: %s",
				       t->board->name, proc_exit_status(&q->qemu), tail[0] ? tail : "no output");
		}
		if (proc_now_ms() > deadline)
			return err_set(ERR_TIMEOUT, "qemu %s: console port %d not ready within %d ms",
				       t->board->name, q->port, CONNECT_DEADLINE_MS);
		/* QEMU listens within tens of milliseconds: look often, so no case waits for the rig. */
		poll(NULL, 0, 5);
	}
}

static int qemu_reset(struct target *t)
{
	/* The CPU started when the console connected (wait=on): nothing to release. */
	(void)t;
	return 0;
}

static ssize_t qemu_console_read(struct target *t, char *buf, size_t n, int timeout_ms)
{
	struct qemu_target *q = qt(t);
	struct pollfd pfd = { .fd = q->console, .events = POLLIN };
	ssize_t got;
	int ready;

	if (q->console < 0)
		return err_set(ERR_IO, "qemu %s: console not open", t->board->name);
	ready = poll(&pfd, 1, timeout_ms);
	if (ready < 0)
		return errno == EINTR ? 0 : err_errno(ERR_IO, "qemu %s: console poll", t->board->name);
	if (ready == 0)
		return 0;
	got = read(q->console, buf, n);
	if (got > 0)
		return got;
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	{
		char tail[512];

		proc_wait(&q->qemu, 200);
		output_tail(q, tail, sizeof(tail));
		if (proc_exit_status(&q->qemu) != -1000)
			return err_set(ERR_IO, "qemu %s exited with status %d%s%s", t->board->name,
				       proc_exit_status(&q->qemu), tail[0] ? ": " : "", tail);
		return err_set(ERR_IO, "qemu %s: console closed", t->board->name);
	}
}

static long qemu_host_cpu_ms(struct target *t)
{
	struct qemu_target *q = qt(t);
	char path[64], stat[1024];
	unsigned long utime, stime;
	long ticks = sysconf(_SC_CLK_TCK);
	ssize_t got;
	char *p;
	int fd;

	if (!q->qemu.pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)q->qemu.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	got = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (got <= 0)
		return -1;
	stat[got] = '\0';
	/* Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15. */
	p = strrchr(stat, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
		return -1;
	return ticks > 0 ? (long)((utime + stime) * 1000 / (unsigned long)ticks) : -1;
}

static void qemu_release(struct target *t)
{
	struct qemu_target *q = qt(t);

	stop_qemu(q);
	free(q);
}

static const struct target_ops qemu_ops = {
	.kind = "qemu",
	.power = qemu_power,
	.flash = qemu_flash,
	.console_open = qemu_console_open,
	.reset = qemu_reset,
	.console_read = qemu_console_read,
	.host_cpu_ms = qemu_host_cpu_ms,
	.release = qemu_release,
};

int target_qemu_new(struct target **out, const struct board *board, const char *workdir)
{
	struct qemu_target *q;

	*out = NULL;
	if (!board->has_qemu)
		return err_set(ERR_INVALID, "board %s has no qemu section", board->name);
	q = calloc(1, sizeof(*q));
	if (!q)
		return err_set(ERR_NOMEM, "out of memory");
	snprintf(q->outlog, sizeof(q->outlog), "%s/qemu.log", workdir);
	q->base.ops = &qemu_ops;
	q->base.board = board;
	snprintf(q->base.name, sizeof(q->base.name), "%s", board->name);
	q->console = -1;
	*out = &q->base;
	return 0;
}
