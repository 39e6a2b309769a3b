#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "store.h"

/* What the rack asks of the store beyond leases (test_store.c): bootable builds, work spread. */

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rig-store-rack-XXXXXX");
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

static int64_t build(struct store *s, int64_t change, char *key, const char *status, const char *out)
{
	struct store_build b = { .change_id = change, .board = "qemu-sifive-e", .sha = "aaa", .tree = "t",
				 .cache_key = key };

	assert_int_equal(store_build_add(s, &b), 0);
	assert_int_equal(store_build_finish(s, b.id, status, 10, NULL, out, NULL), 0);
	return b.id;
}

static void result(struct store *s, int64_t change, int64_t build_id, const char *target, const char *status)
{
	struct store_job j = { .change_id = change, .build_id = build_id, .suite = "boot", .target = target,
			       .target_kind = "qemu" };
	struct store_result r = { .change_id = change, .suite = "boot", .case_name = "banner", .target = target,
				  .status = status, .attempt = 1 };

	assert_int_equal(store_job_add(s, &j), 0);
	r.job_id = j.id;
	assert_int_equal(store_result_add(s, &r), 0);
}

/* A health check flashes the newest kernel known to boot, never one that only built. */
static void test_bootable_build(void **state)
{
	struct store *s;
	struct store_change c = { .repo = "r", .ref = "main", .sha = "aaa" };
	struct store_build got;
	int64_t good, broken, failed;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_change_add(s, &c), 0);
	assert_int_equal(store_build_bootable(s, "qemu-sifive-e", &got), ERR_NOTFOUND);
	good = build(s, c.id, (char *)"k1", "ok", "/data/builds/good");
	result(s, c.id, good, "qemu-sifive-e", "fail");
	assert_int_equal(store_build_bootable(s, "qemu-sifive-e", &got), ERR_NOTFOUND);
	result(s, c.id, good, "vb-1", "pass");
	/* Newer, but nothing of it passed: a change that broke booting. */
	broken = build(s, c.id, (char *)"k2", "ok", "/data/builds/broken");
	result(s, c.id, broken, "qemu-sifive-e", "fail");
	failed = build(s, c.id, (char *)"k3", "fail", "/data/builds/failed");
	(void)failed;
	assert_int_equal(store_build_bootable(s, "qemu-sifive-e", &got), 0);
	assert_int_equal(got.id, good);
	assert_string_equal(got.output_dir, "/data/builds/good");
	store_build_release(&got);
	assert_int_equal(store_build_bootable(s, "nrf52840dk", &got), ERR_NOTFOUND);
	/* A device job's row names the device it runs on. */
	{
		struct store_job j = { .change_id = c.id, .build_id = good, .suite = "boot", .target = "qemu-sifive-e",
				       .target_kind = "device" };
		struct store_job_row row;

		assert_int_equal(store_job_add(s, &j), 0);
		assert_int_equal(store_job_set_device(s, j.id, "vb-2"), 0);
		assert_int_equal(store_job_get(s, j.id, &row), 0);
		assert_string_equal(row.device, "vb-2");
		store_job_row_release(&row);
		assert_int_equal(store_job_set_device(s, 9999, "vb-2"), ERR_NOTFOUND);
	}
	store_close(s);
}

/* Jobs go to the device released longest ago, so that the rack shares the work. */
static void test_lease_spreads(void **state)
{
	struct store *s;
	char id[64];

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_device_sync(s, "vb-1", "qemu-sifive-e"), 0);
	assert_int_equal(store_device_sync(s, "vb-2", "qemu-sifive-e"), 0);
	assert_int_equal(store_device_lease_any(s, "qemu-sifive-e", NULL, 1, "h", 60000, id, sizeof(id)), 0);
	assert_string_equal(id, "vb-1");
	assert_int_equal(store_device_unlease(s, "vb-1", 1), 0);
	assert_int_equal(store_device_lease_any(s, "qemu-sifive-e", NULL, 2, "h", 60000, id, sizeof(id)), 0);
	assert_string_equal(id, "vb-2");
	poll(NULL, 0, 5);
	assert_int_equal(store_device_unlease(s, "vb-2", 2), 0);
	assert_int_equal(store_device_lease_any(s, "qemu-sifive-e", NULL, 3, "h", 60000, id, sizeof(id)), 0);
	assert_string_equal(id, "vb-1");
	poll(NULL, 0, 5);
	assert_int_equal(store_device_unlease(s, "vb-1", 3), 0);
	assert_int_equal(store_device_lease_any(s, "qemu-sifive-e", NULL, 4, "h", 60000, id, sizeof(id)), 0);
	assert_string_equal(id, "vb-2");
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bootable_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_spreads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
