#include "vboard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "bitbang.h"
#include "err.h"
#include "log.h"
#include "proc.h"
#include "rvdm.h"
#include "rvdtm.h"
#include "vmem.h"

#define CTL_CLIENTS 4
#define CTL_LINE_MAX 512
#define CTL_DEADLINE_MS 5000
#define DEBUG_OUT_CAP ((size_t)1 << 20)
#define DEBUG_STALL_MS 10000
#define QEMU_START_MS 10000	/* QEMU must open its console socket by then */
#define QEMU_RETRY_MS 20
#define QEMU_STOP_GRACE_MS 2000
#define QEMU_ERR_CAP 8192
#define LISTEN_RETRY_MS 500
#define CORRUPT_NTH_DEFAULT 64	/* mid-image for any image worth flashing */
#define DROP_AFTER_DEFAULT 16384
/* How long the vanish fault waits at most for a reader to take the lines before it. */
#define VANISH_DRAIN_MS 5000
#define VANISH_POLL_MS 20
/* A pty write reaches the reader's queue through deferred kernel work: trust an empty queue only after this. */
#define VANISH_SETTLE_MS 100

enum qemu_state { QEMU_NONE, QEMU_STARTING, QEMU_RUNNING, QEMU_PAUSED };

static const char *const qemu_state_names[] = { "none", "starting", "running", "paused" };

struct ctl_client {
	int fd;			/* -1: free slot */
	long long deadline;
	struct buf in;
};

struct faults {
	bool refuse;		/* the debug port refuses connections */
	int64_t drop_after;	/* bytes left before the connection drops; -1: off */
	bool corrupt;		/* one written word gets a flipped bit */
	bool corrupt_at_addr;
	uint32_t corrupt_addr;
	uint32_t corrupt_countdown;	/* else: the Nth 32-bit write */
	int64_t vanish_after;	/* console lines left before it vanishes; -1: off */
};

struct vb {
	const struct vboard_opts *o;
	const struct board *board;
	struct vmem mem;
	struct rvdm dm;
	struct rvdtm dtm;
	bool powered;
	bool stop;

	/* debug port */
	int listen_fd;			/* 127.0.0.1:port; port -1: none */
	int ulisten_fd;			/* --jtag-socket, or -1 */
	int port;
	long long listen_retry_at;	/* 0: no retry pending */
	int conn_fd;
	struct bitbang bb;
	struct buf out;
	bool drop_pending;
	long long stall_deadline;	/* answers unsent since long before this: drop */
	long long conn_since;
	uint64_t conn_written_at_start, conn_read_at_start, conn_dmi_at_start;

	/* console */
	int pty_master, pty_slave;
	char pty_name[64];
	bool console_present;
	long long vanish_at;		/* the console-vanish fault fires then; 0: no */

	/* QEMU */
	enum qemu_state qemu_state;
	unsigned qemu_gen;		/* counts starts and stops */
	struct proc qemu;
	int qemu_con;
	long long qemu_deadline, qemu_retry_at;
	struct buf qemu_err;
	char workdir[PATH_MAX];
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	/* control */
	int ctl_fd;
	struct ctl_client ctl[CTL_CLIENTS];
	int sig_fd;

	struct faults f;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return err_errno(ERR_IO, "fcntl O_NONBLOCK");
	return 0;
}

/* ---- QEMU ---- */

static bool flash_programmed(const struct vb *vb)
{
	for (size_t i = 0; i < vb->mem.n; i++)
		if (vb->mem.r[i].kind == VMEM_FLASH && vb->mem.r[i].written_end)
			return true;
	return false;
}

