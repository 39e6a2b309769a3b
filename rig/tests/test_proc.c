#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "proc.h"

/* Whether pid is gone: no such process, or a zombie nobody has reaped yet. */
static bool gone(pid_t pid)
{
	char path[64], stat[256];
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (!fgets(stat, sizeof(stat), f)) {
		fclose(f);
		return true;
	}
	fclose(f);
	p = strrchr(stat, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static bool gone_within(pid_t pid, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (gone(pid))
			return true;
		usleep(10000);
	}
	return gone(pid);
}

static void test_captures_output_and_exit_code(void **state)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	struct proc_opts o = { .argv = argv, .timeout_ms = 5000 };
	struct proc_result r;

	(void)state;
	proc_result_init(&r);
	assert_int_equal(proc_run(&r, &o), 0);
	assert_int_equal(r.exit_code, 3);
	assert_int_equal(r.signal, 0);
	assert_false(r.timed_out);
	assert_string_equal(r.out.data, "out\n");
	assert_string_equal(r.err.data, "err\n");
	proc_result_release(&r);
}

static void test_input_env_and_cwd(void **state)
{
	const char *argv[] = { "sh", "-c", "cat; echo \"$RIG_TEST_VAR\"; pwd", NULL };
	const char *env[] = { "RIG_TEST_VAR=value-42", NULL };
	struct proc_opts o = { .argv = argv, .timeout_ms = 5000, .env = env, .cwd = "/",
			       .input = "from stdin\n", .input_len = 11 };
	struct proc_result r;

	(void)state;
	proc_result_init(&r);
	assert_int_equal(proc_run(&r, &o), 0);
	assert_string_equal(r.out.data, "from stdin\nvalue-42\n/\n");
	proc_result_release(&r);
}

static void test_output_cap(void **state)
{
	const char *argv[] = { "head", "-c", "1000000", "/dev/zero", NULL };
	struct proc_opts o = { .argv = argv, .timeout_ms = 5000, .out_cap = 1000 };
	struct proc_result r;

	(void)state;
	proc_result_init(&r);
	/* The child writes far past the cap and still finishes: the pipe is drained. */
	assert_int_equal(proc_run(&r, &o), 0);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.out.len, 1000);
	assert_true(r.out.truncated);
	proc_result_release(&r);
}

static void test_missing_binary(void **state)
{
	const char *argv[] = { "rig-no-such-program", "x", NULL };
	struct proc_opts o = { .argv = argv, .timeout_ms = 1000 };
	struct proc_result r;

	(void)state;
	proc_result_init(&r);
	assert_int_equal(proc_run(&r, &o), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "rig-no-such-program"));
	proc_result_release(&r);
}

static void test_requires_deadline(void **state)
{
	const char *argv[] = { "true", NULL };
	struct proc_opts o = { .argv = argv };
	struct proc_result r;

	(void)state;
	proc_result_init(&r);
	assert_int_equal(proc_run(&r, &o), ERR_INVALID);
	proc_result_release(&r);
}

/*
 * The child ignores SIGTERM and leaves a grandchild (which inherits the
 * ignored SIGTERM); when the deadline passes both must be gone.
 */
static void test_deadline_kills_stubborn_group(void **state)
{
	const char *argv[] = { "sh", "-c", "trap '' TERM; sleep 100 & echo $!; wait; sleep 100", NULL };
	struct proc_opts o = { .argv = argv, .timeout_ms = 300, .grace_ms = 200 };
	struct proc_result r;
	long long start = proc_now_ms();
	pid_t grandchild;

	(void)state;
	proc_result_init(&r);
	assert_int_equal(proc_run(&r, &o), ERR_TIMEOUT);
	assert_true(r.timed_out);
	assert_int_equal(r.signal, SIGKILL);
	assert_non_null(strstr(err_msg(), "did not finish within 300 ms"));
	grandchild = (pid_t)atoi(r.out.data);
	assert_true(grandchild > 1);
	assert_true(gone_within(grandchild, 2000));
	/* Deadline plus grace, with room for a loaded machine; not a minute. */
	assert_true(proc_now_ms() - start < 10000);
	proc_result_release(&r);
}

