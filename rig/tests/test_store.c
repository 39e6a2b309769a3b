#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rig-store-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/rig.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void raw_exec(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_change_roundtrip(void **state)
{
	struct store *s;
	struct store_change c = { .repo = "file:///r", .kind = "pr", .number = 7, .ref = "pull/7",
				  .sha = "abc", .base_ref = "main", .title = "<b>title</b>" };
	struct store_change got;
	int v;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_version(s, &v), 0);
	assert_int_equal(v, store_latest_version());
	assert_int_equal(store_change_add(s, &c), 0);
	assert_true(c.id > 0);
	assert_int_equal(store_change_get(s, c.id, &got), 0);
	assert_string_equal(got.state, "queued");
	assert_null(got.gate);
	assert_int_equal(got.number, 7);
	assert_string_equal(got.title, "<b>title</b>");
	store_change_release(&got);
	assert_int_equal(store_change_set_state(s, c.id, "done", "fail", "size"), 0);
	assert_int_equal(store_change_get(s, c.id, &got), 0);
	assert_string_equal(got.gate, "fail");
	assert_string_equal(got.reason, "size");
	assert_true(got.finished_at > 0);
	store_change_release(&got);
	assert_int_equal(store_change_get(s, 9999, &got), ERR_NOTFOUND);
	assert_int_equal(store_change_set_state(s, 9999, "done", NULL, NULL), ERR_NOTFOUND);
	store_close(s);
}

static void test_wal_mode(void **state)
{
	struct store *s;
	sqlite3 *db;
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	store_close(s);
}

