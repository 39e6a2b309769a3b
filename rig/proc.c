#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

extern char **environ;

#define DEFAULT_CAP ((size_t)1 << 20)
#define DEFAULT_GRACE_MS 1000

long long proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void proc_result_init(struct proc_result *res)
{
	memset(res, 0, sizeof(*res));
	buf_init(&res->out, DEFAULT_CAP);
	buf_init(&res->err, DEFAULT_CAP);
}

void proc_result_release(struct proc_result *res)
{
	buf_release(&res->out);
	buf_release(&res->err);
}

char *proc_which(const char *name)
{
	const char *path = getenv("PATH");
	const char *p, *end;
	char *full;

	if (!name || !*name) {
		err_set(ERR_INVALID, "empty command");
		return NULL;
	}
	if (strchr(name, '/')) {
		if (access(name, X_OK) == 0)
			return strdup(name);
		err_errno(ERR_NOTFOUND, "cannot run '%s'", name);
		return NULL;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		size_t dirlen;
		struct stat st;

		end = strchr(p, ':');
		dirlen = end ? (size_t)(end - p) : strlen(p);
		if (asprintf(&full, "%.*s/%s", (int)dirlen, dirlen ? p : ".", name) < 0) {
			err_set(ERR_NOMEM, "out of memory");
			return NULL;
		}
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return full;
		free(full);
		if (!end)
			break;
	}
	err_set(ERR_NOTFOUND, "'%s' not found in PATH", name);
	return NULL;
}

void proc_describe(struct buf *out, const char *const *argv)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++) {
		if (i == 12) {
			buf_addstr(out, " …");
			break;
		}
		if (i)
			buf_addch(out, ' ');
		buf_addstr(out, argv[i]);
	}
}

/* Builds environ plus overrides; the array and the strings it points to are
 * the parent's (only the array is allocated). */
static char **make_env(const char *const *extra)
{
	size_t n = 0, m = 0, i, j, k;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	env = calloc(n + m + 1, sizeof(*env));
	if (!env)
		return NULL;
	k = 0;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t namelen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool replaced = false;

		for (j = 0; j < m; j++)
			if (strncmp(extra[j], environ[i], namelen) == 0 && extra[j][namelen] == '=')
				replaced = true;
		if (!replaced)
			env[k++] = environ[i];
	}
	for (j = 0; j < m; j++)
		env[k++] = (char *)extra[j];
	env[k] = NULL;
	return env;
}

static void close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	fds[0] = fds[1] = -1;
}

/*
 * What a child that could not get to exec tells the parent through the
 * report pipe: the step that failed and its errno.
 */
enum child_step {
	STEP_START = 0,		/* stdio, cwd or the exec itself */
	STEP_UNSHARE,
	STEP_PRIVATE,
	STEP_UNMOUNT,		/* + the index in opts->unmount */
};

struct child_report {
	int step;
	int err;
};

