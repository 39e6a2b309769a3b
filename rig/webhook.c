#include "webhook.h"

#include <ctype.h>
#include <fnmatch.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "secret.h"
#include "store.h"

#define DELIVERY_KEEP_MS ((int64_t)30 * 24 * 3600 * 1000)
#define PRUNE_EVERY_MS ((int64_t)3600 * 1000)

enum forge_kind { KIND_GITHUB, KIND_GITLAB };

static const char *const kind_names[] = { "github", "gitlab" };

/* A forge as the receiver needs it, copied out of the configuration. */
struct hook_forge {
	char *name;
	enum forge_kind kind;
	char *secret;
	char *url;		/* normalized: see same_repo_url */
	char *repo;		/* status.repo, or NULL */
	char *base;
	bool merge_queue;
	char **protected;
	size_t nprotected;
};

/* One configuration's worth; requests hold a reference while they run. */
struct table {
	int refs;
	struct hook_forge *forges;
	size_t n;
	size_t max_body;
};

struct webhook {
	pthread_mutex_t lock;		/* guards everything below */
	struct table *table;
	struct webhook_counter *counters;
	size_t ncounters;
	struct store **pool;		/* idle store connections */
	size_t npool, pool_alloc;
	int64_t last_prune;

	char *store_url;
	webhook_queue_fn queue;
	void *queue_arg;
};

enum outcome { OUT_ACCEPTED, OUT_IGNORED, OUT_DUPLICATE, OUT_REJECTED };

/* One request being handled. */
struct hook {
	struct webhook *w;
	struct http_req *req;
	enum forge_kind kind;
	struct table *table;
	const struct hook_forge *forge;	/* once the repository picked one */
	bool verified[64];		/* per table entry: its secret authenticated the request */
	struct buf body;
	json_t *root;
	const char *event;
	struct webhook_event ev;
	char ref[512], head_sha[72], base_sha[72], base_ref[256], title[1024];
	enum outcome outcome;
	bool counted;
};

/* ---- authentication ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool webhook_github_signature_ok(const char *secret, const void *body, size_t len, const char *header)
{
	unsigned char want[EVP_MAX_MD_SIZE], got[32];
	unsigned int wlen = 0;
	const char *hex;

	if (!secret || !header || strncmp(header, "sha256=", 7) != 0)
		return false;
	hex = header + 7;
	if (strlen(hex) != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), len ? body : (const void *)"", len, want, &wlen) ||
	    wlen != 32)
		return false;
	return CRYPTO_memcmp(want, got, 32) == 0;
}

bool webhook_token_ok(const char *secret, const char *token)
{
	unsigned char a[32], b[32];
	unsigned int la = 0, lb = 0;

	if (!secret || !token)
		return false;
	/* Comparing digests takes the same time whatever the lengths and contents. */
	if (!EVP_Digest(secret, strlen(secret), a, &la, EVP_sha256(), NULL) ||
	    !EVP_Digest(token, strlen(token), b, &lb, EVP_sha256(), NULL))
		return false;
	return la == 32 && lb == 32 && CRYPTO_memcmp(a, b, 32) == 0;
}

/* ---- configuration ---- */

/* Lowercase, without a trailing "/" or ".git": the forms a forge spells one repository in. */
static char *normalize_url(const char *url)
{
	char *s = strdup(url ? url : "");
	size_t n;

	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	if (n > 4 && strcmp(s + n - 4, ".git") == 0)
		s[n - 4] = '\0';
	return s;
}

static void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		struct hook_forge *f = &t->forges[i];

		free(f->name);
		secret_free(f->secret);
		free(f->url);
		free(f->repo);
		free(f->base);
		for (size_t j = 0; j < f->nprotected; j++)
			free(f->protected[j]);
		free(f->protected);
	}
	free(t->forges);
	free(t);
}

