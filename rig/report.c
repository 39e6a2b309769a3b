#include "report.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "secret.h"
#include "store.h"

#ifndef RIG_VERSION
#define RIG_VERSION "0.0.0"
#endif

#define ANSWER_CAP (64 * 1024)
#define BACKOFF_MAX_MS 30000

enum api { API_GITHUB, API_GITLAB };

struct report_forge {
	char *name;
	enum api api;
	char *base;		/* the API root, without a trailing '/' */
	char *repo;
	char *context;
	char *token;
};

struct report {
	struct report_forge *forges;
	size_t n;
	long connect_timeout_ms, timeout_ms;
	int attempts, backoff_ms;
	char *user_agent;
};

int report_library_init(void)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK)
		return err_set(ERR_FAIL, "libcurl: cannot initialise: %s", curl_easy_strerror(rc));
	return 0;
}

void report_library_cleanup(void)
{
	curl_global_cleanup();
}

/* ---- states and descriptions ---- */

const char *report_forge_state(const char *kind, enum report_state state)
{
	static const char *const github[] = { "pending", "pending", "success", "failure", "error", "error" };
	static const char *const gitlab[] = { "pending", "running", "success", "failed", "failed", "canceled" };

	if ((unsigned)state > REPORT_CANCELLED)
		return NULL;
	return strcmp(kind, "gitlab") == 0 ? gitlab[state] : github[state];
}

static const char *default_description(enum report_state state)
{
	static const char *const words[] = { "queued", "running", "passed", "failed", "infrastructure error",
					     "cancelled" };

	return words[state];
}

/* Length of the valid UTF-8 sequence at p, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned cp;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		len = 2, cp = p[0] & 0x1F;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		len = 3, cp = p[0] & 0x0F;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF are not text. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

void report_cut_description(char *out, size_t n, const char *in, size_t max_chars)
{
	static const char ellipsis[] = "\xE2\x80\xA6", replacement[] = "\xEF\xBF\xBD";
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t o = 0, chars = 0;
	bool cut = false;

	if (n == 0)
		return;
	while (*p) {
		size_t len = utf8_len(p), add = len;
		const char *from = (const char *)p;

		if (len == 0) {
			from = replacement;
			add = 3;
			len = 1;
		} else if (len == 1 && (*p < 0x20 || *p == 0x7F)) {
			from = " ";
		}
		if (chars == max_chars || o + add + 1 > n) {
			cut = true;
			break;
		}
		memcpy(out + o, from, add);
		o += add;
		chars++;
		p += len;
	}
	if (cut && max_chars > 0) {
		/* Make room for the ellipsis: drop whole code points from the end. */
		while (o > 0 && (chars > max_chars - 1 || o + sizeof(ellipsis) > n)) {
			do
				o--;
			while (o > 0 && ((unsigned char)out[o] & 0xC0) == 0x80);
			chars--;
		}
		if (o + sizeof(ellipsis) <= n) {
			memcpy(out + o, ellipsis, sizeof(ellipsis) - 1);
			o += sizeof(ellipsis) - 1;
		}
	}
	out[o] = '\0';
}

/* ---- set-up ---- */

static void forge_release(struct report_forge *f)
{
	free(f->name);
	free(f->base);
	free(f->repo);
	free(f->context);
	secret_free(f->token);
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		forge_release(&r->forges[i]);
	free(r->forges);
	free(r->user_agent);
	free(r);
}