static void qemu_drain_err(struct vb *vb, bool flush)
{
	char chunk[1024];
	char *nl;

	while (vb->qemu.err_fd >= 0) {
		ssize_t n = read(vb->qemu.err_fd, chunk, sizeof(chunk));

		if (n > 0) {
			buf_add(&vb->qemu_err, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			close_fd(&vb->qemu.err_fd);	/* EOF: poll would report it forever */
		break;
	}
	while ((nl = memchr(vb->qemu_err.data, '\n', vb->qemu_err.len)) != NULL) {
		*nl = '\0';
		/* QEMU says "info: QEMU waiting for connection" on every start. */
		if (strstr(vb->qemu_err.data, ": info: "))
			log_debug("vboard: qemu: %s", vb->qemu_err.data);
		else
			log_warn("vboard: qemu: %s", vb->qemu_err.data);
		buf_consume(&vb->qemu_err, (size_t)(nl - vb->qemu_err.data) + 1);
	}
	if ((flush || vb->qemu_err.truncated) && vb->qemu_err.len) {
		log_warn("vboard: qemu: %s", vb->qemu_err.data);
		buf_reset(&vb->qemu_err);
		vb->qemu_err.truncated = false;
	}
}

static void qemu_stop(struct vb *vb, const char *why)
{
	if (vb->qemu_state == QEMU_NONE)
		return;
	log_info("vboard: stopping qemu (pid %d, %s): %s", (int)vb->qemu.pid,
		 qemu_state_names[vb->qemu_state], why);
	close_fd(&vb->qemu_con);
	qemu_drain_err(vb, false);
	/*
	 * Straight to SIGKILL, as target_qemu does: sifive_e's QEMU ignores
	 * SIGTERM while its guest idles under -icount, which cost every reset
	 * and flash the whole grace, and an emulator has nothing to flush.
	 */
	proc_signal(&vb->qemu, SIGKILL);
	proc_stop(&vb->qemu, QEMU_STOP_GRACE_MS);
	buf_reset(&vb->qemu_err);
	vb->qemu_state = QEMU_NONE;
	vb->qemu_gen++;
}

/*
 * argv of the board's QEMU command with {image}, {image_elf} and {kernel}
 * all naming the ELF of what was written (QEMU's loader and -kernel take an
 * ELF at its own addresses), plus the console.
 */
static int qemu_argv(struct vb *vb, char ***out, const char *elf)
{
	const cfg_strlist *cmd = &vb->board->qemu.command;
	size_t n = 0;
	char **argv = calloc(cmd->n + 8, sizeof(*argv));
	struct buf b;

	if (!argv)
		return err_set(ERR_NOMEM, "out of memory");
	buf_init(&b, 4096);
	for (size_t i = 0; i < cmd->n; i++) {
		const char *s = cmd->v[i], *p;

		buf_reset(&b);
		while ((p = strchr(s, '{')) != NULL) {
			size_t skip = strncmp(p, "{image}", 7) == 0 ? 7 : strncmp(p, "{kernel}", 8) == 0 ? 8 :
				      strncmp(p, "{image_elf}", 11) == 0 ? 11 : 0;

			buf_add(&b, s, (size_t)(p - s) + (skip ? 0 : 1));
			if (skip)
				buf_addstr(&b, elf);
			s = p + (skip ? skip : 1);
		}
		buf_addstr(&b, s);
		argv[n++] = buf_detach(&b, NULL);
	}
	buf_release(&b);
	/* As the rig does for QEMU targets: QEMU waits for the console before the CPU runs. */
	argv[n++] = strdup("-chardev");
	if (asprintf(&argv[n++], "socket,id=rigcon,path=%s,server=on,wait=on", vb->sock_path) < 0)
		argv[n - 1] = NULL;
	argv[n++] = strdup("-serial");
	argv[n++] = strdup("chardev:rigcon");
	argv[n++] = strdup("-monitor");
	argv[n++] = strdup("none");
	for (size_t i = 0; i < n; i++) {
		if (!argv[i]) {
			for (size_t j = 0; j < n; j++)
				free(argv[j]);
			free(argv);
			return err_set(ERR_NOMEM, "out of memory");
		}
	}
	*out = argv;
	return 0;
}

static void free_argv(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* Starts QEMU on exactly what was flashed; nothing runs from blank flash. */
static void qemu_start(struct vb *vb)
{
	struct vmem_region *flash = vmem_find(&vb->mem, (uint32_t)vb->board->memory.kernel_flash.origin);
	char elf[PATH_MAX + 16];
	struct proc_opts po = { 0 };
	char **argv = NULL;
	struct buf desc;
	int rc;

	qemu_stop(vb, "the hart runs from reset");
	if (!vb->powered)
		return;
	if (!flash || !flash_programmed(vb)) {
		log_info("vboard: the hart runs from blank flash: nothing to run");
		return;
	}
	snprintf(elf, sizeof(elf), "%s/memory.elf", vb->workdir);
	unlink(vb->sock_path);
	rc = vmem_dump_elf(&vb->mem, flash->origin, elf);
	if (rc == 0)
		rc = qemu_argv(vb, &argv, elf);
	if (rc) {
		log_error("vboard: cannot start qemu: %s", err_msg());
		return;
	}
	po.argv = (const char *const *)argv;
	po.in = PROC_STDIO_NULL;
	po.out = PROC_STDIO_NULL;
	po.err = PROC_STDIO_PIPE;
	po.die_with_parent = true;
	rc = proc_spawn(&vb->qemu, &po);
	buf_init(&desc, 2048);
	proc_describe(&desc, (const char *const *)argv);
	free_argv(argv);
	if (rc) {
		log_error("vboard: cannot start qemu (%s): %s", desc.data, err_msg());
		buf_release(&desc);
		return;
	}
	set_nonblock(vb->qemu.err_fd);
	log_info("vboard: qemu pid %d runs %u bytes of flash: %s", (int)vb->qemu.pid,
		 flash->written_end, desc.data);
	buf_release(&desc);
	vb->qemu_state = QEMU_STARTING;
	vb->qemu_gen++;
	vb->qemu_deadline = proc_now_ms() + QEMU_START_MS;
	vb->qemu_retry_at = proc_now_ms();
}

/* While starting: try to reach QEMU's console socket, which lets its CPU run. */
static void qemu_connect(struct vb *vb)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long now = proc_now_ms();
	int fd;

	if (now < vb->qemu_retry_at)
		return;
	if (now > vb->qemu_deadline) {
		qemu_drain_err(vb, true);
		log_error("vboard: qemu did not open its console within %d ms", QEMU_START_MS);
		qemu_stop(vb, "no console");
		return;
	}
	vb->qemu_retry_at = now + QEMU_RETRY_MS;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	memcpy(sa.sun_path, vb->sock_path, sizeof(sa.sun_path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return;
	}
	vb->qemu_con = fd;
	vb->qemu_state = QEMU_RUNNING;
	log_info("vboard: qemu console connected; the board runs");
}

/* The leader exited on its own: the program crashed QEMU, or QEMU refused its arguments. */
static void qemu_exited(struct vb *vb)
{
	int status;

	qemu_drain_err(vb, true);
	proc_wait(&vb->qemu, 0);	/* notes how it ended */
	status = proc_exit_status(&vb->qemu);
	log_warn("vboard: qemu pid %d exited on its own (status %d)", (int)vb->qemu.pid, status);
	close_fd(&vb->qemu_con);
	proc_stop(&vb->qemu, QEMU_STOP_GRACE_MS);
	vb->qemu_state = QEMU_NONE;
	vb->qemu_gen++;
}

/* ---- the hart's hooks ---- */

static void hart_reset(void *ctx)
{
	qemu_stop(ctx, "reset");
}

static void hart_run(void *ctx)
{
	qemu_start(ctx);
}

static void hart_halt(void *ctx)
{
	struct vb *vb = ctx;

	if (vb->qemu_state == QEMU_RUNNING) {
		proc_signal(&vb->qemu, SIGSTOP);
		vb->qemu_state = QEMU_PAUSED;
		log_info("vboard: hart halted: qemu pid %d paused", (int)vb->qemu.pid);
	} else if (vb->qemu_state == QEMU_STARTING) {
		/* Not running yet: it starts afresh on resume. */
		qemu_stop(vb, "halted while starting");
	}
}

static void hart_resume(void *ctx)
{
	struct vb *vb = ctx;

	if (vb->qemu_state == QEMU_PAUSED) {
		proc_signal(&vb->qemu, SIGCONT);
		vb->qemu_state = QEMU_RUNNING;
		log_info("vboard: hart resumed: qemu pid %d continues", (int)vb->qemu.pid);
	} else if (vb->qemu_state == QEMU_NONE) {
		/* What ran was stopped by a new flash (or nothing ran): run the flash from reset. */
		qemu_start(vb);
	}
}

static const struct rvdm_hooks hart_hooks = {
	.reset = hart_reset,
	.run = hart_run,
	.halt = hart_halt,
	.resume = hart_resume,
};

/* ---- the system bus, where the memory faults sit ---- */

static int bus_read(void *ctx, uint32_t addr, unsigned size, uint32_t *value)
{
	struct vb *vb = ctx;

	return vmem_read(&vb->mem, addr, size, value);
}

static int bus_write(void *ctx, uint32_t addr, unsigned size, uint32_t value)
{
	struct vb *vb = ctx;
	struct vmem_region *r;
	int rc;

	if (vb->drop_pending)
		return 0;	/* the probe is gone: nothing more reaches the board */
	if (vb->f.corrupt && size == 4) {
		bool hit = vb->f.corrupt_at_addr ? (addr & ~3u) == (vb->f.corrupt_addr & ~3u)
						 : --vb->f.corrupt_countdown == 0;

		if (hit) {
			log_info("vboard: fault: word 0x%08x at 0x%08x stored as 0x%08x", value, addr,
				 value ^ 0x00000100u);
			value ^= 0x00000100u;
			vb->f.corrupt = false;
		}
	}
	rc = vmem_write(&vb->mem, addr, size, value);
	if (rc == 0 && (r = vmem_find(&vb->mem, addr)) != NULL && r->kind == VMEM_FLASH &&
	    vb->qemu_state != QEMU_NONE)
		qemu_stop(vb, "new flash");
	if (rc == 0 && vb->f.drop_after >= 0) {
		vb->f.drop_after -= size;
		if (vb->f.drop_after <= 0) {
			log_info("vboard: fault: dropping the debug connection after 0x%08x", addr);
			vb->f.drop_after = -1;
			vb->drop_pending = true;
		}
	}
	return rc;
}

static const struct rvdm_bus bus_ops = { .read = bus_read, .write = bus_write };

static void srst_pin(void *ctx, bool asserted)
{
	struct vb *vb = ctx;

	rvdm_set_srst(&vb->dm, asserted);
}

/* ---- console ---- */

static speed_t baud_constant(int64_t baud)
{
	static const struct { int64_t baud; speed_t c; } table[] = {
		{ 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 },
		{ 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 }, { 921600, B921600 },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].baud == baud)
			return table[i].c;
	return B115200;
}

/* Points link at target, replacing a symlink there but never another kind of file. */
static int replace_symlink(const char *link, const char *target)
{
	char tmp[PATH_MAX];
	struct stat st;

	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode))
		return err_set(ERR_EXISTS, "console link %s exists and is not a symlink", link);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%d.tmp", link, (int)getpid()) >= sizeof(tmp))
		return err_set(ERR_INVALID, "console link path too long: %s", link);
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return err_errno(ERR_IO, "symlink %s", tmp);
	if (rename(tmp, link) < 0) {
		int rc = err_errno(ERR_IO, "rename %s to %s", tmp, link);

		unlink(tmp);
		return rc;
	}
	return 0;
}

