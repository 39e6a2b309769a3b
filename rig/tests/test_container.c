/*
 * container without a container engine: hashing of image folders, the argv
 * a run gets with podman and with docker, host detection, and the
 * infrastructure errors of a missing runtime or an unreachable docker engine.
 * test_container_podman.c runs the real thing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "err.h"
#include "proc.h"

struct fixture {
	char root[64];		/* a scratch folder */
	char data[128];		/* data dir */
	char images[128];	/* a containers/ folder */
};

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[256];

	snprintf(fx->root, sizeof(fx->root), "/tmp/rig-container-unit-XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	snprintf(fx->data, sizeof(fx->data), "%s/data", fx->root);
	snprintf(fx->images, sizeof(fx->images), "%s/containers", fx->root);
	mkdir(fx->images, 0755);
	snprintf(path, sizeof(path), "%s/tiny", fx->images);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/tiny/Containerfile", fx->images);
	write_text(path, "FROM localhost/rig-base:bookworm\n", 0644);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	const char *argv[] = { "rm", "-rf", fx->root, NULL };
	struct proc_opts o = { .argv = argv, .timeout_ms = 10000 };
	struct proc_result r;

	proc_result_init(&r);
	proc_run(&r, &o);
	proc_result_release(&r);
	free(fx);
	return 0;
}

static void init_ctx(struct container *c, const struct fixture *fx, const char *runtime, const char *program)
{
	struct container_opts o = {
		.runtime = runtime, .program = program, .containers_dir = fx->images, .data_dir = fx->data,
		.cpus = 2, .pids = 64, .memory = "512m", .run_timeout_ms = 5000,
	};

	assert_int_equal(container_init(c, &o), 0);
}

/* Makes a small tree under dir; order says which entry is written first. */
static void make_tree(const char *dir, bool reversed)
{
	char path[256];

	mkdir(dir, 0755);
	for (int i = 0; i < 2; i++) {
		if ((i == 0) != reversed) {
			snprintf(path, sizeof(path), "%s/Containerfile", dir);
			write_text(path, "FROM localhost/rig-base:bookworm\nCOPY run.sh /\n", 0644);
		} else {
			snprintf(path, sizeof(path), "%s/files", dir);
			mkdir(path, 0755);
			snprintf(path, sizeof(path), "%s/files/run.sh", dir);
			write_text(path, "#!/bin/sh\necho hi\n", 0755);
			snprintf(path, sizeof(path), "%s/link", dir);
			symlink("files/run.sh", path);
		}
	}
}

static void hash_of(char hex[65], const char *dir)
{
	assert_int_equal(container_hash_dir(hex, dir), 0);
	assert_int_equal(strlen(hex), 64);
}

static void test_hash_is_stable_and_sensitive(void **state)
{
	struct fixture *fx = *state;
	char a[256], b[256], path[300], ha[65], hb[65], h[65];

	snprintf(a, sizeof(a), "%s/a", fx->root);
	snprintf(b, sizeof(b), "%s/b", fx->root);
	make_tree(a, false);
	make_tree(b, true);
	hash_of(ha, a);
	hash_of(hb, b);
	/* Creation order (and so readdir order) does not matter. */
	assert_string_equal(ha, hb);

	/* Group-write is not something git keeps: same hash. */
	snprintf(path, sizeof(path), "%s/Containerfile", b);
	chmod(path, 0664);
	hash_of(h, b);
	assert_string_equal(h, ha);

	/* The executable bit is. */
	chmod(path, 0755);
	hash_of(h, b);
	assert_string_not_equal(h, ha);
	chmod(path, 0644);

	/* So are the bytes… */
	write_text(path, "FROM localhost/rig-base:bookworm\nCOPY run.sh /\n# edited\n", 0644);
	hash_of(h, b);
	assert_string_not_equal(h, ha);
	write_text(path, "FROM localhost/rig-base:bookworm\nCOPY run.sh /\n", 0644);
	hash_of(h, b);
	assert_string_equal(h, ha);

	/* …names, empty folders and link targets. */
	snprintf(path, sizeof(path), "%s/empty", b);
	mkdir(path, 0755);
	hash_of(h, b);
	assert_string_not_equal(h, ha);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/link", b);
	unlink(path);
	symlink("files/other.sh", path);
	hash_of(h, b);
	assert_string_not_equal(h, ha);
	unlink(path);
	symlink("files/run.sh", path);
	hash_of(h, b);
	assert_string_equal(h, ha);
}

