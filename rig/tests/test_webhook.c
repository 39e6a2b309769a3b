/*
 * The webhook receiver against the real HTTP server, with libcurl as the
 * forge: real GitHub payloads (data/github), GitLab ones written after its
 * documentation (data/gitlab), signed here with the test's own secrets.
 * Every answer's time is printed at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "diag.h"
#include "err.h"
#include "http.h"
#include "store.h"
#include "webhook.h"

#define HELLO_SECRET "hello: It's a Secret to Everybody"
#define OCTO_SECRET "octo-secret"
#define LAB_TOKEN "lab-token-123"
#define PR_HEAD "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
#define PR_BASE "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"

struct seen {
	char forge[32], event[64], action[32], delivery[64];
	enum webhook_kind kind;
	long long number;
	char ref[256], head_sha[72], base_ref[128], base_sha[72], title[256], author[64], clone_url[256],
		repo[128];
	bool has_base_sha;
};

struct timing {
	char what[96];
	long status;
	long long ms;
};

static struct {
	char dir[64], db[128], url[128], gitlab_url[128];
	struct config *cfg;
	struct http_server *srv;
	struct webhook *hooks;

	pthread_mutex_t lock;
	struct seen seen[256];
	size_t nseen;
	int fail_queue;			/* the next n queue calls fail */

	struct timing times[256];
	size_t ntimes;
} t = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void copy(char *out, size_t n, const char *s)
{
	snprintf(out, n, "%s", s ? s : "");
}

static int queue(void *arg, const struct webhook_event *ev)
{
	struct seen *s;

	(void)arg;
	pthread_mutex_lock(&t.lock);
	if (t.fail_queue > 0) {
		t.fail_queue--;
		pthread_mutex_unlock(&t.lock);
		return err_set(ERR_LIMIT, "the queue is full");
	}
	s = &t.seen[t.nseen++ % 256];
	copy(s->forge, sizeof(s->forge), ev->forge);
	copy(s->event, sizeof(s->event), ev->event);
	copy(s->action, sizeof(s->action), ev->action);
	copy(s->delivery, sizeof(s->delivery), ev->delivery);
	s->kind = ev->kind;
	s->number = ev->number;
	copy(s->ref, sizeof(s->ref), ev->ref);
	copy(s->head_sha, sizeof(s->head_sha), ev->head_sha);
	copy(s->base_ref, sizeof(s->base_ref), ev->base_ref);
	copy(s->base_sha, sizeof(s->base_sha), ev->base_sha);
	s->has_base_sha = ev->base_sha != NULL;
	copy(s->title, sizeof(s->title), ev->title);
	copy(s->author, sizeof(s->author), ev->author);
	copy(s->clone_url, sizeof(s->clone_url), ev->clone_url);
	copy(s->repo, sizeof(s->repo), ev->repo);
	pthread_mutex_unlock(&t.lock);
	return 0;
}

static size_t nseen(void)
{
	size_t n;

	pthread_mutex_lock(&t.lock);
	n = t.nseen;
	pthread_mutex_unlock(&t.lock);
	return n;
}

