#include "dashboard.h"

#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "dashdata.h"
#include "err.h"
#include "fsutil.h"
#include "http.h"
#include "log.h"
#include "logtail.h"
#include "secret.h"
#include "store.h"
#include "view.h"
#include "webhook.h"

#define PAGE_CAP ((size_t)16 << 20)
#define ASSET_CAP ((size_t)4 << 20)
#define LOG_PAGE_BYTES ((size_t)4 << 20)	/* a log page shows this much; the rest through the API */
#define LOG_API_BYTES ((size_t)1 << 20)
#define LOG_API_MAX ((size_t)8 << 20)
#define SSE_CHUNK ((size_t)64 << 10)
#define SSE_STREAM_CAP ((size_t)16 << 20)	/* one stream's bytes; the browser reconnects for more */
#define SSE_PING_MS 2000
#define ADMIN_BODY_CAP 8192
#define HISTORY_RUNS 50
#define SIZE_POINTS 500

struct asset {
	char *url;			/* /static/NAME */
	const char *type;
	char *data;
	size_t len;
};

struct dashboard {
	char *store_url;
	struct view_set *views;
	struct asset *assets;
	size_t nassets;
	struct webhook *webhooks;
	void (*wake)(void *arg);
	void *wake_arg;
	int sse_max, sse_seconds;

	/* Guards everything below: handlers on several workers, a reload from another thread. */
	pthread_mutex_t lock;
	struct store **pool;
	size_t npool, pool_alloc;
	char *token;			/* NULL: admin actions are off */
	char *logs_dir;
	int sse_active;
};

/* What one request works with. */
struct ctx {
	struct dashboard *d;
	struct http_req *req;
	struct dashdata_env env;
	char logs_dir[PATH_MAX];
	bool api;			/* answer errors as JSON, else as a page */
};

/* ---- the store pool ---- */

static int store_take(struct dashboard *d, struct store **out)
{
	pthread_mutex_lock(&d->lock);
	*out = d->npool ? d->pool[--d->npool] : NULL;
	pthread_mutex_unlock(&d->lock);
	return *out ? 0 : store_open(out, d->store_url);
}

static void store_give(struct dashboard *d, struct store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&d->lock);
	if (d->npool == d->pool_alloc) {
		size_t na = d->pool_alloc ? d->pool_alloc * 2 : 8;
		struct store **np = realloc(d->pool, na * sizeof(*np));

		if (np) {
			d->pool = np;
			d->pool_alloc = na;
		}
	}
	if (d->npool < d->pool_alloc) {
		d->pool[d->npool++] = s;
		s = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	store_close(s);
}

static int ctx_open(struct ctx *c, struct dashboard *d, struct http_req *req, bool api)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->d = d;
	c->req = req;
	c->api = api;
	pthread_mutex_lock(&d->lock);
	snprintf(c->logs_dir, sizeof(c->logs_dir), "%s", d->logs_dir);
	pthread_mutex_unlock(&d->lock);
	c->env.logs_dir = c->logs_dir;
	c->env.now = store_now_ms();
	if ((rc = store_take(d, &c->env.store)) != 0)
		log_warn("dashboard: %s", err_msg());
	return rc;
}

static void ctx_close(struct ctx *c)
{
	store_give(c->d, c->env.store);
	c->env.store = NULL;
}

/* ---- answers ---- */

static int page(struct ctx *c, int status, const char *tmpl, json_t *model, const char *title, const char *nav);

static void fail(struct ctx *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* An error as JSON for the API, as a page for a person. */
static void fail(struct ctx *c, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A 503 is load or a stop, said to the client; a 500 is the rig's own trouble. */
	if (status == 500)
		log_warn("dashboard %s %s: %s", http_req_method(c->req), http_req_path(c->req), msg);
	if (c->api) {
		http_respond_error(c->req, status, "%s", msg);
	} else {
		char title[32];

		snprintf(title, sizeof(title), "%s", status == 404 ? "Not found" : status < 500 ? "Bad request" : "Error");
		page(c, status, "error", json_pack("{s:s, s:i}", "message", msg, "status", status), title, NULL);
	}
}

/* An error from the store or a model: 404 for an unknown id, else 500. */
static void fail_err(struct ctx *c, int rc)
{
	fail(c, rc == ERR_NOTFOUND ? 404 : 500, "%s", err_msg());
}

static void json_answer(struct ctx *c, int status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;

	if (!text)
		http_respond_error(c->req, 500, "out of memory");
	else
		http_respond_json(c->req, status, text);
	free(text);
	json_decref(v);
}

/*
 * Renders template tmpl with model (a reference this takes) and the page's
 * own keys: title, and nav_<nav> for the menu's current entry.
 */
static int page(struct ctx *c, int status, const char *tmpl, json_t *model, const char *title, const char *nav)
{
	json_t *p = json_object();
	struct buf b;
	char key[40];
	int rc;

	if (!model)
		model = json_object();
	json_object_set_new(p, "title", json_string(title));
	if (nav) {
		snprintf(key, sizeof(key), "nav_%s", nav);
		json_object_set_new(p, key, json_true());
	}
	json_object_set_new(model, "page", p);
	buf_init(&b, PAGE_CAP);
	rc = view_render(&b, c->d->views, tmpl, model);
	if (rc) {
		log_warn("dashboard: page %s: %s", tmpl, err_msg());
		http_respond_text(c->req, 500, "the page could not be made: %s\n", err_msg());
	} else {
		http_respond_html(c->req, status, b.data, b.len);
	}
	buf_release(&b);
	json_decref(model);
	return rc;
}

/* ---- requests ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a form value (%XX, '+' for space) into out; ERR_INVALID when malformed or too long. */
static int form_decode(char *out, size_t n, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '+') {
			ch = ' ';
		} else if (ch == '%') {
			int hi, lo;

			if (i + 2 >= len || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
				return ERR_INVALID;
			ch = (char)(hi * 16 + lo);
			i += 2;
		}
		if (ch == '\0' || o + 1 >= n)
			return ERR_INVALID;
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}

/*
 * The value of name in a query string or form body, decoded into out.
 * 1 when present, 0 when absent, ERR_INVALID (message set) when malformed.
 */
static int form_get(const char *q, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);

	for (const char *p = q; p && *p;) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		size_t kl = eq ? (size_t)(eq - p) : (size_t)(end - p);

		if (kl == nl && strncmp(p, name, nl) == 0) {
			const char *v = eq ? eq + 1 : end;

			if (form_decode(out, n, v, (size_t)(end - v)) != 0)
				return err_set(ERR_INVALID, "parameter '%s' is malformed or too long", name);
			return 1;
		}
		p = amp ? amp + 1 : end;
	}
	return 0;
}

