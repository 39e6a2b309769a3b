#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "http.h"
#include "client.h"

static char url[256];

static void make_url(const struct http_server *srv, const char *path)
{
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", http_port(srv), path);
}

static void answer_with_path(struct http_req *req, void *arg)
{
	http_respond_text(req, 200, "%s %s %s", (const char *)arg, http_req_method(req), http_req_path(req));
}

static void answer_html(struct http_req *req, void *arg)
{
	(void)arg;
	http_respond_html(req, 200, "<p>hi</p>", 9);
}

static void answer_asset(struct http_req *req, void *arg)
{
	(void)arg;
	http_respond_asset(req, "text/css", "p{}", 3, 3600);
}

static void answer_nothing(struct http_req *req, void *arg)
{
	(void)req;
	(void)arg;
}

/* Reads the body under a 1024-byte cap and says how it went. */
static void read_body(struct http_req *req, void *arg)
{
	struct buf body;
	int rc;

	(void)arg;
	buf_init(&body, 0);
	rc = http_req_body(&body, req, 1024);
	if (rc == ERR_LIMIT)
		http_respond_error(req, 413, "%s", err_msg());
	else if (rc != 0)
		http_respond_error(req, 400, "%s", err_msg());
	else
		http_respond_json(req, 200, "{\"ok\": true}");
	buf_release(&body);
}

static void test_routes_and_answers(void **state)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };
	struct http_server *srv;
	struct reply r;

	(void)state;
	assert_int_equal(http_start(&srv, &o), 0);
	assert_true(http_port(srv) > 0);
	assert_int_equal(http_route(srv, "/api", answer_with_path, "api"), 0);
	assert_int_equal(http_route(srv, "/api/changes", answer_with_path, "changes"), 0);
	assert_int_equal(http_route(srv, "/page", answer_html, NULL), 0);
	assert_int_equal(http_route(srv, "/static/", answer_asset, NULL), 0);
	assert_int_equal(http_route(srv, "/silent", answer_nothing, NULL), 0);
	assert_int_equal(http_route(srv, "api", answer_nothing, NULL), ERR_INVALID);

	make_url(srv, "/api/devices?x=1");
	assert_int_equal(client_request(&r, "GET", url, NULL, NULL, 0), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "api GET /api/devices");
	assert_string_equal(r.content_type, "text/plain; charset=utf-8");
	assert_string_equal(r.cache_control, "no-store");
	reply_release(&r);

	/* The longest prefix wins; a prefix never matches a longer name. */
	make_url(srv, "/api/changes/12");
	assert_int_equal(client_request(&r, "GET", url, NULL, NULL, 0), 0);
	assert_string_equal(r.body.data, "changes GET /api/changes/12");
	reply_release(&r);
	make_url(srv, "/apix");
	assert_int_equal(client_request(&r, "GET", url, NULL, NULL, 0), 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(r.cache_control, "no-store");
	assert_non_null(strstr(r.body.data, "\"error\": \"no such resource: /apix\""));
	reply_release(&r);

	make_url(srv, "/page");
	assert_int_equal(client_request(&r, "GET", url, NULL, NULL, 0), 0);
	assert_string_equal(r.content_type, "text/html; charset=utf-8");
	assert_string_equal(r.body.data, "<p>hi</p>");
	reply_release(&r);
	make_url(srv, "/static/app.css");
	assert_int_equal(client_request(&r, "GET", url, NULL, NULL, 0), 0);
	assert_string_equal(r.cache_control, "public, max-age=3600");
	reply_release(&r);

	/* A handler that forgets to answer still gets its client an answer. */
	make_url(srv, "/silent");
	assert_int_equal(client_request(&r, "GET", url, NULL, NULL, 0), 0);
	assert_int_equal(r.status, 500);
	reply_release(&r);

	assert_int_equal(http_stop(srv, 1000), 0);
}

static void test_body_cap(void **state)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };
	const char *const json[] = { "Content-Type: application/json", NULL };
	struct http_server *srv;
	struct reply r;
	size_t big = 3 << 20;
	char *data = malloc(big);

	(void)state;
	memset(data, 'x', big);
	assert_int_equal(http_start(&srv, &o), 0);
	assert_int_equal(http_route(srv, "/body", read_body, NULL), 0);
	make_url(srv, "/body");

	assert_int_equal(client_request(&r, "POST", url, json, data, 1024), 0);
	assert_int_equal(r.status, 200);
	reply_release(&r);
	assert_int_equal(client_request(&r, "POST", url, json, data, 1025), 0);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body.data, "1025 bytes is over the limit of 1024"));
	assert_string_equal(r.connection, "close");
	reply_release(&r);
	/* Without a length (chunked), the cap is found while reading. */
	assert_int_equal(client_request_ex(&r, "POST", url, json, data, 4000, true), 0);
	assert_int_equal(r.status, 413);
	reply_release(&r);
	assert_int_equal(client_request_ex(&r, "POST", url, json, data, 100, true), 0);
	assert_int_equal(r.status, 200);
	reply_release(&r);
	/* A big body is refused from its announced length, without reading it. */
	assert_int_equal(client_request(&r, "POST", url, json, data, big), 0);
	assert_int_equal(r.status, 413);
	printf("# 413 for a %zu-byte body in %lld ms\n", big, r.ms);
	assert_true(r.ms < 5000);
	reply_release(&r);

	assert_int_equal(http_stop(srv, 1000), 0);
	free(data);
}