static const struct seen *last_seen(void)
{
	return &t.seen[(t.nseen - 1) % 256];
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t.dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void write_config(const char *hello_gate)
{
	const char *root = getenv("RIG_HOME") ? getenv("RIG_HOME") : TEST_DATA "/../../..";
	char text[4096];

	snprintf(text, sizeof(text),
		 "data_dir: data\n"
		 "boards_dir: %s/boards\n"
		 "suites_dir: %s/suites\n"
		 "containers_dir: %s/containers\n"
		 "kernel_dir: %s/kernel\n"
		 "forges:\n"
		 "  - name: hello\n"
		 "    url: https://example.invalid/mirror/hello.git\n"
		 "    kind: github\n"
		 "    base: master\n"
		 "    gate: %s\n"
		 "    webhook_secret_file: hello.secret\n"
		 "    status: { api: 'http://127.0.0.1:9/', repo: Codertocat/Hello-World, token_file: token }\n"
		 "  - name: octo\n"
		 "    url: https://github.com/octo-org/octo-repo.git\n"
		 "    kind: github\n"
		 "    gate: merge-queue\n"
		 "    protected_branches: [main, 'release/*']\n"
		 "    webhook_secret_file: octo.secret\n"
		 "  - name: lab\n"
		 "    url: http://example.com/gitlabhq/gitlab-test\n"
		 "    kind: gitlab\n"
		 "    base: master\n"
		 "    webhook_secret_file: lab.secret\n"
		 "  - name: nosecret\n"
		 "    url: https://github.com/Octocoders/Hello-World.git\n"
		 "    kind: github\n"
		 "webhooks:\n"
		 "  max_body: 65536\n",
		 root, root, root, root, hello_gate);
	write_file("rig.yaml", text, 0644);
}

static struct config *load_config(void)
{
	struct config *cfg;
	struct diags d;
	char path[256];

	snprintf(path, sizeof(path), "%s/rig.yaml", t.dir);
	diags_init(&d);
	if (config_load(&cfg, path, &d) != 0) {
		diags_print(&d, stderr);
		cfg = NULL;
	}
	diags_release(&d);
	return cfg;
}

static int setup(void **state)
{
	struct webhook_opts wo = { .queue = queue };
	struct http_opts ho = { .listen = "127.0.0.1:0" };

	(void)state;
	snprintf(t.dir, sizeof(t.dir), "/tmp/rig-webhook-XXXXXX");
	if (!mkdtemp(t.dir))
		return -1;
	write_file("hello.secret", HELLO_SECRET "\n", 0600);
	write_file("octo.secret", OCTO_SECRET "\n", 0600);
	write_file("lab.secret", LAB_TOKEN "\n", 0600);
	write_config("every-pr");
	if (!(t.cfg = load_config()))
		return -1;
	snprintf(t.db, sizeof(t.db), "%s/rig.db", t.dir);
	wo.cfg = t.cfg;
	wo.store_url = t.db;
	if (webhook_new(&t.hooks, &wo) != 0 || http_start(&t.srv, &ho) != 0 || webhook_mount(t.hooks, t.srv) != 0) {
		fprintf(stderr, "setup: %s\n", err_msg());
		return -1;
	}
	snprintf(t.url, sizeof(t.url), "http://127.0.0.1:%d/hooks/github", http_port(t.srv));
	snprintf(t.gitlab_url, sizeof(t.gitlab_url), "http://127.0.0.1:%d/hooks/gitlab", http_port(t.srv));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	long long worst = 0;

	(void)state;
	http_stop(t.srv, 2000);
	webhook_free(t.hooks);
	config_free(t.cfg);
	printf("# answer times (libcurl client on loopback, ASan build when run by make check):\n");
	for (size_t i = 0; i < t.ntimes; i++) {
		printf("#   %-58s HTTP %ld in %3lld ms\n", t.times[i].what, t.times[i].status, t.times[i].ms);
		if (t.times[i].ms > worst)
			worst = t.times[i].ms;
	}
	printf("# %zu answers, the slowest in %lld ms\n", t.ntimes, worst);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- sending ---- */

static char *fixture(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* A fixture with changes made through a callback on its JSON. */
static char *derived(const char *name, void (*change)(json_t *root), size_t *len)
{
	size_t n;
	char *text = fixture(name, &n), *out;
	json_t *root = json_loadb(text, n, 0, NULL);

	assert_non_null(root);
	change(root);
	out = json_dumps(root, 0);
	*len = strlen(out);
	json_decref(root);
	free(text);
	return out;
}

static void sign(char *out, size_t n, const char *secret, const void *body, size_t len)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	int o;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, md, &mdlen);
	o = snprintf(out, n, "X-Hub-Signature-256: sha256=");
	for (unsigned i = 0; i < mdlen; i++)
		o += snprintf(out + o, n - (size_t)o, "%02x", md[i]);
}

static void timed(const char *what, const struct reply *r)
{
	pthread_mutex_lock(&t.lock);
	if (t.ntimes < sizeof(t.times) / sizeof(t.times[0])) {
		copy(t.times[t.ntimes].what, sizeof(t.times[0].what), what);
		t.times[t.ntimes].status = r->status;
		t.times[t.ntimes].ms = r->ms;
		t.ntimes++;
	}
	pthread_mutex_unlock(&t.lock);
	/* Every answer well under a second; asserted loosely, the machine is shared. */
	assert_true(r->ms < 5000);
}

/* POSTs body as GitHub would: event, delivery, signature (secret NULL: none). */
static void github(struct reply *r, const char *what, const char *event, const char *delivery,
		   const char *secret, const void *body, size_t len)
{
	char ev[96], del[128], sig[128];
	const char *headers[6];
	size_t h = 0;

	headers[h++] = "Content-Type: application/json";
	headers[h++] = "User-Agent: GitHub-Hookshot/044aadd";
	if (event) {
		snprintf(ev, sizeof(ev), "X-GitHub-Event: %s", event);
		headers[h++] = ev;
	}
	if (delivery) {
		snprintf(del, sizeof(del), "X-GitHub-Delivery: %s", delivery);
		headers[h++] = del;
	}
	if (secret) {
		sign(sig, sizeof(sig), secret, body, len);
		headers[h++] = sig;
	}
	headers[h] = NULL;
	assert_int_equal(client_request(r, "POST", t.url, headers, body, len), 0);
	timed(what, r);
}

static void github_fixture(struct reply *r, const char *file, const char *event, const char *delivery,
			   const char *secret)
{
	size_t len;
	char *body = fixture(file, &len);

	github(r, file, event, delivery, secret, body, len);
	free(body);
}

static void gitlab(struct reply *r, const char *file, const char *event, const char *uuid, const char *token)
{
	char ev[96], id[128], tok[128], what[96];
	const char *headers[6];
	size_t h = 0, len;
	char *body = fixture(file, &len);

	headers[h++] = "Content-Type: application/json";
	snprintf(ev, sizeof(ev), "X-Gitlab-Event: %s", event);
	headers[h++] = ev;
	if (uuid) {
		snprintf(id, sizeof(id), "X-Gitlab-Event-UUID: %s", uuid);
		headers[h++] = id;
	}
	if (token) {
		snprintf(tok, sizeof(tok), "X-Gitlab-Token: %s", token);
		headers[h++] = tok;
	}
	headers[h] = NULL;
	assert_int_equal(client_request(r, "POST", t.gitlab_url, headers, body, len), 0);
	snprintf(what, sizeof(what), "%s%s", file, token && strcmp(token, LAB_TOKEN) != 0 ? " (bad token)" : "");
	timed(what, r);
	free(body);
}

static void expect_answer(struct reply *r, long status, const char *fragment)
{
	if (r->status != status || (fragment && !strstr(r->body.data, fragment)))
		fprintf(stderr, "expected %ld with '%s', got %ld: %s\n", status, fragment ? fragment : "", r->status,
			r->body.data);
	assert_int_equal(r->status, status);
	assert_string_equal(r->content_type, "application/json");
	assert_string_equal(r->cache_control, "no-store");
	if (fragment)
		assert_non_null(strstr(r->body.data, fragment));
	reply_release(r);
}

/* ---- the tests ---- */

static void test_signature_and_token_checks(void **state)
{
	/* The example of GitHub's documentation on validating webhook deliveries. */
	const char *vector = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

	(void)state;
	assert_true(webhook_github_signature_ok("It's a Secret to Everybody", "Hello, World!", 13, vector));
	assert_false(webhook_github_signature_ok("It's a Secret to Everybody", "Hello, World?", 13, vector));
	assert_false(webhook_github_signature_ok("another secret", "Hello, World!", 13, vector));
	assert_false(webhook_github_signature_ok("It's a Secret to Everybody", "Hello, World!", 13, vector + 7));
	assert_false(webhook_github_signature_ok("It's a Secret to Everybody", "Hello, World!", 13,
						 "sha1=757107ea0eb2509fc211221cce984b8a37570b6d"));
	assert_false(webhook_github_signature_ok("It's a Secret to Everybody", "Hello, World!", 13,
						 "sha256=757107ea0eb2509fc211221cce984b8a37570b6d"));
	assert_false(webhook_github_signature_ok("It's a Secret to Everybody", "Hello, World!", 13,
						 "sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
	/* Upper-case hex is the same signature. */
	assert_true(webhook_github_signature_ok("It's a Secret to Everybody", "Hello, World!", 13,
						"sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"));
	assert_true(webhook_token_ok("tok", "tok"));
	assert_false(webhook_token_ok("tok", "tok2"));
	assert_false(webhook_token_ok("tok", ""));
	assert_false(webhook_token_ok("tok", NULL));
}

static void test_pull_request_events_are_queued(void **state)
{
	static const char *const actions[] = { "opened", "synchronize", "reopened" };
	struct reply r;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char file[64], delivery[64];
		size_t before = nseen();
		const struct seen *s;

		snprintf(file, sizeof(file), "github/pull_request-%s.json", actions[i]);
		snprintf(delivery, sizeof(delivery), "d-pr-%s", actions[i]);
		github_fixture(&r, file, "pull_request", delivery, HELLO_SECRET);
		expect_answer(&r, 202, "\"status\":\"queued\"");
		assert_int_equal(nseen(), before + 1);
		s = last_seen();
		assert_string_equal(s->forge, "hello");
		assert_string_equal(s->event, "pull_request");
		assert_string_equal(s->action, actions[i]);
		assert_string_equal(s->delivery, delivery);
		assert_int_equal(s->kind, WEBHOOK_PR);
		assert_int_equal(s->number, 2);
		assert_string_equal(s->ref, "refs/pull/2/head");
		assert_string_equal(s->head_sha, PR_HEAD);
		assert_string_equal(s->base_ref, "master");
		assert_string_equal(s->base_sha, PR_BASE);
		assert_string_equal(s->title, "Update the README with new information.");
		assert_string_equal(s->author, "Codertocat");
		assert_string_equal(s->clone_url, "https://github.com/Codertocat/Hello-World.git");
		assert_string_equal(s->repo, "Codertocat/Hello-World");
	}
}

static void test_replay_is_acknowledged_once(void **state)
{
	struct reply r;
	size_t before;

	(void)state;
	github_fixture(&r, "github/pull_request-opened.json", "pull_request", "d-replay", HELLO_SECRET);
	expect_answer(&r, 202, "queued");
	before = nseen();
	github_fixture(&r, "github/pull_request-opened.json", "pull_request", "d-replay", HELLO_SECRET);
	expect_answer(&r, 200, "\"status\":\"duplicate\"");
	assert_int_equal(nseen(), before);
}

static void test_bad_signatures_are_refused(void **state)
{
	size_t len, before = nseen();
	char *body = fixture("github/pull_request-opened.json", &len), sig[128];
	const char *headers[] = { "X-GitHub-Event: pull_request", "X-GitHub-Delivery: d-bad", sig, NULL };
	struct reply r;

	(void)state;
	github(&r, "pull_request-opened.json (wrong secret)", "pull_request", "d-bad", "not the secret", body, len);
	expect_answer(&r, 401, "matches no configured github forge");
	github(&r, "pull_request-opened.json (no signature)", "pull_request", "d-bad", NULL, body, len);
	expect_answer(&r, 401, "missing X-Hub-Signature-256");
	/* A signature of the real body over a changed body. */
	sign(sig, sizeof(sig), HELLO_SECRET, body, len);
	body[100] ^= 1;
	assert_int_equal(client_request(&r, "POST", t.url, headers, body, len), 0);
	timed("pull_request-opened.json (tampered body)", &r);
	expect_answer(&r, 401, NULL);
	/* The secret of another forge does not open this one's repository either. */
	body[100] ^= 1;
	github(&r, "pull_request-opened.json (octo's secret)", "pull_request", "d-bad", OCTO_SECRET, body, len);
	expect_answer(&r, 404, "Codertocat/Hello-World is not served");
	assert_int_equal(nseen(), before);
	free(body);
}

static void test_oversized_and_malformed_bodies(void **state)
{
	size_t big = 70000, before = nseen();
	char *body = malloc(big);
	const char *broken = "{\"action\": \"opened\", \"number\": ";
	struct reply r;

	(void)state;
	memset(body, ' ', big);
	body[0] = '{';
	body[big - 1] = '}';
	github(&r, "70000-byte body (cap 65536)", "pull_request", "d-big", HELLO_SECRET, body, big);
	expect_answer(&r, 413, "over the limit of 65536");
	free(body);

	github(&r, "truncated JSON", "pull_request", "d-broken", HELLO_SECRET, broken, strlen(broken));
	expect_answer(&r, 400, "malformed JSON at line 1");
	github(&r, "JSON array", "pull_request", "d-array", HELLO_SECRET, "[1]", 3);
	expect_answer(&r, 400, "not a JSON object");
	github(&r, "no X-GitHub-Event", NULL, "d-noevent", HELLO_SECRET, "{}", 2);
	expect_answer(&r, 400, "missing X-GitHub-Event");
	github(&r, "no X-GitHub-Delivery", "pull_request", NULL, HELLO_SECRET, "{}", 2);
	expect_answer(&r, 400, "missing X-GitHub-Delivery");
	assert_int_equal(nseen(), before);
}

static void drop_head_sha(json_t *root)
{
	json_object_del(json_object_get(json_object_get(root, "pull_request"), "head"), "sha");
}

static void bad_head_sha(json_t *root)
{
	json_object_set_new(json_object_get(json_object_get(root, "pull_request"), "head"), "sha",
			    json_string("$(rm -rf /)"));
}

static void bad_base_ref(json_t *root)
{
	json_object_set_new(json_object_get(json_object_get(root, "pull_request"), "base"), "ref",
			    json_string("../../etc"));
}

static void test_missing_and_invalid_fields_are_named(void **state)
{
	struct reply r;
	size_t len, before = nseen();
	char *body;

	(void)state;
	body = derived("github/pull_request-opened.json", drop_head_sha, &len);
	github(&r, "pull_request without head.sha", "pull_request", "d-nosha", HELLO_SECRET, body, len);
	expect_answer(&r, 400, "missing field pull_request.head.sha");
	free(body);
	body = derived("github/pull_request-opened.json", bad_head_sha, &len);
	github(&r, "pull_request with a bad head.sha", "pull_request", "d-badsha", HELLO_SECRET, body, len);
	expect_answer(&r, 400, "pull_request.head.sha is not a commit id");
	free(body);
	body = derived("github/pull_request-opened.json", bad_base_ref, &len);
	github(&r, "pull_request with base.ref ../../etc", "pull_request", "d-badref", HELLO_SECRET, body, len);
	expect_answer(&r, 400, "pull_request.base.ref is not a valid branch name");
	free(body);
	assert_int_equal(nseen(), before);
}

static void test_ping_and_other_events_are_ignored(void **state)
{
	struct reply r;
	size_t before = nseen();

	(void)state;
	github_fixture(&r, "github/ping.json", "ping", "d-ping", HELLO_SECRET);
	expect_answer(&r, 200, "pong");
	github(&r, "issues event", "issues", "d-issue", HELLO_SECRET, "{\"action\":\"opened\"}", 19);
	expect_answer(&r, 200, "issues events are not acted on");
	/* The ping is authenticated like everything else. */
	github_fixture(&r, "github/ping.json", "ping", "d-ping2", "wrong");
	expect_answer(&r, 401, NULL);
	assert_int_equal(nseen(), before);
}

static void test_closed_pull_request_cancels(void **state)
{
	struct reply r;

	(void)state;
	github_fixture(&r, "github/pull_request-closed.json", "pull_request", "d-closed", HELLO_SECRET);
	expect_answer(&r, 202, "\"kind\":\"cancel\"");
	assert_int_equal(last_seen()->kind, WEBHOOK_CANCEL);
	assert_int_equal(last_seen()->number, 2);
	assert_string_equal(last_seen()->ref, "refs/pull/2/head");
}

static void branch_push(json_t *root)
{
	json_object_set_new(root, "ref", json_string("refs/heads/master"));
	json_object_set_new(root, "after", json_string("0123456789abcdef0123456789abcdef01234567"));
	json_object_set_new(root, "deleted", json_false());
	json_object_set_new(root, "head_commit",
			    json_pack("{s:s, s:s}", "id", "0123456789abcdef0123456789abcdef01234567", "message",
				      "Fix the alarm driver\n\nLonger text."));
}

static void feature_push(json_t *root)
{
	branch_push(root);
	json_object_set_new(root, "ref", json_string("refs/heads/feature"));
}

static void test_pushes(void **state)
{
	struct reply r;
	size_t len, before = nseen();
	char *body;
	const struct seen *s;

	(void)state;
	/* The real payload deletes a tag. */
	github_fixture(&r, "github/push.json", "push", "d-push-tag", HELLO_SECRET);
	expect_answer(&r, 200, "refs/tags/simple-tag is not a branch");
	body = derived("github/push.json", feature_push, &len);
	github(&r, "push to refs/heads/feature", "push", "d-push-feature", HELLO_SECRET, body, len);
	expect_answer(&r, 200, "branch feature is not protected");
	free(body);
	assert_int_equal(nseen(), before);

	body = derived("github/push.json", branch_push, &len);
	github(&r, "push to refs/heads/master", "push", "d-push-master", HELLO_SECRET, body, len);
	expect_answer(&r, 202, "\"kind\":\"push\"");
	free(body);
	s = last_seen();
	assert_int_equal(s->kind, WEBHOOK_PUSH);
	assert_int_equal(s->number, 0);
	assert_string_equal(s->ref, "refs/heads/master");
	assert_string_equal(s->head_sha, "0123456789abcdef0123456789abcdef01234567");
	assert_string_equal(s->base_ref, "master");
	assert_string_equal(s->base_sha, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
	assert_string_equal(s->title, "Fix the alarm driver");
	assert_string_equal(s->author, "Codertocat");
}

static void octo_pull_request(json_t *root)
{
	size_t len;
	char *text = fixture("github/merge_group-checks_requested.json", &len);
	json_t *mg = json_loadb(text, len, 0, NULL);

	json_object_set(root, "repository", json_object_get(mg, "repository"));
	json_decref(mg);
	free(text);
}

static void octo_release_push(json_t *root)
{
	octo_pull_request(root);
	branch_push(root);
	json_object_set_new(root, "ref", json_string("refs/heads/release/1.2"));
}

static void test_merge_queue_gate(void **state)
{
	struct reply r;
	size_t len, before = nseen();
	char *body;
	const struct seen *s;

	(void)state;
	github_fixture(&r, "github/merge_group-checks_requested.json", "merge_group", "d-mg", OCTO_SECRET);
	expect_answer(&r, 202, "\"kind\":\"merge_group\"");
	s = last_seen();
	assert_string_equal(s->forge, "octo");
	assert_int_equal(s->kind, WEBHOOK_MERGE_GROUP);
	assert_string_equal(s->ref,
			    "refs/heads/gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64");
	assert_string_equal(s->head_sha, "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d");
	assert_string_equal(s->base_ref, "main");
	assert_string_equal(s->base_sha, "380387fbc80638b734a49e1be1c4dfec1c01b33c");
	assert_int_equal(s->number, 104);
	assert_string_equal(s->title, "Merge pull request #2048 from octo-repo/update-readme");

	/* A merge-queue forge acknowledges pull requests without queueing them. */
	body = derived("github/pull_request-opened.json", octo_pull_request, &len);
	github(&r, "pull_request on a merge-queue forge", "pull_request", "d-octo-pr", OCTO_SECRET, body, len);
	expect_answer(&r, 200, "gate is merge-queue");
	free(body);
	assert_int_equal(nseen(), before + 1);
	/* … and tests pushes to its protected branches (a pattern here). */
	body = derived("github/push.json", octo_release_push, &len);
	github(&r, "push to release/1.2 on a merge-queue forge", "push", "d-octo-push", OCTO_SECRET, body, len);
	expect_answer(&r, 202, "\"kind\":\"push\"");
	free(body);
	assert_string_equal(last_seen()->base_ref, "release/1.2");

	/* A reload switches hello to merge-queue: its pull requests are then only acknowledged. */
	write_config("merge-queue");
	config_free(t.cfg);
	assert_non_null(t.cfg = load_config());
	assert_int_equal(webhook_reload(t.hooks, t.cfg), 0);
	before = nseen();
	github_fixture(&r, "github/pull_request-synchronize.json", "pull_request", "d-mq-pr", HELLO_SECRET);
	expect_answer(&r, 200, "gate is merge-queue");
	assert_int_equal(nseen(), before);
	write_config("every-pr");
	config_free(t.cfg);
	assert_non_null(t.cfg = load_config());
	assert_int_equal(webhook_reload(t.hooks, t.cfg), 0);
}

static void test_gitlab(void **state)
{
	struct reply r;
	const struct seen *s;
	size_t before;

	(void)state;
	gitlab(&r, "gitlab/merge_request-open.json", "Merge Request Hook", "gl-1", LAB_TOKEN);
	expect_answer(&r, 202, "\"kind\":\"pr\"");
	s = last_seen();
	assert_string_equal(s->forge, "lab");
	assert_string_equal(s->event, "Merge Request Hook");
	assert_int_equal(s->kind, WEBHOOK_PR);
	assert_int_equal(s->number, 1);
	assert_string_equal(s->ref, "refs/merge-requests/1/head");
	assert_string_equal(s->head_sha, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
	assert_string_equal(s->base_ref, "master");
	assert_false(s->has_base_sha);
	assert_string_equal(s->title, "MS-Viewport");
	assert_string_equal(s->author, "root");
	assert_string_equal(s->repo, "gitlabhq/gitlab-test");
	assert_string_equal(s->clone_url, "http://example.com/gitlabhq/gitlab-test.git");

	gitlab(&r, "gitlab/merge_request-update.json", "Merge Request Hook", "gl-2", LAB_TOKEN);
	expect_answer(&r, 202, "\"kind\":\"pr\"");
	before = nseen();
	gitlab(&r, "gitlab/merge_request-update-title.json", "Merge Request Hook", "gl-3", LAB_TOKEN);
	expect_answer(&r, 200, "without new commits");
	gitlab(&r, "gitlab/merge_request-open.json", "Merge Request Hook", "gl-1", LAB_TOKEN);
	expect_answer(&r, 200, "duplicate");
	gitlab(&r, "gitlab/merge_request-open.json", "Merge Request Hook", "gl-4", "wrong-token");
	expect_answer(&r, 401, "X-Gitlab-Token matches no configured gitlab forge");
	gitlab(&r, "gitlab/merge_request-open.json", "Merge Request Hook", "gl-5", NULL);
	expect_answer(&r, 401, "missing X-Gitlab-Token");
	gitlab(&r, "gitlab/push.json", "Tag Push Hook", "gl-6", LAB_TOKEN);
	expect_answer(&r, 200, "not acted on");
	assert_int_equal(nseen(), before);

	gitlab(&r, "gitlab/merge_request-close.json", "Merge Request Hook", "gl-7", LAB_TOKEN);
	expect_answer(&r, 202, "\"kind\":\"cancel\"");
	assert_int_equal(last_seen()->kind, WEBHOOK_CANCEL);
	gitlab(&r, "gitlab/push.json", "Push Hook", "gl-8", LAB_TOKEN);
	expect_answer(&r, 202, "\"kind\":\"push\"");
	s = last_seen();
	assert_int_equal(s->kind, WEBHOOK_PUSH);
	assert_string_equal(s->ref, "refs/heads/master");
	assert_string_equal(s->head_sha, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
	assert_string_equal(s->base_sha, "95790bf891e76fee5e1747ab589903a6a1f80f22");
	assert_string_equal(s->title, "fixed readme");
	assert_string_equal(s->author, "jsmith");
	/* Without a delivery id (older GitLab) the hook is taken, with no replay protection. */
	gitlab(&r, "gitlab/push.json", "Push Hook", NULL, LAB_TOKEN);
	expect_answer(&r, 202, "queued");
}

static void test_queue_failure_forgets_the_delivery(void **state)
{
	struct reply r;
	size_t before = nseen();

	(void)state;
	pthread_mutex_lock(&t.lock);
	t.fail_queue = 1;
	pthread_mutex_unlock(&t.lock);
	github_fixture(&r, "github/pull_request-reopened.json", "pull_request", "d-full", HELLO_SECRET);
	expect_answer(&r, 503, "cannot queue the event: the queue is full");
	assert_int_equal(nseen(), before);
	/* The forge's redelivery (same id) is taken. */
	github_fixture(&r, "github/pull_request-reopened.json", "pull_request", "d-full", HELLO_SECRET);
	expect_answer(&r, 202, "queued");
	assert_int_equal(nseen(), before + 1);
}

static void test_other_methods_and_kinds(void **state)
{
	struct reply r;

	(void)state;
	assert_int_equal(client_request(&r, "GET", t.url, NULL, NULL, 0), 0);
	timed("GET /hooks/github", &r);
	expect_answer(&r, 405, "POSTed");
}

/* ---- many at once ---- */

struct burst {
	int i;
	char *body;
	size_t len;
	long status;
};

static void *burst_one(void *arg)
{
	struct burst *b = arg;
	char delivery[32], what[64];
	struct reply r;

	/* Eight distinct deliveries, then eight copies of one. */
	if (b->i < 8)
		snprintf(delivery, sizeof(delivery), "d-burst-%d", b->i);
	else
		snprintf(delivery, sizeof(delivery), "d-burst-same");
	snprintf(what, sizeof(what), "concurrent delivery %d (%s)", b->i, delivery);
	github(&r, what, "pull_request", delivery, HELLO_SECRET, b->body, b->len);
	b->status = r.status;
	reply_release(&r);
	return NULL;
}

static void test_concurrent_deliveries(void **state)
{
	struct burst b[16];
	pthread_t th[16];
	size_t len, before = nseen();
	char *body = fixture("github/pull_request-synchronize.json", &len);
	int accepted = 0, duplicates = 0;

	(void)state;
	for (int i = 0; i < 16; i++) {
		b[i] = (struct burst){ .i = i, .body = body, .len = len };
		pthread_create(&th[i], NULL, burst_one, &b[i]);
	}
	for (int i = 0; i < 16; i++) {
		pthread_join(th[i], NULL);
		accepted += b[i].status == 202;
		duplicates += b[i].status == 200;
	}
	/* The copies race on one id: exactly one of them is queued. */
	assert_int_equal(accepted, 9);
	assert_int_equal(duplicates, 7);
	assert_int_equal(nseen(), before + 9);
	free(body);
}

static void test_counters(void **state)
{
	struct webhook_counter *c;
	size_t n, total_seen = nseen();
	uint64_t accepted = 0;
	bool hello = false, unmatched = false;

	(void)state;
	assert_int_equal(webhook_counters(&c, &n, t.hooks), 0);
	for (size_t i = 0; i < n; i++) {
		printf("# counters %-6s received %3llu accepted %3llu ignored %3llu duplicate %3llu rejected %3llu\n",
		       c[i].forge[0] ? c[i].forge : "(none)", (unsigned long long)c[i].received,
		       (unsigned long long)c[i].accepted, (unsigned long long)c[i].ignored,
		       (unsigned long long)c[i].duplicate, (unsigned long long)c[i].rejected);
		assert_int_equal(c[i].received, c[i].accepted + c[i].ignored + c[i].duplicate + c[i].rejected);
		accepted += c[i].accepted;
		if (strcmp(c[i].forge, "hello") == 0)
			hello = c[i].duplicate >= 8 && c[i].ignored >= 1;
		if (c[i].forge[0] == '\0')
			unmatched = c[i].rejected >= 3;
	}
	assert_int_equal(accepted, total_seen);
	assert_true(hello);
	assert_true(unmatched);
	free(c);
}

static void test_refuses_a_readable_secret(void **state)
{
	struct webhook_opts wo = { .queue = queue, .store_url = t.db };
	struct webhook *w;

	(void)state;
	write_file("hello.secret", HELLO_SECRET "\n", 0644);
	wo.cfg = t.cfg;
	assert_int_equal(webhook_new(&w, &wo), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "forge hello: webhook secret"));
	assert_non_null(strstr(err_msg(), "chmod 600"));
	/* A reload keeps the secrets in force when the new ones cannot be read. */
	assert_int_equal(webhook_reload(t.hooks, t.cfg), ERR_INVALID);
	write_file("hello.secret", HELLO_SECRET "\n", 0600);
}

/* ---- mutated payloads ---- */

static unsigned next_random(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8) & 0xFFFFFF;
}

/* The fields the receiver reads, per fixture: where a wrong type or value hurts most. */
static const char *const github_paths[] = {
	"action", "number", "pull_request", "pull_request.number", "pull_request.head", "pull_request.head.sha",
	"pull_request.base.ref", "pull_request.base.sha", "pull_request.title", "pull_request.user",
	"pull_request.user.login", "repository", "repository.full_name", "repository.clone_url", "ref", "after",
	"before", "deleted", "head_commit", "head_commit.message", "merge_group", "merge_group.head_ref",
	"merge_group.head_sha", "merge_group.base_ref", "merge_group.base_sha", "sender.login", NULL,
};

static const char *const gitlab_paths[] = {
	"object_kind", "object_attributes", "object_attributes.action", "object_attributes.iid",
	"object_attributes.oldrev", "object_attributes.last_commit", "object_attributes.last_commit.id",
	"object_attributes.target_branch", "object_attributes.title", "project", "project.path_with_namespace",
	"project.git_http_url", "user.username", "user_username", "ref", "after", "before", "commits", NULL,
};

static json_t *odd_value(unsigned *seed)
{
	static const char *const strings[] = {
		"", "refs/heads/../x", "refs/pull/1/head", "0000000000000000000000000000000000000000",
		"EC26C3E57CA3A959CA5AAD62DE7213C562F8C821", "main\n", "\xC3\xA9t\xC3\xA9", "a b", "--upload-pack=x",
		"refs/heads/gh-readonly-queue/main/pr-99999999999999999999-x",
	};

	switch (next_random(seed) % 8) {
	case 0:
		return json_null();
	case 1:
		return json_integer((json_int_t)next_random(seed) - 8000000);
	case 2:
		return json_real(1.5);
	case 3:
		return json_true();
	case 4:
		return json_pack("[i, s]", 1, "x");
	case 5:
		return json_pack("{s:s}", "sha", "x");
	case 6: {
		char longer[5000];

		memset(longer, 'a', sizeof(longer) - 1);
		longer[sizeof(longer) - 1] = '\0';
		return json_string(longer);
	}
	default:
		return json_string(strings[next_random(seed) % (sizeof(strings) / sizeof(strings[0]))]);
	}
}

/* Sets (or deletes) the value at a dotted path, when its parents are objects. */
static void mutate_at(json_t *root, const char *path, unsigned *seed)
{
	char parent[128];
	const char *dot = strrchr(path, '.');
	json_t *obj = root;

	if (dot) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(dot - path), path);
		for (char *p = parent, *k; (k = strsep(&p, ".")) != NULL;)
			obj = json_object_get(obj, k);
	}
	if (!json_is_object(obj))
		return;
	if (next_random(seed) % 5 == 0)
		json_object_del(obj, dot ? dot + 1 : path);
	else
		json_object_set_new(obj, dot ? dot + 1 : path, odd_value(seed));
}

static void check_event(const struct seen *s)
{
	size_t n = strlen(s->head_sha);

	assert_true(n == 40 || n == 64);
	assert_int_equal(strspn(s->head_sha, "0123456789abcdef"), n);
	assert_true(strncmp(s->ref, "refs/", 5) == 0);
	assert_null(strstr(s->ref, ".."));
	assert_null(strchr(s->ref, ' '));
	assert_null(strchr(s->base_ref, '\n'));
}

/*
 * Authenticated but mangled payloads (fields of the wrong type, missing,
 * odd values, bytes flipped, cut short): each gets an answer that is not a
 * server error, and whatever is queued is still well-formed. Run under
 * ASan/UBSan by make check.
 */
static void test_mutated_payloads_never_crash(void **state)
{
	static const struct {
		const char *file, *event;
		bool gitlab;
	} sources[] = {
		{ "github/pull_request-opened.json", "pull_request", false },
		{ "github/pull_request-closed.json", "pull_request", false },
		{ "github/merge_group-checks_requested.json", "merge_group", false },
		{ "github/push.json", "push", false },
		{ "gitlab/merge_request-update.json", "Merge Request Hook", true },
		{ "gitlab/push.json", "Push Hook", true },
	};
	unsigned seed = 20261121;
	int answers[600] = { 0 };

	(void)state;
	for (int i = 0; i < 360; i++) {
		const size_t which = (size_t)i % (sizeof(sources) / sizeof(sources[0]));
		const char *const *paths = sources[which].gitlab ? gitlab_paths : github_paths;
		size_t npaths = 0, len, before = nseen();
		char *text = fixture(sources[which].file, &len), *body;
		json_t *root = json_loadb(text, len, 0, NULL);
		char delivery[64], event[96], tok[64], id[96], sig[128];
		const char *headers[6] = { "Content-Type: application/json", event, id, NULL, NULL, NULL };
		struct reply r;

		while (paths[npaths])
			npaths++;
		if (strcmp(sources[which].event, "push") == 0)
			branch_push(root);
		for (unsigned m = 0, count = 1 + next_random(&seed) % 3; m < count; m++)
			mutate_at(root, paths[next_random(&seed) % npaths], &seed);
		body = json_dumps(root, 0);
		len = strlen(body);
		/* A few are damaged as bytes, not as JSON. */
		if (i % 7 == 3)
			body[next_random(&seed) % len] ^= (char)(1 + next_random(&seed) % 255);
		if (i % 11 == 5)
			len = next_random(&seed) % len;
		snprintf(delivery, sizeof(delivery), "d-mut-%d", i);
		if (sources[which].gitlab) {
			snprintf(event, sizeof(event), "X-Gitlab-Event: %s", sources[which].event);
			snprintf(id, sizeof(id), "X-Gitlab-Event-UUID: %s", delivery);
			snprintf(tok, sizeof(tok), "X-Gitlab-Token: %s", LAB_TOKEN);
			headers[3] = tok;
			assert_int_equal(client_request(&r, "POST", t.gitlab_url, headers, body, len), 0);
		} else {
			snprintf(event, sizeof(event), "X-GitHub-Event: %s", sources[which].event);
			snprintf(id, sizeof(id), "X-GitHub-Delivery: %s", delivery);
			sign(sig, sizeof(sig), strstr(sources[which].file, "merge_group") ? OCTO_SECRET : HELLO_SECRET,
			     body, len);
			headers[3] = sig;
			assert_int_equal(client_request(&r, "POST", t.url, headers, body, len), 0);
		}
		if (r.status >= 500 || (r.status != 200 && r.status != 202 && r.status != 400 && r.status != 404))
			fprintf(stderr, "mutation %d of %s: %ld %s\n%.*s\n", i, sources[which].file, r.status,
				r.body.data, (int)len, body);
		assert_true(r.status == 200 || r.status == 202 || r.status == 400 || r.status == 404);
		assert_true(r.ms < 5000);
		answers[r.status]++;
		if (r.status == 202) {
			assert_int_equal(nseen(), before + 1);
			check_event(last_seen());
		} else {
			assert_int_equal(nseen(), before);
		}
		reply_release(&r);
		free(body);
		json_decref(root);
		free(text);
	}
	printf("# 360 mutated payloads: %d queued, %d ignored or duplicate, %d refused (400), %d unknown repository\n",
	       answers[202], answers[200], answers[400], answers[404]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_and_token_checks),
		cmocka_unit_test(test_pull_request_events_are_queued),
		cmocka_unit_test(test_replay_is_acknowledged_once),
		cmocka_unit_test(test_bad_signatures_are_refused),
		cmocka_unit_test(test_oversized_and_malformed_bodies),
		cmocka_unit_test(test_missing_and_invalid_fields_are_named),
		cmocka_unit_test(test_ping_and_other_events_are_ignored),
		cmocka_unit_test(test_closed_pull_request_cancels),
		cmocka_unit_test(test_pushes),
		cmocka_unit_test(test_merge_queue_gate),
		cmocka_unit_test(test_gitlab),
		cmocka_unit_test(test_queue_failure_forgets_the_delivery),
		cmocka_unit_test(test_other_methods_and_kinds),
		cmocka_unit_test(test_concurrent_deliveries),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_mutated_payloads_never_crash),
		cmocka_unit_test(test_refuses_a_readable_secret),
	};
	int rc;

	/* Process-wide set-up, as main.c does it: civetweb, and libcurl for the client. */
	if (http_library_init() != 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	http_library_cleanup();
	return rc;
}