static void test_hash_rejects_odd_entries(void **state)
{
	struct fixture *fx = *state;
	char dir[256], path[300], h[65];

	snprintf(dir, sizeof(dir), "%s/fifo", fx->root);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/pipe", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(container_hash_dir(h, dir), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "not a file, folder or link"));

	snprintf(dir, sizeof(dir), "%s/no-such-folder", fx->root);
	assert_int_equal(container_hash_dir(h, dir), ERR_NOTFOUND);
}

static bool has_pair(char **argv, const char *flag, const char *value)
{
	for (size_t i = 0; argv[i] && argv[i + 1]; i++)
		if (strcmp(argv[i], flag) == 0 && strcmp(argv[i + 1], value) == 0)
			return true;
	return false;
}

static bool has(char **argv, const char *word)
{
	for (size_t i = 0; argv[i]; i++)
		if (strcmp(argv[i], word) == 0)
			return true;
	return false;
}

static void check_run_argv(const struct fixture *fx, const char *runtime, const char *program)
{
	const char *recipe[] = { "make", "-C", "/src/kernel", "O=/out", NULL };
	const char *env[] = { "BOARD=vm-arm", NULL };
	struct container_run run = { .image = "localhost/rig-kernel-build:0123456789ab", .argv = recipe,
				     .src_dir = "/work/src", .out_dir = "/work/out", .env = env };
	struct container c;
	char **argv;
	char user[64];
	size_t n;

	init_ctx(&c, fx, runtime, program);
	assert_int_equal(container_run_argv(&argv, &c, &run, "rig-test-1"), 0);
	assert_string_equal(argv[0], program);
	assert_string_equal(argv[1], "run");
	assert_true(has(argv, "--rm"));
	assert_true(has_pair(argv, "--name", "rig-test-1"));
	assert_true(has_pair(argv, "--network", "none"));
	assert_true(has(argv, "--read-only"));
	assert_true(has_pair(argv, "--tmpfs", "/tmp:rw,exec,nosuid,nodev,mode=1777"));
	assert_true(has_pair(argv, "--cap-drop", "all"));
	assert_true(has_pair(argv, "--cpus", "2"));
	assert_true(has_pair(argv, "--memory", "512m"));
	assert_true(has_pair(argv, "--memory-swap", "512m"));
	assert_true(has_pair(argv, "--pids-limit", "64"));
	assert_true(has_pair(argv, "-v", "/work/src:/src:ro"));
	assert_true(has_pair(argv, "-v", "/work/out:/out:rw"));
	assert_true(has_pair(argv, "-w", "/src"));
	assert_true(has_pair(argv, "-e", "BOARD=vm-arm"));
	snprintf(user, sizeof(user), "%u:%u", (unsigned)getuid(), (unsigned)getgid());
	assert_true(has_pair(argv, "--user", user));
	/* The image, then the recipe exactly as given, last. */
	for (n = 0; argv[n]; n++)
		;
	assert_true(n > 5);
	assert_string_equal(argv[n - 5], "localhost/rig-kernel-build:0123456789ab");
	assert_string_equal(argv[n - 4], "make");
	assert_string_equal(argv[n - 1], "O=/out");
	container_argv_free(argv);

	/* Paths the runtime's -v syntax would misread are refused, not mangled. */
	run.src_dir = "/work/a:b";
	assert_int_equal(container_run_argv(&argv, &c, &run, "rig-test-1"), ERR_INVALID);
	assert_null(argv);
	run.src_dir = "relative/src";
	assert_int_equal(container_run_argv(&argv, &c, &run, "rig-test-1"), ERR_INVALID);
	run.src_dir = "/work/src";
	env[0] = "NOT-AN-ASSIGNMENT";
	assert_int_equal(container_run_argv(&argv, &c, &run, "rig-test-1"), ERR_INVALID);
	container_release(&c);
}

