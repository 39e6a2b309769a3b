#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "heartbeat.h"
#include "store.h"

/* A lease kept alive by its thread, lost when taken from it, gone once the holder stops. */

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rig-heartbeat-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/rig.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fs_rmtree(dir);
}

static int64_t lease_job(struct store *s, const char *id)
{
	struct store_device d;
	int64_t job;

	assert_int_equal(store_device_get(s, id, &d), 0);
	job = d.lease_job;
	store_device_release(&d);
	return job;
}

static void test_keeps_and_loses(void **state)
{
	struct store *s;
	struct heartbeat *h;
	sqlite3 *db;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_device_sync(s, "vb-1", "qemu-sifive-e"), 0);
	assert_int_equal(store_device_lease(s, "vb-1", 7, "test:1", 300), 0);
	assert_int_equal(heartbeat_start(&h, path, 7, 300), 0);
	heartbeat_hold(h, "vb-1");
	/* Three lease lifetimes later the lease still stands. */
	poll(NULL, 0, 900);
	assert_int_equal(lease_job(s, "vb-1"), 7);
	assert_int_equal(heartbeat_check(h), 0);

	/* Taken away (an operator, or a host that stalled past the expiry): the job hears of it. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE devices SET lease_expires = 0", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_device_lease(s, "vb-1", 8, "test:2", 60000), 0);
	poll(NULL, 0, 300);
	assert_int_equal(heartbeat_check(h), ERR_CONFLICT);
	assert_non_null(strstr(err_msg(), "the lease of device vb-1 by job 7 was lost"));
	assert_int_equal(lease_job(s, "vb-1"), 8);
	assert_int_equal(store_device_unlease(s, "vb-1", 8), 0);

	/* Holding another lease starts afresh; a stopped heartbeat lets it expire. */
	assert_int_equal(store_device_lease(s, "vb-1", 7, "test:1", 300), 0);
	heartbeat_hold(h, "vb-1");
	assert_int_equal(heartbeat_check(h), 0);
	poll(NULL, 0, 400);
	assert_int_equal(lease_job(s, "vb-1"), 7);
	heartbeat_stop(h);
	poll(NULL, 0, 400);
	assert_int_equal(lease_job(s, "vb-1"), 0);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keeps_and_loses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
