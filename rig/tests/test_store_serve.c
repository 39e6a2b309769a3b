/* The daemon's durable queue in the store: claims, transitions, supersession, resume, recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
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
	snprintf(dir, sizeof(dir), "/tmp/rig-store-serve-XXXXXX");
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

static int64_t add_change(struct store *s, const char *ref, const char *sha, const char *state)
{
	struct store_change c = { .repo = "git://forge/k.git", .forge = "k", .kind = "pr", .number = 7,
				  .ref = (char *)ref, .sha = (char *)sha, .state = (char *)state };

	assert_int_equal(store_change_add(s, &c), 0);
	return c.id;
}

static int64_t add_job(struct store *s, int64_t change, const char *target, int64_t priority)
{
	struct store_job j = { .change_id = change, .suite = "boot", .target = target, .target_kind = "qemu",
			       .priority = priority };

	assert_int_equal(store_job_add(s, &j), 0);
	return j.id;
}

static const char *state_of(struct store *s, int64_t id, char *buf, size_t n)
{
	struct store_change c;

	assert_int_equal(store_change_get(s, id, &c), 0);
	snprintf(buf, n, "%s", c.state);
	store_change_release(&c);
	return buf;
}

static void test_change_claim_and_transition(void **state)
{
	static const char *const from_building[] = { "building", NULL };
	struct store *s;
	struct store_change c;
	char st[32];
	int64_t a, b;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	a = add_change(s, "refs/pull/7/head", "aaaa", "queued");
	b = add_change(s, "refs/pull/8/head", "bbbb", "queued");
	assert_int_equal(store_change_claim(s, &c), 0);
	assert_int_equal(c.id, a);
	assert_string_equal(c.state, "building");
	store_change_release(&c);
	assert_int_equal(store_change_claim(s, &c), 0);
	assert_int_equal(c.id, b);
	store_change_release(&c);
	assert_int_equal(store_change_claim(s, &c), ERR_NOTFOUND);

	assert_int_equal(store_change_transition(s, a, from_building, "testing", NULL, NULL), 0);
	assert_int_equal(store_change_transition(s, a, from_building, "done", "pass", "ok"), ERR_CONFLICT);
	assert_non_null(strstr(err_msg(), "is testing"));
	assert_string_equal(state_of(s, a, st, sizeof(st)), "testing");

	{
		struct store_change u = { .id = b, .base_sha = "cccc", .title = "New title" };

		assert_int_equal(store_change_update(s, &u), 0);
		assert_int_equal(store_change_get(s, b, &c), 0);
		assert_string_equal(c.sha, "bbbb");
		assert_string_equal(c.base_sha, "cccc");
		assert_string_equal(c.title, "New title");
		store_change_release(&c);
	}
	store_close(s);
}

static void test_supersede_keeps_running_jobs(void **state)
{
	struct store *s;
	struct store_claimed_job j;
	struct store_job_state *jobs;
	int64_t old, newer, *ids, q1, q2;
	size_t n;
	bool exists;
	char st[32];

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	old = add_change(s, "refs/pull/7/head", "aaaa", "testing");
	q1 = add_job(s, old, "qemu-a", 0);
	q2 = add_job(s, old, "qemu-b", 0);
	assert_int_equal(store_job_claim(s, "qemu", "qemu-a", &j), 0);
	assert_int_equal(j.id, q1);
	store_claimed_job_release(&j);
	newer = add_change(s, "refs/pull/7/head", "bbbb", "queued");

	assert_int_equal(store_change_exists(s, "k", "refs/pull/7/head", "aaaa", &exists), 0);
	assert_true(exists);
	assert_int_equal(store_changes_end(s, "k", "refs/pull/7/head", newer, "superseded", "a newer push", &ids, &n),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], old);
	free(ids);
	assert_string_equal(state_of(s, old, st, sizeof(st)), "superseded");
	assert_string_equal(state_of(s, newer, st, sizeof(st)), "queued");
	assert_int_equal(store_change_exists(s, "k", "refs/pull/7/head", "aaaa", &exists), 0);
	assert_false(exists);

	assert_int_equal(store_jobs_of_change(s, old, &jobs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(jobs[0].id, q1);
	assert_string_equal(jobs[0].state, "running");
	assert_int_equal(jobs[1].id, q2);
	assert_string_equal(jobs[1].state, "cancelled");
	store_job_states_free(jobs, n);
	/* Nothing left to end: the only open change is the one kept. */
	assert_int_equal(store_changes_end(s, "k", "refs/pull/7/head", newer, "superseded", "x", NULL, NULL), 0);
	assert_string_equal(state_of(s, newer, st, sizeof(st)), "queued");
	store_close(s);
}

