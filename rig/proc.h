/*
 * proc: every subprocess the rig starts (podman, openocd, qemu, uhubctl, git
 * daemon in tests) goes through here.
 *
 * A child gets an argv array (never a shell), its own process group (so a
 * deadline or a stop reaches its grandchildren too), stdio wired as asked,
 * every other descriptor closed, and default signal dispositions. Paths are
 * resolved in the parent, so a missing binary is reported as ERR_NOTFOUND
 * before anything forks.
 *
 * On request (private_mounts, unmount) the child also gets a private mount
 * namespace in which given paths are detached before exec: this is how podman
 * runs on a host whose cgroup layout crun rejects (see container.h), without
 * a shell and without touching the rig's own mounts.
 *
 * Two ways in:
 *  - proc_run(): run to completion with a deadline, capturing stdout/stderr up
 *    to a cap. When the deadline passes the group gets SIGTERM, then SIGKILL
 *    after grace_ms. When the leader exits, stragglers left in its group are
 *    killed: a finished command leaves nothing behind.
 *  - proc_spawn() for long-lived children (QEMU, a virtual board), then
 *    proc_wait() with a timeout and proc_stop(), which always ends with the
 *    whole group gone and the leader reaped.
 */
#ifndef RIG_PROC_H
#define RIG_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

enum proc_stdio {
	PROC_STDIO_NULL = 0,	/* /dev/null */
	PROC_STDIO_PIPE,	/* a pipe whose parent end is in struct proc */
	PROC_STDIO_FD,		/* the descriptor given in *_fd */
	PROC_STDIO_INHERIT,
};

struct proc_opts {
	const char *const *argv;	/* required; argv[0] searched in PATH */
	const char *cwd;		/* NULL: the rig's */
	const char *const *env;		/* NULL-terminated NAME=VALUE added or replaced */

	/*
	 * The child unshares its mount namespace and makes / recursively
	 * private, so nothing it mounts or unmounts reaches the rig; then each
	 * path of unmount (NULL-terminated, may be NULL) is detached
	 * (MNT_DETACH). A path that is not a mount point is skipped. Needs
	 * CAP_SYS_ADMIN; a failure is reported by proc_spawn/proc_run, naming
	 * the step.
	 */
	bool private_mounts;
	const char *const *unmount;

	/* proc_spawn only */
	enum proc_stdio in, out, err;
	int in_fd, out_fd, err_fd;
	bool err_to_out;		/* stderr goes where stdout goes */
	bool die_with_parent;		/* SIGKILLed if the rig dies without stopping it */

	/* proc_run only */
	const void *input;		/* written to stdin then closed; NULL: /dev/null */
	size_t input_len;
	int timeout_ms;			/* required, > 0: every wait has a deadline */
	int grace_ms;			/* SIGTERM to SIGKILL; 0 means 1000 */
	size_t out_cap, err_cap;	/* 0 means 1 MiB each */
};

struct proc_result {
	int exit_code;		/* valid when signal == 0 */
	int signal;		/* the signal that ended the leader, or 0 */
	bool timed_out;
	long duration_ms;
	struct buf out;		/* stdout (and stderr when err_to_out) */
	struct buf err;
};

struct proc {
	pid_t pid;		/* also the process group id; 0 when none */
	int pidfd;
	int in_fd, out_fd, err_fd;	/* parent ends of pipes, or -1 */
	bool exited;		/* the leader has exited (it may not be reaped yet) */
	int exit_code;		/* valid once exited, when signal == 0 */
	int signal;		/* the signal that ended the leader, or 0 */
};

void proc_result_init(struct proc_result *res);
void proc_result_release(struct proc_result *res);

/*
 * Runs opts->argv to completion. Returns 0 when the command ran and exited
 * (whatever its exit code: see res), ERR_TIMEOUT when the deadline killed it
 * (res still filled), ERR_NOTFOUND when argv[0] is missing, ERR_IO otherwise.
 */
int proc_run(struct proc_result *res, const struct proc_opts *opts);

int proc_spawn(struct proc *p, const struct proc_opts *opts);
/* Waits up to timeout_ms for the leader; 0 when it has exited, else ERR_TIMEOUT. */
int proc_wait(struct proc *p, int timeout_ms);
/* SIGTERM to the group, SIGKILL after grace_ms, reap, close pipes. Idempotent. */
void proc_stop(struct proc *p, int grace_ms);
/* Sends sig to the whole group if it still exists. */
void proc_signal(struct proc *p, int sig);
/* Exit code of an exited leader, or -signal; -1000 while it runs. */
int proc_exit_status(const struct proc *p);

/* "podman run --rm …" for messages: argv joined, long lists elided. */
void proc_describe(struct buf *out, const char *const *argv);

/* Searches PATH like execvp; returns a malloc'd path or NULL with the last error set. */
char *proc_which(const char *name);

/* Milliseconds of CLOCK_MONOTONIC. */
long long proc_now_ms(void);

#endif
