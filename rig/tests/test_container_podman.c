/*
 * container with the real podman: the project's kernel-build image built once
 * and then found by its tag, an edited Containerfile giving a new tag, and
 * recipes in that image — writing /out, refused /src and network, killed at
 * their deadline, failing as the change's fault, or not starting at all.
 *
 * CI starts without images, so the first ensure also makes the base image
 * (scripts/bootstrap-base-image.sh); the times are printed as "# " lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "container.h"
#include "err.h"
#include "proc.h"

struct fixture {
	char root[64];
	char data[128], images[128], src[128];
	struct container project;	/* the project's containers/ */
	struct container scratch;	/* copies of data/container/images */
	char *kernel_tag;
};

static int run_cmd(struct proc_result *r, const char *const *argv)
{
	struct proc_opts o = { .argv = argv, .timeout_ms = 120000, .err_to_out = true };

	proc_result_init(r);
	return proc_run(r, &o);
}

static void run_ok(const char *const *argv)
{
	struct proc_result r;

	assert_int_equal(run_cmd(&r, argv), 0);
	if (r.exit_code != 0)
		print_message("# %s: %s\n", argv[0], r.out.data);
	assert_int_equal(r.exit_code, 0);
	proc_result_release(&r);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char containers[512], images[512];
	struct container_opts o = { .cpus = 2, .memory = "1g", .pids = 256 };

	if (!fx)
		return -1;
	snprintf(fx->root, sizeof(fx->root), "/tmp/rig-container-podman-XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	snprintf(fx->data, sizeof(fx->data), "%s/data", fx->root);
	snprintf(fx->images, sizeof(fx->images), "%s/containers", fx->root);
	snprintf(fx->src, sizeof(fx->src), "%s/src", fx->root);
	snprintf(images, sizeof(images), "%s/container/images", TEST_DATA);
	{
		char src[512];
		const char *cp_images[] = { "cp", "-r", images, fx->images, NULL };
		const char *cp_src[] = { "cp", "-r", src, fx->src, NULL };

		snprintf(src, sizeof(src), "%s/container/src", TEST_DATA);
		run_ok(cp_images);
		run_ok(cp_src);
	}
	snprintf(containers, sizeof(containers), "%s/containers", config_project_root());
	o.data_dir = fx->data;
	o.containers_dir = containers;
	if (container_init(&fx->project, &o) != 0)
		return -1;
	o.containers_dir = fx->images;
	if (container_init(&fx->scratch, &o) != 0)
		return -1;
	print_message("# podman workaround here: %s%s\n",
		      fx->project.host.cgroup_hybrid ? "private mount namespace without /sys/fs/cgroup/unified; " : "",
		      fx->project.conf_env ? fx->project.conf_env : "no CONTAINERS_CONF");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	const char *rm[] = { "rm", "-rf", fx->root, NULL };
	struct proc_result r;

	run_cmd(&r, rm);
	proc_result_release(&r);
	container_release(&fx->project);
	container_release(&fx->scratch);
	free(fx->kernel_tag);
	free(fx);
	return 0;
}

/* The kernel-build image's tag, ensured once per test run. */
static const char *kernel_image(struct fixture *fx)
{
	struct container_image img;

	if (fx->kernel_tag)
		return fx->kernel_tag;
	container_image_init(&img);
	if (container_image_ensure(&img, &fx->project, "kernel-build") != 0)
		fail_msg("kernel-build: %s", err_msg());
	fx->kernel_tag = strdup(img.tag);
	container_image_release(&img);
	return fx->kernel_tag;
}

static bool container_exists(const char *name)
{
	char filter[256];
	const char *argv[] = { "podman", "ps", "--all", "--filter", filter, "--format", "{{.Names}}", NULL };
	struct proc_result r;
	bool found;

	snprintf(filter, sizeof(filter), "name=^%s$", name);
	assert_int_equal(run_cmd(&r, argv), 0);
	assert_int_equal(r.exit_code, 0);
	found = strstr(r.out.data, name) != NULL;
	proc_result_release(&r);
	return found;
}

static void test_image_built_once_then_cached(void **state)
{
	struct fixture *fx = *state;
	struct container_image first, second;

	container_image_init(&first);
	container_image_init(&second);
	if (container_image_ensure(&first, &fx->project, "kernel-build") != 0)
		fail_msg("kernel-build: %s", err_msg());
	assert_int_equal(first.error, CONTAINER_ERR_NONE);
	assert_int_equal(strncmp(first.tag, "localhost/rig-kernel-build:", 27), 0);
	assert_int_equal(strlen(first.id), 64);
	if (first.built)
		print_message("# kernel-build built in %.1f s (base image step %.1f s), log %s\n",
			      first.duration_ms / 1000.0, first.base_ms / 1000.0, first.log_path);
	else
		print_message("# kernel-build was already there (%ld ms)\n", first.duration_ms);

	assert_int_equal(container_image_ensure(&second, &fx->project, "kernel-build"), 0);
	assert_false(second.built);
	assert_string_equal(second.tag, first.tag);
	assert_string_equal(second.id, first.id);
	assert_null(second.log_path);
	print_message("# cached ensure of kernel-build: %ld ms\n", second.duration_ms);
	/* One inspect call: quick even on a loaded two-core machine. */
	assert_true(second.duration_ms < 10000);
	fx->kernel_tag = strdup(first.tag);
	container_image_release(&first);
	container_image_release(&second);
}

struct ensure_job {
	const struct container *c;
	const char *name;
	struct container_image img;
	int rc;
	char msg[ERR_MSG_MAX];
};

static void *ensure_thread(void *arg)
{
	struct ensure_job *job = arg;

	job->rc = container_image_ensure(&job->img, job->c, job->name);
	snprintf(job->msg, sizeof(job->msg), "%s", job->rc ? err_msg() : "");
	return NULL;
}

static void test_edited_containerfile_gets_new_tag(void **state)
{
	struct fixture *fx = *state;
	struct container_image before, again;
	struct ensure_job jobs[2] = { { .c = &fx->scratch, .name = "tiny" }, { .c = &fx->scratch, .name = "tiny" } };
	pthread_t threads[2];
	struct container_image *after;
	char path[256], nonce[128];
	FILE *f;

	container_image_init(&before);
	container_image_init(&again);
	if (container_image_ensure(&before, &fx->scratch, "tiny") != 0)
		fail_msg("tiny: %s", err_msg());

	/* A change no earlier run made, so the new tag cannot exist yet. */
	snprintf(path, sizeof(path), "%s/tiny/Containerfile", fx->images);
	f = fopen(path, "a");
	assert_non_null(f);
	snprintf(nonce, sizeof(nonce), "LABEL rig.test.nonce=\"%d-%lld\"\n", (int)getpid(), proc_now_ms());
	fputs(nonce, f);
	fclose(f);
	/* Two threads sharing one context want it at once: one builds, one waits and finds it. */
	for (int i = 0; i < 2; i++) {
		container_image_init(&jobs[i].img);
		assert_int_equal(pthread_create(&threads[i], NULL, ensure_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(threads[i], NULL);
		if (jobs[i].rc != 0)
			fail_msg("tiny edited: %s", jobs[i].msg);
	}
	assert_true(jobs[0].img.built != jobs[1].img.built);
	assert_string_equal(jobs[0].img.id, jobs[1].img.id);
	after = jobs[0].img.built ? &jobs[0].img : &jobs[1].img;
	assert_string_not_equal(after->tag, before.tag);
	assert_string_not_equal(after->id, before.id);
	assert_non_null(after->log_path);
	assert_int_equal(access(after->log_path, R_OK), 0);
	print_message("# edited tiny image built in %ld ms\n", after->duration_ms);

	/* Unchanged since: found, not built. */
	assert_int_equal(container_image_ensure(&again, &fx->scratch, "tiny"), 0);
	assert_false(again.built);
	assert_string_equal(again.tag, after->tag);
	{
		const char *rmi[] = { "podman", "rmi", "--force", after->tag, NULL };

		run_ok(rmi);
	}
	container_image_release(&before);
	container_image_release(&jobs[0].img);
	container_image_release(&jobs[1].img);
	container_image_release(&again);
}

static void run_recipe(struct container_result *res, struct fixture *fx, const char *const *argv,
		       const char *out, int timeout_ms, int expect_rc)
{
	char outdir[256];
	struct container_run run = { .image = kernel_image(fx), .argv = argv, .src_dir = fx->src,
				     .out_dir = outdir, .timeout_ms = timeout_ms };
	int rc;

	snprintf(outdir, sizeof(outdir), "%s/%s", fx->root, out);
	container_result_init(res);
	rc = container_run(res, &fx->project, &run);
	if (rc != expect_rc)
		fail_msg("run returned %d, not %d: %s\noutput:\n%s", rc, expect_rc, rc ? err_msg() : "",
			 res->output.data);
}

static void test_recipe_writes_out(void **state)
{
	struct fixture *fx = *state;
	const char *make[] = { "make", "-C", "/src/kernel", "O=/out", NULL };
	const char *trivial[] = { "true", NULL };
	struct container_result res;
	unsigned char elf[20];
	char path[256];
	struct stat st;
	FILE *f;

	run_recipe(&res, fx, make, "out-make", 0, 0);
	assert_int_equal(res.status, CONTAINER_OK);
	assert_int_equal(res.exit_code, 0);
	print_message("# make in kernel-build: %ld ms\n", res.duration_ms);
	container_result_release(&res);

	snprintf(path, sizeof(path), "%s/out-make/kernel.elf", fx->root);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(elf, 1, sizeof(elf), f), sizeof(elf));
	fclose(f);
	assert_memory_equal(elf, "\x7f" "ELF", 4);
	assert_int_equal(elf[18], 40);	/* e_machine: EM_ARM */
	snprintf(path, sizeof(path), "%s/out-make/kernel.bin", fx->root);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 0);
	/* Owned by the rig, not by some id from inside the container. */
	assert_int_equal(st.st_uid, getuid());

	run_recipe(&res, fx, trivial, "out-trivial", 0, 0);
	assert_int_equal(res.status, CONTAINER_OK);
	print_message("# trivial recipe (true): %ld ms\n", res.duration_ms);
	container_result_release(&res);
}

static void test_recipe_cannot_write_src_or_root(void **state)
{
	struct fixture *fx = *state;
	const char *argv[] = { "sh", "-c",
			       "touch /src/new 2>&1; touch /etc/new 2>&1; touch /tmp/new && echo tmp-ok; touch /src/new",
			       NULL };
	struct container_result res;
	char path[256];

	run_recipe(&res, fx, argv, "out-ro", 0, 0);
	assert_int_equal(res.status, CONTAINER_FAIL);
	assert_int_equal(res.exit_code, 1);
	assert_non_null(strstr(res.output.data, "touch: cannot touch '/src/new': Read-only file system"));
	assert_non_null(strstr(res.output.data, "touch: cannot touch '/etc/new': Read-only file system"));
	assert_non_null(strstr(res.output.data, "tmp-ok"));
	container_result_release(&res);
	snprintf(path, sizeof(path), "%s/new", fx->src);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_recipe_has_no_network(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	char script[256];
	const char *argv[] = { "bash", "-c", script, NULL };
	struct container_result res;
	int lsock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	/* A listener on the host's loopback: with any network but none it would be reached. */
	assert_true(lsock >= 0);
	assert_int_equal(bind(lsock, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(lsock, 4), 0);
	assert_int_equal(getsockname(lsock, (struct sockaddr *)&addr, &len), 0);
	snprintf(script, sizeof(script),
		 "ls /sys/class/net; if (exec 3<>/dev/tcp/127.0.0.1/%d) 2>/dev/null; then echo reached; "
		 "else echo unreachable; fi",
		 ntohs(addr.sin_port));
	run_recipe(&res, fx, argv, "out-net", 0, 0);
	assert_int_equal(res.status, CONTAINER_OK);
	assert_string_equal(res.output.data, "lo\nunreachable\n");
	container_result_release(&res);
	assert_int_equal(accept(lsock, NULL, NULL), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	close(lsock);
}

static void test_recipe_killed_at_deadline(void **state)
{
	struct fixture *fx = *state;
	char name[64];
	const char *argv[] = { "sh", "-c", "trap '' TERM; echo started; sleep 600", NULL };
	char outdir[256];
	struct container_run run = { .image = kernel_image(fx), .argv = argv, .src_dir = fx->src,
				     .out_dir = outdir, .timeout_ms = 3000, .name = name };
	struct container_result res;
	long long start = proc_now_ms();

	snprintf(name, sizeof(name), "rig-test-deadline-%d", (int)getpid());
	snprintf(outdir, sizeof(outdir), "%s/out-deadline", fx->root);
	container_result_init(&res);
	assert_int_equal(container_run(&res, &fx->project, &run), ERR_TIMEOUT);
	assert_int_equal(res.status, CONTAINER_ERROR);
	assert_int_equal(res.error, CONTAINER_ERR_DEADLINE);
	assert_true(res.timed_out);
	assert_non_null(strstr(err_msg(), "passed its deadline of 3.0 s"));
	assert_non_null(strstr(err_msg(), "removed"));
	assert_non_null(strstr(res.output.data, "started"));
	assert_string_equal(res.name, name);
	print_message("# deadline 3 s: back after %lld ms\n", proc_now_ms() - start);
	assert_true(proc_now_ms() - start < 60000);
	assert_false(container_exists(name));
	container_result_release(&res);
}

static void test_failing_recipe_is_the_changes_fault(void **state)
{
	struct fixture *fx = *state;
	const char *make[] = { "make", "-C", "/src/kernel", "O=/out", "broken", NULL };
	const char *exit127[] = { "sh", "-c", "echo no such tool >&2; exit 127", NULL };
	struct container_result res;

	run_recipe(&res, fx, make, "out-broken", 0, 0);
	assert_int_equal(res.status, CONTAINER_FAIL);
	assert_int_equal(res.exit_code, 2);
	assert_non_null(strstr(res.output.data, "error: 'undeclared_symbol' undeclared"));
	assert_string_equal(container_status_name(res.status), "fail");
	container_result_release(&res);

	/* 127 from the recipe's own shell is still the recipe's. */
	run_recipe(&res, fx, exit127, "out-127", 0, 0);
	assert_int_equal(res.status, CONTAINER_FAIL);
	assert_int_equal(res.exit_code, 127);
	container_result_release(&res);
}

static void test_container_not_starting_is_infrastructure(void **state)
{
	struct fixture *fx = *state;
	const char *missing_cmd[] = { "rig-no-such-command", NULL };
	const char *trivial[] = { "true", NULL };
	struct container_run run = { .image = "localhost/rig-no-such-image:000000000000", .argv = trivial,
				     .src_dir = fx->src };
	struct container_result res;
	char outdir[256];

	snprintf(outdir, sizeof(outdir), "%s/out-nostart", fx->root);
	run.out_dir = outdir;
	container_result_init(&res);
	assert_int_equal(container_run(&res, &fx->project, &run), ERR_FAIL);
	assert_int_equal(res.status, CONTAINER_ERROR);
	assert_int_equal(res.error, CONTAINER_ERR_START);
	assert_non_null(strstr(err_msg(), "did not start"));
	container_result_release(&res);

	run_recipe(&res, fx, missing_cmd, "out-nocmd", 0, ERR_FAIL);
	assert_int_equal(res.status, CONTAINER_ERROR);
	assert_int_equal(res.error, CONTAINER_ERR_START);
	assert_non_null(strstr(err_msg(), "rig-no-such-command"));
	container_result_release(&res);
}

static void test_broken_containerfile_is_infrastructure(void **state)
{
	struct fixture *fx = *state;
	struct container_image img;
	char log[8192] = "";
	size_t n;
	FILE *f;

	container_image_init(&img);
	assert_int_equal(container_image_ensure(&img, &fx->scratch, "broken"), ERR_FAIL);
	assert_int_equal(img.error, CONTAINER_ERR_BUILD);
	assert_string_equal(container_error_name(img.error), "image build");
	assert_non_null(strstr(err_msg(), "image broken: podman build exited"));
	assert_non_null(img.log_path);
	assert_non_null(strstr(err_msg(), img.log_path));
	f = fopen(img.log_path, "r");
	assert_non_null(f);
	n = fread(log, 1, sizeof(log) - 1, f);
	log[n] = '\0';
	fclose(f);
	assert_non_null(strstr(log, "about to fail"));
	container_image_release(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_built_once_then_cached),
		cmocka_unit_test(test_edited_containerfile_gets_new_tag),
		cmocka_unit_test(test_recipe_writes_out),
		cmocka_unit_test(test_recipe_cannot_write_src_or_root),
		cmocka_unit_test(test_recipe_has_no_network),
		cmocka_unit_test(test_recipe_killed_at_deadline),
		cmocka_unit_test(test_failing_recipe_is_the_changes_fault),
		cmocka_unit_test(test_container_not_starting_is_infrastructure),
		cmocka_unit_test(test_broken_containerfile_is_infrastructure),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