/* A store left at schema 1 by an older rig is migrated forward, data kept. */
static void test_migrates_old_schema_forward(void **state)
{
	struct store *s;
	struct store_change c = { .repo = "r", .ref = "main", .sha = "1234" };
	struct store_change got;
	int v;

	(void)state;
	assert_int_equal(store_sqlite_open(&s, path, 1), 0);
	assert_int_equal(store_version(s, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(store_change_add(s, &c), 0);
	store_close(s);
	/* Tables of later migrations do not exist yet. */
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_not_equal(sqlite3_exec(db, "SELECT * FROM symbols", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}

	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_version(s, &v), 0);
	assert_int_equal(v, store_latest_version());
	assert_true(v > 1);
	assert_int_equal(store_change_get(s, c.id, &got), 0);
	assert_string_equal(got.sha, "1234");
	store_change_release(&got);
	store_close(s);
	raw_exec("SELECT count(*) FROM symbols; SELECT count(*) FROM devices;");
}

static void test_refuses_newer_schema(void **state)
{
	struct store *s;
	char sql[256];

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	store_close(s);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO schema_migrations VALUES (%d, 'from the future', 0)",
		 store_latest_version() + 5);
	raw_exec(sql);
	assert_int_equal(store_open(&s, path), ERR_UNSUPPORTED);
	assert_null(s);
	assert_non_null(strstr(err_msg(), "is newer than this rig knows"));
}

static void test_unsupported_and_unopenable(void **state)
{
	struct store *s;

	(void)state;
	assert_int_equal(store_open(&s, "postgresql://db/rig"), ERR_UNSUPPORTED);
	assert_non_null(strstr(err_msg(), "without PostgreSQL"));
	assert_int_equal(store_open(&s, "/no/such/dir/rig.db"), ERR_IO);
	assert_non_null(strstr(err_msg(), "/no/such/dir/rig.db"));
}

static int64_t count_rows(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void test_builds_cache_and_artifacts(void **state)
{
	struct store *s;
	struct store_change c = { .repo = "r", .ref = "pull/1", .sha = "aaa" };
	struct store_build b = { .board = "qemu-sifive-e", .sha = "aaa", .tree = "t1", .cache_key = "k1",
				 .image_id = "img" };
	struct store_build err = { .board = "qemu-sifive-e", .sha = "aaa", .tree = "t1", .cache_key = "k2" };
	struct store_build reuse = { .board = "qemu-sifive-e", .sha = "bbb", .tree = "t1", .cache_key = "k1",
				     .status = "ok", .cached = true };
	struct store_build got;
	struct store_artifact a1 = { .name = "kernel.elf", .kind = "kernel", .sha256 = "ab", .size = 10, .path = "/x/ab" };
	struct store_artifact a2 = { .name = "apps/hello.tbf", .kind = "app", .sha256 = "cd", .size = 4, .path = "/x/cd" };
	struct store_artifact *list;
	struct store_size sizes[] = { { "kernel.elf", ".text", "text", "flash", 1000 },
				      { "kernel.elf", ".bss", "bss", "ram", 64 } };
	struct store_symbol syms[] = { { "kernel.elf", "main", ".text", "func", NULL, 40 } };
	size_t n;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_change_add(s, &c), 0);
	b.change_id = err.change_id = reuse.change_id = c.id;
	assert_int_equal(store_build_add(s, &b), 0);
	/* A running build is not reusable yet. */
	assert_int_equal(store_build_find(s, "k1", &got), ERR_NOTFOUND);
	assert_int_equal(store_build_finish(s, b.id, "ok", 1234, NULL, "/data/builds/1", "/data/logs/b1"), 0);
	assert_int_equal(store_build_add(s, &err), 0);
	assert_int_equal(store_build_finish(s, err.id, "error", 5, "podman missing", NULL, NULL), 0);
	/* An infrastructure error is never reused: the next try must build. */
	assert_int_equal(store_build_find(s, "k2", &got), ERR_NOTFOUND);
	assert_int_equal(store_build_find(s, "k1", &got), 0);
	assert_int_equal(got.id, b.id);
	assert_string_equal(got.output_dir, "/data/builds/1");
	assert_int_equal(got.duration_ms, 1234);
	store_build_release(&got);
	reuse.source_build_id = b.id;
	assert_int_equal(store_build_add(s, &reuse), 0);
	/* A reuse points at the original, which stays the one found. */
	assert_int_equal(store_build_find(s, "k1", &got), 0);
	assert_int_equal(got.id, b.id);
	store_build_release(&got);
	assert_int_equal(store_build_get(s, reuse.id, &got), 0);
	assert_true(got.cached);
	assert_int_equal(got.source_build_id, b.id);
	store_build_release(&got);
	assert_int_equal(store_build_finish(s, 999, "ok", 0, NULL, NULL, NULL), ERR_NOTFOUND);

	assert_int_equal(store_artifact_add(s, b.id, &a1), 0);
	assert_int_equal(store_artifact_add(s, b.id, &a2), 0);
	assert_int_equal(store_artifacts_list(s, b.id, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "apps/hello.tbf");
	assert_string_equal(list[1].sha256, "ab");
	store_artifacts_free(list, n);
	assert_int_equal(store_sizes_add(s, b.id, sizes, 2), 0);
	assert_int_equal(store_symbols_add(s, b.id, syms, 1), 0);
	store_close(s);
	assert_int_equal(count_rows("SELECT sum(size) FROM sizes WHERE region = 'flash'"), 1000);
	assert_int_equal(count_rows("SELECT count(*) FROM symbols"), 1);
}

static void test_jobs_and_results(void **state)
{
	struct store *s;
	struct store_change c = { .repo = "r", .ref = "main", .sha = "aaa" };
	struct store_job j = { .suite = "boot", .target = "qemu-sifive-e", .target_kind = "qemu" };
	struct store_check checks[] = { { 1, true, "banner", NULL, NULL }, { 2, false, "apps", NULL, "got 1" } };
	struct store_result r = { .suite = "boot", .case_name = "banner", .target = "qemu-sifive-e",
				  .status = "fail", .attempt = 2, .duration_ms = 80, .reason = "not ok 2 - apps",
				  .checks = checks, .nchecks = 2 };

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_change_add(s, &c), 0);
	j.change_id = r.change_id = c.id;
	assert_int_equal(store_job_add(s, &j), 0);
	assert_int_equal(store_job_set_state(s, j.id, "running", NULL), 0);
	r.job_id = j.id;
	assert_int_equal(store_result_add(s, &r), 0);
	assert_true(r.id > 0);
	assert_int_equal(store_job_set_state(s, j.id, "done", NULL), 0);
	assert_int_equal(store_job_set_state(s, 777, "done", NULL), ERR_NOTFOUND);
	store_close(s);
	assert_int_equal(count_rows("SELECT attempts FROM jobs"), 1);
	assert_int_equal(count_rows("SELECT count(*) FROM jobs WHERE started_at > 0 AND finished_at >= started_at"), 1);
	assert_int_equal(count_rows("SELECT count(*) FROM checks WHERE ok = 0 AND reason = 'got 1'"), 1);
	assert_int_equal(count_rows("SELECT attempt FROM results"), 2);
}

static void test_device_leases(void **state)
{
	struct store *s;
	struct store_device d, *all;
	char id[64];
	bool offline;
	size_t n;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_device_sync(s, "rv-1", "hifive1-revb"), 0);
	assert_int_equal(store_device_sync(s, "rv-2", "hifive1-revb"), 0);
	assert_int_equal(store_device_sync(s, "nrf-1", "nrf52840dk"), 0);
	assert_int_equal(store_device_sync(s, "rv-1", "hifive1-revb"), 0);
	assert_int_equal(store_devices_list(s, &all, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(all[0].id, "rv-1");
	assert_string_equal(all[2].id, "nrf-1");
	assert_string_equal(all[1].state, "idle");
	store_devices_free(all, n);

	/* One holder at a time. */
	assert_int_equal(store_device_lease(s, "rv-1", 10, "host:1", 60000), 0);
	assert_int_equal(store_device_lease(s, "rv-1", 11, "host:2", 60000), ERR_CONFLICT);
	assert_string_equal(err_msg(), "device rv-1 is leased by job 10 (host:1)");
	assert_int_equal(store_device_get(s, "rv-1", &d), 0);
	assert_string_equal(d.state, "leased");
	assert_int_equal(d.lease_job, 10);
	store_device_release(&d);
	/* Any idle device of the type: the other one. */
	assert_int_equal(store_device_lease_any(s, "hifive1-revb", NULL, 11, "host:2", 60000, id, sizeof(id)), 0);
	assert_string_equal(id, "rv-2");
	assert_int_equal(store_device_lease_any(s, "hifive1-revb", NULL, 12, "host:3", 60000, id, sizeof(id)),
			 ERR_NOTFOUND);
	assert_int_equal(store_device_unlease(s, "rv-2", 11), 0);
	/* The retry of an error goes to another device than the one that failed. */
	assert_int_equal(store_device_lease_any(s, "hifive1-revb", "rv-2", 12, "host:3", 60000, id, sizeof(id)),
			 ERR_NOTFOUND);
	assert_int_equal(store_device_refresh(s, "rv-1", 10, 60000), 0);
	assert_int_equal(store_device_refresh(s, "rv-1", 99, 60000), ERR_CONFLICT);

	/* A holder that stops refreshing (killed) loses the lease at expiry. */
	assert_int_equal(store_device_lease(s, "rv-2", 13, "host:4", 50), 0);
	usleep(120 * 1000);
	assert_int_equal(store_device_get(s, "rv-2", &d), 0);
	assert_string_equal(d.state, "idle");
	assert_int_equal(d.lease_job, 0);
	store_device_release(&d);
	assert_int_equal(store_device_refresh(s, "rv-2", 13, 60000), ERR_CONFLICT);
	assert_int_equal(store_device_lease(s, "rv-2", 14, "host:5", 60000), 0);
	assert_int_equal(store_device_unlease(s, "rv-2", 14), 0);

	/* Locked and offline devices are out of service. */
	assert_int_equal(store_device_lock(s, "nrf-1", "probe replaced"), 0);
	assert_int_equal(store_device_lease(s, "nrf-1", 20, "h", 60000), ERR_CONFLICT);
	assert_string_equal(err_msg(), "device nrf-1 is locked: probe replaced");
	assert_int_equal(store_device_unlock(s, "nrf-1"), 0);
	assert_int_equal(store_device_lease(s, "nrf-1", 20, "h", 60000), 0);
	assert_int_equal(store_device_unlease(s, "nrf-1", 20), 0);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(store_device_infra_error(s, "rv-2", "flash: verify failed", 3, &offline), 0);
		assert_int_equal(offline, i == 3);
	}
	assert_int_equal(store_device_get(s, "rv-2", &d), 0);
	assert_string_equal(d.state, "offline");
	assert_string_equal(d.offline_reason, "3 consecutive infrastructure errors, last: flash: verify failed");
	store_device_release(&d);
	assert_int_equal(store_device_lease(s, "rv-2", 21, "h", 60000), ERR_CONFLICT);
	/* A passing health check brings it back and clears the count. */
	assert_int_equal(store_device_health(s, "rv-2", true, "banner in 812 ms"), 0);
	assert_int_equal(store_device_get(s, "rv-2", &d), 0);
	assert_string_equal(d.state, "idle");
	assert_int_equal(d.infra_errors, 0);
	assert_string_equal(d.health_status, "ok");
	assert_true(d.health_at > 0);
	store_device_release(&d);
	assert_int_equal(store_device_lock(s, "nope", "x"), ERR_NOTFOUND);
	assert_string_equal(err_msg(), "no device 'nope' in the rack");
	store_close(s);
}

struct opener {
	pthread_t thread;
	int rc;
};

static void *open_store(void *arg)
{
	struct opener *o = arg;
	struct store *s;

	o->rc = store_open(&s, path);
	if (o->rc == 0)
		store_close(s);
	return NULL;
}

/* Several connections opening a brand-new store at once migrate it once. */
static void test_concurrent_first_open(void **state)
{
	struct opener o[6];

	(void)state;
	for (int i = 0; i < 6; i++)
		assert_int_equal(pthread_create(&o[i].thread, NULL, open_store, &o[i]), 0);
	for (int i = 0; i < 6; i++) {
		pthread_join(o[i].thread, NULL);
		assert_int_equal(o[i].rc, 0);
	}
	assert_int_equal(count_rows("SELECT count(*) FROM schema_migrations"), store_latest_version());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_change_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_old_schema_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_and_unopenable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_builds_cache_and_artifacts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobs_and_results, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_leases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_first_open, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