/* Every parameter of q is one of allowed (NULL-terminated); else ERR_INVALID naming it. */
static int query_allowed(const char *q, const char *const *allowed)
{
	for (const char *p = q; p && *p;) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		size_t kl = eq ? (size_t)(eq - p) : (size_t)(end - p);
		bool ok = kl == 0;

		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strlen(allowed[i]) == kl && strncmp(p, allowed[i], kl) == 0;
		if (!ok)
			return err_set(ERR_INVALID, "unknown parameter '%.*s'", (int)(kl > 40 ? 40 : kl), p);
		p = amp ? amp + 1 : end;
	}
	return 0;
}

/* A positive decimal id of the whole of s[0..len); false for anything else. */
static bool parse_id(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	if (len == 0 || len > 18)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return v > 0;
}

/* A number parameter in [min, max]: 1 present, 0 absent, ERR_INVALID otherwise. */
static int query_number(const char *q, const char *name, int64_t min, int64_t max, int64_t *out)
{
	char v[32];
	int64_t n;
	int rc = form_get(q, name, v, sizeof(v));

	if (rc <= 0)
		return rc;
	if (v[0] == '0' && v[1] == '\0' && min == 0) {
		*out = 0;
		return 1;
	}
	if (!parse_id(v, strlen(v), &n) || n < min || n > max)
		return err_set(ERR_INVALID, "parameter '%s' must be a number from %" PRId64 " to %" PRId64, name, min,
			       max);
	*out = n;
	return 1;
}

static bool one_of(const char *v, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(v, list[i]) == 0)
			return true;
	return false;
}

/* The path after prefix, split at '/': segs point into path, lens their lengths. Returns how many. */
static size_t split(const char *path, const char *prefix, const char **segs, size_t *lens, size_t max)
{
	size_t n = 0, plen = strlen(prefix);
	const char *p = path + plen;

	/* "/" comes here through the changes' handler: a path outside prefix has no segments. */
	if (strncmp(path, prefix, plen) != 0)
		return 0;
	while (*p == '/')
		p++;
	while (*p && n < max) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		/* The last segment takes the rest: a case name may hold a '/'. */
		if (n == max - 1)
			len = strlen(p);
		segs[n] = p;
		lens[n++] = len;
		p += len;
		while (*p == '/')
			p++;
	}
	return n;
}

static bool method_is(struct http_req *req, const char *m)
{
	return strcmp(http_req_method(req), m) == 0;
}

static bool is_read(struct http_req *req)
{
	return method_is(req, "GET") || method_is(req, "HEAD");
}

/* ---- changes ---- */

static const char *const change_states[] = { "queued", "building", "testing", "done", "cancelled", "superseded",
					      NULL };
static const char *const gates[] = { "pass", "fail", "error", "none", NULL };

/* Reads the filter of the changes list; answers 400 itself and returns false when bad. */
static bool changes_filter(struct ctx *c, struct store_change_filter *f, char *state, char *gate, bool api)
{
	static const char *const allowed[] = { "state", "gate", "before", "limit", NULL };
	const char *q = http_req_query(c->req);
	int64_t before = 0, limit = 50;
	int rc;

	memset(f, 0, sizeof(*f));
	if (query_allowed(q, allowed) != 0 || (rc = form_get(q, "state", state, 32)) < 0 ||
	    (rc == 1 && state[0] && !one_of(state, change_states) &&
	     err_set(ERR_INVALID, "state must be one of queued, building, testing, done, cancelled, superseded")) ||
	    (rc = form_get(q, "gate", gate, 32)) < 0 ||
	    (rc == 1 && gate[0] && !one_of(gate, gates) &&
	     err_set(ERR_INVALID, "gate must be one of pass, fail, error, none")) ||
	    query_number(q, "before", 0, INT64_MAX / 2, &before) < 0 ||
	    query_number(q, "limit", 1, api ? 500 : 200, &limit) < 0) {
		fail(c, 400, "%s", err_msg());
		return false;
	}
	f->state = state[0] ? state : NULL;
	f->gate = gate[0] ? gate : NULL;
	f->before = before;
	f->limit = (size_t)limit;
	return true;
}

static json_t *options(const char *const *values, const char *selected)
{
	json_t *list = json_array();

	for (size_t i = 0; values[i]; i++)
		json_array_append_new(list, json_pack("{s:s, s:b}", "value", values[i], "selected",
						      selected && strcmp(selected, values[i]) == 0));
	return list;
}