static void test_run_argv_podman_and_docker(void **state)
{
	check_run_argv(*state, "podman", "podman");
	check_run_argv(*state, "docker", "/usr/bin/docker");
}

static void test_unknown_runtime(void **state)
{
	struct fixture *fx = *state;
	struct container_opts o = { .runtime = "lxc", .containers_dir = fx->images, .data_dir = fx->data };
	struct container c;

	assert_int_equal(container_init(&c, &o), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "podman or docker"));
}

/* What the probe says must match the mount table. */
static void test_host_probe(void **state)
{
	struct container_host h;
	char line[512];
	bool v2_root = false, v2_unified = false;
	FILE *f;

	(void)state;
	container_host_probe(&h);
	f = fopen("/proc/self/mounts", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, " /sys/fs/cgroup cgroup2 "))
			v2_root = true;
		if (strstr(line, " /sys/fs/cgroup/unified cgroup2 "))
			v2_unified = true;
	}
	fclose(f);
	assert_int_equal(h.cgroup_hybrid, !v2_root && v2_unified);
	print_message("# this host: cgroup %s, rlimits %s\n", h.cgroup_hybrid ? "hybrid" : "not hybrid",
		      h.ulimits_blocked ? "blocked" : "free");
}

static void test_containers_conf_written_when_needed(void **state)
{
	struct fixture *fx = *state;
	struct container c;
	char path[256], text[512] = "";
	FILE *f;
	size_t n;

	unsetenv("CONTAINERS_CONF");
	init_ctx(&c, fx, "podman", NULL);
	snprintf(path, sizeof(path), "%s/podman/containers.conf", fx->data);
	if (!c.host.ulimits_blocked) {
		assert_null(c.conf_env);
		container_release(&c);
		skip();
	}
	assert_non_null(c.conf_env);
	assert_non_null(strstr(c.conf_env, path));
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_non_null(strstr(text, "[containers]\ndefault_ulimits = []\n"));
	container_release(&c);

	/* An operator's own CONTAINERS_CONF wins; docker never needs one. */
	setenv("CONTAINERS_CONF", "/etc/containers/mine.conf", 1);
	init_ctx(&c, fx, "podman", NULL);
	assert_null(c.conf_env);
	container_release(&c);
	unsetenv("CONTAINERS_CONF");
	init_ctx(&c, fx, "docker", NULL);
	assert_null(c.conf_env);
	container_release(&c);
}

static void test_bad_image_names(void **state)
{
	struct fixture *fx = *state;
	static const char *const bad[] = { "", "Kernel", "../etc", "a/b", "-x", "has space", NULL };
	struct container_image img;
	struct container c;

	init_ctx(&c, fx, "podman", "rig-no-such-runtime");
	container_image_init(&img);
	for (int i = 0; bad[i]; i++) {
		assert_int_equal(container_image_ensure(&img, &c, bad[i]), ERR_INVALID);
		assert_int_equal(img.error, CONTAINER_ERR_SETUP);
	}
	/* A folder without a Containerfile is the configuration's fault, named. */
	assert_int_equal(container_image_ensure(&img, &c, "missing"), ERR_NOTFOUND);
	assert_int_equal(img.error, CONTAINER_ERR_SETUP);
	assert_non_null(strstr(err_msg(), "missing/Containerfile"));
	container_image_release(&img);
	container_release(&c);
}