/* Removes the console link if it still points at our pty. */
static void remove_console_link(struct vb *vb)
{
	char target[sizeof(vb->pty_name) + 1];
	ssize_t n = readlink(vb->o->console_link, target, sizeof(target) - 1);

	if (n > 0) {
		target[n] = '\0';
		if (strcmp(target, vb->pty_name) == 0)
			unlink(vb->o->console_link);
	}
}

static void console_close(struct vb *vb)
{
	vb->vanish_at = 0;
	if (!vb->console_present)
		return;
	remove_console_link(vb);
	close_fd(&vb->pty_master);
	close_fd(&vb->pty_slave);
	vb->console_present = false;
}

static int console_open(struct vb *vb)
{
	struct termios t;
	int rc;

	vb->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (vb->pty_master < 0)
		return err_errno(ERR_IO, "posix_openpt");
	if (grantpt(vb->pty_master) < 0 || unlockpt(vb->pty_master) < 0 ||
	    ptsname_r(vb->pty_master, vb->pty_name, sizeof(vb->pty_name)) != 0) {
		rc = err_errno(ERR_IO, "pseudo-terminal");
		goto fail;
	}
	/*
	 * Holding the slave open ourselves keeps the master from reporting a
	 * hangup whenever no reader has it open, and keeps the pty's settings
	 * between readers.
	 */
	vb->pty_slave = open(vb->pty_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (vb->pty_slave < 0) {
		rc = err_errno(ERR_IO, "open %s", vb->pty_name);
		goto fail;
	}
	if (tcgetattr(vb->pty_slave, &t) == 0) {
		cfmakeraw(&t);
		cfsetspeed(&t, baud_constant(vb->board->baud));
		tcsetattr(vb->pty_slave, TCSANOW, &t);
	}
	rc = set_nonblock(vb->pty_master);
	if (rc == 0)
		rc = replace_symlink(vb->o->console_link, vb->pty_name);
	if (rc)
		goto fail;
	vb->console_present = true;
	log_info("vboard: console %s -> %s", vb->o->console_link, vb->pty_name);
	return 0;
fail:
	close_fd(&vb->pty_master);
	close_fd(&vb->pty_slave);
	return rc;
}

/* QEMU's UART to the pty: dropped when nobody reads, as a UART with no listener. */
static void console_from_qemu(struct vb *vb)
{
	char chunk[4096];
	ssize_t n = read(vb->qemu_con, chunk, sizeof(chunk));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close_fd(&vb->qemu_con);
		return;
	}
	if (!vb->console_present || !vb->powered)
		return;
	if (vb->vanish_at)
		return;		/* going: nothing more gets through */
	if (vb->f.vanish_after >= 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] != '\n' || --vb->f.vanish_after > 0)
				continue;
			if (write(vb->pty_master, chunk, (size_t)i + 1) < 0) {
				/* dropped, as below */
			}
			/*
			 * Closing the master flushes what the reader has not
			 * read yet: wait until the reader has taken it (or a
			 * deadline), so that "after N lines" means N lines arrive
			 * however loaded the machine is.
			 */
			vb->f.vanish_after = -1;
			vb->vanish_at = proc_now_ms() + VANISH_DRAIN_MS;
			return;
		}
	}
	if (write(vb->pty_master, chunk, (size_t)n) < 0) {
		/* A full pty: nobody reads; the bytes are lost as on a wire. */
	}
}

