/* The store's dashboard views, and the models dashdata builds from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dashdata.h"
#include "err.h"
#include "store.h"

static char dir[64];
static char path[128];
static struct store *st;

static int64_t build(int64_t change, const char *board, const char *sha, int64_t text, int64_t reuse)
{
	struct store_build b = { .change_id = change, .board = (char *)board, .sha = (char *)sha, .tree = "t",
				 .cache_key = (char *)sha, .cached = reuse != 0, .source_build_id = reuse,
				 .status = reuse ? "ok" : "running" };
	struct store_artifact a = { "kernel.elf", "kernel", "h", 1, "/x" };
	struct store_size sizes[] = {
		{ "kernel.elf", ".text", "text", "flash", text },
		{ "kernel.elf", ".data", "data", "ram", 100 },
		{ "kernel.elf", ".bss", "bss", "ram", 1000 },
		{ "apps/a.elf", ".text", "text", "flash", 5000 },	/* an app: not the kernel */
	};
	struct store_symbol syms[] = {
		{ "kernel.elf", "grows", ".text", "func", NULL, text / 10 },
		{ "kernel.elf", "steady", ".text", "func", NULL, 64 },
		{ "apps/a.elf", "grows", ".text", "func", NULL, 999 },
	};

	assert_int_equal(store_build_add(st, &b), 0);
	if (!reuse) {
		assert_int_equal(store_build_finish(st, b.id, "ok", 1000, NULL, "/o", "/l"), 0);
		assert_int_equal(store_artifact_add(st, b.id, &a), 0);
		assert_int_equal(store_sizes_add(st, b.id, sizes, 4), 0);
		assert_int_equal(store_symbols_add(st, b.id, syms, 3), 0);
	}
	return b.id;
}

static int64_t change(const char *kind, const char *ref, const char *sha, const char *base)
{
	struct store_change c = { .repo = "r", .kind = (char *)kind, .ref = (char *)ref, .sha = (char *)sha,
				  .base_ref = "main", .merge_base = (char *)base, .state = "testing" };

	assert_int_equal(store_change_add(st, &c), 0);
	return c.id;
}

static int64_t job(int64_t change_id, int64_t build_id, const char *target, const char *kind)
{
	struct store_job j = { .change_id = change_id, .build_id = build_id, .suite = "ipc", .target = target,
			       .target_kind = kind, .device = strcmp(kind, "device") == 0 ? target : NULL };

	assert_int_equal(store_job_add(st, &j), 0);
	return j.id;
}

