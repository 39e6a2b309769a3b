/* From forge events and refs to queued changes: dedupe, supersede, cancel, gate modes, first polls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "intake.h"
#include "store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rig-intake-XXXXXX");
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

static struct forge make_forge(const char *gate, const char **protected, size_t nprotected)
{
	struct forge f = { .name = "k", .url = "git://forge/k.git", .kind = "github", .gate = gate, .base = "main" };

	f.protected_branches.v = protected;
	f.protected_branches.n = nprotected;
	return f;
}

static const char *state_of(struct store *s, int64_t id, char *buf, size_t n)
{
	struct store_change c;

	assert_int_equal(store_change_get(s, id, &c), 0);
	snprintf(buf, n, "%s", c.state);
	store_change_release(&c);
	return buf;
}

static void test_ref_kinds(void **state)
{
	static const char *rel[] = { "release/*", "main" };
	struct forge every = make_forge("every-pr", NULL, 0), mq = make_forge("merge-queue", rel, 2);
	char base[64];
	int64_t n;

	(void)state;
	assert_string_equal(intake_ref_kind(&every, "refs/pull/12/head", &n, base, sizeof(base)), "pr");
	assert_int_equal(n, 12);
	assert_string_equal(base, "main");
	assert_string_equal(intake_ref_kind(&every, "refs/merge-requests/3/head", &n, NULL, 0), "pr");
	assert_string_equal(intake_ref_kind(&every, "refs/heads/main", &n, NULL, 0), "push");
	assert_int_equal(n, 0);
	assert_null(intake_ref_kind(&every, "refs/heads/feature", &n, NULL, 0));
	assert_null(intake_ref_kind(&every, "refs/tags/v1", &n, NULL, 0));
	assert_null(intake_ref_kind(&every, "refs/heads/gh-readonly-queue/main/pr-5-abc", &n, NULL, 0));

	assert_null(intake_ref_kind(&mq, "refs/pull/12/head", &n, NULL, 0));
	assert_string_equal(intake_ref_kind(&mq, "refs/heads/release/1.2", &n, NULL, 0), "push");
	assert_null(intake_ref_kind(&mq, "refs/heads/feature", &n, NULL, 0));
	assert_string_equal(intake_ref_kind(&mq, "refs/heads/gh-readonly-queue/release/1.2/pr-5-0123abc", &n, base,
					    sizeof(base)),
			    "merge_group");
	assert_int_equal(n, 5);
	assert_string_equal(base, "release/1.2");
}

static void test_queue_dedupe_supersede_cancel(void **state)
{
	struct intake_change c = { .forge = "k", .repo = "git://forge/k.git", .kind = "pr", .number = 7,
				   .ref = "refs/pull/7/head", .sha = "aaaa", .base_ref = "main", .title = "T" };
	struct intake_result r = { 0 };
	struct store *s;
	int64_t first, second, third;
	char st[32];

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(intake_queue(&r, s, &c), 0);
	assert_int_equal(r.queued.n, 1);
	first = r.queued.v[0];
	/* The webhook and the poll after it, or a redelivery: one change. */
	assert_int_equal(intake_queue(&r, s, &c), 0);
	assert_int_equal(r.queued.n, 1);
	assert_int_equal(r.known, 1);

	c.sha = "bbbb";
	assert_int_equal(intake_queue(&r, s, &c), 0);
	assert_int_equal(r.queued.n, 2);
	second = r.queued.v[1];
	assert_int_equal(r.superseded.n, 1);
	assert_int_equal(r.superseded.v[0], first);
	assert_string_equal(state_of(s, first, st, sizeof(st)), "superseded");

	/* Forced back to a sha tested before: superseded changes do not count, so it is tested again. */
	c.sha = "aaaa";
	assert_int_equal(intake_queue(&r, s, &c), 0);
	assert_int_equal(r.queued.n, 3);
	third = r.queued.v[2];
	assert_string_equal(state_of(s, second, st, sizeof(st)), "superseded");

	assert_int_equal(intake_cancel(&r, s, "k", "refs/pull/7/head"), 0);
	assert_int_equal(r.cancelled.n, 1);
	assert_int_equal(r.cancelled.v[0], third);
	assert_string_equal(state_of(s, third, st, sizeof(st)), "cancelled");

	/* Pushes to a branch are each tested. */
	{
		struct intake_change p = { .forge = "k", .repo = "git://forge/k.git", .kind = "push",
					   .ref = "refs/heads/main", .sha = "1111" };
		size_t before = r.queued.n;

		assert_int_equal(intake_queue(&r, s, &p), 0);
		p.sha = "2222";
		p.base_sha = "1111";
		assert_int_equal(intake_queue(&r, s, &p), 0);
		assert_int_equal(r.queued.n, before + 2);
		assert_string_equal(state_of(s, r.queued.v[before], st, sizeof(st)), "queued");
	}
	intake_result_release(&r);
	store_close(s);
}