static void console_to_qemu(struct vb *vb)
{
	char chunk[1024];
	ssize_t n = read(vb->pty_master, chunk, sizeof(chunk));

	if (n <= 0)
		return;
	if (vb->qemu_con >= 0 && vb->qemu_state == QEMU_RUNNING && vb->powered) {
		if (send(vb->qemu_con, chunk, (size_t)n, MSG_NOSIGNAL) < 0) {
			/* QEMU not reading: input lost, as typing at a busy board */
		}
	}
}

/* ---- the debug port ---- */

static int tcp_listen(struct vb *vb)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)vb->port) };
	socklen_t len = sizeof(sa);
	int one = 1, fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_errno(ERR_IO, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		int rc = err_errno(ERR_IO, "listen on 127.0.0.1:%d", vb->port);

		close(fd);
		return rc;
	}
	/* Port 0 picks one; keep it, so that a re-listen after a fault reuses it. */
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		vb->port = ntohs(sa.sin_port);
	vb->listen_fd = fd;
	return 0;
}

/* A unix socket path that is free, or holds a dead socket nobody answers on. */
static int unix_path_free(const char *path, struct sockaddr_un *sa)
{
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa->sun_path))
		return err_set(ERR_INVALID, "socket path too long: %s", path);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return err_set(ERR_EXISTS, "%s exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_errno(ERR_IO, "socket");
	if (connect(fd, (struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN) {
		close(fd);
		return err_set(ERR_EXISTS, "something answers on %s already", path);
	}
	close(fd);
	unlink(path);
	return 0;
}

static int unix_listen(const char *path, int backlog, int *out)
{
	struct sockaddr_un sa;
	int fd, rc;

	rc = unix_path_free(path, &sa);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_errno(ERR_IO, "socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0) {
		rc = err_errno(ERR_IO, "listen on %s", path);
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

/* Opens whichever debug listeners are configured and closed. */
static int listen_open(struct vb *vb)
{
	int rc = 0;

	if (vb->port >= 0 && vb->listen_fd < 0)
		rc = tcp_listen(vb);
	if (rc == 0 && vb->o->jtag_socket && vb->ulisten_fd < 0)
		rc = unix_listen(vb->o->jtag_socket, 4, &vb->ulisten_fd);
	if (rc == 0)
		vb->listen_retry_at = 0;
	return rc;
}

static bool listening(const struct vb *vb)
{
	return (vb->port < 0 || vb->listen_fd >= 0) && (!vb->o->jtag_socket || vb->ulisten_fd >= 0);
}

static void listen_close(struct vb *vb)
{
	close_fd(&vb->listen_fd);
	if (vb->ulisten_fd >= 0) {
		close_fd(&vb->ulisten_fd);
		unlink(vb->o->jtag_socket);
	}
}

static void conn_close(struct vb *vb, const char *why)
{
	if (vb->conn_fd < 0)
		return;
	log_info("vboard: debugger disconnected (%s) after %.1f s, %llu requests, %llu TDO reads, "
		 "%llu DMI accesses, %llu bytes written and %llu read over the system bus", why,
		 (double)(proc_now_ms() - vb->conn_since) / 1000.0, (unsigned long long)vb->bb.bytes,
		 (unsigned long long)vb->bb.reads,
		 (unsigned long long)(vb->dm.stats.dmi_reads + vb->dm.stats.dmi_writes - vb->conn_dmi_at_start),
		 (unsigned long long)(vb->dm.stats.sb_bytes_written - vb->conn_written_at_start),
		 (unsigned long long)(vb->dm.stats.sb_bytes_read - vb->conn_read_at_start));
	/* A probe that goes away stops driving SRST. */
	if (vb->bb.srst_level)
		rvdm_set_srst(&vb->dm, false);
	close_fd(&vb->conn_fd);
	buf_reset(&vb->out);
	vb->drop_pending = false;
	vb->stall_deadline = 0;
}

/* Closes with a TCP reset, as when a probe or its board loses power. */
static void conn_reset(struct vb *vb, const char *why)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (vb->conn_fd >= 0)
		setsockopt(vb->conn_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	conn_close(vb, why);
}

static void conn_accept(struct vb *vb, int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	int one = 1;

	if (fd < 0)
		return;
	if (!vb->powered || vb->conn_fd >= 0) {
		/* A reset, not a FIN: OpenOCD 0.12 may abort on an assertion at EOF. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (!vb->powered)
			log_info("vboard: debugger connection dropped: the board is off");
		else
			log_warn("vboard: second debugger connection refused: one at a time");
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		return;
	}
	if (listen_fd == vb->listen_fd)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	vb->conn_fd = fd;
	vb->conn_since = proc_now_ms();
	vb->conn_written_at_start = vb->dm.stats.sb_bytes_written;
	vb->conn_read_at_start = vb->dm.stats.sb_bytes_read;
	vb->conn_dmi_at_start = vb->dm.stats.dmi_reads + vb->dm.stats.dmi_writes;
	bitbang_init(&vb->bb, &vb->dtm.tap, srst_pin, vb);
	log_info("vboard: debugger connected");
}

static void conn_flush(struct vb *vb)
{
	while (vb->out.len) {
		ssize_t n = send(vb->conn_fd, vb->out.data, vb->out.len, MSG_NOSIGNAL);

		if (n > 0) {
			buf_consume(&vb->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* A peer that stops reading must not hold the only debug slot forever. */
			if (!vb->stall_deadline)
				vb->stall_deadline = proc_now_ms() + DEBUG_STALL_MS;
			return;
		}
		conn_close(vb, "write failed");
		return;
	}
	vb->stall_deadline = 0;
}

static void conn_read(struct vb *vb)
{
	uint8_t chunk[65536];
	ssize_t n = read(vb->conn_fd, chunk, sizeof(chunk));
	size_t used;
	int rc;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(vb, n == 0 ? "closed by the debugger" : "read failed");
		return;
	}
	rc = bitbang_feed(&vb->bb, chunk, (size_t)n, &used, &vb->out);
	if (rc) {
		log_warn("vboard: %s", err_msg());
		conn_close(vb, "protocol error");
		return;
	}
	conn_flush(vb);
	if (vb->conn_fd < 0)
		return;
	if (vb->drop_pending) {
		/*
		 * Between scans, with a reset: OpenOCD then fails its next
		 * write with its own error. Closed while it waits for a scan's
		 * answers, OpenOCD 0.12 aborts on an assertion instead.
		 */
		conn_reset(vb, "fault: dropped mid-transfer");
		return;
	}
	if (vb->bb.quit)
		conn_close(vb, "quit");
}

/* ---- power ---- */

static void power_off(struct vb *vb)
{
	if (!vb->powered)
		return;
	vb->powered = false;
	conn_reset(vb, "power off");
	qemu_stop(vb, "power off");
	if (vb->console_present)
		tcflush(vb->pty_slave, TCIOFLUSH);
	log_info("vboard: power off");
}

static void power_on(struct vb *vb)
{
	if (vb->powered)
		return;
	vb->powered = true;
	/* RAM forgets, flash remembers; the TAP and the DM start from power-on reset. */
	vmem_clear(&vb->mem, VMEM_RAM);
	rvdm_init(&vb->dm, (uint32_t)vb->board->memory.kernel_flash.origin, &bus_ops, vb, &hart_hooks, vb);
	rvdtm_init(&vb->dtm, RVDTM_IDCODE_FE310, &vb->dm);
	if (!vb->console_present && console_open(vb) != 0)
		log_error("vboard: console: %s", err_msg());
	log_info("vboard: power on");
	/* A board boots what its flash holds. */
	qemu_start(vb);
}

/* ---- control ---- */

static void faults_clear(struct vb *vb)
{
	vb->f = (struct faults){ .drop_after = -1, .vanish_after = -1 };
}

static void status(struct vb *vb, struct buf *r)
{
	const struct vmem_region *flash = vmem_find(&vb->mem, (uint32_t)vb->board->memory.kernel_flash.origin);

	buf_addf(r, "ok power=%s hart=%s qemu=%s", vb->powered ? "on" : "off",
		 !vb->powered ? "off" : vb->dm.hart.reset_held ? "reset" :
		 vb->dm.hart.halted ? "halted" : "running", qemu_state_names[vb->qemu_state]);
	if (vb->qemu_state != QEMU_NONE)
		buf_addf(r, " qemu_pid=%d", (int)vb->qemu.pid);
	buf_addf(r, " flash=%u debugger=%s console=%s", flash ? flash->written_end : 0,
		 vb->conn_fd >= 0 ? "connected" : "none", vb->console_present ? vb->pty_name : "gone");
	if (vb->port >= 0)
		buf_addf(r, " jtag=127.0.0.1:%d", vb->port);
	if (vb->o->jtag_socket)
		buf_addf(r, " jtag_socket=%s", vb->o->jtag_socket);
	buf_addstr(r, " faults=");
	if (!vb->f.refuse && vb->f.drop_after < 0 && !vb->f.corrupt && vb->f.vanish_after < 0)
		buf_addstr(r, "none");
	if (vb->f.refuse)
		buf_addstr(r, "refuse,");
	if (vb->f.drop_after >= 0)
		buf_addf(r, "drop-after:%lld,", (long long)vb->f.drop_after);
	if (vb->f.corrupt)
		buf_addstr(r, "corrupt,");
	if (vb->f.vanish_after >= 0)
		buf_addf(r, "serial-vanish:%lld,", (long long)vb->f.vanish_after);
	if (r->len && r->data[r->len - 1] == ',')
		r->data[--r->len] = '\0';
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static void fault(struct vb *vb, char **w, int n, struct buf *r)
{
	uint32_t v;

	if (n < 2) {
		buf_addstr(r, "error: fault what? refuse, drop-after, corrupt, serial-vanish or clear");
		return;
	}
	if (strcmp(w[1], "refuse") == 0) {
		bool on = n < 3 || strcmp(w[2], "on") == 0;

		if (n >= 3 && !on && strcmp(w[2], "off") != 0) {
			buf_addstr(r, "error: fault refuse [on|off]");
			return;
		}
		vb->f.refuse = on;
		if (on)
			listen_close(vb);
		else if (!listening(vb))
			vb->listen_retry_at = proc_now_ms();
		buf_addf(r, "ok debug port %s connections", on ? "refuses" : "accepts");
	} else if (strcmp(w[1], "drop-after") == 0) {
		v = DROP_AFTER_DEFAULT;
		if (n >= 3 && (parse_u32(w[2], &v) != 0 || v == 0)) {
			buf_addstr(r, "error: fault drop-after BYTES (a positive number)");
			return;
		}
		vb->f.drop_after = v;
		buf_addf(r, "ok the debug connection drops after %u more bytes are written", v);
	} else if (strcmp(w[1], "corrupt") == 0) {
		vb->f.corrupt = true;
		vb->f.corrupt_at_addr = n >= 3;
		vb->f.corrupt_countdown = CORRUPT_NTH_DEFAULT;
		if (n >= 3 && parse_u32(w[2], &vb->f.corrupt_addr) != 0) {
			vb->f.corrupt = false;
			buf_addstr(r, "error: fault corrupt [ADDRESS]");
			return;
		}
		if (vb->f.corrupt_at_addr)
			buf_addf(r, "ok the next word written at 0x%08x is corrupted", vb->f.corrupt_addr);
		else
			buf_addf(r, "ok the %dth word written from now is corrupted", CORRUPT_NTH_DEFAULT);
	} else if (strcmp(w[1], "serial-vanish") == 0) {
		v = 0;
		if (n >= 3 && parse_u32(w[2], &v) != 0) {
			buf_addstr(r, "error: fault serial-vanish [LINES]");
			return;
		}
		if (v == 0) {
			console_close(vb);
			buf_addstr(r, "ok the console vanished");
		} else {
			vb->f.vanish_after = v;
			buf_addf(r, "ok the console vanishes after %u more lines", v);
		}
	} else if (strcmp(w[1], "clear") == 0) {
		faults_clear(vb);
		vb->vanish_at = 0;
		if (!listening(vb))
			vb->listen_retry_at = proc_now_ms();
		if (!vb->console_present && console_open(vb) != 0) {
			buf_addf(r, "error: console: %s", err_msg());
			return;
		}
		buf_addstr(r, "ok faults cleared");
	} else {
		buf_addf(r, "error: unknown fault '%s': refuse, drop-after, corrupt, serial-vanish or clear", w[1]);
	}
}

static void ctl_request(struct vb *vb, char *line, struct buf *r)
{
	char *w[8], *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(line, " \t\r", &save); t && n < 8; t = strtok_r(NULL, " \t\r", &save))
		w[n++] = t;
	if (n == 0) {
		buf_addstr(r, "error: empty request");
	} else if (strcmp(w[0], "on") == 0) {
		power_on(vb);
		buf_addstr(r, "ok power on");
	} else if (strcmp(w[0], "off") == 0) {
		power_off(vb);
		buf_addstr(r, "ok power off");
	} else if (strcmp(w[0], "cycle") == 0) {
		power_off(vb);
		power_on(vb);
		buf_addstr(r, "ok power cycled");
	} else if (strcmp(w[0], "status") == 0) {
		status(vb, r);
	} else if (strcmp(w[0], "fault") == 0) {
		fault(vb, w, n, r);
	} else {
		buf_addf(r, "error: unknown request '%s': on, off, cycle, status or fault", w[0]);
	}
}

static void ctl_finish(struct ctl_client *c)
{
	close_fd(&c->fd);
	buf_release(&c->in);
}

static void ctl_accept(struct vb *vb)
{
	int fd = accept4(vb->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int i = 0; i < CTL_CLIENTS; i++) {
		if (vb->ctl[i].fd < 0) {
			vb->ctl[i].fd = fd;
			vb->ctl[i].deadline = proc_now_ms() + CTL_DEADLINE_MS;
			buf_init(&vb->ctl[i].in, CTL_LINE_MAX);
			return;
		}
	}
	if (send(fd, "error: busy\n", 12, MSG_NOSIGNAL) < 0) {
		/* the client sees the close either way */
	}
	close(fd);
}

static void ctl_read(struct vb *vb, struct ctl_client *c)
{
	char chunk[CTL_LINE_MAX];
	ssize_t n = read(c->fd, chunk, sizeof(chunk));
	struct buf reply;
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		ctl_finish(c);
		return;
	}
	if (n > 0 && buf_add(&c->in, chunk, (size_t)n) != 0) {
		if (send(c->fd, "error: request too long\n", 24, MSG_NOSIGNAL) < 0) {
			/* closing anyway */
		}
		ctl_finish(c);
		return;
	}
	nl = memchr(c->in.data, '\n', c->in.len);
	if (!nl && n > 0)
		return;
	if (nl)
		*nl = '\0';
	buf_init(&reply, 4096);
	ctl_request(vb, c->in.data, &reply);
	log_info("vboard: control: %s -> %s", c->in.data, reply.data);
	buf_addch(&reply, '\n');
	/* One short line into an empty socket buffer: a write does not block. */
	if (send(c->fd, reply.data, reply.len, MSG_NOSIGNAL) < 0) {
		/* the client went away */
	}
	buf_release(&reply);
	ctl_finish(c);
}

static int ctl_open(struct vb *vb)
{
	if (unix_listen(vb->o->control_path, CTL_CLIENTS, &vb->ctl_fd) != 0)
		return err_prefix("control socket");
	return 0;
}

/* ---- the loop ---- */

static int signals_open(struct vb *vb, sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return err_errno(ERR_IO, "sigprocmask");
	vb->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vb->sig_fd < 0)
		return err_errno(ERR_IO, "signalfd");
	return 0;
}