static void test_job_claim_order_and_resume(void **state)
{
	struct store *s;
	struct store_claimed_job j;
	struct store_case_result *res;
	size_t n;
	int64_t c, low, high, other, started;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	c = add_change(s, "refs/heads/main", "aaaa", "testing");
	low = add_job(s, c, "qemu-a", 0);
	other = add_job(s, c, "qemu-b", 0);
	high = add_job(s, c, "qemu-a", 5);
	assert_int_equal(store_job_claim(s, "qemu", "qemu-a", &j), 0);
	assert_int_equal(j.id, high);
	assert_false(j.resumed);
	store_claimed_job_release(&j);
	assert_int_equal(store_job_claim(s, "qemu", "qemu-a", &j), 0);
	assert_int_equal(j.id, low);
	started = j.started_at;
	store_claimed_job_release(&j);
	assert_int_equal(store_job_claim(s, "qemu", "qemu-a", &j), ERR_NOTFOUND);
	assert_int_equal(store_job_claim(s, "device", "qemu-b", &j), ERR_NOTFOUND);

	{
		struct store_result r = { .job_id = low, .change_id = c, .suite = "boot", .case_name = "one",
					  .target = "qemu-a", .status = "pass" };

		assert_int_equal(store_result_add(s, &r), 0);
	}
	usleep(5000);
	assert_int_equal(store_job_requeue(s, low, "stopping"), 0);
	assert_int_equal(store_job_requeue(s, low, "again"), ERR_CONFLICT);
	assert_int_equal(store_job_claim(s, "qemu", "qemu-a", &j), 0);
	assert_int_equal(j.id, low);
	assert_true(j.resumed);
	assert_int_equal(j.started_at, started);
	assert_int_equal(store_results_of(s, c, j.id, j.started_at, &res, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(res[0].case_name, "one");
	store_case_results_free(res, n);
	store_claimed_job_release(&j);
	/* Results of a run before started_at are another run's. */
	assert_int_equal(store_results_of(s, c, low, started + 100000, &res, &n), 0);
	assert_int_equal(n, 0);
	store_case_results_free(res, n);
	(void)other;
	store_close(s);
}

static void test_forge_refs(void **state)
{
	struct store *s;
	struct store_forge_ref *v;
	size_t n;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_forge_ref_set(s, "k", "refs/pull/1/head", "aaaa"), 0);
	assert_int_equal(store_forge_ref_set(s, "k", "refs/heads/main", "bbbb"), 0);
	assert_int_equal(store_forge_ref_set(s, "other", "refs/heads/main", "cccc"), 0);
	assert_int_equal(store_forge_ref_set(s, "k", "refs/pull/1/head", "dddd"), 0);
	assert_int_equal(store_forge_refs_list(s, "k", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].ref, "refs/heads/main");
	assert_string_equal(v[1].ref, "refs/pull/1/head");
	assert_string_equal(v[1].sha, "dddd");
	store_forge_refs_free(v, n);
	assert_int_equal(store_forge_ref_set(s, "k", "refs/pull/1/head", NULL), 0);
	assert_int_equal(store_forge_refs_list(s, "k", &v, &n), 0);
	assert_int_equal(n, 1);
	store_forge_refs_free(v, n);
	store_close(s);
}

static void test_recover(void **state)
{
	struct store *s;
	struct store_recovery rec;
	struct store_claimed_job j;
	struct store_build b = { .board = "qemu-a", .sha = "aaaa", .tree = "tttt", .cache_key = "kkkk" };
	struct store_build got;
	int64_t building, testing;
	char st[32];

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	building = add_change(s, "refs/pull/1/head", "aaaa", "building");
	testing = add_change(s, "refs/pull/2/head", "bbbb", "testing");
	b.change_id = building;
	assert_int_equal(store_build_add(s, &b), 0);
	add_job(s, testing, "qemu-a", 0);
	add_job(s, testing, "qemu-a", 0);
	assert_int_equal(store_job_claim(s, "qemu", "qemu-a", &j), 0);
	store_claimed_job_release(&j);

	assert_int_equal(store_serve_recover(s, &rec), 0);
	assert_int_equal(rec.jobs, 1);
	assert_int_equal(rec.builds, 1);
	assert_int_equal(rec.changes, 1);
	assert_string_equal(state_of(s, building, st, sizeof(st)), "queued");
	assert_string_equal(state_of(s, testing, st, sizeof(st)), "testing");
	assert_int_equal(store_build_get(s, b.id, &got), 0);
	assert_string_equal(got.status, "error");
	store_build_release(&got);
	assert_int_equal(store_job_claim(s, "qemu", "qemu-a", &j), 0);
	assert_true(j.resumed);
	store_claimed_job_release(&j);
	store_close(s);
}

/* ---- two connections claiming at once take every job exactly once ---- */

#define RACE_JOBS 60

struct claimer {
	int64_t got[RACE_JOBS];
	int n;
};

static void *claim_all(void *arg)
{
	struct claimer *c = arg;
	struct store *s;
	struct store_claimed_job j;
	int rc;

	if (store_open(&s, path) != 0)
		return NULL;
	while ((rc = store_job_claim(s, "qemu", "qemu-a", &j)) == 0) {
		c->got[c->n++] = j.id;
		store_claimed_job_release(&j);
	}
	store_close(s);
	return NULL;
}

static void test_claims_race(void **state)
{
	struct store *s;
	struct claimer a = { 0 }, b = { 0 };
	pthread_t ta, tb;
	int64_t change, first = 0;
	bool seen[RACE_JOBS] = { 0 };

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	change = add_change(s, "refs/pull/9/head", "eeee", "testing");
	for (int i = 0; i < RACE_JOBS; i++) {
		int64_t id = add_job(s, change, "qemu-a", 0);

		if (!first)
			first = id;
	}
	store_close(s);
	assert_int_equal(pthread_create(&ta, NULL, claim_all, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, claim_all, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.n + b.n, RACE_JOBS);
	for (int i = 0; i < a.n + b.n; i++) {
		int64_t id = i < a.n ? a.got[i] : b.got[i - a.n];

		assert_false(seen[id - first]);
		seen[id - first] = true;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_change_claim_and_transition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_supersede_keeps_running_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_claim_order_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forge_refs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_race, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