static void result(int64_t change_id, int64_t job_id, const char *name, const char *target, const char *status,
		   bool flaky)
{
	struct store_result r = { .job_id = job_id, .change_id = change_id, .suite = "ipc", .case_name = name,
				  .target = target, .status = status, .flaky = flaky, .log_path = "/logs/x.log" };

	assert_int_equal(store_result_add(st, &r), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rig-store-dash-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/rig.db", dir);
	return store_open(&st, path);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_changes_and_sizes(void **state)
{
	struct store_change_filter f = { 0 };
	struct store_change_row *rows;
	struct store_build_row *builds;
	struct store_symbol_delta *syms;
	size_t n;
	int64_t base_rv, pr, pr_rv, pr_arm, push;

	(void)state;
	base_rv = build(0, "rv", "b1", 10000, 0);
	build(0, "arm", "b1", 20000, 0);
	pr = change("pr", "refs/pull/1/head", "c1", "b1");
	pr_rv = build(pr, "rv", "c1", 10300, 0);
	pr_arm = build(pr, "arm", "c1", 0, build(0, "arm", "b0", 19900, 0));	/* cached: sizes of the reused build */
	push = change("push", "refs/heads/main", "c2", "c2");
	build(push, "rv", "c2", 10500, 0);
	assert_int_equal(store_change_set_state(st, pr, "done", "fail", "ipc/notify failed"), 0);

	assert_int_equal(store_changes_list(st, &f, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].c.id, push);		/* newest first */
	assert_int_equal(rows[1].c.id, pr);
	/* The board that grew most: rv +300 (arm's reused build shrank 100). */
	assert_true(rows[1].has_delta);
	assert_int_equal(rows[1].flash_delta, 300);
	assert_int_equal(rows[1].ram_delta, 0);
	/* A push's merge-base is itself: no growth. */
	assert_true(rows[0].has_delta);
	assert_int_equal(rows[0].flash_delta, 0);
	store_change_rows_free(rows, n);

	f.gate = "fail";
	assert_int_equal(store_changes_list(st, &f, &rows, &n), 0);
	assert_int_equal(n, 1);
	store_change_rows_free(rows, n);
	f.gate = "none";
	f.state = "testing";
	assert_int_equal(store_changes_list(st, &f, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].c.id, push);
	store_change_rows_free(rows, n);
	f = (struct store_change_filter){ .before = push, .limit = 1 };
	assert_int_equal(store_changes_list(st, &f, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].c.id, pr);
	store_change_rows_free(rows, n);

	assert_int_equal(store_change_builds(st, pr, &builds, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(builds[0].b.board, "arm");
	assert_true(builds[0].b.cached);
	assert_true(builds[0].has_sizes);
	assert_int_equal(builds[0].text, 19900);
	assert_int_equal(builds[0].base_text, 20000);
	assert_int_not_equal(builds[0].sizes_build, pr_arm);
	assert_int_equal(builds[1].b.id, pr_rv);
	assert_int_equal(builds[1].base_build, base_rv);
	assert_int_equal(builds[1].text, 10300);
	assert_int_equal(builds[1].data, 100);
	assert_int_equal(builds[1].bss, 1000);
	store_build_rows_free(builds, n);

	/* Kernel symbols only; unchanged ones left out. */
	assert_int_equal(store_symbol_deltas(st, pr_rv, base_rv, 10, &syms, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(syms[0].name, "grows");
	assert_int_equal(syms[0].base, 1000);
	assert_int_equal(syms[0].delta, 30);
	store_symbol_deltas_free(syms, n);
}

static void test_size_history_and_boards(void **state)
{
	struct store_size_point *pts;
	char **boards;
	size_t n;
	int64_t pr, push;

	(void)state;
	build(0, "rv", "b1", 10000, 0);
	usleep(2000);
	build(0, "rv", "b2", 10100, 0);
	build(0, "rv", "b2", 10100, 0);		/* built twice: one point */
	pr = change("pr", "refs/pull/1/head", "c1", "b2");
	build(pr, "rv", "c1", 99999, 0);		/* a PR is not the base branch */
	usleep(2000);
	push = change("push", "refs/heads/main", "c2", "c2");
	build(push, "rv", "c2", 10200, 0);
	assert_int_equal(store_size_history(st, "rv", 100, &pts, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(pts[0].sha, "b1");
	assert_int_equal(pts[0].text, 10000);
	assert_string_equal(pts[2].sha, "c2");
	assert_string_equal(pts[2].ref, "refs/heads/main");
	assert_null(pts[0].ref);
	store_size_points_free(pts, n);
	assert_int_equal(store_size_history(st, "rv", 1, &pts, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pts[0].sha, "c2");	/* the newest, when cut */
	store_size_points_free(pts, n);
	assert_int_equal(store_boards_built(st, &boards, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(boards[0], "rv");
	store_names_free(boards, n);
}

static void test_results_jobs_metrics(void **state)
{
	struct store_result_row *res;
	struct store_job_row j;
	struct store_metrics m;
	size_t n;
	int64_t c1, c2, b, jq, jd, jr;
	bool off;

	(void)state;
	c1 = change("pr", "p1", "s1", "b");
	b = build(c1, "rv", "s1", 100, 0);
	jq = job(c1, b, "rv", "qemu");
	jd = job(c1, b, "rv-1", "device");
	result(c1, jq, "notify", "rv", "pass", false);
	result(c1, jd, "notify", "rv-1", "fail", false);
	assert_int_equal(store_job_set_state(st, jq, "done", NULL), 0);
	assert_int_equal(store_job_set_state(st, jd, "done", NULL), 0);
	c2 = change("pr", "p2", "s1", "b");
	jr = job(c2, b, "rv-1", "device");
	assert_int_equal(store_job_set_state(st, jr, "running", NULL), 0);
	result(c2, jr, "notify", "rv-1", "pass", true);
	job(c2, b, "rv", "qemu");

	assert_int_equal(store_change_results(st, c1, &res, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(res[0].target, "rv");
	assert_string_equal(res[0].kind, "qemu");
	assert_string_equal(res[1].kind, "device");
	assert_string_equal(res[1].board, "rv");
	assert_string_equal(res[1].device, "rv-1");
	store_result_rows_free(res, n);
	assert_int_equal(store_case_history(st, "ipc", "notify", 2, &res, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(res[0].change_id, c2);		/* newest first */
	assert_true(res[0].flaky);
	store_result_rows_free(res, n);

	assert_int_equal(store_job_get(st, jd, &j), 0);
	assert_string_equal(j.state, "done");
	assert_string_equal(j.board, "rv");
	assert_string_equal(j.log_path, "/logs/x.log");
	store_job_row_release(&j);
	assert_int_equal(store_job_get(st, 999, &j), ERR_NOTFOUND);
	assert_int_equal(store_job_retry(st, jr, "again"), ERR_CONFLICT);	/* still running */
	assert_int_equal(store_job_retry(st, 999, "again"), ERR_NOTFOUND);

	assert_int_equal(store_device_sync(st, "rv-1", "rv"), 0);
	assert_int_equal(store_device_sync(st, "rv-2", "rv"), 0);
	assert_int_equal(store_device_sync(st, "rv-3", "rv"), 0);
	assert_int_equal(store_device_lease(st, "rv-1", jr, "me", 60000), 0);
	assert_int_equal(store_device_infra_error(st, "rv-3", "gone", 1, &off), 0);
	assert_int_equal(store_metrics_read(st, &m), 0);
	assert_int_equal(m.jobs_queued, 1);
	assert_int_equal(m.nverdicts, 2);		/* jq pass, jd fail */
	for (size_t i = 0; i < m.nverdicts; i++)
		assert_int_equal(m.verdicts[i].n, 1);
	assert_int_equal(m.ndevices, 3);
	assert_int_equal(m.builds, 1);
	assert_int_equal(m.builds_cached, 0);

	/* A finished job goes back to the queue once. */
	assert_int_equal(store_job_retry(st, jd, "again"), 0);
	assert_int_equal(store_job_get(st, jd, &j), 0);
	assert_string_equal(j.state, "queued");
	assert_string_equal(j.reason, "again");
	store_job_row_release(&j);
	assert_int_equal(store_job_retry(st, jd, "again"), ERR_CONFLICT);
}

static void test_models(void **state)
{
	struct dashdata_env env = { .logs_dir = "/logs", .now = store_now_ms() };
	json_t *m, *rows, *targets, *t;
	int64_t c1, c2, b, jq, jd, jq2, jd2;
	char log[256];
	bool running;

	(void)state;
	env.store = st;
	c1 = change("pr", "<script>", "s1", "b");
	b = build(c1, "rv", "s1", 100, 0);
	jq = job(c1, b, "rv", "qemu");
	jd = job(c1, b, "rv-1", "device");
	result(c1, jq, "notify", "rv", "pass", false);
	result(c1, jd, "notify", "rv-1", "fail", false);
	result(c1, jq, "ping", "rv", "pass", false);
	result(c1, jd, "ping", "rv-1", "pass", true);
	c2 = change("pr", "again", "s1", "b");		/* the same commit again: a flip */
	jq2 = job(c2, b, "rv", "qemu");
	jd2 = job(c2, b, "rv-1", "device");
	result(c2, jq2, "notify", "rv", "pass", false);
	result(c2, jd2, "notify", "rv-1", "pass", false);

	assert_int_equal(dashdata_change(&m, &env, c1), 0);
	rows = json_object_get(json_object_get(m, "matrix"), "rows");
	targets = json_object_get(json_object_get(m, "matrix"), "targets");
	assert_int_equal(json_array_size(targets), 2);
	assert_true(json_is_true(json_object_get(json_array_get(targets, 0), "is_qemu")));	/* QEMU first */
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "case")), "notify");
	assert_true(json_is_true(json_object_get(json_array_get(rows, 0), "discrepancy")));
	assert_true(json_is_false(json_object_get(json_array_get(rows, 1), "discrepancy")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "matrix"), "discrepancies")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "change"), "ref")), "<script>");
	assert_int_equal(json_array_size(json_object_get(m, "logs")), 3);	/* the build's and two jobs' */
	json_decref(m);
	assert_int_equal(dashdata_change(&m, &env, 999), ERR_NOTFOUND);

	assert_int_equal(dashdata_case(&m, &env, "ipc", "notify", 50), 0);
	targets = json_object_get(m, "targets");
	assert_int_equal(json_array_size(targets), 2);
	for (size_t i = 0; i < 2; i++) {
		t = json_array_get(targets, i);
		if (strcmp(json_string_value(json_object_get(t, "target")), "rv-1") == 0) {
			assert_int_equal(json_integer_value(json_object_get(t, "runs")), 2);
			assert_int_equal(json_integer_value(json_object_get(t, "flips")), 1);
			assert_true(json_real_value(json_object_get(t, "flake_rate")) > 0.49);
		} else {
			assert_int_equal(json_integer_value(json_object_get(t, "flips")), 0);
		}
	}
	json_decref(m);
	assert_int_equal(dashdata_case(&m, &env, "ipc", "nosuch", 50), ERR_NOTFOUND);

	assert_int_equal(dashdata_job_log_path(log, sizeof(log), &env, jq, &running), 0);
	assert_string_equal(log, "/logs/x.log");
	assert_true(running);				/* queued */
	assert_int_equal(dashdata_job(&m, &env, jd2), 0);
	json_decref(m);
}

static void test_untrusted_bytes(void **state)
{
	struct dashdata_env env = { .logs_dir = "/logs", .now = store_now_ms() };
	json_t *m, *c;
	char bad[] = "feature/\xff\xfe-bytes";
	int64_t id;

	(void)state;
	env.store = st;
	id = change("pr", bad, "s", "b");
	assert_int_equal(dashdata_changes(&m, &env, NULL), 0);
	c = json_array_get(json_object_get(m, "changes"), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "id")), id);
	/* Bytes that are not UTF-8 become '?', rather than a missing key or an error. */
	assert_string_equal(json_string_value(json_object_get(c, "ref")), "feature/?" "?-bytes");
	json_decref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_changes_and_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_history_and_boards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_jobs_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_models, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_bytes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