static void signal_read(struct vb *vb)
{
	struct signalfd_siginfo si;

	while (read(vb->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("vboard: SIGHUP ignored: the board has nothing to reload");
			continue;
		}
		log_info("vboard: %s: power off", strsignal((int)si.ssi_signo));
		vb->stop = true;
	}
}

enum { P_SIG, P_LISTEN, P_ULISTEN, P_CONN, P_CTL, P_QEMU_PID, P_QEMU_ERR, P_QEMU_CON, P_PTY, P_CLIENT0 };

static void loop_once(struct vb *vb)
{
	struct pollfd p[P_CLIENT0 + CTL_CLIENTS];
	long long now = proc_now_ms(), wake = now + 1000;
	unsigned gen;

	if (vb->qemu_state == QEMU_STARTING) {
		qemu_connect(vb);
		if (vb->qemu_state == QEMU_STARTING && vb->qemu_retry_at < wake)
			wake = vb->qemu_retry_at;
	}
	if (!listening(vb) && !vb->f.refuse && vb->listen_retry_at) {
		if (now >= vb->listen_retry_at) {
			if (listen_open(vb) != 0) {
				log_warn("vboard: %s", err_msg());
				vb->listen_retry_at = now + LISTEN_RETRY_MS;
			}
		}
		if (vb->listen_retry_at && vb->listen_retry_at < wake)
			wake = vb->listen_retry_at;
	}
	if (vb->stall_deadline) {
		if (now >= vb->stall_deadline)
			conn_close(vb, "the debugger does not read its answers");
		else if (vb->stall_deadline < wake)
			wake = vb->stall_deadline;
	}
	if (vb->vanish_at) {
		int unread = 0;

		/* What the reader has not taken yet sits in the slave's input queue. */
		if (vb->pty_slave >= 0 && ioctl(vb->pty_slave, FIONREAD, &unread) < 0)
			unread = 0;
		if (now >= vb->vanish_at || (unread == 0 && now >= vb->vanish_at - VANISH_DRAIN_MS + VANISH_SETTLE_MS)) {
			log_info("vboard: fault: the console vanishes");
			console_close(vb);
		} else if (now + VANISH_POLL_MS < wake) {
			wake = now + VANISH_POLL_MS;
		}
	}
	for (int i = 0; i < CTL_CLIENTS; i++) {
		if (vb->ctl[i].fd < 0)
			continue;
		if (now >= vb->ctl[i].deadline) {
			ctl_finish(&vb->ctl[i]);
			continue;
		}
		if (vb->ctl[i].deadline < wake)
			wake = vb->ctl[i].deadline;
	}

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		p[i] = (struct pollfd){ .fd = -1 };
	p[P_SIG] = (struct pollfd){ .fd = vb->sig_fd, .events = POLLIN };
	p[P_LISTEN] = (struct pollfd){ .fd = vb->listen_fd, .events = POLLIN };
	p[P_ULISTEN] = (struct pollfd){ .fd = vb->ulisten_fd, .events = POLLIN };
	if (vb->conn_fd >= 0)
		/* While answers wait to be sent, read no more requests. */
		p[P_CONN] = (struct pollfd){ .fd = vb->conn_fd, .events = vb->out.len ? POLLOUT : POLLIN };
	p[P_CTL] = (struct pollfd){ .fd = vb->ctl_fd, .events = POLLIN };
	if (vb->qemu_state != QEMU_NONE) {
		p[P_QEMU_PID] = (struct pollfd){ .fd = vb->qemu.pidfd, .events = POLLIN };
		p[P_QEMU_ERR] = (struct pollfd){ .fd = vb->qemu.err_fd, .events = POLLIN };
		p[P_QEMU_CON] = (struct pollfd){ .fd = vb->qemu_con, .events = POLLIN };
	}
	if (vb->console_present)
		p[P_PTY] = (struct pollfd){ .fd = vb->pty_master, .events = POLLIN };
	for (int i = 0; i < CTL_CLIENTS; i++)
		p[P_CLIENT0 + i] = (struct pollfd){ .fd = vb->ctl[i].fd, .events = POLLIN };

	now = proc_now_ms();
	if (poll(p, sizeof(p) / sizeof(p[0]), wake > now ? (int)(wake - now) : 0) <= 0)
		return;

	/* A scan may stop or start QEMU: its revents then belong to the one gone. */
	gen = vb->qemu_gen;
	if (p[P_SIG].revents)
		signal_read(vb);
	if (p[P_CONN].revents && vb->conn_fd >= 0) {
		if (p[P_CONN].revents & POLLOUT)
			conn_flush(vb);
		else
			conn_read(vb);
	}
	if (p[P_LISTEN].revents && vb->listen_fd >= 0)
		conn_accept(vb, vb->listen_fd);
	if (p[P_ULISTEN].revents && vb->ulisten_fd >= 0)
		conn_accept(vb, vb->ulisten_fd);
	if (vb->qemu_gen == gen) {
		if (p[P_QEMU_ERR].revents && vb->qemu_state != QEMU_NONE)
			qemu_drain_err(vb, false);
		if (p[P_QEMU_CON].revents && vb->qemu_con >= 0)
			console_from_qemu(vb);
		if (p[P_QEMU_PID].revents && vb->qemu_state != QEMU_NONE)
			qemu_exited(vb);
	}
	if (p[P_PTY].revents && vb->console_present)
		console_to_qemu(vb);
	if (p[P_CTL].revents && vb->ctl_fd >= 0)
		ctl_accept(vb);
	for (int i = 0; i < CTL_CLIENTS; i++)
		if (p[P_CLIENT0 + i].revents && vb->ctl[i].fd >= 0)
			ctl_read(vb, &vb->ctl[i]);
}

