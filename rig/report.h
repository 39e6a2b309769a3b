/*
 * report: the gate's verdict as a commit status on the forge, with libcurl.
 *
 * GitHub: POST {api}/repos/{repo}/statuses/{sha}, JSON {state, target_url,
 * description, context}, Authorization: Bearer <token>.
 * GitLab: POST {api}/projects/{url-encoded repo}/statuses/{sha}, JSON
 * {state, name, target_url, description, ref}, PRIVATE-TOKEN: <token>.
 * api, repo, context (GitLab's name) and token_file come from the forge's
 * status section; the forge's kind says which API.
 *
 * The gate's mapping (enum report_state -> forge state):
 *   queued     pending   | pending
 *   running    pending   | running
 *   pass       success   | success
 *   fail       failure   | failed
 *   error      error     | failed, description "infrastructure error: …"
 *   cancelled  error     | canceled   (GitHub has no cancelled state; the
 *                                      description says "cancelled: …")
 * An infrastructure error is never reported as a failure of the change:
 * GitHub has a state for it; GitLab has none that fails the pipeline
 * without blaming the code, so it gets failed with a description that says
 * so, rather than success (which would let a broken change through) or
 * canceled (which a merge request may treat as not run at all).
 * Descriptions are cut to 140 characters (code points, never inside a UTF-8
 * sequence; invalid bytes become U+FFFD, controls spaces, a cut ends in "…").
 *
 * Every request has a connect deadline and a total deadline, certificates
 * are checked, only http and https are spoken and redirects are not
 * followed. A 5xx, a 429 or a connection error is retried, at most
 * `attempts` times in all, waiting backoff_ms, then twice that, and so on.
 * A GitLab 400 "Cannot transition status" means the commit is already in
 * that state and counts as done. Every post is recorded in the store's
 * statuses table with the forge's answer (http_status 0 when none came).
 *
 * A struct report holds the tokens, read once by report_new() from files
 * that group and others cannot read; it is not changed afterwards, so any
 * thread may post through it at once, each with its own store connection.
 * On SIGHUP the daemon makes a new one and frees the old one when no post
 * uses it any more.
 *
 * Process-wide: report_library_init() (curl_global_init) must be called once
 * from main() (or a test's main) before any thread exists, and
 * report_library_cleanup() at exit.
 */
#ifndef RIG_REPORT_H
#define RIG_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct report;
struct store;

enum report_state {
	REPORT_QUEUED,
	REPORT_RUNNING,
	REPORT_PASS,
	REPORT_FAIL,
	REPORT_ERROR,
	REPORT_CANCELLED,
};

#define REPORT_DESCRIPTION_CHARS 140
/* Room for REPORT_DESCRIPTION_CHARS code points of up to 4 bytes and a NUL. */
#define REPORT_DESCRIPTION_SIZE (REPORT_DESCRIPTION_CHARS * 4 + 1)

struct report_opts {
	int connect_timeout_ms;		/* 0 means 5000 */
	int timeout_ms;			/* the whole request, connect included; 0 means 20000 */
	int attempts;			/* in all, first included; 0 means 3 */
	int backoff_ms;			/* before the second attempt, doubling; 0 means 1000 */
	const char *user_agent;		/* NULL means rig/<version> (GitHub requires one) */
};

struct report_status {
	int64_t change_id;		/* the change's row; the post is recorded against it */
	const char *forge;		/* a forge name of the configuration */
	const char *sha;		/* the commit: 40 or 64 hex digits */
	const char *ref;		/* GitLab's ref (branch), optional */
	enum report_state state;
	const char *description;	/* cut to 140 characters; NULL: a default per state */
	const char *target_url;		/* the change's dashboard page, optional */
};

int report_library_init(void);
void report_library_cleanup(void);

/* Reads the token of every forge with a status section; *out is the caller's (report_free). */
int report_new(struct report **out, const struct config *cfg, const struct report_opts *opts);
void report_free(struct report *r);

/*
 * Posts one status and records it in s (s NULL: not recorded, for tools and
 * tests). *http_status (may be NULL) gets the forge's last answer, 0 when
 * none came. Returns 0 when the forge took it; ERR_NOTFOUND for a forge
 * without status reporting; ERR_INVALID for a 4xx (bad token, unknown repo
 * or sha; not retried); ERR_TIMEOUT or ERR_IO when every attempt failed.
 */
int report_post(int *http_status, struct report *r, struct store *s, const struct report_status *st);

/*
 * Ends stale pendings so that none blocks a change for ever: every change
 * whose status on the forge has been pending (or running) since before
 * now - older_than_ms gets error ("timed out: …") — or, when the rig meant
 * to set a final state whose post failed, that state again. *swept counts
 * the posts made. Returns 0, or the first error (the other changes are
 * still swept).
 */
int report_sweep(size_t *swept, struct report *r, struct store *s, int64_t older_than_ms);

/* The word sent to a forge of kind "github" or "gitlab" for state. */
const char *report_forge_state(const char *kind, enum report_state state);
/* in cut to max_chars code points into out (size n), as described above. */
void report_cut_description(char *out, size_t n, const char *in, size_t max_chars);

#endif
