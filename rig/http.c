#include "http.h"

#include <civetweb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "proc.h"

struct route {
	char *prefix;
	size_t len;
	http_handler_fn fn;
	void *arg;
};

struct http_server {
	struct mg_context *ctx;
	int port;
	struct sockaddr_storage self;	/* where a connection reaches this server, to wake it */
	socklen_t self_len;
	bool stopped;			/* mg_stop has returned; guarded by lock */

	/* Guards inflight and stopping; idle is signalled when inflight drops to 0. */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int inflight;
	bool stopping;

	/* Routes may be added while workers read them. */
	pthread_rwlock_t routes_lock;
	struct route *routes;
	size_t nroutes;
};

struct http_req {
	struct http_server *srv;	/* dashboard: for http_req_stopping */
	struct mg_connection *conn;
	const struct mg_request_info *info;
	bool answered;
	bool close;		/* the body was not read: the connection must not be reused */
	int status;
};

int http_library_init(void)
{
	/*
	 * TLS is left to a reverse proxy in front of the rig: no MG_FEATURES_TLS.
	 * The result is the subset of the features asked for that could be set
	 * up, so with none asked for there is nothing to check.
	 */
	mg_init_library(0);
	return 0;
}

void http_library_cleanup(void)
{
	mg_exit_library();
}

/* ---- answers ---- */

static int respond(struct http_req *req, int status, const char *content_type, const void *body,
		   size_t len, const char *cache_control)
{
	char length[32];
	bool head = strcmp(req->info->request_method, "HEAD") == 0;

	if (req->answered)
		return err_set(ERR_INVALID, "http: a second answer to %s %s", req->info->request_method,
			       http_req_path(req));
	req->answered = true;
	req->status = status;
	snprintf(length, sizeof(length), "%zu", len);
	if (req->close)
		mg_disable_connection_keep_alive(req->conn);
	if (mg_response_header_start(req->conn, status) != 0)
		return err_set(ERR_IO, "http: cannot start the answer to %s", http_req_path(req));
	mg_response_header_add(req->conn, "Content-Type", content_type, -1);
	mg_response_header_add(req->conn, "Content-Length", length, -1);
	mg_response_header_add(req->conn, "Cache-Control", cache_control, -1);
	mg_response_header_add(req->conn, "X-Content-Type-Options", "nosniff", -1);
	if (req->close)
		mg_response_header_add(req->conn, "Connection", "close", -1);
	if (mg_response_header_send(req->conn) != 0)
		return err_set(ERR_IO, "http: cannot send the answer to %s", http_req_path(req));
	if (!head && len > 0 && mg_write(req->conn, body, len) != (int)len)
		return err_set(ERR_IO, "http: the client of %s went away", http_req_path(req));
	return 0;
}

int http_respond(struct http_req *req, int status, const char *content_type, const void *body, size_t len)
{
	return respond(req, status, content_type, body, len, "no-store");
}

int http_respond_json(struct http_req *req, int status, const char *json)
{
	return respond(req, status, "application/json", json, strlen(json), "no-store");
}

int http_respond_html(struct http_req *req, int status, const char *html, size_t len)
{
	return respond(req, status, "text/html; charset=utf-8", html, len, "no-store");
}

int http_respond_asset(struct http_req *req, const char *content_type, const void *body, size_t len,
		       int max_age)
{
	char cache[64];

	snprintf(cache, sizeof(cache), "public, max-age=%d", max_age);
	return respond(req, 200, content_type, body, len, cache);
}

int http_respond_text(struct http_req *req, int status, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	int rc;

	buf_init(&b, 1 << 20);
	va_start(ap, fmt);
	buf_addvf(&b, fmt, ap);
	va_end(ap);
	rc = respond(req, status, "text/plain; charset=utf-8", b.data, b.len, "no-store");
	buf_release(&b);
	return rc;
}

/* Appends s as the inside of a JSON string: quotes, backslashes and controls escaped. */
static void json_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_addf(b, "\\%c", c);
		else if (c < 0x20)
			buf_addf(b, "\\u%04x", c);
		else
			buf_addch(b, (char)c);
	}
}

int http_respond_error(struct http_req *req, int status, const char *fmt, ...)
{
	char msg[1024];
	struct buf b;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_init(&b, 1 << 16);
	buf_addstr(&b, "{\"error\": \"");
	json_escape(&b, msg);
	buf_addstr(&b, "\"}\n");
	rc = respond(req, status, "application/json", b.data, b.len, "no-store");
	buf_release(&b);
	return rc;
}

bool http_req_answered(const struct http_req *req)
{
	return req->answered;
}