static int workdir_open(struct vb *vb)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(vb->workdir, sizeof(vb->workdir), "%s/rig-vboard-XXXXXX", tmp) >=
	    sizeof(vb->workdir) - 32)
		return err_set(ERR_INVALID, "TMPDIR too long");
	if (!mkdtemp(vb->workdir)) {
		vb->workdir[0] = '\0';
		return err_errno(ERR_IO, "mkdtemp in %s", tmp);
	}
	/* A unix socket path is short: TMPDIR must leave room for it. */
	if (strlen(vb->workdir) + sizeof("/console.sock") > sizeof(vb->sock_path))
		return err_set(ERR_INVALID, "QEMU console socket path too long under %s", vb->workdir);
	memcpy(vb->sock_path, vb->workdir, strlen(vb->workdir));
	memcpy(vb->sock_path + strlen(vb->workdir), "/console.sock", sizeof("/console.sock"));
	return 0;
}

static void workdir_remove(struct vb *vb)
{
	static const char *const files[] = { "memory.elf", "console.sock" };
	char path[PATH_MAX + 32];

	if (!vb->workdir[0])
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", vb->workdir, files[i]);
		unlink(path);
	}
	rmdir(vb->workdir);
}

static int check_board(const struct board *b)
{
	if (b->arch && strcmp(b->arch, "riscv32") != 0)
		return err_set(ERR_UNSUPPORTED, "board %s is %s: the virtual board models RV32 only",
			       b->name, b->arch);
	if (!b->has_qemu || b->qemu.command.n == 0)
		return err_set(ERR_UNSUPPORTED,
			       "board %s has no qemu command: the virtual board runs its flash with it",
			       b->name);
	return 0;
}