static struct forge_ref ref(const char *name, const char *sha)
{
	struct forge_ref r = { .name = (char *)name };

	snprintf(r.sha, sizeof(r.sha), "%s", sha);
	return r;
}

static void test_poll(void **state)
{
	struct forge f = make_forge("every-pr", NULL, 0);
	struct forge_ref v1[] = { ref("refs/heads/feature", "f1"), ref("refs/heads/main", "m1"),
				  ref("refs/pull/1/head", "p1"), ref("refs/pull/2/head", "q1") };
	struct forge_ref v2[] = { ref("refs/heads/main", "m2"), ref("refs/pull/1/head", "p1"),
				  ref("refs/pull/2/head", "q2"), ref("refs/pull/3/head", "r1") };
	struct forge_ref_list l1 = { v1, 4 }, l2 = { v2, 4 };
	struct intake_result r = { 0 };
	struct store_change c;
	struct store *s;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	/* First poll: what is there is taken as it is. */
	assert_int_equal(intake_poll(&r, s, &f, NULL, &l1, false), 0);
	assert_int_equal(r.queued.n, 0);
	assert_int_equal(r.baseline, 3);
	/* Then only what moved: main (push, base its old head), PR 2, the new PR 3. */
	assert_int_equal(intake_poll(&r, s, &f, NULL, &l2, false), 0);
	assert_int_equal(r.queued.n, 3);
	assert_int_equal(store_change_get(s, r.queued.v[0], &c), 0);
	assert_string_equal(c.ref, "refs/heads/main");
	assert_string_equal(c.kind, "push");
	assert_string_equal(c.sha, "m2");
	assert_string_equal(c.base_sha, "m1");
	assert_null(c.base_ref);
	store_change_release(&c);
	assert_int_equal(store_change_get(s, r.queued.v[2], &c), 0);
	assert_string_equal(c.ref, "refs/pull/3/head");
	assert_string_equal(c.kind, "pr");
	assert_int_equal(c.number, 3);
	assert_string_equal(c.base_ref, "main");
	store_change_release(&c);
	/* Nothing moved: nothing queued. */
	assert_int_equal(intake_poll(&r, s, &f, NULL, &l2, false), 0);
	assert_int_equal(r.queued.n, 3);
	intake_result_release(&r);

	/* Another forge's first poll, asked to queue what it finds (the demo). */
	f.name = "demo";
	assert_int_equal(intake_poll(&r, s, &f, NULL, &l1, true), 0);
	assert_int_equal(r.queued.n, 3);
	intake_result_release(&r);
	store_close(s);
}

static void test_poll_of_an_empty_forge_is_first_once(void **state)
{
	struct forge f = make_forge("every-pr", NULL, 0);
	struct forge_ref v[] = { ref("refs/pull/1/head", "p1") };
	struct forge_ref_list none = { NULL, 0 }, one = { v, 1 };
	struct intake_result r = { 0 };
	struct store *s;

	(void)state;
	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(intake_poll(&r, s, &f, NULL, &none, false), 0);
	assert_int_equal(intake_poll(&r, s, &f, NULL, &one, false), 0);
	assert_int_equal(r.queued.n, 1);
	intake_result_release(&r);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_kinds),
		cmocka_unit_test_setup_teardown(test_queue_dedupe_supersede_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_of_an_empty_forge_is_first_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