/*
 * A descendant that leaves the process group (setsid) and keeps stdout open
 * must not keep proc_run waiting once the leader is done.
 */
static void test_escaped_descendant_does_not_hang(void **state)
{
	const char *argv[] = { "sh", "-c", "setsid sh -c 'echo $$; exec sleep 30' & sleep 0.2; exit 0", NULL };
	struct proc_opts o = { .argv = argv, .timeout_ms = 20000 };
	struct proc_result r;
	pid_t escaped;

	(void)state;
	proc_result_init(&r);
	assert_int_equal(proc_run(&r, &o), 0);
	assert_false(r.timed_out);
	assert_int_equal(r.exit_code, 0);
	assert_true(r.duration_ms < 15000);
	escaped = (pid_t)atoi(r.out.data);
	assert_true(escaped > 1);
	kill(escaped, SIGKILL);
	proc_result_release(&r);
}

static void test_spawn_wait_stop(void **state)
{
	const char *argv[] = { "sh", "-c", "echo started; exec sleep 30", NULL };
	struct proc_opts o = { .argv = argv, .out = PROC_STDIO_PIPE, .err_to_out = true };
	struct proc p;
	char line[64] = "";
	ssize_t n;

	(void)state;
	assert_int_equal(proc_spawn(&p, &o), 0);
	n = read(p.out_fd, line, sizeof(line) - 1);
	assert_true(n > 0);
	assert_string_equal(line, "started\n");
	assert_int_equal(proc_wait(&p, 100), ERR_TIMEOUT);
	assert_int_equal(proc_exit_status(&p), -1000);
	{
		pid_t pid = p.pid;

		proc_stop(&p, 1000);
		assert_int_equal(p.pid, 0);
		assert_true(gone(pid));
	}
	assert_int_equal(proc_exit_status(&p), -SIGTERM);
	/* Stopping twice is harmless. */
	proc_stop(&p, 1000);
}

static void test_spawn_exit_status(void **state)
{
	const char *argv[] = { "sh", "-c", "exit 7", NULL };
	struct proc_opts o = { .argv = argv };
	struct proc p;

	(void)state;
	assert_int_equal(proc_spawn(&p, &o), 0);
	assert_int_equal(proc_wait(&p, 5000), 0);
	assert_int_equal(proc_exit_status(&p), 7);
	proc_stop(&p, 100);
	assert_int_equal(proc_exit_status(&p), 7);
}

static void test_bad_cwd_reported(void **state)
{
	const char *argv[] = { "true", NULL };
	struct proc_opts o = { .argv = argv, .cwd = "/no/such/dir/for/rig" };
	struct proc p;

	(void)state;
	assert_int_equal(proc_spawn(&p, &o), ERR_IO);
	assert_non_null(strstr(err_msg(), "No such file"));
}

/*
 * The mount tests change mounts, so the test process first moves into a
 * mount namespace of its own, cut from the host's (private) and then made
 * shared again: a child that forgot to make its copy private would then
 * propagate its mounts back to us, which is what the tests look for.
 * Without CAP_SYS_ADMIN they are skipped.
 */