int report_new(struct report **out, const struct config *cfg, const struct report_opts *opts)
{
	static const struct report_opts defaults = { 0 };
	struct report *r;
	char ua[64];
	int rc = 0;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(ERR_NOMEM, "out of memory");
	r->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 5000;
	r->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 20000;
	r->attempts = opts->attempts > 0 ? opts->attempts : 3;
	r->backoff_ms = opts->backoff_ms > 0 ? opts->backoff_ms : 1000;
	snprintf(ua, sizeof(ua), "rig/%s", RIG_VERSION);
	r->user_agent = strdup(opts->user_agent ? opts->user_agent : ua);
	r->forges = calloc(cfg->forges.n ? cfg->forges.n : 1, sizeof(*r->forges));
	if (!r->user_agent || !r->forges) {
		report_free(r);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < cfg->forges.n; i++) {
		const struct forge *cf = &cfg->forges.v[i];
		struct report_forge *f = &r->forges[r->n];
		size_t len;

		if (!cf->has_status)
			continue;
		if (!cf->kind || (strcmp(cf->kind, "github") != 0 && strcmp(cf->kind, "gitlab") != 0)) {
			rc = err_set(ERR_INVALID,
				     "forge %s: status reporting needs kind github or gitlab, not %s", cf->name,
				     cf->kind ? cf->kind : "git");
			break;
		}
		r->n++;
		f->api = strcmp(cf->kind, "gitlab") == 0 ? API_GITLAB : API_GITHUB;
		f->name = strdup(cf->name);
		f->base = strdup(cf->status.api);
		f->repo = strdup(cf->status.repo);
		f->context = strdup(cf->status.context ? cf->status.context : "rig");
		if (!f->name || !f->base || !f->repo || !f->context) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		len = strlen(f->base);
		while (len > 0 && f->base[len - 1] == '/')
			f->base[--len] = '\0';
		if ((rc = secret_read(&f->token, cf->status.token_file, "status token")) != 0) {
			err_prefix("forge %s", cf->name);
			break;
		}
	}
	if (rc) {
		report_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static const struct report_forge *find_forge(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (name && strcmp(r->forges[i].name, name) == 0)
			return &r->forges[i];
	return NULL;
}

/* ---- posting ---- */

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
	/* What does not fit under the cap is dropped, not refused: the status is what matters. */
	buf_add(arg, data, size * nmemb);
	return size * nmemb;
}

static bool retryable(CURLcode cc, long http)
{
	if (cc == CURLE_OK)
		return http >= 500 || http == 429;
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	       cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR ||
	       cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE || cc == CURLE_SSL_CONNECT_ERROR;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The forge's own words about a refusal: the "message" of its JSON answer, or its start. */
static void answer_message(char *out, size_t n, const struct buf *answer)
{
	json_t *root = json_loadb(answer->data, answer->len, 0, NULL);
	json_t *msg = json_object_get(root, "message");
	char *text = msg && !json_is_string(msg) ? json_dumps(msg, JSON_COMPACT) : NULL;

	report_cut_description(out, n, json_is_string(msg) ? json_string_value(msg) : text ? text : answer->data,
			       200);
	free(text);
	json_decref(root);
}

/*
 * Posts state (the forge's word) with attempts and backoff; records the
 * outcome. Returns 0 or an error naming the forge, the commit and the answer.
 */
static int post(int *http_status, const struct report *r, struct store *s, const struct report_forge *f,
		int64_t change_id, const char *sha, const char *ref, const char *state, const char *description,
		const char *target_url)
{
	char url[2048], header[SECRET_MAX_LEN + 64], msg[512];
	struct curl_slist *headers = NULL;
	struct buf answer;
	json_t *body = json_object();
	char *json = NULL, *escaped = NULL;
	CURL *curl = NULL;
	CURLcode cc = CURLE_OK;
	long http = 0;
	int rc = 0, wait = r->backoff_ms, attempt;
	size_t shalen = sha ? strlen(sha) : 0;

	buf_init(&answer, ANSWER_CAP);
	if (http_status)
		*http_status = 0;
	if ((shalen != 40 && shalen != 64) || strspn(sha, "0123456789abcdefABCDEF") != shalen) {
		rc = err_set(ERR_INVALID, "report to %s: '%s' is not a commit id", f->name, sha ? sha : "");
		goto out;
	}
	curl = curl_easy_init();
	if (!curl || !body) {
		rc = err_set(ERR_NOMEM, "report to %s: out of memory", f->name);
		goto out;
	}
	json_object_set_new(body, "state", json_string(state));
	json_object_set_new(body, "description", json_string(description));
	if (target_url && *target_url)
		json_object_set_new(body, "target_url", json_string(target_url));
	if (f->api == API_GITHUB) {
		json_object_set_new(body, "context", json_string(f->context));
		snprintf(url, sizeof(url), "%s/repos/%s/statuses/%s", f->base, f->repo, sha);
		snprintf(header, sizeof(header), "Authorization: Bearer %s", f->token);
		headers = curl_slist_append(headers, header);
		headers = curl_slist_append(headers, "Accept: application/vnd.github+json");
		headers = curl_slist_append(headers, "X-GitHub-Api-Version: 2022-11-28");
	} else {
		json_object_set_new(body, "name", json_string(f->context));
		if (ref && *ref)
			json_object_set_new(body, "ref", json_string(ref));
		/* GitLab takes "group/project" as one path segment: its slashes encoded. */
		escaped = curl_easy_escape(curl, f->repo, 0);
		snprintf(url, sizeof(url), "%s/projects/%s/statuses/%s", f->base, escaped ? escaped : "", sha);
		snprintf(header, sizeof(header), "PRIVATE-TOKEN: %s", f->token);
		headers = curl_slist_append(headers, header);
		headers = curl_slist_append(headers, "Accept: application/json");
	}
	explicit_bzero(header, sizeof(header));
	headers = curl_slist_append(headers, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip for a small body. */
	headers = curl_slist_append(headers, "Expect:");
	json = json_dumps(body, JSON_COMPACT);
	if (!json || !headers || (f->api == API_GITLAB && !escaped)) {
		rc = err_set(ERR_NOMEM, "report to %s: out of memory", f->name);
		goto out;
	}

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	curl_easy_setopt(curl, CURLOPT_USERAGENT, r->user_agent);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	/* Timeouts without SIGALRM: the rig is threaded. */
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);

	for (attempt = 1;; attempt++) {
		buf_reset(&answer);
		http = 0;
		cc = curl_easy_perform(curl);
		if (cc == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
		if (!retryable(cc, http) || attempt >= r->attempts)
			break;
		log_warn("report to %s: %s %s: %s; retrying in %d ms (attempt %d of %d)", f->name, state, sha,
			 cc != CURLE_OK ? curl_easy_strerror(cc) : "server error", wait, attempt + 1, r->attempts);
		if (cc == CURLE_OK)
			log_debug("report to %s: HTTP %ld", f->name, http);
		sleep_ms(wait);
		wait = wait * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait * 2;
	}
	if (http_status)
		*http_status = (int)http;

	if (cc != CURLE_OK) {
		rc = err_set(cc == CURLE_OPERATION_TIMEDOUT ? ERR_TIMEOUT : ERR_IO,
			     "report to %s: %s on %s: %s (after %d attempt%s)", f->name, state, sha,
			     curl_easy_strerror(cc), attempt, attempt == 1 ? "" : "s");
	} else if (http >= 200 && http < 300) {
		log_info("report to %s: %s on %.12s: HTTP %ld", f->name, state, sha, http);
	} else if (f->api == API_GITLAB && http == 400 && strstr(answer.data, "Cannot transition status")) {
		/* GitLab refuses to set the state a commit already has: it is set. */
		log_debug("report to %s: %s on %.12s: already in that state", f->name, state, sha);
	} else {
		answer_message(msg, sizeof(msg), &answer);
		rc = err_set(http >= 500 || http == 429 ? ERR_IO : ERR_INVALID,
			     "report to %s: %s on %s: HTTP %ld: %s (after %d attempt%s)", f->name, state, sha, http,
			     msg[0] ? msg : "no message", attempt, attempt == 1 ? "" : "s");
	}

	if (s && change_id) {
		struct store_status row = { .change_id = change_id, .state = (char *)state,
					    .description = (char *)description, .target_url = (char *)target_url,
					    .http_status = (int)http };
		int src = store_status_add(s, &row);

		if (src != 0 && rc == 0)
			rc = err_prefix("report to %s: the forge took %s on %s, but", f->name, state, sha);
		else if (src != 0)
			log_warn("%s", err_msg());
	}
out:
	curl_slist_free_all(headers);
	curl_free(escaped);
	free(json);
	json_decref(body);
	if (curl)
		curl_easy_cleanup(curl);
	buf_release(&answer);
	return rc;
}

int report_post(int *http_status, struct report *r, struct store *s, const struct report_status *st)
{
	const struct report_forge *f = find_forge(r, st->forge);
	char text[600], description[REPORT_DESCRIPTION_SIZE];
	const char *what = st->description ? st->description : default_description(st->state);
	const char *state;

	if (http_status)
		*http_status = 0;
	if (!f)
		return err_set(ERR_NOTFOUND, "report: forge %s has no status reporting configured",
			       st->forge ? st->forge : "(none)");
	state = report_forge_state(f->api == API_GITLAB ? "gitlab" : "github", st->state);
	if (!state)
		return err_set(ERR_INVALID, "report to %s: no such state %d", f->name, (int)st->state);
	/* Where the forge's state cannot tell an infrastructure error or a cancel, the words do. */
	if (st->state == REPORT_ERROR && f->api == API_GITLAB && st->description)
		snprintf(text, sizeof(text), "infrastructure error: %.540s", st->description);
	else if (st->state == REPORT_CANCELLED && f->api == API_GITHUB && st->description)
		snprintf(text, sizeof(text), "cancelled: %.540s", st->description);
	else
		snprintf(text, sizeof(text), "%.590s", what);
	report_cut_description(description, sizeof(description), text, REPORT_DESCRIPTION_CHARS);
	return post(http_status, r, s, f, st->change_id, st->sha, st->ref, state, description, st->target_url);
}

int report_sweep(size_t *swept, struct report *r, struct store *s, int64_t older_than_ms)
{
	struct store_status *stale = NULL;
	char first_msg[ERR_MSG_MAX] = "";
	size_t n = 0;
	int rc, first = 0;

	*swept = 0;
	if ((rc = store_statuses_stale(s, store_now_ms() - older_than_ms, &stale, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct store_status *st = &stale[i];
		const struct report_forge *f = find_forge(r, st->forge);
		char text[200], description[REPORT_DESCRIPTION_SIZE];
		bool still_pending = strcmp(st->state, "pending") == 0 || strcmp(st->state, "running") == 0;

		if (!f) {
			log_warn("report: change %lld has a stale status on forge %s, which reports no more",
				 (long long)st->change_id, st->forge ? st->forge : "(none)");
			continue;
		}
		if (still_pending) {
			snprintf(text, sizeof(text), "%stimed out: no verdict after %lld min",
				 f->api == API_GITLAB ? "infrastructure error: " : "",
				 (long long)(older_than_ms / 60000));
			report_cut_description(description, sizeof(description), text, REPORT_DESCRIPTION_CHARS);
			rc = post(NULL, r, s, f, st->change_id, st->sha, NULL,
				  f->api == API_GITLAB ? "failed" : "error", description, st->target_url);
		} else {
			/* The verdict was known but never reached the forge: deliver it late. */
			rc = post(NULL, r, s, f, st->change_id, st->sha, NULL, st->state,
				  st->description ? st->description : "", st->target_url);
		}
		(*swept)++;
		if (rc != 0) {
			log_warn("report: sweep: %s", err_msg());
			if (!first) {
				first = rc;
				snprintf(first_msg, sizeof(first_msg), "%s", err_msg());
			}
		}
	}
	store_statuses_free(stale, n);
	return first ? err_set(first, "%s", first_msg) : 0;
}
