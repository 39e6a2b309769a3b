/* The store's webhook deliveries and forge statuses (the hooks part of store.h). */
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
	snprintf(dir, sizeof(dir), "/tmp/rig-store-hooks-XXXXXX");
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

static void test_deliveries(void **state)
{
	struct store *s, *other;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_open(&other, path), 0);
	assert_int_equal(store_delivery_add(s, "d-1", "gh", "pull_request"), 0);
	/* A replay, seen through another connection too. */
	assert_int_equal(store_delivery_add(other, "d-1", "gh", "pull_request"), ERR_EXISTS);
	assert_non_null(strstr(err_msg(), "d-1 was already received"));
	assert_int_equal(store_delivery_add(s, "d-2", "gh", "push"), 0);
	/* Forgotten, it is taken again. */
	assert_int_equal(store_delivery_forget(s, "d-1"), 0);
	assert_int_equal(store_delivery_add(other, "d-1", "gh", "pull_request"), 0);
	/* Pruning drops what came before the limit. */
	raw_exec("UPDATE deliveries SET received_at = 1000 WHERE id = 'd-2'");
	assert_int_equal(store_deliveries_prune(s, 2000), 0);
	assert_int_equal(store_delivery_add(s, "d-2", "gh", "push"), 0);
	assert_int_equal(store_delivery_add(s, "d-1", "gh", "push"), ERR_EXISTS);
	store_close(other);
	store_close(s);
}

static int64_t change(struct store *s, const char *forge, const char *sha)
{
	struct store_change c = { .repo = "r", .forge = (char *)forge, .kind = "pr", .ref = "refs/pull/1/head",
				  .sha = (char *)sha };

	assert_int_equal(store_change_add(s, &c), 0);
	return c.id;
}

static void status(struct store *s, int64_t change_id, const char *state, int http, int64_t posted_at)
{
	struct store_status st = { .change_id = change_id, .state = (char *)state, .description = "d",
				   .target_url = "http://rig/changes/1", .http_status = http };
	char sql[128];

	assert_int_equal(store_status_add(s, &st), 0);
	assert_true(st.id > 0);
	assert_true(st.posted_at > 0);
	snprintf(sql, sizeof(sql), "UPDATE statuses SET posted_at = %lld WHERE id = %lld", (long long)posted_at,
		 (long long)st.id);
	raw_exec(sql);
}

static void test_statuses(void **state)
{
	struct store *s;
	struct store_status *v;
	size_t n;
	int64_t done, stale, failed_final, fresh, never;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	done = change(s, "gh", "aaaa");
	stale = change(s, "gh", "bbbb");
	failed_final = change(s, "lab", "cccc");
	fresh = change(s, "gh", "dddd");
	never = change(s, "gh", "eeee");

	status(s, done, "pending", 201, 100);
	status(s, done, "success", 201, 200);
	status(s, stale, "pending", 201, 100);
	status(s, failed_final, "pending", 201, 100);
	status(s, failed_final, "failed", 502, 300);
	status(s, fresh, "pending", 201, 5000);
	status(s, never, "pending", 0, 100);

	assert_int_equal(store_statuses_list(s, done, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].state, "pending");
	assert_string_equal(v[1].state, "success");
	assert_int_equal(v[1].http_status, 201);
	assert_string_equal(v[1].forge, "gh");
	assert_string_equal(v[1].sha, "aaaa");
	assert_string_equal(v[1].target_url, "http://rig/changes/1");
	store_statuses_free(v, n);

	/* Pending on the forge since before 1000: stale, and the one whose verdict never arrived. */
	assert_int_equal(store_statuses_stale(s, 1000, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].change_id, stale);
	assert_string_equal(v[0].state, "pending");
	assert_string_equal(v[0].sha, "bbbb");
	assert_int_equal(v[1].change_id, failed_final);
	assert_string_equal(v[1].state, "failed");
	assert_string_equal(v[1].forge, "lab");
	store_statuses_free(v, n);

	/* A status must belong to a change. */
	{
		struct store_status orphan = { .change_id = 9999, .state = "pending" };

		assert_int_equal(store_status_add(s, &orphan), ERR_IO);
	}
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deliveries),
		cmocka_unit_test(test_statuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