static int mount_sandbox(char *dir, size_t len)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		return -1;
	snprintf(dir, len, "/tmp/rig-proc-mnt-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static bool is_mount_point(const char *dir)
{
	char parent[512];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s/..", dir);
	return stat(dir, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

static void test_private_mounts(void **state)
{
	char dir[64], marker[128], child_dir[128];
	const char *unmount[] = { NULL, "/no/such/mount/point", NULL };
	const char *argv[] = { "sh", "-c", "", NULL };
	char script[512];
	struct proc_opts o = { .argv = argv, .timeout_ms = 5000, .unmount = unmount };
	struct proc_result r;
	FILE *f;

	(void)state;
	if (mount_sandbox(dir, sizeof(dir)) < 0)
		skip();
	assert_int_equal(mount("rig-test", dir, "tmpfs", 0, "size=1m"), 0);
	snprintf(marker, sizeof(marker), "%s/marker", dir);
	f = fopen(marker, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(child_dir, sizeof(child_dir), "%s/child", dir);
	assert_int_equal(mkdir(child_dir, 0755), 0);

	/*
	 * In the child the tmpfs is detached (the marker is gone) and a tmpfs
	 * it mounts itself stays its own; a path that is no mount point is
	 * skipped without complaint.
	 */
	unmount[0] = dir;
	snprintf(script, sizeof(script),
		 "test -e %s && echo visible || echo detached; mkdir -p %s && mount -t tmpfs x %s && echo mounted",
		 marker, child_dir, child_dir);
	argv[2] = script;
	proc_result_init(&r);
	assert_int_equal(proc_run(&r, &o), 0);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.out.data, "detached\nmounted\n");
	proc_result_release(&r);
	/* The rig's view is untouched: its tmpfs is there, the child's is not. */
	assert_int_equal(access(marker, F_OK), 0);
	assert_false(is_mount_point(child_dir));

	/* Without the option the same mount reaches us: the check above means something. */
	o.unmount = NULL;
	snprintf(script, sizeof(script), "mount -t tmpfs x %s", child_dir);
	proc_result_init(&r);
	assert_int_equal(proc_run(&r, &o), 0);
	assert_int_equal(r.exit_code, 0);
	proc_result_release(&r);
	assert_true(is_mount_point(child_dir));
	umount2(child_dir, MNT_DETACH);
	umount2(dir, MNT_DETACH);
	/* The first child made child_dir beneath the tmpfs it no longer saw. */
	rmdir(child_dir);
	rmdir(dir);
}

static void test_private_mounts_failure_named(void **state)
{
	char dir[64], longpath[300];
	const char *unmount[] = { longpath, NULL };
	const char *argv[] = { "true", NULL };
	struct proc_opts o = { .argv = argv, .timeout_ms = 5000, .unmount = unmount };
	struct proc_result r;

	(void)state;
	if (mount_sandbox(dir, sizeof(dir)) < 0)
		skip();
	rmdir(dir);
	/* A name longer than NAME_MAX: umount2 fails with ENAMETOOLONG, which must be reported. */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	proc_result_init(&r);
	assert_int_equal(proc_run(&r, &o), ERR_IO);
	assert_non_null(strstr(err_msg(), "starting 'true': unmounting /aaa"));
	assert_non_null(strstr(err_msg(), "too long"));
	proc_result_release(&r);
}

/* A child spawned with die_with_parent goes when the process that spawned it dies unawares. */
static void test_die_with_parent(void **state)
{
	const char *argv[] = { "sleep", "30", NULL };
	struct proc_opts o = { .argv = argv, .die_with_parent = true };
	int fds[2];
	pid_t middle, child = 0;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	middle = fork();
	assert_true(middle >= 0);
	if (middle == 0) {
		struct proc p;

		close(fds[0]);
		if (proc_spawn(&p, &o) == 0 && write(fds[1], &p.pid, sizeof(p.pid)) > 0)
			_exit(0);	/* dies without proc_stop */
		_exit(1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &child, sizeof(child)), sizeof(child));
	close(fds[0]);
	assert_int_equal(waitpid(middle, NULL, 0), middle);
	assert_true(gone_within(child, 5000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_captures_output_and_exit_code),
		cmocka_unit_test(test_input_env_and_cwd),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_missing_binary),
		cmocka_unit_test(test_requires_deadline),
		cmocka_unit_test(test_deadline_kills_stubborn_group),
		cmocka_unit_test(test_escaped_descendant_does_not_hang),
		cmocka_unit_test(test_spawn_wait_stop),
		cmocka_unit_test(test_spawn_exit_status),
		cmocka_unit_test(test_bad_cwd_reported),
		cmocka_unit_test(test_private_mounts),
		cmocka_unit_test(test_private_mounts_failure_named),
		cmocka_unit_test(test_die_with_parent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