static void test_listen_errors(void **state)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };
	struct http_server *srv, *other;
	char busy[64];

	(void)state;
	o.listen = "127.0.0.1";
	assert_int_equal(http_start(&srv, &o), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "expected HOST:PORT"));
	o.listen = "127.0.0.1:99999";
	assert_int_equal(http_start(&srv, &o), ERR_INVALID);
	o.listen = "no-such-host.invalid:80";
	assert_int_equal(http_start(&srv, &o), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "cannot resolve"));

	o.listen = "localhost:0";
	assert_int_equal(http_start(&srv, &o), 0);
	snprintf(busy, sizeof(busy), "127.0.0.1:%d", http_port(srv));
	o.listen = busy;
	assert_int_equal(http_start(&other, &o), ERR_IO);
	assert_non_null(strstr(err_msg(), busy));
	assert_int_equal(http_stop(srv, 1000), 0);
	assert_int_equal(http_stop(NULL, 1000), 0);
}

/* ---- stopping ---- */

struct slow {
	atomic_int entered;
	int sleep_ms;
};

static void slow_answer(struct http_req *req, void *arg)
{
	struct slow *s = arg;

	atomic_fetch_add(&s->entered, 1);
	usleep((useconds_t)s->sleep_ms * 1000);
	http_respond_text(req, 200, "done");
}

struct call {
	char url[256];
	struct reply r;
	struct http_server *srv;
	int stop_rc;
};

static void *call_thread(void *arg)
{
	struct call *c = arg;

	client_request(&c->r, "GET", c->url, NULL, NULL, 0);
	return NULL;
}

static void *stop_thread(void *arg)
{
	struct call *c = arg;

	c->stop_rc = http_stop(c->srv, 5000);
	return NULL;
}

static void test_stop_lets_requests_finish(void **state)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };
	struct slow slow = { .sleep_ms = 500 };
	struct call first, stop = { 0 };
	struct reply late;
	pthread_t t1, t2;
	long long start;

	(void)state;
	assert_int_equal(http_start(&stop.srv, &o), 0);
	assert_int_equal(http_route(stop.srv, "/slow", slow_answer, &slow), 0);
	snprintf(first.url, sizeof(first.url), "http://127.0.0.1:%d/slow", http_port(stop.srv));
	pthread_create(&t1, NULL, call_thread, &first);
	while (atomic_load(&slow.entered) == 0)
		usleep(1000);
	start = client_now_ms();
	pthread_create(&t2, NULL, stop_thread, &stop);
	/* While the stop drains the first request, a new one is turned away. */
	usleep(100 * 1000);
	assert_int_equal(client_request(&late, "GET", first.url, NULL, NULL, 0), 0);
	assert_int_equal(late.status, 503);
	assert_non_null(strstr(late.body.data, "shutting down"));
	reply_release(&late);
	pthread_join(t2, NULL);
	printf("# stop with one request in flight: %lld ms\n", client_now_ms() - start);
	assert_int_equal(stop.stop_rc, 0);
	pthread_join(t1, NULL);
	assert_int_equal(first.r.status, 200);
	assert_string_equal(first.r.body.data, "done");
	assert_int_equal(atomic_load(&slow.entered), 1);
	reply_release(&first.r);
}

static void test_stop_cuts_a_stalled_upload(void **state)
{
	struct http_opts o = { .listen = "127.0.0.1:0", .request_timeout_ms = 60000 };
	const char head[] = "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc";
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct http_server *srv;
	long long start, took;
	int fd;

	(void)state;
	assert_int_equal(http_start(&srv, &o), 0);
	assert_int_equal(http_route(srv, "/body", read_body, NULL), 0);
	sa.sin_port = htons((uint16_t)http_port(srv));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, head, sizeof(head) - 1), (ssize_t)(sizeof(head) - 1));
	usleep(200 * 1000);
	start = client_now_ms();
	assert_int_equal(http_stop(srv, 300), ERR_TIMEOUT);
	took = client_now_ms() - start;
	printf("# stop with a stalled upload, deadline 300 ms: %lld ms\n", took);
	assert_true(took < 5000);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_and_answers),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_stop_lets_requests_finish),
		cmocka_unit_test(test_stop_cuts_a_stalled_upload),
	};
	int rc;

	/* Process-wide set-up, as main.c does it: civetweb, and libcurl for the client. */
	if (http_library_init() != 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	http_library_cleanup();
	return rc;
}