int vboard_run(const struct vboard_opts *opts)
{
	struct vb *vb;
	sigset_t old;
	bool sigs = false;
	int rc;

	if (opts->jtag_port < -1 || opts->jtag_port > 65535)
		return err_set(ERR_INVALID, "jtag port %d out of range", opts->jtag_port);
	if (opts->jtag_port < 0 && !opts->jtag_socket)
		return err_set(ERR_INVALID, "no debug port: neither a TCP port nor a socket");
	rc = check_board(opts->board);
	if (rc)
		return rc;
	vb = calloc(1, sizeof(*vb));
	if (!vb)
		return err_set(ERR_NOMEM, "out of memory");
	vb->o = opts;
	vb->board = opts->board;
	vb->port = opts->jtag_port;
	vb->listen_fd = vb->ulisten_fd = vb->conn_fd = vb->pty_master = vb->pty_slave = -1;
	vb->qemu_con = vb->ctl_fd = vb->sig_fd = -1;
	vb->qemu.pid = 0;
	vb->qemu.pidfd = vb->qemu.in_fd = vb->qemu.out_fd = vb->qemu.err_fd = -1;
	for (int i = 0; i < CTL_CLIENTS; i++)
		vb->ctl[i].fd = -1;
	buf_init(&vb->out, DEBUG_OUT_CAP);
	buf_init(&vb->qemu_err, QEMU_ERR_CAP);
	faults_clear(vb);
	vmem_init(&vb->mem);

	rc = vmem_add_board(&vb->mem, vb->board);
	if (rc == 0 && (!vmem_find(&vb->mem, (uint32_t)vb->board->memory.kernel_flash.origin) ||
			vmem_find(&vb->mem, (uint32_t)vb->board->memory.kernel_flash.origin)->origin !=
			vb->board->memory.kernel_flash.origin))
		rc = err_set(ERR_UNSUPPORTED, "board %s: the flash must start with kernel_flash, "
			     "where {image} is loaded", vb->board->name);
	if (rc == 0)
		rc = workdir_open(vb);
	if (rc == 0) {
		rc = signals_open(vb, &old);
		sigs = true;
	}
	if (rc == 0)
		rc = listen_open(vb);
	if (rc == 0 && opts->control_path)
		rc = ctl_open(vb);
	if (rc == 0)
		rc = console_open(vb);
	if (rc)
		goto cleanup;

	power_on(vb);
	{
		char tcp[32] = "none";

		if (vb->port >= 0)
			snprintf(tcp, sizeof(tcp), "127.0.0.1:%d", vb->port);
		log_info("vboard: %s, debug port %s%s%s, console %s, control %s", vb->board->name, tcp,
			 opts->jtag_socket ? " and " : "", opts->jtag_socket ? opts->jtag_socket : "",
			 opts->console_link, opts->control_path ? opts->control_path : "none");
		printf("vboard ready jtag=%s%s%s console=%s\n", tcp,
		       opts->jtag_socket ? " jtag_socket=" : "", opts->jtag_socket ? opts->jtag_socket : "",
		       opts->console_link);
		fflush(stdout);
	}

	while (!vb->stop)
		loop_once(vb);
	power_off(vb);

cleanup:
	conn_close(vb, "exit");
	qemu_stop(vb, "exit");
	console_close(vb);
	for (int i = 0; i < CTL_CLIENTS; i++)
		if (vb->ctl[i].fd >= 0)
			ctl_finish(&vb->ctl[i]);
	if (vb->ctl_fd >= 0) {
		close_fd(&vb->ctl_fd);
		unlink(opts->control_path);
	}
	listen_close(vb);
	close_fd(&vb->sig_fd);
	if (sigs)
		sigprocmask(SIG_SETMASK, &old, NULL);
	workdir_remove(vb);
	vmem_release(&vb->mem);
	buf_release(&vb->out);
	buf_release(&vb->qemu_err);
	free(vb);
	return rc;
}

