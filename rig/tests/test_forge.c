#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "forge.h"
#include "proc.h"

/*
 * forge's pure parts (where mirrors live, ref kinds), and what only a
 * program can show: threads of one process taking turns on a mirror, a
 * stalled peer cut off in-process, conflict and ambiguity messages. The
 * t05xx scripts cover the rest through `rig forge` and a real git daemon.
 */

static const char *git_env[] = {
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_AUTHOR_NAME=Ada Fixture", "GIT_AUTHOR_EMAIL=ada@example.org",
	"GIT_COMMITTER_NAME=Ada Fixture", "GIT_COMMITTER_EMAIL=ada@example.org",
	"GIT_AUTHOR_DATE=2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2024-01-01T00:00:00Z",
	NULL,
};

/* Runs a shell script in dir; fails the test unless it exits 0. Returns its stdout. */
static char *sh(const char *dir, const char *script)
{
	const char *argv[] = { "sh", "-ec", script, NULL };
	struct proc_opts o = { .argv = argv, .cwd = dir, .env = git_env, .timeout_ms = 60000 };
	struct proc_result r;
	char *out;

	proc_result_init(&r);
	assert_int_equal(proc_run(&r, &o), 0);
	if (r.exit_code != 0)
		fail_msg("script failed (%d): %s\n%s", r.exit_code, script, r.err.data);
	out = buf_detach(&r.out, NULL);
	proc_result_release(&r);
	return out;
}

struct fixture {
	char dir[64];
	char url[128];
	char data[128];
};

/*
 * main; 'left' and 'right' change the same 15 files differently; 'many'
 * adds 1000 small files, enough objects that two ids share 4 hex digits;
 * an annotated tag v1 on main.
 */
static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/rig-test-forge-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->url, sizeof(f->url), "%s/repo", f->dir);
	snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
	free(sh(f->dir,
		"git init -q -b main repo && cd repo\n"
		"for i in $(seq 15); do echo base > c$i.txt; done\n"
		"git add -A && git commit -q -m base\n"
		"git tag -a v1 -m 'version 1'\n"
		"git checkout -q -b left && for i in $(seq 15); do echo left > c$i.txt; done\n"
		"git commit -q -am left\n"
		"git checkout -q -b right main && for i in $(seq 15); do echo right > c$i.txt; done\n"
		"git commit -q -am right\n"
		"git checkout -q main\n"
		/* fast-import: a thousand files on this machine's disks cost seconds */
		"{ printf 'commit refs/heads/many\\ncommitter A <a@b> 1704067200 +0000\\n'\n"
		"  printf 'data 4\\nmany\\nfrom refs/heads/main\\n'\n"
		"  for i in $(seq 1000); do\n"
		"    printf 'M 100644 inline many/f%s\\ndata %s\\n%s\\n' $i $((${#i} + 1)) $i\n"
		"  done; } | git fast-import --quiet\n"));
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	char script[128];

	snprintf(script, sizeof(script), "rm -rf '%s'", f->dir);
	free(sh("/", script));
	free(f);
	return 0;
}

