/*
 * client: a small libcurl HTTP client for the tests of the HTTP server and
 * the webhooks, measuring how long each answer took.
 *
 * The test's main calls curl_global_init (report_library_init) first.
 */
#ifndef RIG_TEST_CLIENT_H
#define RIG_TEST_CLIENT_H

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"

struct reply {
	long status;
	struct buf body;
	char content_type[128];
	char cache_control[128];
	char connection[64];
	long long ms;			/* from the request to the whole answer */
	int curl_code;
};

static inline long long client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline size_t client_body(char *data, size_t size, size_t nmemb, void *arg)
{
	buf_add(arg, data, size * nmemb);
	return size * nmemb;
}

static inline void client_header_value(char *out, size_t n, const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);

	if (len > nl + 1 && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
		const char *v = line + nl + 1;
		size_t vl = len - nl - 1;

		while (vl && (*v == ' '))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
			vl--;
		snprintf(out, n, "%.*s", (int)vl, v);
	}
}

static inline size_t client_header(char *line, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t len = size * nmemb;

	client_header_value(r->content_type, sizeof(r->content_type), line, len, "Content-Type");
	client_header_value(r->cache_control, sizeof(r->cache_control), line, len, "Cache-Control");
	client_header_value(r->connection, sizeof(r->connection), line, len, "Connection");
	return len;
}

static inline void reply_release(struct reply *r)
{
	buf_release(&r->body);
}

/*
 * One request; headers is NULL-terminated ("Name: value"); body NULL means
 * none (GET). chunked sends the body with Transfer-Encoding: chunked.
 * Returns the curl code; r is filled either way (release it).
 */
static inline int client_request_ex(struct reply *r, const char *method, const char *url,
			     const char *const *headers, const void *body, size_t len, bool chunked)
{
	struct curl_slist *list = NULL;
	CURL *curl = curl_easy_init();
	long long start;
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 1 << 20);
	for (size_t i = 0; headers && headers[i]; i++)
		list = curl_slist_append(list, headers[i]);
	if (chunked)
		list = curl_slist_append(list, "Transfer-Encoding: chunked");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, client_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	start = client_now_ms();
	cc = curl_easy_perform(curl);
	r->ms = client_now_ms() - start;
	r->curl_code = (int)cc;
	if (cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	else
		fprintf(stderr, "client: %s %s: %s\n", method, url, curl_easy_strerror(cc));
	curl_slist_free_all(list);
	curl_easy_cleanup(curl);
	return (int)cc;
}

static inline int client_request(struct reply *r, const char *method, const char *url, const char *const *headers,
			  const void *body, size_t len)
{
	return client_request_ex(r, method, url, headers, body, len, false);
}

#endif