/* ---- dashboard: streamed answers (server-sent events) ---- */

int http_stream_start(struct http_req *req, int status, const char *content_type)
{
	if (req->answered)
		return err_set(ERR_INVALID, "http: a second answer to %s %s", req->info->request_method,
			       http_req_path(req));
	req->answered = true;
	req->status = status;
	/* Without a length, only the end of the connection ends the answer. */
	mg_disable_connection_keep_alive(req->conn);
	if (mg_response_header_start(req->conn, status) != 0)
		return err_set(ERR_IO, "http: cannot start the answer to %s", http_req_path(req));
	mg_response_header_add(req->conn, "Content-Type", content_type, -1);
	mg_response_header_add(req->conn, "Cache-Control", "no-store", -1);
	mg_response_header_add(req->conn, "X-Content-Type-Options", "nosniff", -1);
	mg_response_header_add(req->conn, "Connection", "close", -1);
	/* Proxies (nginx) buffer answers by default, which would hold a live log back. */
	mg_response_header_add(req->conn, "X-Accel-Buffering", "no", -1);
	if (mg_response_header_send(req->conn) != 0)
		return err_set(ERR_IO, "http: cannot send the answer to %s", http_req_path(req));
	return 0;
}

int http_stream_write(struct http_req *req, const void *data, size_t len)
{
	if (len > 0 && mg_write(req->conn, data, len) != (int)len)
		return err_set(ERR_IO, "http: the client of %s went away", http_req_path(req));
	return 0;
}

bool http_req_stopping(const struct http_req *req)
{
	bool stopping;

	pthread_mutex_lock(&req->srv->lock);
	stopping = req->srv->stopping;
	pthread_mutex_unlock(&req->srv->lock);
	return stopping;
}
/* ---- end dashboard ---- */

/* ---- requests ---- */

const char *http_req_method(const struct http_req *req)
{
	return req->info->request_method;
}

const char *http_req_path(const struct http_req *req)
{
	if (req->info->local_uri)
		return req->info->local_uri;
	return req->info->request_uri ? req->info->request_uri : "";
}

const char *http_req_query(const struct http_req *req)
{
	return req->info->query_string;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
	return mg_get_header(req->conn, name);
}

const char *http_req_remote(const struct http_req *req)
{
	return req->info->remote_addr;
}

int http_req_body(struct buf *out, struct http_req *req, size_t cap)
{
	long long announced = req->info->content_length;
	char chunk[16384];
	int n;

	buf_reset(out);
	out->cap = cap;
	if (announced > (long long)cap) {
		/* Answering without reading leaves the rest unread: never reuse this connection. */
		req->close = true;
		return err_set(ERR_LIMIT, "request body of %lld bytes is over the limit of %zu bytes",
			       announced, cap);
	}
	while ((n = mg_read(req->conn, chunk, sizeof(chunk))) > 0) {
		if (buf_add(out, chunk, (size_t)n) == ERR_LIMIT) {
			req->close = true;
			return err_set(ERR_LIMIT, "request body is over the limit of %zu bytes", cap);
		}
	}
	if (n < 0) {
		req->close = true;
		return err_set(ERR_INVALID, "request body: malformed chunked encoding or a broken connection");
	}
	/* civetweb ends a read that timed out like a complete one: compare with what was announced. */
	if (announced >= 0 && (long long)out->len < announced) {
		req->close = true;
		return err_set(ERR_TIMEOUT, "request body cut short after %zu of %lld bytes", out->len,
			       announced);
	}
	return 0;
}

/* ---- dispatch ---- */

/* A prefix matches the path itself and what lies below it, not a longer name. */
static bool prefix_matches(const struct route *r, const char *path)
{
	if (strncmp(path, r->prefix, r->len) != 0)
		return false;
	return r->len == 1 || path[r->len] == '\0' || path[r->len] == '/' || r->prefix[r->len - 1] == '/';
}