static void child_fail(int report_fd, int step)
{
	struct child_report r = { step, errno };

	if (write(report_fd, &r, sizeof(r)) < 0) {
		/* the parent then sees exit status 127 */
	}
	_exit(127);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child_setup(int in, int out, int errfd, const struct proc_opts *opts, int report_fd)
{
	static const int reset[] = { SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct sigaction sa;
	sigset_t none;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		sigaction(reset[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		child_fail(report_fd, STEP_START);
	if (opts->private_mounts || opts->unmount) {
		if (unshare(CLONE_NEWNS) < 0)
			child_fail(report_fd, STEP_UNSHARE);
		/* Without this, what follows would propagate back to the rig's mounts. */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			child_fail(report_fd, STEP_PRIVATE);
		for (int i = 0; opts->unmount && opts->unmount[i]; i++)
			if (umount2(opts->unmount[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
				child_fail(report_fd, STEP_UNMOUNT + i);
	}
	if (opts->cwd && chdir(opts->cwd) < 0)
		child_fail(report_fd, STEP_START);
}

static int open_null(int flags)
{
	int fd = open("/dev/null", flags | O_CLOEXEC);

	if (fd < 0)
		err_errno(ERR_IO, "open /dev/null");
	return fd;
}

int proc_spawn(struct proc *p, const struct proc_opts *opts)
{
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	int report[2] = { -1, -1 };
	int child_in = -1, child_out = -1, child_err = -1;
	int nul_r = -1, nul_w = -1;
	char *path = NULL;
	char **env = NULL;
	struct child_report report_msg = { 0, 0 };
	int rc = ERR_IO;
	ssize_t got;
	pid_t pid;
	pid_t parent;

	memset(p, 0, sizeof(*p));
	p->pidfd = p->in_fd = p->out_fd = p->err_fd = -1;
	if (!opts->argv || !opts->argv[0])
		return err_set(ERR_INVALID, "no command given");
	path = proc_which(opts->argv[0]);
	if (!path)
		return err_code();
	env = make_env(opts->env);
	if (!env) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	if ((nul_r = open_null(O_RDONLY)) < 0 || (nul_w = open_null(O_WRONLY)) < 0)
		goto cleanup;

	switch (opts->in) {
	case PROC_STDIO_NULL: child_in = nul_r; break;
	case PROC_STDIO_INHERIT: child_in = 0; break;
	case PROC_STDIO_FD: child_in = opts->in_fd; break;
	case PROC_STDIO_PIPE:
		if (pipe2(in_pipe, O_CLOEXEC) < 0) {
			err_errno(ERR_IO, "pipe");
			goto cleanup;
		}
		child_in = in_pipe[0];
		break;
	}
	switch (opts->out) {
	case PROC_STDIO_NULL: child_out = nul_w; break;
	case PROC_STDIO_INHERIT: child_out = 1; break;
	case PROC_STDIO_FD: child_out = opts->out_fd; break;
	case PROC_STDIO_PIPE:
		if (pipe2(out_pipe, O_CLOEXEC) < 0) {
			err_errno(ERR_IO, "pipe");
			goto cleanup;
		}
		child_out = out_pipe[1];
		break;
	}
	if (opts->err_to_out) {
		child_err = child_out;
	} else {
		switch (opts->err) {
		case PROC_STDIO_NULL: child_err = nul_w; break;
		case PROC_STDIO_INHERIT: child_err = 2; break;
		case PROC_STDIO_FD: child_err = opts->err_fd; break;
		case PROC_STDIO_PIPE:
			if (pipe2(err_pipe, O_CLOEXEC) < 0) {
				err_errno(ERR_IO, "pipe");
				goto cleanup;
			}
			child_err = err_pipe[1];
			break;
		}
	}
	if (pipe2(report, O_CLOEXEC) < 0) {
		err_errno(ERR_IO, "pipe");
		goto cleanup;
	}

	parent = getpid();
	pid = fork();
	if (pid < 0) {
		err_errno(ERR_IO, "fork for '%s'", opts->argv[0]);
		goto cleanup;
	}
	if (pid == 0) {
		child_setup(child_in, child_out, child_err, opts, report[1]);
		/*
		 * A long-lived child in its own group (QEMU behind a virtual
		 * board) escapes a kill of the rig's group: let the kernel end
		 * it when the rig is gone, even by SIGKILL.
		 */
		if (opts->die_with_parent &&
		    (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
			_exit(127);
		/* Every descriptor but stdio goes; report[1] closes on exec. */
		if (report[1] > 3)
			close_range(3, (unsigned int)report[1] - 1, 0);
		close_range((unsigned int)report[1] + 1, ~0U, 0);
		execve(path, (char *const *)opts->argv, env);
		child_fail(report[1], STEP_START);
	}
	/* Also set from the parent: no window where a signal to the group misses it. */
	setpgid(pid, pid);
	close(report[1]);
	report[1] = -1;
	got = read(report[0], &report_msg, sizeof(report_msg));
	if (got == (ssize_t)sizeof(report_msg)) {
		waitpid(pid, NULL, 0);
		errno = report_msg.err;
		if (report_msg.step == STEP_UNSHARE)
			err_errno(ERR_IO, "starting '%s': private mount namespace", opts->argv[0]);
		else if (report_msg.step == STEP_PRIVATE)
			err_errno(ERR_IO, "starting '%s': making / private", opts->argv[0]);
		else if (report_msg.step >= STEP_UNMOUNT)
			err_errno(ERR_IO, "starting '%s': unmounting %s", opts->argv[0],
				  opts->unmount[report_msg.step - STEP_UNMOUNT]);
		else
			err_errno(ERR_IO, "starting '%s'", opts->argv[0]);
		goto cleanup;
	}

	p->pid = pid;
	p->pidfd = pidfd_open(pid, 0);
	if (in_pipe[1] >= 0) {
		p->in_fd = in_pipe[1];
		in_pipe[1] = -1;
	}
	if (out_pipe[0] >= 0) {
		p->out_fd = out_pipe[0];
		out_pipe[0] = -1;
	}
	if (err_pipe[0] >= 0) {
		p->err_fd = err_pipe[0];
		err_pipe[0] = -1;
	}
	rc = 0;

cleanup:
	close_pair(in_pipe);
	close_pair(out_pipe);
	close_pair(err_pipe);
	close_pair(report);
	if (nul_r >= 0)
		close(nul_r);
	if (nul_w >= 0)
		close(nul_w);
	free(env);
	free(path);
	return rc;
}

/*
 * Notices the leader's exit without reaping it: while it is an unreaped
 * zombie its pid, which is also the group id, cannot be recycled, so killing
 * the group afterwards cannot hit a stranger.
 */
static bool leader_exited(struct proc *p)
{
	siginfo_t si;

	if (p->exited || !p->pid)
		return true;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
		if (errno == ECHILD) {
			p->exited = true;
			p->exit_code = -1;
		}
		return p->exited;
	}
	if (si.si_pid != p->pid)
		return false;
	p->exited = true;
	if (si.si_code == CLD_EXITED) {
		p->exit_code = si.si_status;
		p->signal = 0;
	} else {
		p->exit_code = -1;
		p->signal = si.si_status;
	}
	return true;
}

/* Kills what is left of the group, then reaps the leader. */
static void reap(struct proc *p)
{
	if (!p->pid)
		return;
	kill(-p->pid, SIGKILL);
	if (!p->exited) {
		/* SIGKILL cannot be ignored; this wait only blocks if the kernel is wedged. */
		waitpid(p->pid, NULL, 0);
		leader_exited(p);
	} else {
		waitpid(p->pid, NULL, 0);
	}
	if (p->pidfd >= 0) {
		close(p->pidfd);
		p->pidfd = -1;
	}
}

int proc_wait(struct proc *p, int timeout_ms)
{
	long long deadline = proc_now_ms() + timeout_ms;

	for (;;) {
		long long left;
		struct pollfd pfd;

		if (leader_exited(p))
			return 0;
		left = deadline - proc_now_ms();
		if (left <= 0)
			return err_set(ERR_TIMEOUT, "process %d still running after %d ms", (int)p->pid, timeout_ms);
		if (p->pidfd >= 0) {
			pfd.fd = p->pidfd;
			pfd.events = POLLIN;
			poll(&pfd, 1, (int)left);
		} else {
			poll(NULL, 0, left < 20 ? (int)left : 20);
		}
	}
}

void proc_signal(struct proc *p, int sig)
{
	if (p->pid > 0)
		kill(-p->pid, sig);
}

void proc_stop(struct proc *p, int grace_ms)
{
	if (!p->pid)
		return;
	if (!leader_exited(p)) {
		proc_signal(p, SIGTERM);
		proc_wait(p, grace_ms > 0 ? grace_ms : DEFAULT_GRACE_MS);
	}
	reap(p);
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->in_fd = p->out_fd = p->err_fd = -1;
	p->pid = 0;
}

int proc_exit_status(const struct proc *p)
{
	if (!p->exited)
		return -1000;
	return p->signal ? -p->signal : p->exit_code;
}

static void drain(int *fd, struct buf *into)
{
	char chunk[8192];
	ssize_t n;

	for (;;) {
		n = read(*fd, chunk, sizeof(chunk));
		if (n > 0) {
			/* Past the cap the output is dropped but the pipe is still emptied. */
			if (!into->truncated)
				buf_add(into, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EINTR))
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close(*fd);
		*fd = -1;
		return;
	}
}

int proc_run(struct proc_result *res, const struct proc_opts *opts)
{
	struct proc_opts o = *opts;
	long long start = proc_now_ms(), deadline, kill_at = 0;
	int grace = opts->grace_ms > 0 ? opts->grace_ms : DEFAULT_GRACE_MS;
	size_t written = 0;
	bool leader_done = false;
	long long leader_done_at = 0;
	struct proc p;
	struct buf cmd;
	int rc;

	res->out.cap = opts->out_cap ? opts->out_cap : DEFAULT_CAP;
	res->err.cap = opts->err_cap ? opts->err_cap : DEFAULT_CAP;
	res->timed_out = false;
	if (opts->timeout_ms <= 0)
		return err_set(ERR_INVALID, "proc_run of '%s' without a deadline",
			       opts->argv && opts->argv[0] ? opts->argv[0] : "?");
	o.in = opts->input ? PROC_STDIO_PIPE : PROC_STDIO_NULL;
	o.out = PROC_STDIO_PIPE;
	o.err = PROC_STDIO_PIPE;
	rc = proc_spawn(&p, &o);
	if (rc)
		return rc;
	deadline = start + opts->timeout_ms;
	fcntl(p.out_fd, F_SETFL, O_NONBLOCK);
	if (p.err_fd >= 0)
		fcntl(p.err_fd, F_SETFL, O_NONBLOCK);
	if (p.in_fd >= 0) {
		fcntl(p.in_fd, F_SETFL, O_NONBLOCK);
		if (opts->input_len == 0) {
			close(p.in_fd);
			p.in_fd = -1;
		}
	}

	while (p.out_fd >= 0 || p.err_fd >= 0 || !leader_done) {
		struct pollfd pfd[4];
		int n = 0, i_out = -1, i_err = -1, i_in = -1;
		long long now = proc_now_ms(), wake;

		if (!res->timed_out && now >= deadline) {
			res->timed_out = true;
			proc_signal(&p, SIGTERM);
			kill_at = now + grace;
		}
		if (kill_at && now >= kill_at) {
			proc_signal(&p, SIGKILL);
			kill_at = 0;
		}
		/*
		 * A descendant that left the group (setsid) may hold our pipes
		 * open forever: once the leader is gone, or long after the
		 * deadline, stop reading.
		 */
		if ((leader_done && now - leader_done_at > 2000) ||
		    (res->timed_out && now - deadline > grace + 5000))
			break;
		if (p.out_fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = p.out_fd, .events = POLLIN };
			i_out = n++;
		}
		if (p.err_fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = p.err_fd, .events = POLLIN };
			i_err = n++;
		}
		if (p.in_fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = p.in_fd, .events = POLLOUT };
			i_in = n++;
		}
		if (!leader_done && p.pidfd >= 0) {
			pfd[n++] = (struct pollfd){ .fd = p.pidfd, .events = POLLIN };
		}
		wake = res->timed_out ? (kill_at ? kill_at : now + 100) : deadline;
		if (leader_done && wake > leader_done_at + 2001)
			wake = leader_done_at + 2001;
		if (p.pidfd < 0 && !leader_done && wake > now + 20)
			wake = now + 20;
		poll(pfd, (nfds_t)n, wake > now ? (int)(wake - now) : 0);

		if (i_out >= 0 && pfd[i_out].revents)
			drain(&p.out_fd, &res->out);
		if (i_err >= 0 && pfd[i_err].revents)
			drain(&p.err_fd, &res->err);
		if (i_in >= 0 && pfd[i_in].revents) {
			ssize_t w = write(p.in_fd, (const char *)opts->input + written,
					  opts->input_len - written);

			if (w > 0)
				written += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == opts->input_len) {
				close(p.in_fd);
				p.in_fd = -1;
			}
		}
		if (!leader_done && leader_exited(&p)) {
			leader_done = true;
			leader_done_at = proc_now_ms();
			/* Stragglers would hold our pipes open; they go with the leader. */
			reap(&p);
		}
	}

	reap(&p);
	if (p.out_fd >= 0)
		close(p.out_fd);
	if (p.err_fd >= 0)
		close(p.err_fd);
	if (p.in_fd >= 0)
		close(p.in_fd);
	res->duration_ms = (long)(proc_now_ms() - start);
	res->exit_code = p.exit_code;
	res->signal = p.signal;
	if (res->timed_out) {
		buf_init(&cmd, 512);
		proc_describe(&cmd, opts->argv);
		err_set(ERR_TIMEOUT, "'%s' did not finish within %d ms and was killed", cmd.data,
			opts->timeout_ms);
		buf_release(&cmd);
		return ERR_TIMEOUT;
	}
	return 0;
}