static void test_locate(void **state)
{
	static const struct {
		const char *url, *prefix;
	} cases[] = {
		{ "git://127.0.0.1:9418/fixture.git", "/d/mirrors/127.0.0.1_9418/fixture-" },
		{ "https://github.com/org/kernel.git", "/d/mirrors/github.com/org/kernel-" },
		{ "https://github.com/org/kernel", "/d/mirrors/github.com/org/kernel-" },
		{ "https://bot:s3cret@github.com/org/kernel.git", "/d/mirrors/github.com/org/kernel-" },
		{ "git@github.com:org/kernel.git", "/d/mirrors/github.com/org/kernel-" },
		{ "ssh://git@gitlab.example:2222/a/b.git", "/d/mirrors/gitlab.example_2222/a/b-" },
		{ "file:///srv/x.git", "/d/mirrors/local/srv/x-" },
		{ "/srv/x.git/", "/d/mirrors/local/srv/x-" },
		{ "https://evil.example/../../etc/.hidden", "/d/mirrors/evil.example/_./_./etc/_hidden-" },
		{ "https://h/w%20eird?q=1", "/d/mirrors/h/w_20eird_q_1-" },
		{ "git://host", "/d/mirrors/host/repo-" },
	};
	char *a, *b;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t plen = strlen(cases[i].prefix);

		assert_int_equal(forge_mirror_locate(&a, "/d", cases[i].url), 0);
		if (strncmp(a, cases[i].prefix, plen) != 0 || strlen(a) != plen + 12 + 4 ||
		    strcmp(a + plen + 12, ".git") != 0)
			fail_msg("%s: %s, expected %s<12 hex>.git", cases[i].url, a, cases[i].prefix);
		assert_null(strstr(a, "s3cret"));
		free(a);
	}

	/* A password is no part of a mirror's identity; the URL is. */
	assert_int_equal(forge_mirror_locate(&a, "/d", "https://bot:one@h/x.git"), 0);
	assert_int_equal(forge_mirror_locate(&b, "/d", "https://bot:two@h/x.git"), 0);
	assert_string_equal(a, b);
	free(b);
	assert_int_equal(forge_mirror_locate(&b, "/d", "https://other@h/x.git"), 0);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(forge_mirror_locate(&a, "/d", "file:///srv/x.git"), 0);
	assert_int_equal(forge_mirror_locate(&b, "/d", "/srv/x.git"), 0);
	assert_string_not_equal(a, b);
	free(a);
	free(b);

	/* Long URLs keep a bounded, still unique name. */
	{
		struct buf u;

		buf_init(&u, 0);
		buf_addstr(&u, "https://h/");
		for (int i = 0; i < 100; i++)
			buf_addstr(&u, "very-long-component/");
		buf_addstr(&u, "x.git");
		assert_int_equal(forge_mirror_locate(&a, "/d", u.data), 0);
		assert_true(strlen(a) < 200);
		buf_release(&u);
		free(a);
	}
	assert_int_equal(forge_mirror_locate(&a, "/d", ""), ERR_INVALID);
	assert_null(a);
}

static void test_classify(void **state)
{
	int64_t n;

	(void)state;
	assert_int_equal(forge_ref_classify(&n, "refs/heads/main"), FORGE_REF_BRANCH);
	assert_int_equal(n, 0);
	assert_int_equal(forge_ref_classify(&n, "refs/heads/pull/1/head"), FORGE_REF_BRANCH);
	assert_int_equal(forge_ref_classify(&n, "refs/pull/12/head"), FORGE_REF_PULL);
	assert_int_equal(n, 12);
	assert_int_equal(forge_ref_classify(&n, "refs/merge-requests/7/head"), FORGE_REF_MERGE_REQUEST);
	assert_int_equal(n, 7);
	assert_int_equal(forge_ref_classify(&n, "refs/pull/12/merge"), FORGE_REF_OTHER);
	assert_int_equal(n, 0);
	assert_int_equal(forge_ref_classify(&n, "refs/pull/x/head"), FORGE_REF_OTHER);
	assert_int_equal(forge_ref_classify(&n, "refs/pull/0/head"), FORGE_REF_OTHER);
	assert_int_equal(forge_ref_classify(&n, "refs/pull/99999999999999999999999/head"), FORGE_REF_OTHER);
	assert_int_equal(forge_ref_classify(&n, "refs/tags/v1"), FORGE_REF_OTHER);
	assert_int_equal(forge_ref_classify(&n, "refs/heads/"), FORGE_REF_OTHER);
}

static void test_default_refspecs(void **state)
{
	const char *const *s;
	size_t n;

	(void)state;
	s = forge_default_refspecs(NULL, &n);
	assert_int_equal(n, 2);
	assert_string_equal(s[0], "+refs/heads/*:refs/heads/*");
	assert_string_equal(s[1], "+refs/pull/*/head:refs/pull/*/head");
	s = forge_default_refspecs("github", &n);
	assert_string_equal(s[1], "+refs/pull/*/head:refs/pull/*/head");
	s = forge_default_refspecs("gitlab", &n);
	assert_int_equal(n, 2);
	assert_string_equal(s[1], "+refs/merge-requests/*/head:refs/merge-requests/*/head");
}