static int dispatch(struct mg_connection *conn, void *cbdata)
{
	struct http_server *srv = cbdata;
	struct http_req req = { .srv = srv, .conn = conn, .info = mg_get_request_info(conn) };
	const char *path = http_req_path(&req);
	http_handler_fn fn = NULL;
	void *arg = NULL;
	long long start = proc_now_ms();
	size_t best = 0;

	pthread_mutex_lock(&srv->lock);
	if (srv->stopping) {
		pthread_mutex_unlock(&srv->lock);
		req.close = true;
		http_respond_error(&req, 503, "the server is shutting down");
		return 503;
	}
	srv->inflight++;
	pthread_mutex_unlock(&srv->lock);

	pthread_rwlock_rdlock(&srv->routes_lock);
	for (size_t i = 0; i < srv->nroutes; i++) {
		if (srv->routes[i].len > best && prefix_matches(&srv->routes[i], path)) {
			best = srv->routes[i].len;
			fn = srv->routes[i].fn;
			arg = srv->routes[i].arg;
		}
	}
	pthread_rwlock_unlock(&srv->routes_lock);

	if (!fn)
		http_respond_error(&req, 404, "no such resource: %s", path);
	else
		fn(&req, arg);
	if (!req.answered) {
		log_warn("http %s %s: the handler gave no answer", req.info->request_method, path);
		http_respond_error(&req, 500, "the handler gave no answer");
	}
	log_debug("http %s %s from %s: %d in %lld ms", req.info->request_method, path, req.info->remote_addr,
		  req.status, proc_now_ms() - start);

	pthread_mutex_lock(&srv->lock);
	if (--srv->inflight == 0 && srv->stopping)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
	return req.status;
}

static int log_message(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	log_warn("http: %s", message);
	return 1;
}

/* ---- start and stop ---- */

/*
 * civetweb takes "PORT", "IPV4:PORT" or "[IPV6]:PORT" and no host names;
 * a name such as localhost is resolved here, once.
 */
static int listening_ports(char *out, size_t n, const char *listen)
{
	const char *colon = strrchr(listen, ':');
	char host[256], *end;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char addr[INET6_ADDRSTRLEN];
	unsigned long port;
	int rc;

	if (!colon) {
		colon = listen - 1;
		host[0] = '\0';
	} else {
		size_t hl = (size_t)(colon - listen);

		if (hl >= sizeof(host))
			return err_set(ERR_INVALID, "listen address '%s': host name too long", listen);
		memcpy(host, listen, hl);
		host[hl] = '\0';
	}
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port > 65535)
		return err_set(ERR_INVALID, "listen address '%s': expected HOST:PORT with a port from 0 to 65535",
			       listen);
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		snprintf(out, n, "%lu", port);
		return 0;
	}
	if (host[0] == '[') {
		snprintf(out, n, "%s:%lu", host, port);
		return 0;
	}
	if ((rc = getaddrinfo(host, NULL, &hints, &ai)) != 0)
		return err_set(ERR_INVALID, "listen address '%s': cannot resolve '%s': %s", listen, host,
			       gai_strerror(rc));
	if (ai->ai_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr, sizeof(addr));
		snprintf(out, n, "[%s]:%lu", addr, port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr, sizeof(addr));
		snprintf(out, n, "%s:%lu", addr, port);
	}
	freeaddrinfo(ai);
	return 0;
}

/* An address of this server from its civetweb "listening_ports" value: loopback for a wildcard. */
static void self_address(struct http_server *srv, const char *ports)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&srv->self;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&srv->self;
	char host[INET6_ADDRSTRLEN + 2] = "";
	const char *colon = strrchr(ports, ':');

	if (colon && (size_t)(colon - ports) < sizeof(host))
		snprintf(host, sizeof(host), "%.*s", (int)(colon - ports), ports);
	memset(&srv->self, 0, sizeof(srv->self));
	if (host[0] == '[') {
		host[strlen(host) - 1] = '\0';
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)srv->port);
		if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) != 1 || IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
			v6->sin6_addr = in6addr_loopback;
		srv->self_len = sizeof(*v6);
		return;
	}
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)srv->port);
	if (!host[0] || inet_pton(AF_INET, host, &v4->sin_addr) != 1 || v4->sin_addr.s_addr == htonl(INADDR_ANY))
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->self_len = sizeof(*v4);
}

/*
 * civetweb's listener looks at its stop flag only between polls of up to
 * two seconds; a connection ends the poll at once, so a stop keeps to its
 * deadline instead of taking those seconds.
 */
