/*
 * http: the daemon's one HTTP server (webhooks, JSON API, dashboard, metrics),
 * on civetweb.
 *
 * http_start() listens on "HOST:PORT" (port 0 picks a free port; http_port()
 * tells which) and owns the civetweb context; http_stop() ends it and frees
 * the server. Handlers are registered per path prefix: "/hooks/github" takes
 * "/hooks/github" and "/hooks/github/..." but not "/hooks/githubx"; the
 * longest registered prefix wins; no match is a 404. Nothing is served from
 * the file system.
 *
 * Threads: civetweb calls handlers on its worker threads, several at once, so
 * a handler and whatever its arg points to must be thread-safe. A handler
 * must answer quickly and never wait on slow work (queue it); reads of a body
 * are bounded by the request timeout. http_route() may be called before or
 * after start, from one thread, not from a handler. The per-request struct
 * http_req lives on the worker's stack: it and every string it returns are
 * valid only until the handler returns.
 *
 * A handler answers exactly once with one of http_respond*(); one that
 * returns without answering gets a 500 for it. Every answer carries
 * Content-Length, X-Content-Type-Options: nosniff and, except for
 * http_respond_asset(), Cache-Control: no-store (API answers and pages show
 * live state: a cache must never serve a stale verdict).
 *
 * Process-wide: http_library_init() must be called once from main() (or a
 * test's main) before any server starts or any thread exists, and
 * http_library_cleanup() at exit; civetweb keeps library state of its own.
 */
#ifndef RIG_HTTP_H
#define RIG_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct http_server;
struct http_req;

typedef void (*http_handler_fn)(struct http_req *req, void *arg);

struct http_opts {
	const char *listen;		/* "HOST:PORT", "[V6]:PORT" or "PORT"; port 0: any free one */
	int threads;			/* worker threads; 0 means 8 */
	int request_timeout_ms;		/* a client silent this long is cut off; 0 means 10000 */
};

int http_library_init(void);
void http_library_cleanup(void);

int http_start(struct http_server **out, const struct http_opts *opts);
/* The port the server listens on (the one picked, when asked for port 0). */
int http_port(const struct http_server *srv);
/* Registers fn for prefix (starts with '/'); a second call for a prefix replaces the first. */
int http_route(struct http_server *srv, const char *prefix, http_handler_fn fn, void *arg);

/*
 * Stops the server and frees it. New requests get 503 at once; requests in
 * flight have until deadline_ms to finish; then civetweb is stopped, which
 * cuts transfers still waiting on a client (a read blocked on a silent
 * client notices within civetweb's poll interval, about two seconds; a
 * handler stuck in its own code is waited for). Returns 0, or ERR_TIMEOUT
 * when requests were still in flight at the deadline (the server is
 * stopped and freed either way). A NULL srv is a no-op.
 */
int http_stop(struct http_server *srv, int deadline_ms);

/* ---- inside a handler ---- */

const char *http_req_method(const struct http_req *req);
/* The decoded path, without the query string. */
const char *http_req_path(const struct http_req *req);
/* The query string after '?', or NULL. */
const char *http_req_query(const struct http_req *req);
/* A request header (case-insensitive name), or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);
const char *http_req_remote(const struct http_req *req);

/*
 * Reads the whole request body into out (whose own cap is raised to fit).
 * A body announced or found to be over cap bytes is not read: returns
 * ERR_LIMIT and the caller answers 413 (the connection is then closed, so
 * the rest is never read). A body the client stops sending before its end
 * returns ERR_TIMEOUT; a malformed chunked body ERR_INVALID.
 */
int http_req_body(struct buf *out, struct http_req *req, size_t cap);

int http_respond(struct http_req *req, int status, const char *content_type, const void *body,
		 size_t len);
/* application/json; body is a complete JSON text. */
int http_respond_json(struct http_req *req, int status, const char *json);
/* text/plain; charset=utf-8 */
int http_respond_text(struct http_req *req, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* text/html; charset=utf-8; the caller has escaped everything untrusted. */
int http_respond_html(struct http_req *req, int status, const char *html, size_t len);
/* {"error": "<formatted>"} as application/json. */
int http_respond_error(struct http_req *req, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A static asset (CSS, JS): cacheable for max_age seconds. */
int http_respond_asset(struct http_req *req, const char *content_type, const void *body, size_t len,
		       int max_age);
/* Whether the handler has answered. */
bool http_req_answered(const struct http_req *req);

/* ---- dashboard: streamed answers (server-sent events) ---- */

/*
 * Starts an answer whose length is not known (a live log): no
 * Content-Length, Cache-Control: no-store, and the connection closes at its
 * end. The handler then sends pieces with http_stream_write and returns when
 * done; it counts as answered. A streaming handler holds a worker thread, so
 * it must bound its own time and end when http_req_stopping says so.
 */
int http_stream_start(struct http_req *req, int status, const char *content_type);
/* Sends a piece of a streamed answer; ERR_IO when the client went away. */
int http_stream_write(struct http_req *req, const void *data, size_t len);
/* Whether the server is stopping: a long answer ends itself when it is. */
bool http_req_stopping(const struct http_req *req);
/* ---- end dashboard ---- */

#endif