static int table_build(struct table **out, const struct config *cfg)
{
	struct table *t = calloc(1, sizeof(*t));
	int rc = 0;

	*out = NULL;
	if (!t)
		return err_set(ERR_NOMEM, "out of memory");
	t->refs = 1;
	t->max_body = cfg->webhook_max_body > 0 ? (size_t)cfg->webhook_max_body : (size_t)5 << 20;
	t->forges = calloc(cfg->forges.n ? cfg->forges.n : 1, sizeof(*t->forges));
	if (!t->forges) {
		free(t);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < cfg->forges.n; i++) {
		const struct forge *cf = &cfg->forges.v[i];
		struct hook_forge *f = &t->forges[t->n];

		/* Only forges that can authenticate a hook take hooks. */
		if (!cf->webhook_secret_file || !cf->kind ||
		    (strcmp(cf->kind, "github") != 0 && strcmp(cf->kind, "gitlab") != 0))
			continue;
		if (t->n == sizeof(((struct hook *)0)->verified)) {
			rc = err_set(ERR_LIMIT, "webhooks: more than %zu forges with a webhook secret",
				     sizeof(((struct hook *)0)->verified));
			break;
		}
		t->n++;
		f->kind = strcmp(cf->kind, "github") == 0 ? KIND_GITHUB : KIND_GITLAB;
		f->merge_queue = cf->gate && strcmp(cf->gate, "merge-queue") == 0;
		if ((rc = secret_read(&f->secret, cf->webhook_secret_file, "webhook secret")) != 0) {
			err_prefix("forge %s", cf->name);
			break;
		}
		f->name = strdup(cf->name);
		f->url = normalize_url(cf->url);
		f->repo = cf->has_status && cf->status.repo ? strdup(cf->status.repo) : NULL;
		f->base = strdup(cf->base ? cf->base : "main");
		f->protected = calloc(cf->protected_branches.n + 1, sizeof(char *));
		if (!f->name || !f->url || !f->base || !f->protected ||
		    (cf->has_status && cf->status.repo && !f->repo)) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		for (size_t j = 0; j < cf->protected_branches.n; j++) {
			if (!(f->protected[j] = strdup(cf->protected_branches.v[j]))) {
				rc = err_set(ERR_NOMEM, "out of memory");
				break;
			}
			f->nprotected++;
		}
		if (rc)
			break;
	}
	if (rc) {
		table_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

static struct table *table_get(struct webhook *w)
{
	struct table *t;

	pthread_mutex_lock(&w->lock);
	t = w->table;
	t->refs++;
	pthread_mutex_unlock(&w->lock);
	return t;
}

static void table_put(struct webhook *w, struct table *t)
{
	bool last;

	pthread_mutex_lock(&w->lock);
	last = --t->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (last)
		table_free(t);
}

/* ---- counters and the store pool ---- */

static void count(struct webhook *w, const char *forge, enum outcome outcome)
{
	struct webhook_counter *c = NULL;

	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->ncounters; i++)
		if (strcmp(w->counters[i].forge, forge) == 0)
			c = &w->counters[i];
	if (!c) {
		struct webhook_counter *nc = realloc(w->counters, (w->ncounters + 1) * sizeof(*nc));

		if (nc) {
			w->counters = nc;
			c = &nc[w->ncounters++];
			memset(c, 0, sizeof(*c));
			snprintf(c->forge, sizeof(c->forge), "%s", forge);
		}
	}
	if (c) {
		c->received++;
		if (outcome == OUT_ACCEPTED)
			c->accepted++;
		else if (outcome == OUT_IGNORED)
			c->ignored++;
		else if (outcome == OUT_DUPLICATE)
			c->duplicate++;
		else
			c->rejected++;
	}
	pthread_mutex_unlock(&w->lock);
}

int webhook_counters(struct webhook_counter **out, size_t *n, struct webhook *w)
{
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	*n = w->ncounters;
	*out = malloc((w->ncounters ? w->ncounters : 1) * sizeof(**out));
	if (*out)
		memcpy(*out, w->counters, w->ncounters * sizeof(**out));
	else
		rc = err_set(ERR_NOMEM, "out of memory");
	pthread_mutex_unlock(&w->lock);
	if (rc)
		*n = 0;
	return rc;
}

/* A store connection for this thread's use until store_put: one per concurrent request. */
static int store_get(struct store **out, struct webhook *w)
{
	pthread_mutex_lock(&w->lock);
	*out = w->npool ? w->pool[--w->npool] : NULL;
	pthread_mutex_unlock(&w->lock);
	if (*out)
		return 0;
	return store_open(out, w->store_url);
}

static void store_put(struct webhook *w, struct store *s)
{
	pthread_mutex_lock(&w->lock);
	if (w->npool == w->pool_alloc) {
		size_t na = w->pool_alloc ? w->pool_alloc * 2 : 8;
		struct store **np = realloc(w->pool, na * sizeof(*np));

		if (np) {
			w->pool = np;
			w->pool_alloc = na;
		}
	}
	if (w->npool < w->pool_alloc) {
		w->pool[w->npool++] = s;
		s = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	store_close(s);
}

/* ---- answers ---- */

/* Counted before the answer goes out, so a client that has its answer sees it counted. */
static void settle(struct hook *h, enum outcome outcome)
{
	h->outcome = outcome;
	if (!h->counted)
		count(h->w, h->forge ? h->forge->name : "", outcome);
	h->counted = true;
}

static void reject(struct hook *h, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void reject(struct hook *h, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	settle(h, OUT_REJECTED);
	log_info("webhook %s%s%s: %d %s", kind_names[h->kind], h->forge ? " " : "", h->forge ? h->forge->name : "",
		 status, msg);
	http_respond_error(h->req, status, "%s", msg);
}

/* 200 or 202 with {"status": word, …}; extra keys from the event when it is set. */
static void answer(struct hook *h, int status, enum outcome outcome, const char *word, const char *reason)
{
	json_t *o = json_object();
	char *text;

	settle(h, outcome);
	json_object_set_new(o, "status", json_string(word));
	if (h->forge)
		json_object_set_new(o, "forge", json_string(h->forge->name));
	if (h->event)
		json_object_set_new(o, "event", json_string(h->event));
	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	if (h->ev.delivery)
		json_object_set_new(o, "delivery", json_string(h->ev.delivery));
	if (outcome == OUT_ACCEPTED) {
		static const char *const kinds[] = { "pr", "push", "merge_group", "cancel" };

		json_object_set_new(o, "kind", json_string(kinds[h->ev.kind]));
		if (h->ev.number)
			json_object_set_new(o, "number", json_integer(h->ev.number));
		json_object_set_new(o, "ref", json_string(h->ev.ref));
		if (h->ev.head_sha)
			json_object_set_new(o, "sha", json_string(h->ev.head_sha));
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	log_info("webhook %s%s%s: %d %s%s%s", kind_names[h->kind], h->forge ? " " : "",
		 h->forge ? h->forge->name : "", status, word, reason ? ": " : "", reason ? reason : "");
	if (!text) {
		http_respond_error(h->req, 500, "out of memory");
		return;
	}
	http_respond_json(h->req, status, text);
	free(text);
}

static void ignore(struct hook *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ignore(struct hook *h, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	answer(h, 200, OUT_IGNORED, "ignored", reason);
}

/* ---- reading the payload ---- */

/* The JSON value at a dotted path ("pull_request.head.sha"), or NULL. */
static json_t *at(json_t *root, const char *path)
{
	char key[128];
	json_t *v = root;

	while (v && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key) || !json_is_object(v))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

static const char *str_at(json_t *root, const char *path)
{
	json_t *v = at(root, path);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A required string field; on absence answers 400 naming it and returns NULL. */
static const char *need(struct hook *h, const char *path)
{
	json_t *v = at(h->root, path);

	if (!v || json_is_null(v)) {
		reject(h, 400, "%s event: missing field %s", h->event, path);
		return NULL;
	}
	if (!json_is_string(v) || !*json_string_value(v)) {
		reject(h, 400, "%s event: field %s is not a non-empty string", h->event, path);
		return NULL;
	}
	return json_string_value(v);
}

static bool need_int(struct hook *h, const char *path, int64_t *out)
{
	json_t *v = at(h->root, path);

	if (!v) {
		reject(h, 400, "%s event: missing field %s", h->event, path);
		return false;
	}
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		reject(h, 400, "%s event: field %s is not a positive integer", h->event, path);
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

static bool all_zeros(const char *sha)
{
	return sha && strspn(sha, "0") == strlen(sha);
}

/* A commit id (SHA-1 or SHA-256, hex) into out, lowercased; answers 400 when it is not one. */
static bool take_sha(struct hook *h, char *out, size_t n, const char *sha, const char *field)
{
	size_t len = strlen(sha);

	if ((len != 40 && len != 64) || len >= n || strspn(sha, "0123456789abcdefABCDEF") != len) {
		reject(h, 400, "%s event: field %s is not a commit id", h->event, field);
		return false;
	}
	for (size_t i = 0; i <= len; i++)
		out[i] = (char)tolower((unsigned char)sha[i]);
	return true;
}

/*
 * A ref the rig can hand to git: the rules of git check-ref-format that keep
 * it one safe argument (no "..", no spaces, controls or glob characters, no
 * "@{", no component starting with "." or ending with ".lock").
 */
static bool ref_ok(const char *ref)
{
	size_t len = strlen(ref);

	if (strncmp(ref, "refs/", 5) != 0 || len > 250 || ref[len - 1] == '/' || ref[len - 1] == '.' ||
	    strstr(ref, "..") || strstr(ref, "//") || strstr(ref, "@{") || strstr(ref, "/.") ||
	    strstr(ref, ".lock/") || (len >= 5 && strcmp(ref + len - 5, ".lock") == 0))
		return false;
	for (const char *p = ref; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x21 || c == 0x7f || strchr(" ~^:?*[\\", c))
			return false;
	}
	return true;
}

static bool take_ref(struct hook *h, char *out, size_t n, const char *ref, const char *field)
{
	if (!ref_ok(ref) || strlen(ref) >= n) {
		reject(h, 400, "%s event: field %s is not a valid ref name", h->event, field);
		return false;
	}
	snprintf(out, n, "%s", ref);
	return true;
}

/* A branch name, with or without refs/heads/, into out without it. */
static bool take_branch(struct hook *h, char *out, size_t n, const char *name, const char *field)
{
	char ref[300];

	if (strncmp(name, "refs/heads/", 11) == 0)
		name += 11;
	snprintf(ref, sizeof(ref), "refs/heads/%s", name);
	if (!ref_ok(ref) || strlen(name) >= n || !*name) {
		reject(h, 400, "%s event: field %s is not a valid branch name", h->event, field);
		return false;
	}
	snprintf(out, n, "%s", name);
	return true;
}

/* The first line of a commit message, as a title. */
static const char *first_line(struct hook *h, const char *message)
{
	size_t n;

	if (!message)
		return NULL;
	n = strcspn(message, "\r\n");
	if (n >= sizeof(h->title))
		n = sizeof(h->title) - 1;
	/* Never end inside a UTF-8 sequence. */
	while (n > 0 && n < strlen(message) && ((unsigned char)message[n] & 0xC0) == 0x80)
		n--;
	memcpy(h->title, message, n);
	h->title[n] = '\0';
	return h->title;
}

static bool branch_protected(const struct hook_forge *f, const char *branch)
{
	if (f->nprotected == 0)
		return strcmp(branch, f->base) == 0;
	for (size_t i = 0; i < f->nprotected; i++)
		if (fnmatch(f->protected[i], branch, 0) == 0)
			return true;
	return false;
}

/* ---- which forge ---- */

static bool same_repo_url(const struct hook_forge *f, const char *url)
{
	char *n;
	bool same;

	if (!url || !*url)
		return false;
	n = normalize_url(url);
	same = n && strcmp(n, f->url) == 0;
	free(n);
	return same;
}

/* The forge among those whose secret authenticated the request that serves the payload's repository. */
static const struct hook_forge *match_forge(struct hook *h, const char *full_name)
{
	static const char *const github_urls[] = { "repository.clone_url", "repository.ssh_url",
						    "repository.git_url", "repository.html_url", NULL };
	static const char *const gitlab_urls[] = { "project.git_http_url", "project.git_ssh_url",
						    "project.web_url", "repository.url", NULL };
	const char *const *urls = h->kind == KIND_GITHUB ? github_urls : gitlab_urls;

	for (size_t i = 0; i < h->table->n; i++) {
		const struct hook_forge *f = &h->table->forges[i];

		if (!h->verified[i])
			continue;
		if (f->repo && full_name && strcasecmp(f->repo, full_name) == 0)
			return f;
		for (size_t u = 0; urls[u]; u++)
			if (same_repo_url(f, str_at(h->root, urls[u])))
				return f;
	}
	return NULL;
}

static const char *repo_field(const struct hook *h)
{
	return h->kind == KIND_GITHUB ? "repository.full_name" : "project.path_with_namespace";
}

/* For the counters of an event that is ignored anyway: the forge, when the payload names one. */
static void attribute(struct hook *h)
{
	h->forge = match_forge(h, str_at(h->root, repo_field(h)));
}

/* Picks the forge: answers 400 when the payload names no repository, 404 when none serves it. */
static bool pick_forge(struct hook *h)
{
	const char *full_name = need(h, repo_field(h));

	if (!full_name)
		return false;
	if (!(h->forge = match_forge(h, full_name))) {
		reject(h, 404, "repository %s is not served by any %s forge that shares this secret", full_name,
		       kind_names[h->kind]);
		return false;
	}
	h->ev.forge = h->forge->name;
	h->ev.repo = full_name;
	return true;
}

/* ---- GitHub ---- */

/* Returns true when the event is to be queued; otherwise it has been answered. */
static bool github_pull_request(struct hook *h)
{
	const char *action = need(h, "action"), *sha, *base, *base_sha;

	if (!action)
		return false;
	h->ev.action = action;
	if (h->forge->merge_queue) {
		ignore(h, "gate is merge-queue: pull requests are tested in the merge queue");
		return false;
	}
	if (strcmp(action, "opened") == 0 || strcmp(action, "synchronize") == 0 ||
	    strcmp(action, "reopened") == 0)
		h->ev.kind = WEBHOOK_PR;
	else if (strcmp(action, "closed") == 0)
		h->ev.kind = WEBHOOK_CANCEL;
	else {
		ignore(h, "pull_request action '%s' is not acted on", action);
		return false;
	}
	if (!need_int(h, "pull_request.number", &h->ev.number))
		return false;
	snprintf(h->ref, sizeof(h->ref), "refs/pull/%lld/head", (long long)h->ev.number);
	h->ev.ref = h->ref;
	if (!(sha = need(h, "pull_request.head.sha")) ||
	    !take_sha(h, h->head_sha, sizeof(h->head_sha), sha, "pull_request.head.sha"))
		return false;
	h->ev.head_sha = h->head_sha;
	if (!(base = need(h, "pull_request.base.ref")) ||
	    !take_branch(h, h->base_ref, sizeof(h->base_ref), base, "pull_request.base.ref"))
		return false;
	h->ev.base_ref = h->base_ref;
	if (!(base_sha = need(h, "pull_request.base.sha")) ||
	    !take_sha(h, h->base_sha, sizeof(h->base_sha), base_sha, "pull_request.base.sha"))
		return false;
	h->ev.base_sha = h->base_sha;
	h->ev.title = str_at(h->root, "pull_request.title");
	h->ev.author = str_at(h->root, "pull_request.user.login");
	h->ev.clone_url = str_at(h->root, "repository.clone_url");
	return true;
}

/* Pushes of GitHub and GitLab: the same fields under the same names, but the author. */
static bool push(struct hook *h, const char *author)
{
	const char *ref = need(h, "ref"), *after, *before;

	if (!ref)
		return false;
	if (strncmp(ref, "refs/heads/", 11) != 0) {
		ignore(h, "%s is not a branch", ref);
		return false;
	}
	if (!take_ref(h, h->ref, sizeof(h->ref), ref, "ref") ||
	    !take_branch(h, h->base_ref, sizeof(h->base_ref), ref, "ref"))
		return false;
	if (!(after = need(h, "after")))
		return false;
	if (all_zeros(after) || json_is_true(at(h->root, "deleted"))) {
		ignore(h, "branch %s was deleted", h->base_ref);
		return false;
	}
	if (!branch_protected(h->forge, h->base_ref)) {
		ignore(h, "branch %s is not protected (pushes are tested on %s)", h->base_ref,
		       h->forge->nprotected ? "protected_branches" : "the base branch");
		return false;
	}
	if (!take_sha(h, h->head_sha, sizeof(h->head_sha), after, "after"))
		return false;
	before = str_at(h->root, "before");
	if (before && !all_zeros(before)) {
		if (!take_sha(h, h->base_sha, sizeof(h->base_sha), before, "before"))
			return false;
		h->ev.base_sha = h->base_sha;
	}
	h->ev.kind = WEBHOOK_PUSH;
	h->ev.ref = h->ref;
	h->ev.head_sha = h->head_sha;
	h->ev.base_ref = h->base_ref;
	h->ev.author = author;
	return true;
}

static bool github_push(struct hook *h)
{
	const char *author = str_at(h->root, "sender.login");

	if (!push(h, author ? author : str_at(h->root, "pusher.name")))
		return false;
	h->ev.title = first_line(h, str_at(h->root, "head_commit.message"));
	h->ev.clone_url = str_at(h->root, "repository.clone_url");
	return true;
}

static bool github_merge_group(struct hook *h)
{
	const char *action = need(h, "action"), *sha, *ref, *base, *base_sha, *pr;

	if (!action)
		return false;
	h->ev.action = action;
	/* Tested in both gate modes: a queue that requires the rig's status waits for it. */
	if (strcmp(action, "checks_requested") == 0)
		h->ev.kind = WEBHOOK_MERGE_GROUP;
	else if (strcmp(action, "destroyed") == 0)
		h->ev.kind = WEBHOOK_CANCEL;
	else {
		ignore(h, "merge_group action '%s' is not acted on", action);
		return false;
	}
	if (!(ref = need(h, "merge_group.head_ref")) ||
	    !take_ref(h, h->ref, sizeof(h->ref), ref, "merge_group.head_ref"))
		return false;
	h->ev.ref = h->ref;
	if (!(sha = need(h, "merge_group.head_sha")) ||
	    !take_sha(h, h->head_sha, sizeof(h->head_sha), sha, "merge_group.head_sha"))
		return false;
	h->ev.head_sha = h->head_sha;
	if (!(base = need(h, "merge_group.base_ref")) ||
	    !take_branch(h, h->base_ref, sizeof(h->base_ref), base, "merge_group.base_ref"))
		return false;
	h->ev.base_ref = h->base_ref;
	if (!(base_sha = need(h, "merge_group.base_sha")) ||
	    !take_sha(h, h->base_sha, sizeof(h->base_sha), base_sha, "merge_group.base_sha"))
		return false;
	h->ev.base_sha = h->base_sha;
	/* gh-readonly-queue/<base>/pr-<number>-<sha>: the PR at the head of this group. */
	if ((pr = strstr(h->ref, "/pr-")) != NULL && (h->ev.number = strtoll(pr + 4, NULL, 10)) < 0)
		h->ev.number = 0;
	h->ev.title = first_line(h, str_at(h->root, "merge_group.head_commit.message"));
	h->ev.author = str_at(h->root, "sender.login");
	h->ev.clone_url = str_at(h->root, "repository.clone_url");
	return true;
}

/* ---- GitLab ---- */

static bool gitlab_merge_request(struct hook *h)
{
	const char *action = need(h, "object_attributes.action"), *sha, *base;

	if (!action)
		return false;
	h->ev.action = action;
	if (h->forge->merge_queue) {
		ignore(h, "gate is merge-queue: merge requests are not tested (GitLab has no merge_group)");
		return false;
	}
	if (strcmp(action, "open") == 0 || strcmp(action, "reopen") == 0)
		h->ev.kind = WEBHOOK_PR;
	else if (strcmp(action, "update") == 0) {
		/* oldrev is only there when the update brought new commits, not for a new title. */
		if (!str_at(h->root, "object_attributes.oldrev")) {
			ignore(h, "merge request update without new commits");
			return false;
		}
		h->ev.kind = WEBHOOK_PR;
	} else if (strcmp(action, "close") == 0 || strcmp(action, "merge") == 0)
		h->ev.kind = WEBHOOK_CANCEL;
	else {
		ignore(h, "merge request action '%s' is not acted on", action);
		return false;
	}
	if (!need_int(h, "object_attributes.iid", &h->ev.number))
		return false;
	snprintf(h->ref, sizeof(h->ref), "refs/merge-requests/%lld/head", (long long)h->ev.number);
	h->ev.ref = h->ref;
	if (!(sha = need(h, "object_attributes.last_commit.id")) ||
	    !take_sha(h, h->head_sha, sizeof(h->head_sha), sha, "object_attributes.last_commit.id"))
		return false;
	h->ev.head_sha = h->head_sha;
	if (!(base = need(h, "object_attributes.target_branch")) ||
	    !take_branch(h, h->base_ref, sizeof(h->base_ref), base, "object_attributes.target_branch"))
		return false;
	h->ev.base_ref = h->base_ref;
	h->ev.title = str_at(h->root, "object_attributes.title");
	h->ev.author = str_at(h->root, "user.username");
	h->ev.clone_url = str_at(h->root, "project.git_http_url");
	return true;
}

static bool gitlab_push(struct hook *h)
{
	json_t *commits;
	size_t i;
	json_t *c;

	if (!push(h, str_at(h->root, "user_username")))
		return false;
	commits = at(h->root, "commits");
	json_array_foreach(commits, i, c) {
		const char *id = str_at(c, "id");

		if (id && strcasecmp(id, h->head_sha) == 0)
			h->ev.title = first_line(h, str_at(c, "message"));
	}
	h->ev.clone_url = str_at(h->root, "project.git_http_url");
	return true;
}

/* ---- the handler ---- */

static bool authenticate(struct hook *h)
{
	const char *header = h->kind == KIND_GITHUB ? "X-Hub-Signature-256" : "X-Gitlab-Token";
	const char *given = http_req_header(h->req, header);
	bool any = false;

	if (!given || !*given) {
		reject(h, 401, "missing %s header: the forge's webhook needs the secret set", header);
		return false;
	}
	for (size_t i = 0; i < h->table->n; i++) {
		const struct hook_forge *f = &h->table->forges[i];

		if (f->kind != h->kind)
			continue;
		h->verified[i] = h->kind == KIND_GITHUB
					 ? webhook_github_signature_ok(f->secret, h->body.data, h->body.len, given)
					 : webhook_token_ok(f->secret, given);
		any |= h->verified[i];
	}
	if (!any) {
		reject(h, 401, "%s matches no configured %s forge's webhook secret", header, kind_names[h->kind]);
		return false;
	}
	return true;
}

/* Remembers the delivery and queues the event; answers in every case. */
static void deliver(struct hook *h)
{
	struct webhook *w = h->w;
	struct store *s = NULL;
	bool claimed = false, prune = false;
	int64_t now;
	int rc;

	if (h->ev.delivery) {
		if ((rc = store_get(&s, w)) != 0) {
			reject(h, 503, "cannot record the delivery: %s", err_msg());
			return;
		}
		rc = store_delivery_add(s, h->ev.delivery, h->forge->name, h->event);
		if (rc == ERR_EXISTS) {
			store_put(w, s);
			answer(h, 200, OUT_DUPLICATE, "duplicate", "this delivery was already received");
			return;
		}
		if (rc != 0) {
			reject(h, 503, "cannot record the delivery: %s", err_msg());
			store_close(s);
			return;
		}
		claimed = true;
	}
	rc = w->queue(w->queue_arg, &h->ev);
	if (rc != 0) {
		char msg[ERR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err_msg());
		if (claimed && store_delivery_forget(s, h->ev.delivery) != 0)
			log_warn("webhook: %s", err_msg());
		reject(h, 503, "cannot queue the event: %s", msg);
	} else {
		answer(h, 202, OUT_ACCEPTED, "queued", NULL);
	}
	if (!s)
		return;
	now = store_now_ms();
	pthread_mutex_lock(&w->lock);
	if (now - w->last_prune > PRUNE_EVERY_MS) {
		w->last_prune = now;
		prune = true;
	}
	pthread_mutex_unlock(&w->lock);
	if (prune && store_deliveries_prune(s, now - DELIVERY_KEEP_MS) != 0)
		log_warn("webhook: %s", err_msg());
	store_put(w, s);
}

static void handle(struct hook *h)
{
	const char *event_header = h->kind == KIND_GITHUB ? "X-GitHub-Event" : "X-Gitlab-Event";
	bool any = false, queue = false;
	json_error_t jerr;
	int rc;

	if (strcmp(http_req_method(h->req), "POST") != 0) {
		reject(h, 405, "webhooks are POSTed");
		return;
	}
	for (size_t i = 0; i < h->table->n; i++)
		any |= h->table->forges[i].kind == h->kind;
	if (!any) {
		reject(h, 404, "no %s forge with a webhook_secret_file is configured", kind_names[h->kind]);
		return;
	}
	if ((rc = http_req_body(&h->body, h->req, h->table->max_body)) != 0) {
		reject(h, rc == ERR_LIMIT ? 413 : rc == ERR_TIMEOUT ? 408 : 400, "%s", err_msg());
		return;
	}
	if (!authenticate(h))
		return;
	h->event = http_req_header(h->req, event_header);
	if (!h->event || !*h->event) {
		h->event = NULL;
		reject(h, 400, "missing %s header", event_header);
		return;
	}
	h->root = json_loadb(h->body.data, h->body.len, 0, &jerr);
	if (!h->root) {
		reject(h, 400, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		return;
	}
	if (!json_is_object(h->root)) {
		reject(h, 400, "the payload is not a JSON object");
		return;
	}

	if (h->kind == KIND_GITHUB) {
		bool pr = strcmp(h->event, "pull_request") == 0, pu = strcmp(h->event, "push") == 0,
		     mg = strcmp(h->event, "merge_group") == 0;

		if (strcmp(h->event, "ping") == 0) {
			attribute(h);
			answer(h, 200, OUT_IGNORED, "ignored", "pong: the secret matches");
			return;
		}
		if (!pr && !pu && !mg) {
			attribute(h);
			ignore(h, "%s events are not acted on", h->event);
			return;
		}
		if (!(h->ev.delivery = http_req_header(h->req, "X-GitHub-Delivery")) || !*h->ev.delivery) {
			h->ev.delivery = NULL;
			reject(h, 400, "missing X-GitHub-Delivery header");
			return;
		}
		if (!pick_forge(h))
			return;
		queue = pr ? github_pull_request(h) : pu ? github_push(h) : github_merge_group(h);
	} else {
		bool mr = strcmp(h->event, "Merge Request Hook") == 0, pu = strcmp(h->event, "Push Hook") == 0;

		if (!mr && !pu) {
			attribute(h);
			ignore(h, "%s events are not acted on", h->event);
			return;
		}
		/* Older GitLab sends no delivery id: such hooks are taken without replay protection. */
		h->ev.delivery = http_req_header(h->req, "X-Gitlab-Event-UUID");
		if (!h->ev.delivery || !*h->ev.delivery)
			h->ev.delivery = http_req_header(h->req, "Idempotency-Key");
		if (h->ev.delivery && !*h->ev.delivery)
			h->ev.delivery = NULL;
		if (!pick_forge(h))
			return;
		queue = mr ? gitlab_merge_request(h) : gitlab_push(h);
	}
	h->ev.event = h->event;
	if (queue)
		deliver(h);
}

static void hook(struct http_req *req, struct webhook *w, enum forge_kind kind)
{
	struct hook *h = calloc(1, sizeof(*h));

	if (!h) {
		count(w, "", OUT_REJECTED);
		http_respond_error(req, 503, "out of memory");
		return;
	}
	h->w = w;
	h->req = req;
	h->kind = kind;
	h->table = table_get(w);
	buf_init(&h->body, h->table->max_body);
	handle(h);
	if (!http_req_answered(req))
		reject(h, 500, "the webhook handler gave no answer");
	json_decref(h->root);
	buf_release(&h->body);
	table_put(w, h->table);
	free(h);
}

static void github_hook(struct http_req *req, void *arg)
{
	hook(req, arg, KIND_GITHUB);
}

static void gitlab_hook(struct http_req *req, void *arg)
{
	hook(req, arg, KIND_GITLAB);
}

/* ---- lifecycle ---- */

int webhook_new(struct webhook **out, const struct webhook_opts *opts)
{
	struct webhook *w;
	int rc;

	*out = NULL;
	if (!opts->cfg || !opts->store_url || !opts->queue)
		return err_set(ERR_INVALID, "webhooks: a configuration, a store and a queue are needed");
	w = calloc(1, sizeof(*w));
	if (!w || !(w->store_url = strdup(opts->store_url))) {
		free(w);
		return err_set(ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&w->lock, NULL);
	w->queue = opts->queue;
	w->queue_arg = opts->queue_arg;
	if ((rc = table_build(&w->table, opts->cfg)) != 0) {
		webhook_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int webhook_mount(struct webhook *w, struct http_server *srv)
{
	int rc;

	if ((rc = http_route(srv, "/hooks/github", github_hook, w)) != 0 ||
	    (rc = http_route(srv, "/hooks/gitlab", gitlab_hook, w)) != 0)
		return rc;
	return 0;
}

int webhook_reload(struct webhook *w, const struct config *cfg)
{
	struct table *t, *old;
	bool last;
	int rc;

	if ((rc = table_build(&t, cfg)) != 0)
		return err_prefix("webhooks: keeping the previous secrets");
	pthread_mutex_lock(&w->lock);
	old = w->table;
	w->table = t;
	last = --old->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (last)
		table_free(old);
	return 0;
}

void webhook_free(struct webhook *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->npool; i++)
		store_close(w->pool[i]);
	free(w->pool);
	free(w->counters);
	table_free(w->table);
	free(w->store_url);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