static void changes_list(struct ctx *c, bool api)
{
	struct store_change_filter f;
	char state[32] = "", gate[32] = "";
	json_t *m;
	int rc;

	if (!changes_filter(c, &f, state, gate, api))
		return;
	if ((rc = dashdata_changes(&m, &c->env, &f)) != 0) {
		fail_err(c, rc);
		return;
	}
	if (api) {
		json_answer(c, 200, m);
		return;
	}
	json_object_set_new(m, "states", options(change_states, f.state));
	json_object_set_new(m, "gates", options(gates, f.gate));
	if (json_is_integer(json_object_get(m, "next_before"))) {
		struct buf u;

		buf_init(&u, 4096);
		buf_addf(&u, "/changes?before=%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(m, "next_before")));
		if (f.state) {
			buf_addstr(&u, "&state=");
			view_escape_url(&u, f.state, strlen(f.state));
		}
		if (f.gate) {
			buf_addstr(&u, "&gate=");
			view_escape_url(&u, f.gate, strlen(f.gate));
		}
		json_object_set_new(m, "older_url", json_string(u.data));
		buf_release(&u);
	}
	/* The list is live: dash.js refreshes it while the page is open. */
	json_object_set_new(m, "refresh_ms", json_integer(5000));
	page(c, 200, "changes", m, "Changes", "changes");
}

static void change_one(struct ctx *c, int64_t id, bool api)
{
	json_t *m, *change;
	char title[300];
	int rc;

	if (query_allowed(http_req_query(c->req), (const char *const[]){ NULL }) != 0) {
		fail(c, 400, "%s", err_msg());
		return;
	}
	if ((rc = dashdata_change(&m, &c->env, id)) != 0) {
		fail_err(c, rc);
		return;
	}
	if (api) {
		json_answer(c, 200, m);
		return;
	}
	change = json_object_get(m, "change");
	snprintf(title, sizeof(title), "Change %" PRId64 ": %s", id,
		 json_string_value(json_object_get(change, "ref")) ? json_string_value(json_object_get(change, "ref")) : "");
	{
		const char *state = json_string_value(json_object_get(change, "state"));

		/* Until it is over, the page follows the change. */
		if (state && strcmp(state, "done") != 0 && strcmp(state, "cancelled") != 0 &&
		    strcmp(state, "superseded") != 0)
			json_object_set_new(m, "refresh_ms", json_integer(3000));
	}
	page(c, 200, "change", m, title, "changes");
}

static void on_changes(struct http_req *req, void *arg, bool api)
{
	const char *segs[2];
	size_t lens[2], n;
	struct ctx c;
	int64_t id;

	if (ctx_open(&c, arg, req, api) != 0) {
		fail(&c, 503, "the store cannot be opened: %s", err_msg());
		return;
	}
	n = split(http_req_path(req), api ? "/api/changes" : "/changes", segs, lens, 2);
	if (!is_read(req))
		fail(&c, 405, "%s is not allowed here", http_req_method(req));
	else if (n == 0)
		changes_list(&c, api);
	else if (n == 1 && parse_id(segs[0], lens[0], &id))
		change_one(&c, id, api);
	else
		fail(&c, 404, "no change '%.*s'", (int)(lens[0] > 60 ? 60 : lens[0]), segs[0]);
	ctx_close(&c);
}

static void on_changes_page(struct http_req *req, void *arg)
{
	on_changes(req, arg, false);
}

static void on_changes_api(struct http_req *req, void *arg)
{
	on_changes(req, arg, true);
}

static void on_root(struct http_req *req, void *arg)
{
	struct ctx c;

	if (strcmp(http_req_path(req), "/") != 0) {
		/* "/" is the longest prefix of every unknown path. */
		c = (struct ctx){ .d = arg, .req = req, .api = strncmp(http_req_path(req), "/api/", 5) == 0 };
		fail(&c, 404, "no such page: %.200s", http_req_path(req));
		return;
	}
	on_changes(req, arg, false);
}

/* ---- a case's history ---- */

static void on_cases(struct http_req *req, void *arg, bool api)
{
	static const char *const allowed[] = { "limit", NULL };
	const char *segs[2];
	size_t lens[2], n;
	char suite[128], name[256], title[400];
	int64_t limit = HISTORY_RUNS;
	struct ctx c;
	json_t *m;
	int rc;

	if (ctx_open(&c, arg, req, api) != 0) {
		fail(&c, 503, "the store cannot be opened: %s", err_msg());
		return;
	}
	n = split(http_req_path(req), api ? "/api/cases" : "/cases", segs, lens, 2);
	if (!is_read(req)) {
		fail(&c, 405, "%s is not allowed here", http_req_method(req));
	} else if (n != 2 || lens[0] >= sizeof(suite) || lens[1] >= sizeof(name)) {
		fail(&c, 404, "a case is /cases/SUITE/CASE");
	} else if (query_allowed(http_req_query(req), allowed) != 0 ||
		   query_number(http_req_query(req), "limit", 1, 1000, &limit) < 0) {
		fail(&c, 400, "%s", err_msg());
	} else {
		snprintf(suite, sizeof(suite), "%.*s", (int)lens[0], segs[0]);
		snprintf(name, sizeof(name), "%.*s", (int)lens[1], segs[1]);
		if ((rc = dashdata_case(&m, &c.env, suite, name, (size_t)limit)) != 0) {
			fail_err(&c, rc);
		} else if (api) {
			json_answer(&c, 200, m);
		} else {
			snprintf(title, sizeof(title), "%s/%s", suite, name);
			page(&c, 200, "case", m, title, "changes");
		}
	}
	ctx_close(&c);
}

static void on_cases_page(struct http_req *req, void *arg)
{
	on_cases(req, arg, false);
}

static void on_cases_api(struct http_req *req, void *arg)
{
	on_cases(req, arg, true);
}

/* ---- sizes ---- */

static void on_sizes(struct http_req *req, void *arg, bool api)
{
	static const char *const allowed[] = { "limit", NULL };
	const char *segs[1];
	size_t lens[1], n;
	char board[128], title[200];
	int64_t limit = SIZE_POINTS;
	struct ctx c;
	json_t *m;
	int rc;

	if (ctx_open(&c, arg, req, api) != 0) {
		fail(&c, 503, "the store cannot be opened: %s", err_msg());
		return;
	}
	n = split(http_req_path(req), api ? "/api/sizes" : "/sizes", segs, lens, 1);
	if (!is_read(req)) {
		fail(&c, 405, "%s is not allowed here", http_req_method(req));
	} else if (query_allowed(http_req_query(req), allowed) != 0 ||
		   query_number(http_req_query(req), "limit", 1, 10000, &limit) < 0) {
		fail(&c, 400, "%s", err_msg());
	} else if (n == 0) {
		if ((rc = dashdata_boards(&m, &c.env)) != 0)
			fail_err(&c, rc);
		else if (api)
			json_answer(&c, 200, m);
		else
			page(&c, 200, "sizes", m, "Sizes", "sizes");
	} else if (lens[0] >= sizeof(board)) {
		fail(&c, 404, "no board by that name");
	} else {
		snprintf(board, sizeof(board), "%.*s", (int)lens[0], segs[0]);
		if ((rc = dashdata_sizes(&m, &c.env, board, (size_t)limit)) != 0) {
			fail_err(&c, rc);
		} else if (json_array_size(json_object_get(m, "points")) == 0) {
			json_decref(m);
			fail(&c, 404, "no sizes of board '%s' on the base branch", board);
		} else if (api) {
			json_answer(&c, 200, m);
		} else {
			snprintf(title, sizeof(title), "Sizes of %s", board);
			page(&c, 200, "board_sizes", m, title, "sizes");
		}
	}
	ctx_close(&c);
}

static void on_sizes_page(struct http_req *req, void *arg)
{
	on_sizes(req, arg, false);
}

static void on_sizes_api(struct http_req *req, void *arg)
{
	on_sizes(req, arg, true);
}

static void on_boards_api(struct http_req *req, void *arg)
{
	struct ctx c;
	json_t *m;
	int rc;

	if (ctx_open(&c, arg, req, true) != 0) {
		fail(&c, 503, "the store cannot be opened: %s", err_msg());
		return;
	}
	if (!is_read(req))
		fail(&c, 405, "%s is not allowed here", http_req_method(req));
	else if (strcmp(http_req_path(req), "/api/boards") != 0)
		fail(&c, 404, "no such resource");
	else if ((rc = dashdata_boards(&m, &c.env)) != 0)
		fail_err(&c, rc);
	else
		json_answer(&c, 200, m);
	ctx_close(&c);
}

/* ---- admin actions ---- */

/*
 * Whether the request carries the admin token; answers 401 or 403 itself
 * and returns false when not. The comparison takes the same time wherever
 * the two differ.
 */
static bool admin_ok(struct ctx *c, const char *form)
{
	const char *auth = http_req_header(c->req, "Authorization");
	char given[SECRET_MAX_LEN + 1] = "";
	char *token = NULL;
	bool ok;

	if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
		snprintf(given, sizeof(given), "%s", auth + 7);
	else if (form_get(form, "token", given, sizeof(given)) < 0)
		given[0] = '\0';
	pthread_mutex_lock(&c->d->lock);
	if (c->d->token)
		token = strdup(c->d->token);
	pthread_mutex_unlock(&c->d->lock);
	if (!token) {
		fail(c, 403, "admin actions are off: the configuration names no dashboard.admin_token_file");
		return false;
	}
	if (!given[0]) {
		secret_free(token);
		fail(c, 401, "this needs the admin token (Authorization: Bearer TOKEN)");
		return false;
	}
	ok = webhook_token_ok(token, given);
	secret_free(token);
	explicit_bzero(given, sizeof(given));
	if (!ok)
		fail(c, 403, "the admin token is wrong");
	return ok;
}

/* An admin action's outcome: a page for a form, JSON for a program. */
static void admin_done(struct ctx *c, const char *message, const char *back)
{
	if (c->api) {
		json_answer(c, 200, json_pack("{s:s, s:s}", "status", "ok", "message", message));
		return;
	}
	page(c, 200, "done", json_pack("{s:s, s:s}", "message", message, "back", back), "Done", NULL);
}

/* Reads an admin POST's body; a form post is answered with pages from here on. */
static bool admin_body(struct ctx *c, struct buf *body)
{
	const char *type = http_req_header(c->req, "Content-Type");
	int rc;

	if (type && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0)
		c->api = false;
	if ((rc = http_req_body(body, c->req, ADMIN_BODY_CAP)) != 0) {
		fail(c, rc == ERR_LIMIT ? 413 : 400, "%s", err_msg());
		return false;
	}
	return true;
}

static void retry_job(struct ctx *c, int64_t id)
{
	char msg[200], back[64];
	struct store_job_row j;
	int rc;

	if ((rc = store_job_get(c->env.store, id, &j)) != 0) {
		fail_err(c, rc);
		return;
	}
	store_job_row_release(&j);
	if ((rc = store_job_retry(c->env.store, id, "retry asked for on the dashboard")) != 0) {
		fail(c, rc == ERR_CONFLICT ? 409 : rc == ERR_NOTFOUND ? 404 : 500, "%s", err_msg());
		return;
	}
	if (c->d->wake)
		c->d->wake(c->d->wake_arg);
	log_info("dashboard: job %" PRId64 " queued again by %s", id, http_req_remote(c->req));
	snprintf(msg, sizeof(msg), "Job %" PRId64 " is queued again.", id);
	snprintf(back, sizeof(back), "/runs/%" PRId64, id);
	admin_done(c, msg, back);
}

static void device_action(struct ctx *c, const char *id, const char *action, const char *form)
{
	char reason[512] = "", msg[700];
	int rc;

	if (strcmp(action, "lock") == 0) {
		if (form_get(form, "reason", reason, sizeof(reason)) < 0 ||
		    form_get(http_req_query(c->req), "reason", reason, sizeof(reason)) < 0) {
			fail(c, 400, "%s", err_msg());
			return;
		}
		if (!reason[0]) {
			fail(c, 400, "a lock needs a reason (reason=…), for the next person at the rack");
			return;
		}
		rc = store_device_lock(c->env.store, id, reason);
		snprintf(msg, sizeof(msg), "Device %s is locked: %s", id, reason);
	} else if (strcmp(action, "unlock") == 0) {
		rc = store_device_unlock(c->env.store, id);
		snprintf(msg, sizeof(msg), "Device %s is back in service.", id);
	} else {
		fail(c, 404, "no action '%s' on a device (lock, unlock)", action);
		return;
	}
	if (rc) {
		fail_err(c, rc);
		return;
	}
	log_info("dashboard: %s %s by %s%s%s", action, id, http_req_remote(c->req), reason[0] ? ": " : "", reason);
	admin_done(c, msg, "/rack");
}

/* ---- the rack ---- */

static void on_devices(struct http_req *req, void *arg, bool api)
{
	const char *segs[2];
	size_t lens[2], n;
	struct ctx c;
	json_t *m;
	int rc;

	if (ctx_open(&c, arg, req, api) != 0) {
		fail(&c, 503, "the store cannot be opened: %s", err_msg());
		return;
	}
	n = split(http_req_path(req), api ? "/api/devices" : "/rack", segs, lens, 2);
	if (api && method_is(req, "POST") && n == 2) {
		struct buf body;
		char id[128], action[16];

		buf_init(&body, ADMIN_BODY_CAP);
		snprintf(id, sizeof(id), "%.*s", (int)(lens[0] < sizeof(id) ? lens[0] : 0), segs[0]);
		snprintf(action, sizeof(action), "%.*s", (int)(lens[1] < sizeof(action) ? lens[1] : 0), segs[1]);
		if (admin_body(&c, &body) && admin_ok(&c, body.data))
			device_action(&c, id, action, body.data);
		buf_release(&body);
	} else if (method_is(req, "POST")) {
		fail(&c, n == 2 ? 404 : 405, "POST /api/devices/ID/lock or /api/devices/ID/unlock");
	} else if (!is_read(req)) {
		fail(&c, 405, "%s is not allowed here", http_req_method(req));
	} else if (n != 0) {
		fail(&c, 404, "no such resource: %.200s", http_req_path(req));
	} else if (query_allowed(http_req_query(req), (const char *const[]){ NULL }) != 0) {
		fail(&c, 400, "%s", err_msg());
	} else if ((rc = dashdata_devices(&m, &c.env)) != 0) {
		fail_err(&c, rc);
	} else if (api) {
		json_answer(&c, 200, m);
	} else {
		json_object_set_new(m, "refresh_ms", json_integer(5000));
		page(&c, 200, "rack", m, "Rack", "rack");
	}
	ctx_close(&c);
}

static void on_rack_page(struct http_req *req, void *arg)
{
	on_devices(req, arg, false);
}

static void on_devices_api(struct http_req *req, void *arg)
{
	on_devices(req, arg, true);
}

/* ---- logs ---- */

struct lines_acc {
	json_t *list;
};

static int collect_line(const struct logtail_line *l, void *arg)
{
	struct lines_acc *a = arg;

	json_array_append_new(a->list, dashdata_log_line(l->t_ms, l->stream, l->text, l->len));
	return 0;
}

/* Lines of path from offset from into m's "lines", with "next" and "eof". An absent file has no lines yet. */
static int add_lines(json_t *m, const char *path, int64_t from, size_t max)
{
	struct lines_acc a = { json_array() };
	int64_t next = from;
	bool eof = true;
	int rc = logtail_read(path, from, max, collect_line, &a, &next, &eof);

	if (rc == ERR_NOTFOUND)
		rc = 0;
	json_object_set_new(m, "lines", a.list);
	json_object_set_new(m, "next", json_integer(next));
	json_object_set_new(m, "eof", json_boolean(eof));
	return rc;
}

static void run_log(struct ctx *c, int64_t id, bool api)
{
	static const char *const allowed[] = { "from", "limit", NULL };
	const char *q = http_req_query(c->req);
	int64_t from = 0, limit = (int64_t)(api ? LOG_API_BYTES : LOG_PAGE_BYTES);
	json_t *m, *job;
	char title[300];
	int rc;

	if (query_allowed(q, allowed) != 0 || query_number(q, "from", 0, INT64_MAX / 2, &from) < 0 ||
	    query_number(q, "limit", 1, (int64_t)LOG_API_MAX, &limit) < 0) {
		fail(c, 400, "%s", err_msg());
		return;
	}
	if ((rc = dashdata_job(&m, &c->env, id)) != 0) {
		fail_err(c, rc);
		return;
	}
	job = json_object_get(m, "job");
	if ((rc = add_lines(m, json_string_value(json_object_get(job, "log_path")), from, (size_t)limit)) != 0) {
		json_decref(m);
		fail_err(c, rc);
		return;
	}
	/* The file's path is the rig's business, not a reader's. */
	json_object_del(job, "log_path");
	json_object_set_new(m, "complete", json_boolean(json_is_true(json_object_get(m, "eof")) &&
							!json_is_true(json_object_get(job, "running"))));
	if (api) {
		json_answer(c, 200, m);
		return;
	}
	json_object_set_new(m, "events_url",
			    json_sprintf("/api/runs/%" PRId64 "/events?from=%" JSON_INTEGER_FORMAT, id,
					 json_integer_value(json_object_get(m, "next"))));
	json_object_set_new(m, "more_url",
			    json_sprintf("/api/runs/%" PRId64 "/log?from=%" JSON_INTEGER_FORMAT, id,
					 json_integer_value(json_object_get(m, "next"))));
	snprintf(title, sizeof(title), "Job %" PRId64 ": %s on %s", id,
		 json_string_value(json_object_get(job, "suite")), json_string_value(json_object_get(job, "target")));
	page(c, 200, "run", m, title, "changes");
}

/* ---- live logs: server-sent events ---- */

struct sse {
	struct http_req *req;
	struct buf out;
	size_t sent;
	bool gone;
};

static int sse_line(const struct logtail_line *l, void *arg)
{
	struct sse *s = arg;
	json_t *v = dashdata_log_line(l->t_ms, l->stream, l->text, l->len);
	char *data = json_dumps(v, JSON_COMPACT);

	json_decref(v);
	if (!data)
		return 1;
	buf_addf(&s->out, "id: %" PRId64 "\nevent: line\ndata: %s\n\n", l->end, data);
	free(data);
	return 0;
}

static int sse_flush(struct sse *s)
{
	if (s->out.len && http_stream_write(s->req, s->out.data, s->out.len) != 0)
		s->gone = true;
	s->sent += s->out.len;
	buf_reset(&s->out);
	return s->gone ? ERR_IO : 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Follows a job's log: what is there from the start offset, then what is
 * appended, until the job is over and its log read ("end"), the stream's
 * deadline or byte cap, the client leaving, or the server stopping.
 */
static void run_events(struct ctx *c, int64_t id)
{
	static const char *const allowed[] = { "from", NULL };
	const char *q = http_req_query(c->req), *last = http_req_header(c->req, "Last-Event-ID");
	struct dashboard *d = c->d;
	char path[PATH_MAX];
	struct sse s = { .req = c->req };
	int64_t from = 0, deadline, next_check = 0, next_ping;
	bool running, slot = false;
	int rc;

	if (query_allowed(q, allowed) != 0 || query_number(q, "from", 0, INT64_MAX / 2, &from) < 0) {
		fail(c, 400, "%s", err_msg());
		return;
	}
	/* A reconnecting EventSource says where it was; that beats the page's first offset. */
	if (last && strcmp(last, "0") == 0) {
		from = 0;
	} else if (last && *last && !parse_id(last, strlen(last), &from)) {
		fail(c, 400, "Last-Event-ID must be a byte offset");
		return;
	}
	if ((rc = dashdata_job_log_path(path, sizeof(path), &c->env, id, &running)) != 0) {
		fail_err(c, rc);
		return;
	}
	if (method_is(c->req, "HEAD")) {
		/* A HEAD learns that the stream exists, without holding a worker on it. */
		http_respond(c->req, 200, "text/event-stream; charset=utf-8", "", 0);
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (d->sse_active < d->sse_max) {
		d->sse_active++;
		slot = true;
	}
	pthread_mutex_unlock(&d->lock);
	if (!slot) {
		fail(c, 503, "too many live logs open; try again shortly");
		return;
	}
	/* The store is not needed while waiting on the file: give it back to the pool. */
	ctx_close(c);
	buf_init(&s.out, SSE_CHUNK * 4);
	if (http_stream_start(c->req, 200, "text/event-stream; charset=utf-8") != 0)
		goto done;
	buf_addstr(&s.out, "retry: 1000\n\n");
	deadline = store_now_ms() + (int64_t)d->sse_seconds * 1000;
	next_ping = store_now_ms() + SSE_PING_MS;
	while (!s.gone && !http_req_stopping(c->req) && store_now_ms() < deadline && s.sent < SSE_STREAM_CAP) {
		int64_t next = from, now;
		bool eof = true;

		rc = logtail_read(path, from, SSE_CHUNK, sse_line, &s, &next, &eof);
		if (rc && rc != ERR_NOTFOUND)
			break;
		from = next;
		if (sse_flush(&s) != 0)
			break;
		if (!eof)
			continue;
		now = store_now_ms();
		if (now >= next_check) {
			struct ctx sc = *c;

			/* Over and read to the end: say so, and the browser stops following. */
			if (store_take(d, &sc.env.store) == 0) {
				rc = dashdata_job_log_path(path, sizeof(path), &sc.env, id, &running);
				store_give(d, sc.env.store);
				if (rc == 0 && !running) {
					rc = logtail_read(path, from, SSE_CHUNK, sse_line, &s, &next, &eof);
					from = next;
					if (eof) {
						buf_addstr(&s.out, "event: end\ndata: {\"state\": \"over\"}\n\n");
						sse_flush(&s);
						break;
					}
					continue;
				}
			}
			next_check = now + 1000;
		}
		if (now >= next_ping) {
			/*
			 * A comment: a write is the only way to learn that the client
			 * left (its slot is then freed), and it keeps proxies from
			 * timing the stream out.
			 */
			buf_addstr(&s.out, ": ping\n\n");
			if (sse_flush(&s) != 0)
				break;
			next_ping = now + SSE_PING_MS;
		}
		sleep_ms(200);
	}
done:
	buf_release(&s.out);
	pthread_mutex_lock(&d->lock);
	d->sse_active--;
	pthread_mutex_unlock(&d->lock);
}

static void on_runs(struct http_req *req, void *arg, bool api)
{
	const char *segs[2];
	size_t lens[2], n;
	struct ctx c;
	int64_t id;

	if (ctx_open(&c, arg, req, api) != 0) {
		fail(&c, 503, "the store cannot be opened: %s", err_msg());
		return;
	}
	n = split(http_req_path(req), api ? "/api/runs" : "/runs", segs, lens, 2);
	if (n == 0 || !parse_id(segs[0], lens[0], &id)) {
		fail(&c, 404, "no job '%.*s'", n ? (int)(lens[0] > 60 ? 60 : lens[0]) : 0, n ? segs[0] : "");
	} else if (api && n == 2 && lens[1] == 5 && strncmp(segs[1], "retry", 5) == 0) {
		if (!method_is(req, "POST")) {
			fail(&c, 405, "a retry is a POST");
		} else {
			struct buf body;

			buf_init(&body, ADMIN_BODY_CAP);
			if (admin_body(&c, &body) && admin_ok(&c, body.data))
				retry_job(&c, id);
			buf_release(&body);
		}
	} else if (!is_read(req)) {
		fail(&c, 405, "%s is not allowed here", http_req_method(req));
	} else if (n == 1) {
		if (api) {
			json_t *m;
			int rc = dashdata_job(&m, &c.env, id);

			if (rc) {
				fail_err(&c, rc);
			} else {
				json_object_del(json_object_get(m, "job"), "log_path");
				json_answer(&c, 200, m);
			}
		} else {
			run_log(&c, id, false);
		}
	} else if (api && n == 2 && lens[1] == 3 && strncmp(segs[1], "log", 3) == 0) {
		run_log(&c, id, true);
	} else if (api && n == 2 && lens[1] == 6 && strncmp(segs[1], "events", 6) == 0) {
		run_events(&c, id);
	} else {
		fail(&c, 404, "no such resource: %.200s", http_req_path(req));
	}
	ctx_close(&c);
}

static void on_runs_page(struct http_req *req, void *arg)
{
	on_runs(req, arg, false);
}

static void on_runs_api(struct http_req *req, void *arg)
{
	on_runs(req, arg, true);
}

static void on_builds(struct http_req *req, void *arg)
{
	const char *segs[2];
	size_t lens[2], n;
	struct store_build b;
	struct ctx c;
	int64_t id;
	int rc;

	if (ctx_open(&c, arg, req, false) != 0) {
		fail(&c, 503, "the store cannot be opened: %s", err_msg());
		return;
	}
	n = split(http_req_path(req), "/builds", segs, lens, 2);
	if (!is_read(req)) {
		fail(&c, 405, "%s is not allowed here", http_req_method(req));
	} else if (n != 2 || !parse_id(segs[0], lens[0], &id) || lens[1] != 3 || strncmp(segs[1], "log", 3) != 0) {
		fail(&c, 404, "a build's log is /builds/ID/log");
	} else if ((rc = store_build_get(c.env.store, id, &b)) != 0) {
		fail_err(&c, rc);
	} else {
		json_t *m = json_pack("{s:I, s:I, s:s?, s:s?, s:s?}", "id", (json_int_t)b.id, "change_id",
				      (json_int_t)b.change_id, "board", b.board, "status", b.status, "sha", b.sha);
		char title[200];

		if (!b.log_path)
			json_object_set_new(m, "lines", json_array());
		else if ((rc = add_lines(m, b.log_path, 0, LOG_PAGE_BYTES)) != 0)
			log_warn("dashboard: build %" PRId64 " log: %s", id, err_msg());
		snprintf(title, sizeof(title), "Build %" PRId64 " of %s", id, b.board);
		page(&c, 200, "build_log", m, title, "changes");
		store_build_release(&b);
	}
	ctx_close(&c);
}

/* ---- /metrics ---- */

/* A Prometheus label value: backslash, quote and newline escaped. */
static void label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_addch(b, '\\'), buf_addch(b, *v);
		else if (*v == '\n')
			buf_addstr(b, "\\n");
		else
			buf_addch(b, *v);
	}
}

/* One gauge per label value: every known value (0 when absent), then any others the store holds. */
static void counts(struct buf *b, const char *metric, const char *help, const char *key,
		   const struct store_count *v, size_t n, const char *const *known)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
	for (size_t i = 0; known[i]; i++) {
		int64_t count = 0;

		for (size_t j = 0; j < n; j++)
			if (strcmp(v[j].label, known[i]) == 0)
				count = v[j].n;
		buf_addf(b, "%s{%s=\"%s\"} %" PRId64 "\n", metric, key, known[i], count);
	}
	for (size_t j = 0; j < n; j++) {
		if (one_of(v[j].label, known))
			continue;
		buf_addf(b, "%s{%s=\"", metric, key);
		label(b, v[j].label);
		buf_addf(b, "\"} %" PRId64 "\n", v[j].n);
	}
}