static void test_missing_runtime_is_infrastructure(void **state)
{
	struct fixture *fx = *state;
	const char *recipe[] = { "true", NULL };
	struct container_run run = { .image = "localhost/rig-tiny:0", .argv = recipe };
	struct container_image img;
	struct container_result res;
	struct container c;
	char out[256];

	init_ctx(&c, fx, "podman", "rig-no-such-runtime");
	container_image_init(&img);
	assert_int_equal(container_image_ensure(&img, &c, "tiny"), ERR_NOTFOUND);
	assert_int_equal(img.error, CONTAINER_ERR_RUNTIME);
	assert_non_null(strstr(err_msg(), "image tiny: container runtime podman: 'rig-no-such-runtime' not found"));
	/* The tag was worked out before the runtime was needed. */
	assert_non_null(img.tag);
	assert_int_equal(strncmp(img.tag, "localhost/rig-tiny:", 19), 0);
	assert_int_equal(strlen(img.tag), 19 + 12);
	container_image_release(&img);

	snprintf(out, sizeof(out), "%s/out", fx->root);
	run.src_dir = fx->images;
	run.out_dir = out;
	container_result_init(&res);
	assert_int_equal(container_run(&res, &c, &run), ERR_NOTFOUND);
	assert_int_equal(res.status, CONTAINER_ERROR);
	assert_int_equal(res.error, CONTAINER_ERR_RUNTIME);
	assert_string_equal(container_status_name(res.status), "error");
	assert_string_equal(container_error_name(res.error), "runtime");
	assert_non_null(strstr(err_msg(), "rig-no-such-runtime"));
	container_result_release(&res);
	container_release(&c);
}

/* The docker CLI is here but no engine runs: a clear infrastructure error. */
static void test_docker_without_engine(void **state)
{
	struct fixture *fx = *state;
	const char *probe[] = { "docker", "version", "--format", "{{.Server.Version}}", NULL };
	struct proc_opts po = { .argv = probe, .timeout_ms = 20000 };
	const char *recipe[] = { "true", NULL };
	struct container_run run = { .image = "localhost/rig-tiny:0", .argv = recipe };
	struct container_image img;
	struct container_result res;
	struct proc_result pr;
	struct container c;
	char out[256];
	int rc;

	proc_result_init(&pr);
	rc = proc_run(&pr, &po);
	if (rc == 0 && pr.exit_code == 0)
		rc = ERR_EXISTS;
	proc_result_release(&pr);
	if (rc != 0) {
		print_message("# docker CLI missing, or an engine answers: nothing to test here\n");
		skip();
	}
	init_ctx(&c, fx, "docker", NULL);
	container_image_init(&img);
	assert_true(container_image_ensure(&img, &c, "tiny") < 0);
	assert_int_equal(img.error, CONTAINER_ERR_RUNTIME);
	assert_non_null(strstr(err_msg(), "Cannot connect to the Docker daemon"));
	container_image_release(&img);

	snprintf(out, sizeof(out), "%s/out", fx->root);
	run.src_dir = fx->images;
	run.out_dir = out;
	container_result_init(&res);
	assert_true(container_run(&res, &c, &run) < 0);
	assert_int_equal(res.status, CONTAINER_ERROR);
	assert_int_equal(res.error, CONTAINER_ERR_RUNTIME);
	assert_non_null(strstr(err_msg(), "did not start"));
	assert_non_null(strstr(res.output.data, "Cannot connect to the Docker daemon"));
	container_result_release(&res);
	container_release(&c);
}

static void test_run_setup_errors(void **state)
{
	struct fixture *fx = *state;
	const char *recipe[] = { "true", NULL };
	struct container_run run = { .image = "localhost/rig-tiny:0", .argv = recipe,
				     .src_dir = "/no/such/source", .out_dir = "/tmp" };
	struct container_result res;
	struct container c;

	init_ctx(&c, fx, "podman", "rig-no-such-runtime");
	container_result_init(&res);
	assert_int_equal(container_run(&res, &c, &run), ERR_NOTFOUND);
	assert_int_equal(res.error, CONTAINER_ERR_SETUP);
	assert_non_null(strstr(err_msg(), "source folder /no/such/source"));
	container_result_release(&res);
	container_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_is_stable_and_sensitive),
		cmocka_unit_test(test_hash_rejects_odd_entries),
		cmocka_unit_test(test_run_argv_podman_and_docker),
		cmocka_unit_test(test_unknown_runtime),
		cmocka_unit_test(test_host_probe),
		cmocka_unit_test(test_containers_conf_written_when_needed),
		cmocka_unit_test(test_bad_image_names),
		cmocka_unit_test(test_missing_runtime_is_infrastructure),
		cmocka_unit_test(test_docker_without_engine),
		cmocka_unit_test(test_run_setup_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