struct racer {
	const struct fixture *f;
	int rc;
	size_t changed;
	char msg[ERR_MSG_MAX];
};

static void *race_fetch(void *arg)
{
	struct racer *r = arg;
	struct forge_mirror *m = NULL;
	struct forge_ref_list changed = { 0 };

	r->rc = forge_mirror_open(&m, r->f->data, r->f->url);
	if (r->rc == 0)
		r->rc = forge_fetch(&changed, m, NULL);
	if (r->rc)
		snprintf(r->msg, sizeof(r->msg), "%s", err_msg());
	r->changed = changed.n;
	forge_ref_list_release(&changed);
	forge_mirror_free(m);
	return NULL;
}

/* The daemon fetches from several threads: one mirror handle each, and the
 * lock makes them take turns, so exactly one sees the refs arrive. */
static void test_threads_take_turns(void **state)
{
	const struct fixture *f = *state;
	struct racer r[3];
	pthread_t t[3];

	for (int i = 0; i < 3; i++) {
		r[i] = (struct racer){ .f = f };
		assert_int_equal(pthread_create(&t[i], NULL, race_fetch, &r[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (r[i].rc)
			fail_msg("thread %d: %s", i, r[i].msg);
	}
	/* main, left, right, many */
	assert_int_equal(r[0].changed + r[1].changed + r[2].changed, 4);
	assert_true(r[0].changed == 4 || r[1].changed == 4 || r[2].changed == 4);
}

static void test_stalled_peer_in_process(void **state)
{
	const struct fixture *f = *state;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct forge_fetch_opts o = { .stall_ms = 200, .timeout_ms = 5000 };
	struct forge_mirror *m = NULL;
	char url[64], expect[64];
	long long t0;
	int fd;

	/* Listening, never accepting: the kernel completes the handshake and
	 * the peer then says nothing. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/x.git", ntohs(sa.sin_port));
	assert_int_equal(forge_mirror_open(&m, f->data, url), 0);
	t0 = proc_now_ms();
	assert_int_equal(forge_fetch(NULL, m, &o), ERR_TIMEOUT);
	assert_true(proc_now_ms() - t0 < 2000);
	snprintf(expect, sizeof(expect), "127.0.0.1:%d: nothing for 200 ms", ntohs(sa.sin_port));
	assert_non_null(strstr(err_msg(), expect));

	/* The deadline, not the stall limit, when it comes first. */
	o = (struct forge_fetch_opts){ .stall_ms = 5000, .timeout_ms = 300 };
	t0 = proc_now_ms();
	assert_int_equal(forge_fetch(NULL, m, &o), ERR_TIMEOUT);
	assert_true(proc_now_ms() - t0 < 2000);
	assert_non_null(strstr(err_msg(), "deadline of 300 ms passed"));
	forge_mirror_free(m);
	close(fd);
}

static void test_conflicts_named_and_counted(void **state)
{
	const struct fixture *f = *state;
	struct forge_mirror *m = NULL;
	char tree[FORGE_SHA_SIZE];

	assert_int_equal(forge_mirror_open(&m, f->data, f->url), 0);
	assert_int_equal(forge_fetch(NULL, m, NULL), 0);
	assert_int_equal(forge_merge(tree, m, "left", "right"), ERR_CONFLICT);
	assert_string_equal(tree, "");
	assert_non_null(strstr(err_msg(), "merge 'left' onto 'right' in "));
	assert_non_null(strstr(err_msg(), ": conflict in c1.txt, c10.txt, "));
	assert_non_null(strstr(err_msg(), " and 5 more"));
	assert_int_equal(forge_merge(tree, m, "many", "left"), 0);
	forge_mirror_free(m);
}

static void test_tags_and_ambiguity(void **state)
{
	const struct fixture *f = *state;
	static const char *const specs[] = { "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*" };
	struct forge_fetch_opts o = { .refspecs = specs, .refspecs_n = 2 };
	struct forge_mirror *m = NULL;
	struct forge_ref_list refs = { 0 };
	struct forge_commit c;
	char sha[FORGE_SHA_SIZE], tree[FORGE_SHA_SIZE], script[256];
	char *prefix;

	assert_int_equal(forge_mirror_open(&m, f->data, f->url), 0);
	assert_int_equal(forge_fetch(NULL, m, &o), 0);

	/* An annotated tag peels to its commit. */
	assert_int_equal(forge_resolve(sha, m, "v1"), 0);
	assert_int_equal(forge_commit_get(&c, m, "main"), 0);
	assert_string_equal(sha, c.sha);
	assert_string_equal(c.summary, "base");
	assert_int_equal(c.time, 1704067200);
	assert_int_equal(forge_tree_id(tree, m, "refs/tags/v1"), 0);
	assert_string_equal(tree, c.tree);
	forge_commit_release(&c);

	assert_int_equal(forge_refs(&refs, m), 0);
	assert_int_equal(refs.n, 5);
	assert_string_equal(refs.v[4].name, "refs/tags/v1");
	assert_int_equal(refs.v[4].kind, FORGE_REF_OTHER);
	assert_string_equal(refs.v[4].old_sha, "");
	forge_ref_list_release(&refs);

	/* Over a thousand objects: some 4-digit prefix is shared. */
	snprintf(script, sizeof(script),
		 "git --git-dir='%s' cat-file --batch-all-objects --batch-check='%%(objectname)' "
		 "| cut -c1-4 | sort | uniq -d | head -1 | tr -d '\\n'", forge_mirror_path(m));
	prefix = sh("/", script);
	assert_int_equal(strlen(prefix), 4);
	assert_int_equal(forge_resolve(sha, m, prefix), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "is ambiguous"));
	free(prefix);

	assert_int_equal(forge_resolve(sha, m, ""), ERR_INVALID);
	assert_int_equal(forge_resolve(sha, m, "many:many/f1"), ERR_NOTFOUND);
	forge_mirror_free(m);
}

static void test_mirror_of_another_url(void **state)
{
	const struct fixture *f = *state;
	struct forge_mirror *m = NULL;
	char script[512];

	assert_int_equal(forge_mirror_open(&m, f->data, f->url), 0);
	snprintf(script, sizeof(script), "git config --file '%s/config' rig.url /elsewhere",
		 forge_mirror_path(m));
	free(sh("/", script));
	forge_mirror_free(m);
	assert_int_equal(forge_mirror_open(&m, f->data, f->url), ERR_CONFLICT);
	assert_null(m);
	assert_non_null(strstr(err_msg(), "belongs to /elsewhere"));
}

static void test_folder_without_repository(void **state)
{
	const struct fixture *f = *state;
	struct forge_mirror *m = NULL;
	char *path;

	assert_int_equal(forge_mirror_locate(&path, f->data, "git://nowhere.example/x.git"), 0);
	{
		char script[512];

		snprintf(script, sizeof(script), "mkdir -p '%s' && touch '%s/junk'", path, path);
		free(sh("/", script));
	}
	assert_int_equal(forge_mirror_open(&m, f->data, "git://nowhere.example/x.git"), ERR_IO);
	assert_null(m);
	assert_non_null(strstr(err_msg(), "holds no git repository"));
	free(path);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_default_refspecs),
	};
	/* In order: the race starts from a mirror that does not exist yet. */
	const struct CMUnitTest repo[] = {
		cmocka_unit_test(test_threads_take_turns),
		cmocka_unit_test(test_stalled_peer_in_process),
		cmocka_unit_test(test_conflicts_named_and_counted),
		cmocka_unit_test(test_tags_and_ambiguity),
		cmocka_unit_test(test_mirror_of_another_url),
		cmocka_unit_test(test_folder_without_repository),
	};
	int failed;

	/* Process-wide, as in main.c. */
	if (forge_global_init() != 0) {
		fprintf(stderr, "%s\n", err_msg());
		return 1;
	}
	failed = cmocka_run_group_tests_name("forge", pure, NULL, NULL);
	failed += cmocka_run_group_tests_name("forge with a repository", repo, fixture_setup,
					      fixture_teardown);
	forge_global_shutdown();
	return failed;
}