static void on_metrics(struct http_req *req, void *arg)
{
	static const char *const job_states[] = { "queued", "running", "done", "error", "cancelled", NULL };
	static const char *const verdicts[] = { "pass", "fail", "error", "skip", "xfail", NULL };
	static const char *const device_states[] = { "idle", "leased", "locked", "offline", NULL };
	struct store_metrics m;
	struct webhook_counter *wc = NULL;
	size_t nwc = 0;
	struct ctx c;
	struct buf b;
	int rc;

	if (ctx_open(&c, arg, req, true) != 0) {
		fail(&c, 503, "the store cannot be opened: %s", err_msg());
		return;
	}
	if (!is_read(req) || strcmp(http_req_path(req), "/metrics") != 0) {
		fail(&c, is_read(req) ? 404 : 405, "GET /metrics");
		ctx_close(&c);
		return;
	}
	if ((rc = store_metrics_read(c.env.store, &m)) != 0) {
		fail_err(&c, rc);
		ctx_close(&c);
		return;
	}
	ctx_close(&c);
	buf_init(&b, 1 << 20);
	buf_addf(&b, "# HELP rig_queue_depth Jobs queued, waiting for a target.\n# TYPE rig_queue_depth gauge\n"
		     "rig_queue_depth %" PRId64 "\n", m.jobs_queued);
	counts(&b, "rig_jobs", "Jobs by state.", "state", m.jobs, m.njobs, job_states);
	counts(&b, "rig_jobs_verdict", "Finished jobs by verdict (error: the rig failed; fail: the code did).",
	       "verdict", m.verdicts, m.nverdicts, verdicts);
	counts(&b, "rig_changes", "Changes by state.", "state", m.changes, m.nchanges, change_states);
	counts(&b, "rig_devices", "Devices of the rack by state.", "state", m.devices, m.ndevices, device_states);
	buf_addf(&b, "# HELP rig_builds_total Finished builds (ok or fail).\n# TYPE rig_builds_total counter\n"
		     "rig_builds_total %" PRId64 "\n"
		     "# HELP rig_builds_cached_total Finished builds that reused an earlier build.\n"
		     "# TYPE rig_builds_cached_total counter\nrig_builds_cached_total %" PRId64 "\n"
		     "# HELP rig_build_cache_hit_ratio Share of finished builds served from the cache.\n"
		     "# TYPE rig_build_cache_hit_ratio gauge\nrig_build_cache_hit_ratio %.4f\n",
		 m.builds, m.builds_cached, m.builds ? (double)m.builds_cached / (double)m.builds : 0.0);
	if (c.d->webhooks && webhook_counters(&wc, &nwc, c.d->webhooks) == 0) {
		static const char *const outcomes[] = { "received", "accepted", "ignored", "duplicate", "rejected" };

		buf_addstr(&b, "# HELP rig_webhook_requests_total Webhook requests by forge and outcome.\n"
			       "# TYPE rig_webhook_requests_total counter\n");
		for (size_t i = 0; i < nwc; i++) {
			uint64_t v[] = { wc[i].received, wc[i].accepted, wc[i].ignored, wc[i].duplicate, wc[i].rejected };

			for (size_t k = 0; k < 5; k++) {
				buf_addstr(&b, "rig_webhook_requests_total{forge=\"");
				label(&b, wc[i].forge);
				buf_addf(&b, "\",outcome=\"%s\"} %llu\n", outcomes[k], (unsigned long long)v[k]);
			}
		}
		free(wc);
	}
	http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	buf_release(&b);
}

