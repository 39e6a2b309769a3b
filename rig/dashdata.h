/*
 * dashdata: what the dashboard shows, read from the store into JSON values.
 *
 * Each function builds one model; the JSON API answers with it as it is and
 * the pages render their templates from the same model, so a page never
 * shows something the API does not say. Every *out is a new reference the
 * caller drops with json_decref(). Functions return 0, ERR_NOTFOUND for an
 * unknown id (the caller answers 404), or another negative ERR_*.
 *
 * Times are unix milliseconds; each model that shows ages carries "age"
 * strings computed against env->now.
 */
#ifndef RIG_DASHDATA_H
#define RIG_DASHDATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_change_filter;

struct dashdata_env {
	struct store *store;
	const char *logs_dir;		/* data_dir/logs: job-<id>.log when a job has no recorded log_path */
	int64_t now;			/* unix ms */
};

/* {"changes": [...], "next_before": id|null, "filter": {...}} */
int dashdata_changes(json_t **out, const struct dashdata_env *env, const struct store_change_filter *f);
/* {"change": {...}, "builds": [...], "matrix": {...}, "logs": [...]} */
int dashdata_change(json_t **out, const struct dashdata_env *env, int64_t id);
/* {"suite", "case", "targets": [{..., "runs", "flaky", "flips", "flake_rate", "results": [...]}]} */
int dashdata_case(json_t **out, const struct dashdata_env *env, const char *suite, const char *case_name,
		  size_t limit);
/* {"board", "points": [{sha, ref, at, text, data, bss, flash, ram}]}, oldest first */
int dashdata_sizes(json_t **out, const struct dashdata_env *env, const char *board, size_t limit);
/* {"boards": ["…"]} */
int dashdata_boards(json_t **out, const struct dashdata_env *env);
/* {"devices": [...]} */
int dashdata_devices(json_t **out, const struct dashdata_env *env);
/* {"job": {...}}: a job with where its log is ("log_path") and whether it still runs ("running"). */
int dashdata_job(json_t **out, const struct dashdata_env *env, int64_t id);

/* The path of job id's log, as dashdata_job found it, into out. */
int dashdata_job_log_path(char *out, size_t n, const struct dashdata_env *env, int64_t id, bool *running);

/* A log line as the API and pages show it: {"t", "stream", "text", "step"}. */
json_t *dashdata_log_line(long long t_ms, const char *stream, const char *text, size_t len);

/* "12 s ago", "5 min ago", "3 h ago", "2 d ago"; "" for 0. */
void dashdata_age(char *out, size_t n, int64_t now, int64_t then);

#endif