int vboard_ctl(struct buf *reply, const char *control_path, const char *request, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long deadline = proc_now_ms() + timeout_ms;
	struct buf req;
	size_t sent = 0;
	int fd, rc = 0;

	if (strlen(control_path) >= sizeof(sa.sun_path))
		return err_set(ERR_INVALID, "control socket path too long: %s", control_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", control_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_errno(ERR_IO, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = err_errno(ERR_IO, "no virtual board answers on %s", control_path);
		close(fd);
		return rc;
	}
	buf_init(&req, CTL_LINE_MAX);
	buf_addstr(&req, request);
	buf_addch(&req, '\n');
	buf_reset(reply);
	while (rc == 0) {
		struct pollfd p = { .fd = fd, .events = sent < req.len ? POLLOUT : POLLIN };
		long long left = deadline - proc_now_ms();
		char chunk[1024];
		ssize_t n;

		if (left <= 0) {
			rc = err_set(ERR_TIMEOUT, "the board on %s did not answer within %d ms",
				     control_path, timeout_ms);
			break;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (sent < req.len) {
			n = send(fd, req.data + sent, req.len - sent, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				rc = err_errno(ERR_IO, "write to %s", control_path);
			else if (n > 0)
				sent += (size_t)n;
			continue;
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			rc = err_errno(ERR_IO, "read from %s", control_path);
			break;
		}
		if (n == 0 || buf_add(reply, chunk, (size_t)n) != 0 || memchr(chunk, '\n', (size_t)n))
			break;
	}
	close(fd);
	buf_release(&req);
	if (rc == 0) {
		char *nl = memchr(reply->data, '\n', reply->len);

		if (nl) {
			*nl = '\0';
			reply->len = (size_t)(nl - reply->data);
		}
		if (reply->len == 0)
			rc = err_set(ERR_IO, "the board on %s closed without answering", control_path);
	}
	return rc;
}
