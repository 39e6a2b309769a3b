/*
 * Commit statuses against a fake forge (fake_forge.py, a separate process
 * on a random loopback port) that records what it receives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "diag.h"
#include "err.h"
#include "proc.h"
#include "report.h"
#include "store.h"

#define GH_TOKEN "ghp_t3st-token"
#define LAB_TOKEN "glpat-t3st-token"
#define SHA1 "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
#define SHA2 "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
#define SHA3 "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
#define TARGET "http://rig.example/changes/1"

static struct {
	char dir[64], db[128];
	struct proc forge;
	int port, dead_port, blackhole_port, blackhole_fd;
	struct config *cfg;
	struct report *report;
	struct store *store;
} t = { .blackhole_fd = -1 };

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

/* Starts the fake forge and waits, with a deadline, for the port it prints. */
static int start_forge(void)
{
	char script[512], line[64];
	const char *argv[] = { "python3", script, "--github-token", GH_TOKEN, "--gitlab-token", LAB_TOKEN, NULL };
	struct proc_opts o = { .argv = argv, .in = PROC_STDIO_PIPE, .out = PROC_STDIO_PIPE,
			       .err = PROC_STDIO_INHERIT };
	long long deadline = proc_now_ms() + 15000;
	size_t len = 0;

	snprintf(script, sizeof(script), "%s/../fake_forge.py", TEST_DATA);
	if (proc_spawn(&t.forge, &o) != 0) {
		fprintf(stderr, "fake forge: %s\n", err_msg());
		return -1;
	}
	while (!memchr(line, '\n', len)) {
		struct pollfd pfd = { .fd = t.forge.out_fd, .events = POLLIN };
		long long left = deadline - proc_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			fprintf(stderr, "fake forge: no port within 15 s\n");
			return -1;
		}
		n = read(t.forge.out_fd, line + len, sizeof(line) - 1 - len);
		if (n <= 0) {
			fprintf(stderr, "fake forge: exited before it was ready\n");
			return -1;
		}
		len += (size_t)n;
		line[len] = '\0';
	}
	return sscanf(line, "port %d", &t.port) == 1 ? 0 : -1;
}