static void *nudge(void *arg)
{
	struct http_server *srv = arg;
	struct timespec pause = { 0, 50 * 1000000 };

	for (int i = 0; i < 100; i++) {
		bool stopped;
		int fd;

		pthread_mutex_lock(&srv->lock);
		stopped = srv->stopped;
		pthread_mutex_unlock(&srv->lock);
		if (stopped)
			break;
		fd = socket(srv->self.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			connect(fd, (struct sockaddr *)&srv->self, srv->self_len);
			close(fd);
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void server_free(struct http_server *srv)
{
	for (size_t i = 0; i < srv->nroutes; i++)
		free(srv->routes[i].prefix);
	free(srv->routes);
	pthread_rwlock_destroy(&srv->routes_lock);
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}

int http_start(struct http_server **out, const struct http_opts *opts)
{
	struct http_server *srv;
	char ports[300], threads[16], timeout[16], errtext[256] = "";
	unsigned errcode = 0;
	struct mg_error_data error = { .code = &errcode, .text = errtext, .text_buffer_size = sizeof(errtext) };
	struct mg_callbacks callbacks = { .log_message = log_message };
	struct mg_server_port port;
	struct mg_init_data init = { .callbacks = &callbacks };
	const char *options[11];
	int rc;

	*out = NULL;
	if (!opts->listen)
		return err_set(ERR_INVALID, "http: no listen address");
	if ((rc = listening_ports(ports, sizeof(ports), opts->listen)) != 0)
		return rc;
	snprintf(threads, sizeof(threads), "%d", opts->threads > 0 ? opts->threads : 8);
	snprintf(timeout, sizeof(timeout), "%d", opts->request_timeout_ms > 0 ? opts->request_timeout_ms : 10000);
	options[0] = "listening_ports";
	options[1] = ports;
	options[2] = "num_threads";
	options[3] = threads;
	options[4] = "request_timeout_ms";
	options[5] = timeout;
	/* One request per connection: a stop never waits on an idle keep-alive client. */
	options[6] = "enable_keep_alive";
	options[7] = "no";
	options[8] = "decode_url";
	options[9] = "yes";
	options[10] = NULL;

	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return err_set(ERR_NOMEM, "out of memory");
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	pthread_rwlock_init(&srv->routes_lock, NULL);
	init.user_data = srv;
	init.configuration_options = options;
	srv->ctx = mg_start2(&init, &error);
	if (!srv->ctx) {
		server_free(srv);
		return err_set(ERR_IO, "http: cannot listen on %s: %s", opts->listen,
			       errtext[0] ? errtext : "civetweb gave no reason");
	}
	if (mg_get_server_ports(srv->ctx, 1, &port) < 1) {
		mg_stop(srv->ctx);
		server_free(srv);
		return err_set(ERR_IO, "http: listening on %s, but civetweb reports no port", opts->listen);
	}
	srv->port = port.port;
	self_address(srv, ports);
	mg_set_request_handler(srv->ctx, "/", dispatch, srv);
	log_info("http: listening on %s (port %d)", opts->listen, srv->port);
	*out = srv;
	return 0;
}

int http_port(const struct http_server *srv)
{
	return srv->port;
}

int http_route(struct http_server *srv, const char *prefix, http_handler_fn fn, void *arg)
{
	struct route *nr;
	char *copy;
	int rc = 0;

	if (!prefix || prefix[0] != '/' || !fn)
		return err_set(ERR_INVALID, "http: a route needs a prefix starting with '/' and a handler");
	pthread_rwlock_wrlock(&srv->routes_lock);
	for (size_t i = 0; i < srv->nroutes; i++) {
		if (strcmp(srv->routes[i].prefix, prefix) == 0) {
			srv->routes[i].fn = fn;
			srv->routes[i].arg = arg;
			goto out;
		}
	}
	copy = strdup(prefix);
	nr = copy ? realloc(srv->routes, (srv->nroutes + 1) * sizeof(*nr)) : NULL;
	if (!nr) {
		free(copy);
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	srv->routes = nr;
	srv->routes[srv->nroutes++] = (struct route){ copy, strlen(copy), fn, arg };
out:
	pthread_rwlock_unlock(&srv->routes_lock);
	return rc;
}

int http_stop(struct http_server *srv, int deadline_ms)
{
	struct timespec until;
	pthread_t nudger;
	bool waker;
	int rc = 0, left;

	if (!srv)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += deadline_ms / 1000;
	until.tv_nsec += (long)(deadline_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	while (srv->inflight > 0)
		if (pthread_cond_timedwait(&srv->idle, &srv->lock, &until) != 0)
			break;
	left = srv->inflight;
	pthread_mutex_unlock(&srv->lock);
	if (left > 0) {
		log_warn("http: %d request(s) still running at the stop deadline; cutting them", left);
		rc = err_set(ERR_TIMEOUT, "http: %d request(s) still running after %d ms", left, deadline_ms);
	}
	/* Waits for every worker; a transfer blocked on a client ends at the stop flag. */
	waker = pthread_create(&nudger, NULL, nudge, srv) == 0;
	mg_stop(srv->ctx);
	pthread_mutex_lock(&srv->lock);
	srv->stopped = true;
	pthread_mutex_unlock(&srv->lock);
	if (waker)
		pthread_join(nudger, NULL);
	log_info("http: stopped (port %d)", srv->port);
	server_free(srv);
	return rc;
}