/* ---- assets ---- */

static void on_static(struct http_req *req, void *arg)
{
	struct dashboard *d = arg;
	const char *path = http_req_path(req);

	if (!is_read(req)) {
		http_respond_error(req, 405, "%s is not allowed here", http_req_method(req));
		return;
	}
	for (size_t i = 0; i < d->nassets; i++) {
		if (strcmp(d->assets[i].url, path) == 0) {
			http_respond_asset(req, d->assets[i].type, d->assets[i].data, d->assets[i].len, 300);
			return;
		}
	}
	http_respond_error(req, 404, "no asset %.200s", path);
}

static const char *content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot && strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (dot && strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (dot && strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	if (dot && strcmp(dot, ".png") == 0)
		return "image/png";
	return "application/octet-stream";
}

static int add_asset(struct dashboard *d, const char *url, const char *path)
{
	struct asset *na = realloc(d->assets, (d->nassets + 1) * sizeof(*na));
	struct buf b;
	int rc;

	if (!na)
		return err_set(ERR_NOMEM, "out of memory");
	d->assets = na;
	buf_init(&b, ASSET_CAP);
	if ((rc = fs_read_file(&b, path)) != 0) {
		buf_release(&b);
		return rc;
	}
	na[d->nassets].url = strdup(url);
	na[d->nassets].type = content_type(url);
	na[d->nassets].len = b.len;
	na[d->nassets].data = buf_detach(&b, NULL);
	if (!na[d->nassets].url) {
		free(na[d->nassets].data);
		return err_set(ERR_NOMEM, "out of memory");
	}
	d->nassets++;
	return 0;
}

/*
 * Assets are read once, at start: every file of static/, and the chart
 * library from where npm installed it. Without the chart library the pages
 * still work (their numbers are tables); only the charts are missing.
 */
static int load_assets(struct dashboard *d, const char *dir)
{
	static const char *const chart_files[] = { "uPlot.iife.min.js", "uPlot.min.css" };
	char path[PATH_MAX], url[PATH_MAX];
	struct dirent *e;
	DIR *sd;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/static", dir);
	if (!(sd = opendir(path)))
		return err_errno(ERR_IO, "dashboard assets %s", path);
	while (!rc && (e = readdir(sd)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/static/%s", dir, e->d_name);
		snprintf(url, sizeof(url), "/static/%s", e->d_name);
		if (fs_is_file(path))
			rc = add_asset(d, url, path);
	}
	closedir(sd);
	for (size_t i = 0; !rc && i < sizeof(chart_files) / sizeof(chart_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/node_modules/uplot/dist/%s", dir, chart_files[i]);
		snprintf(url, sizeof(url), "/static/%s", chart_files[i]);
		if (!fs_is_file(path)) {
			log_warn("dashboard: no %s (run scripts/dashboard-deps.sh): charts are off", path);
			continue;
		}
		rc = add_asset(d, url, path);
	}
	return rc;
}

/* ---- life cycle ---- */

/* The admin token and the logs' folder of a configuration. */
static int read_config(char **token, char **logs_dir, const struct config *cfg)
{
	char path[PATH_MAX];
	int rc;

	*token = NULL;
	*logs_dir = NULL;
	if (cfg->admin_token_file && (rc = secret_read(token, cfg->admin_token_file, "admin token")) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/logs", cfg->data_dir ? cfg->data_dir : ".");
	if (!(*logs_dir = strdup(path))) {
		secret_free(*token);
		*token = NULL;
		return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

int dashboard_new(struct dashboard **out, const struct dashboard_opts *opts)
{
	struct dashboard *d;
	char dir[PATH_MAX], tdir[PATH_MAX];
	int rc;

	*out = NULL;
	if (!opts->cfg || !opts->store_url)
		return err_set(ERR_INVALID, "dashboard: a configuration and a store are needed");
	if (!(d = calloc(1, sizeof(*d))))
		return err_set(ERR_NOMEM, "out of memory");
	pthread_mutex_init(&d->lock, NULL);
	d->webhooks = opts->webhooks;
	d->wake = opts->wake;
	d->wake_arg = opts->wake_arg;
	d->sse_max = opts->sse_max > 0 ? opts->sse_max : 4;
	d->sse_seconds = opts->sse_seconds > 0 ? opts->sse_seconds : 60;
	if (opts->assets_dir)
		snprintf(dir, sizeof(dir), "%s", opts->assets_dir);
	else
		snprintf(dir, sizeof(dir), "%s/dashboard", config_project_root());
	snprintf(tdir, sizeof(tdir), "%s/templates", dir);
	if (!(d->store_url = strdup(opts->store_url))) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = read_config(&d->token, &d->logs_dir, opts->cfg)) != 0 ||
	    (rc = view_set_load(&d->views, tdir)) != 0 || (rc = load_assets(d, dir)) != 0)
		goto fail;
	if (!d->token)
		log_info("dashboard: no admin_token_file: admin actions are off");
	*out = d;
	return 0;
fail:
	err_prefix("dashboard");
	dashboard_free(d);
	return rc;
}

int dashboard_mount(struct dashboard *d, struct http_server *srv)
{
	static const struct {
		const char *prefix;
		http_handler_fn fn;
	} routes[] = {
		{ "/", on_root },
		{ "/changes", on_changes_page },
		{ "/cases", on_cases_page },
		{ "/sizes", on_sizes_page },
		{ "/rack", on_rack_page },
		{ "/runs", on_runs_page },
		{ "/builds", on_builds },
		{ "/static", on_static },
		{ "/metrics", on_metrics },
		{ "/api/changes", on_changes_api },
		{ "/api/cases", on_cases_api },
		{ "/api/sizes", on_sizes_api },
		{ "/api/boards", on_boards_api },
		{ "/api/devices", on_devices_api },
		{ "/api/runs", on_runs_api },
	};
	int rc;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if ((rc = http_route(srv, routes[i].prefix, routes[i].fn, d)) != 0)
			return rc;
	return 0;
}

int dashboard_reload(struct dashboard *d, const struct config *cfg)
{
	char *token, *logs_dir, *old_token, *old_logs;
	int rc;

	if ((rc = read_config(&token, &logs_dir, cfg)) != 0)
		return err_prefix("dashboard");
	pthread_mutex_lock(&d->lock);
	old_token = d->token;
	old_logs = d->logs_dir;
	d->token = token;
	d->logs_dir = logs_dir;
	pthread_mutex_unlock(&d->lock);
	secret_free(old_token);
	free(old_logs);
	return 0;
}

void dashboard_free(struct dashboard *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->npool; i++)
		store_close(d->pool[i]);
	free(d->pool);
	for (size_t i = 0; i < d->nassets; i++) {
		free(d->assets[i].url);
		free(d->assets[i].data);
	}
	free(d->assets);
	view_set_free(d->views);
	secret_free(d->token);
	free(d->logs_dir);
	free(d->store_url);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
