#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_change_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_old_schema_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_and_unopenable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