/* A port nobody listens on, and one whose listener never accepts. */
static int unused_ports(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	t.dead_port = ntohs(sa.sin_port);
	close(fd);
	t.blackhole_fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = 0;
	len = sizeof(sa);
	if (bind(t.blackhole_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(t.blackhole_fd, 16) != 0 ||
	    getsockname(t.blackhole_fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	t.blackhole_port = ntohs(sa.sin_port);
	return 0;
}

static void write_config(void)
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
		 "  - name: gh\n"
		 "    url: https://github.com/Codertocat/Hello-World.git\n"
		 "    kind: github\n"
		 "    status: { api: 'http://127.0.0.1:%d/api/v3/', repo: Codertocat/Hello-World,\n"
		 "              token_file: gh.token, context: rig/hil }\n"
		 "  - name: lab\n"
		 "    url: https://gitlab.example/group/sub/kernel.git\n"
		 "    kind: gitlab\n"
		 "    status: { api: 'http://127.0.0.1:%d/api/v4', repo: group/sub/kernel, token_file: lab.token }\n"
		 "  - name: dead\n"
		 "    url: https://github.com/Codertocat/Hello-World.git\n"
		 "    kind: github\n"
		 "    status: { api: 'http://127.0.0.1:%d', repo: a/b, token_file: gh.token }\n"
		 "  - name: blackhole\n"
		 "    url: https://github.com/Codertocat/Hello-World.git\n"
		 "    kind: github\n"
		 "    status: { api: 'http://127.0.0.1:%d', repo: a/b, token_file: gh.token }\n",
		 root, root, root, root, t.port, t.port, t.dead_port, t.blackhole_port);
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

static const struct report_opts fast = { .connect_timeout_ms = 1000, .timeout_ms = 2000, .attempts = 3,
					 .backoff_ms = 50 };

static int setup(void **state)
{
	(void)state;
	snprintf(t.dir, sizeof(t.dir), "/tmp/rig-report-XXXXXX");
	if (!mkdtemp(t.dir) || start_forge() != 0 || unused_ports() != 0)
		return -1;
	write_file("gh.token", GH_TOKEN "\n", 0600);
	write_file("lab.token", LAB_TOKEN "\n", 0600);
	write_config();
	snprintf(t.db, sizeof(t.db), "%s/rig.db", t.dir);
	if (!(t.cfg = load_config()) || report_new(&t.report, t.cfg, &fast) != 0 || store_open(&t.store, t.db) != 0) {
		fprintf(stderr, "setup: %s\n", err_msg());
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(t.store);
	report_free(t.report);
	config_free(t.cfg);
	/* The forge goes with its process group, whatever it was doing. */
	proc_stop(&t.forge, 1000);
	if (t.blackhole_fd >= 0)
		close(t.blackhole_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- talking to the fake forge ---- */

static void forge_control(const char *path, const char *json)
{
	char url[128];
	struct reply r;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", t.port, path);
	assert_int_equal(client_request(&r, "POST", url, NULL, json, strlen(json)), 0);
	assert_int_equal(r.status, 200);
	reply_release(&r);
}

/* Every status post the forge received since the last reset; json_decref it. */
static json_t *forge_requests(void)
{
	char url[128];
	struct reply r;
	json_t *list;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/__requests", t.port);
	assert_int_equal(client_request(&r, "GET", url, NULL, NULL, 0), 0);
	assert_int_equal(r.status, 200);
	list = json_loadb(r.body.data, r.body.len, 0, NULL);
	reply_release(&r);
	assert_true(json_is_array(list));
	return list;
}

static const char *req_str(json_t *list, size_t i, const char *section, const char *key)
{
	json_t *v = json_object_get(json_object_get(json_array_get(list, i), section), key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *req_path(json_t *list, size_t i)
{
	return json_string_value(json_object_get(json_array_get(list, i), "path"));
}

static int64_t change(const char *forge, const char *sha)
{
	struct store_change c = { .repo = "r", .forge = (char *)forge, .kind = "pr", .ref = "refs/pull/2/head",
				  .sha = (char *)sha };

	assert_int_equal(store_change_add(t.store, &c), 0);
	return c.id;
}

static int post(int64_t change_id, const char *forge, const char *sha, enum report_state state,
		const char *description, int *http)
{
	struct report_status st = { .change_id = change_id, .forge = forge, .sha = sha, .state = state,
				    .description = description, .target_url = TARGET };

	return report_post(http, t.report, t.store, &st);
}

/* ---- the tests ---- */

static void test_state_mapping(void **state)
{
	(void)state;
	assert_string_equal(report_forge_state("github", REPORT_QUEUED), "pending");
	assert_string_equal(report_forge_state("github", REPORT_RUNNING), "pending");
	assert_string_equal(report_forge_state("github", REPORT_PASS), "success");
	assert_string_equal(report_forge_state("github", REPORT_FAIL), "failure");
	assert_string_equal(report_forge_state("github", REPORT_ERROR), "error");
	assert_string_equal(report_forge_state("github", REPORT_CANCELLED), "error");
	assert_string_equal(report_forge_state("gitlab", REPORT_QUEUED), "pending");
	assert_string_equal(report_forge_state("gitlab", REPORT_RUNNING), "running");
	assert_string_equal(report_forge_state("gitlab", REPORT_PASS), "success");
	assert_string_equal(report_forge_state("gitlab", REPORT_FAIL), "failed");
	assert_string_equal(report_forge_state("gitlab", REPORT_ERROR), "failed");
	assert_string_equal(report_forge_state("gitlab", REPORT_CANCELLED), "canceled");
}

static size_t code_points(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void test_description_cut(void **state)
{
	char out[REPORT_DESCRIPTION_SIZE], in[2048], small[8];

	(void)state;
	memset(in, 'a', 300);
	in[300] = '\0';
	report_cut_description(out, sizeof(out), in, 140);
	assert_int_equal(code_points(out), 140);
	assert_string_equal(out + 139, "\xE2\x80\xA6");
	in[140] = '\0';
	report_cut_description(out, sizeof(out), in, 140);
	assert_string_equal(out, in);

	/* Two-, three- and four-byte characters are counted as one and never split. */
	for (int i = 0; i < 100; i++)
		memcpy(in + 9 * i, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x94\xA5", 9);
	in[900] = '\0';
	report_cut_description(out, sizeof(out), in, 140);
	assert_int_equal(code_points(out), 140);
	assert_memory_equal(out, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x94\xA5", 9);
	{
		/* jansson takes only valid UTF-8. */
		json_t *j = json_string(out);

		assert_non_null(j);
		json_decref(j);
	}

	/* Invalid bytes become U+FFFD, controls spaces: the JSON is always valid. */
	report_cut_description(out, sizeof(out), "ok\xFF\xC3(x\n\ty\x7F", 140);
	assert_string_equal(out, "ok\xEF\xBF\xBD\xEF\xBF\xBD(x  y ");
	/* A small buffer cuts on a character boundary too. */
	report_cut_description(small, sizeof(small), "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 140);
	assert_string_equal(small, "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
	report_cut_description(out, sizeof(out), NULL, 140);
	assert_string_equal(out, "");
}

static void test_github_pending_then_verdicts(void **state)
{
	int64_t id = change("gh", SHA1);
	struct store_status *rows;
	char long_text[400];
	json_t *list, *body;
	size_t n;
	int http;

	(void)state;
	forge_control("/__reset", "{}");
	assert_int_equal(post(id, "gh", SHA1, REPORT_QUEUED, NULL, &http), 0);
	assert_int_equal(http, 201);
	assert_int_equal(post(id, "gh", SHA1, REPORT_PASS, "12 cases passed on 3 targets", &http), 0);
	assert_int_equal(post(id, "gh", SHA1, REPORT_FAIL, "ipc/notify failed on hifive1", &http), 0);
	assert_int_equal(post(id, "gh", SHA1, REPORT_ERROR, "flash failed on nrf52-3", &http), 0);
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	assert_int_equal(post(id, "gh", SHA1, REPORT_PASS, long_text, &http), 0);

	list = forge_requests();
	assert_int_equal(json_array_size(list), 5);
	assert_string_equal(req_path(list, 0), "/api/v3/repos/Codertocat/Hello-World/statuses/" SHA1);
	assert_string_equal(req_str(list, 0, "headers", "authorization"), "Bearer " GH_TOKEN);
	assert_string_equal(req_str(list, 0, "headers", "accept"), "application/vnd.github+json");
	assert_string_equal(req_str(list, 0, "headers", "content-type"), "application/json");
	assert_true(strncmp(req_str(list, 0, "headers", "user-agent"), "rig/", 4) == 0);
	body = json_object_get(json_array_get(list, 0), "json");
	assert_int_equal(json_object_size(body), 4);
	assert_string_equal(req_str(list, 0, "json", "state"), "pending");
	assert_string_equal(req_str(list, 0, "json", "context"), "rig/hil");
	assert_string_equal(req_str(list, 0, "json", "description"), "queued");
	assert_string_equal(req_str(list, 0, "json", "target_url"), TARGET);
	assert_string_equal(req_str(list, 1, "json", "state"), "success");
	assert_string_equal(req_str(list, 1, "json", "description"), "12 cases passed on 3 targets");
	assert_string_equal(req_str(list, 2, "json", "state"), "failure");
	/* An infrastructure error is GitHub's error, never a failure of the change. */
	assert_string_equal(req_str(list, 3, "json", "state"), "error");
	assert_string_equal(req_str(list, 3, "json", "description"), "flash failed on nrf52-3");
	assert_int_equal(code_points(req_str(list, 4, "json", "description")), 140);
	json_decref(list);

	assert_int_equal(store_statuses_list(t.store, id, &rows, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(rows[0].state, "pending");
	assert_string_equal(rows[3].state, "error");
	assert_int_equal(rows[4].http_status, 201);
	assert_int_equal(code_points(rows[4].description), 140);
	assert_string_equal(rows[0].target_url, TARGET);
	store_statuses_free(rows, n);
}

static void test_gitlab_states(void **state)
{
	static const char *const want[] = { "pending", "running", "success", "failed", "failed", "canceled" };
	int64_t id = change("lab", SHA3);
	struct report_status st = { .change_id = id, .forge = "lab", .sha = SHA3, .ref = "master",
				    .target_url = TARGET };
	json_t *list;

	(void)state;
	forge_control("/__reset", "{}");
	for (int s = REPORT_QUEUED; s <= REPORT_CANCELLED; s++) {
		st.state = (enum report_state)s;
		st.description = s == REPORT_ERROR ? "QEMU did not start" : NULL;
		assert_int_equal(report_post(NULL, t.report, t.store, &st), 0);
	}
	list = forge_requests();
	assert_int_equal(json_array_size(list), 6);
	for (size_t i = 0; i < 6; i++) {
		/* The project's path is one URL segment: its slashes encoded. */
		assert_string_equal(req_path(list, i), "/api/v4/projects/group%2Fsub%2Fkernel/statuses/" SHA3);
		assert_string_equal(req_str(list, i, "headers", "private-token"), LAB_TOKEN);
		assert_null(req_str(list, i, "headers", "authorization"));
		assert_string_equal(req_str(list, i, "json", "state"), want[i]);
		assert_string_equal(req_str(list, i, "json", "name"), "rig");
		assert_string_equal(req_str(list, i, "json", "ref"), "master");
		assert_string_equal(req_str(list, i, "json", "target_url"), TARGET);
	}
	assert_string_equal(req_str(list, 0, "json", "description"), "queued");
	assert_string_equal(req_str(list, 4, "json", "description"), "infrastructure error: QEMU did not start");
	assert_string_equal(req_str(list, 5, "json", "description"), "cancelled");
	json_decref(list);

	/* GitLab refuses to set the state a commit already has: that counts as done. */
	forge_control("/__plan",
		      "[{\"status\": 400, \"body\": {\"message\": \"Cannot transition status via :run from :running\"}}]");
	st.state = REPORT_RUNNING;
	assert_int_equal(report_post(NULL, t.report, t.store, &st), 0);
}

static void test_retries(void **state)
{
	int64_t id = change("gh", SHA2);
	struct store_status *rows;
	json_t *list;
	size_t n;
	int http;

	(void)state;
	/* A 502, then the forge takes it. */
	forge_control("/__reset", "{}");
	forge_control("/__plan", "[502]");
	assert_int_equal(post(id, "gh", SHA2, REPORT_QUEUED, NULL, &http), 0);
	assert_int_equal(http, 201);
	list = forge_requests();
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(req_str(list, 1, "json", "state"), "pending");
	json_decref(list);

	/* A 4xx is not retried, and the forge's words are in the message. */
	forge_control("/__reset", "{}");
	forge_control("/__plan", "[{\"status\": 422, \"body\": {\"message\": \"Validation Failed\"}}]");
	assert_int_equal(post(id, "gh", SHA2, REPORT_PASS, NULL, &http), ERR_INVALID);
	assert_int_equal(http, 422);
	assert_non_null(strstr(err_msg(), "HTTP 422: Validation Failed"));
	list = forge_requests();
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);

	/* 5xx every time: given up after the attempts. */
	forge_control("/__reset", "{}");
	forge_control("/__plan", "[500, 503, 500]");
	assert_int_equal(post(id, "gh", SHA2, REPORT_PASS, NULL, &http), ERR_IO);
	assert_int_equal(http, 500);
	assert_non_null(strstr(err_msg(), "after 3 attempts"));
	list = forge_requests();
	assert_int_equal(json_array_size(list), 3);
	json_decref(list);

	/* Each post is one row, with the last answer. */
	assert_int_equal(store_statuses_list(t.store, id, &rows, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].http_status, 201);
	assert_int_equal(rows[1].http_status, 422);
	assert_int_equal(rows[2].http_status, 500);
	store_statuses_free(rows, n);
}

static void test_bad_input_and_tokens(void **state)
{
	struct report *r;
	int http;

	(void)state;
	assert_int_equal(post(0, "nowhere", SHA1, REPORT_PASS, NULL, &http), ERR_NOTFOUND);
	assert_int_equal(post(0, "gh", "HEAD; rm -rf /", REPORT_PASS, NULL, &http), ERR_INVALID);
	assert_int_equal(post(0, "gh", SHA1 "0", REPORT_PASS, NULL, &http), ERR_INVALID);

	/* A token that group or others can read is refused, with the fix in the message. */
	write_file("gh.token", GH_TOKEN "\n", 0644);
	assert_int_equal(report_new(&r, t.cfg, &fast), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "forge gh: status token"));
	assert_non_null(strstr(err_msg(), "gh.token"));
	assert_non_null(strstr(err_msg(), "mode 0644"));
	assert_non_null(strstr(err_msg(), "chmod 600"));
	write_file("gh.token", GH_TOKEN "\n", 0600);

	/* A wrong token: the forge says so, and it is not retried. */
	write_file("gh.token", "ghp_wrong\n", 0600);
	assert_int_equal(report_new(&r, t.cfg, &fast), 0);
	{
		struct report_status st = { .forge = "gh", .sha = SHA1, .state = REPORT_PASS };

		assert_int_equal(report_post(&http, r, NULL, &st), ERR_INVALID);
		assert_int_equal(http, 401);
		assert_non_null(strstr(err_msg(), "HTTP 401: Bad credentials"));
	}
	report_free(r);
	write_file("gh.token", GH_TOKEN "\n", 0600);
}

static void test_deadlines(void **state)
{
	struct report_opts once = { .connect_timeout_ms = 500, .timeout_ms = 800, .attempts = 1 };
	struct report_status st = { .forge = "dead", .sha = SHA1, .state = REPORT_PASS };
	struct report *r;
	long long start, took;
	int http = -1;

	(void)state;
	/* Nobody listens: refused at once, retried twice with backoff, then given up. */
	start = client_now_ms();
	assert_int_equal(report_post(&http, t.report, NULL, &st), ERR_IO);
	took = client_now_ms() - start;
	printf("# dead port: failed after 3 attempts in %lld ms\n", took);
	assert_int_equal(http, 0);
	assert_non_null(strstr(err_msg(), "after 3 attempts"));
	assert_true(took < 5000);

	/* A listener that never answers: the total deadline ends the request. */
	assert_int_equal(report_new(&r, t.cfg, &once), 0);
	st.forge = "blackhole";
	start = client_now_ms();
	assert_int_equal(report_post(&http, r, NULL, &st), ERR_TIMEOUT);
	took = client_now_ms() - start;
	printf("# silent port, 800 ms deadline: failed in %lld ms\n", took);
	assert_true(took >= 700 && took < 5000);
	report_free(r);

	/* A forge that answers too late is the same as one that does not answer. */
	assert_int_equal(report_new(&r, t.cfg, &once), 0);
	forge_control("/__reset", "{}");
	forge_control("/__plan", "[{\"hang\": 3}]");
	st.forge = "gh";
	start = client_now_ms();
	assert_int_equal(report_post(&http, r, NULL, &st), ERR_TIMEOUT);
	took = client_now_ms() - start;
	printf("# forge hanging 3 s, 800 ms deadline: failed in %lld ms\n", took);
	assert_true(took < 2500);
	report_free(r);
}

static void age_statuses(int64_t change_id, int64_t ms)
{
	char sql[160];
	sqlite3 *db;

	snprintf(sql, sizeof(sql), "UPDATE statuses SET posted_at = posted_at - %lld WHERE change_id = %lld",
		 (long long)ms, (long long)change_id);
	assert_int_equal(sqlite3_open(t.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_sweep_ends_stale_pendings(void **state)
{
	int64_t stale = change("gh", SHA1), fresh = change("gh", SHA2), lost = change("lab", SHA3),
		done = change("gh", SHA2);
	json_t *list;
	size_t swept;
	int http;

	(void)state;
	assert_int_equal(post(stale, "gh", SHA1, REPORT_QUEUED, NULL, &http), 0);
	assert_int_equal(post(fresh, "gh", SHA2, REPORT_QUEUED, NULL, &http), 0);
	assert_int_equal(post(lost, "lab", SHA3, REPORT_RUNNING, NULL, &http), 0);
	assert_int_equal(post(done, "gh", SHA2, REPORT_QUEUED, NULL, &http), 0);
	assert_int_equal(post(done, "gh", SHA2, REPORT_PASS, NULL, &http), 0);
	/* The verdict of `lost` never reached the forge. */
	forge_control("/__plan", "[502, 502, 502]");
	assert_int_equal(post(lost, "lab", SHA3, REPORT_FAIL, "boot/banner failed on sifive_e", &http), ERR_IO);
	age_statuses(stale, 2 * 3600 * 1000);
	age_statuses(lost, 2 * 3600 * 1000);
	age_statuses(done, 2 * 3600 * 1000);

	forge_control("/__reset", "{}");
	assert_int_equal(report_sweep(&swept, t.report, t.store, 3600 * 1000), 0);
	assert_int_equal(swept, 2);
	list = forge_requests();
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(req_path(list, 0), "/api/v3/repos/Codertocat/Hello-World/statuses/" SHA1);
	assert_string_equal(req_str(list, 0, "json", "state"), "error");
	assert_string_equal(req_str(list, 0, "json", "description"), "timed out: no verdict after 60 min");
	assert_string_equal(req_str(list, 0, "json", "target_url"), TARGET);
	/* The lost verdict is delivered late rather than replaced by a time-out. */
	assert_string_equal(req_str(list, 1, "json", "state"), "failed");
	assert_string_equal(req_str(list, 1, "json", "description"), "boot/banner failed on sifive_e");
	json_decref(list);

	/* Swept once is enough. */
	assert_int_equal(report_sweep(&swept, t.report, t.store, 3600 * 1000), 0);
	assert_int_equal(swept, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_mapping),
		cmocka_unit_test(test_description_cut),
		cmocka_unit_test(test_github_pending_then_verdicts),
		cmocka_unit_test(test_gitlab_states),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_bad_input_and_tokens),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_sweep_ends_stale_pendings),
	};
	int rc;

	/* Process-wide, as main.c does it. */
	if (report_library_init() != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, setup, teardown);
	report_library_cleanup();
	return rc;
}
