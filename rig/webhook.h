/*
 * webhook: POST /hooks/github and POST /hooks/gitlab, turned into events the
 * daemon queues.
 *
 * The receiver authenticates, parses and normalizes an event, then hands it
 * to the daemon's queue callback and answers; the work itself is never done
 * in the request. Answers (JSON bodies, {"status": …} or {"error": …}):
 *   202 queued          the callback took the event
 *   200 ignored         authenticated, but nothing to do: ping, an event or
 *                       action the rig does not act on, a tag, a deleted
 *                       branch, a pull request on a merge-queue forge, a push
 *                       to a branch that is not protected
 *   200 duplicate       the delivery id was seen before (a replay)
 *   400                 malformed JSON, a missing or invalid field (named),
 *                       a missing event or delivery header
 *   401                 no signature/token, or none of the configured forges'
 *                       secrets matches it
 *   404                 authenticated, but the payload's repository is none
 *                       of the forges that share that secret; or no forge of
 *                       that kind has a webhook secret
 *   405                 not a POST
 *   413                 body over webhooks.max_body (not read)
 *   503                 the delivery could not be recorded or queued (the
 *                       delivery is forgotten so a redelivery is accepted)
 *
 * Which forge: authentication comes first and picks the candidates — every
 * forge of the endpoint's kind (github|gitlab) whose webhook_secret_file
 * verifies the request (a forge without a secret never takes webhooks). The
 * payload's repository then picks one of them: its full name
 * (owner/name, path_with_namespace) equal to the forge's status.repo, or one
 * of its clone URLs equal to the forge's url (case-insensitive, without a
 * trailing ".git" or "/"). So an unauthenticated caller learns nothing of
 * which repositories are configured (401 for all), and a valid secret used
 * for a repository the rig does not serve gets 404.
 *
 * Gate modes: every-pr queues pull requests (GitHub opened, synchronize,
 * reopened; GitLab open, reopen, and update with new commits) and closes
 * cancel them; merge-queue acknowledges pull requests without queueing and
 * queues merge_group checks_requested (destroyed cancels). In both modes a
 * branch push is queued when the branch matches protected_branches (fnmatch
 * patterns), or the forge's base branch when the list is empty; other pushes
 * are ignored, since their pull request brings them.
 *
 * Deliveries are remembered in the store (one connection per concurrent
 * request, pooled) after authentication and parsing, so only authenticated,
 * well-formed deliveries are remembered, and records older than 30 days are
 * pruned as requests come.
 *
 * Threads: the handlers run on the HTTP server's worker threads, several at
 * once; the queue callback is called from them. webhook_reload() and
 * webhook_counters() may be called from any thread at any time.
 * webhook_free() only after the HTTP server has stopped.
 */
#ifndef RIG_WEBHOOK_H
#define RIG_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct http_server;
struct webhook;

enum webhook_kind {
	WEBHOOK_PR,		/* test this pull/merge request head */
	WEBHOOK_PUSH,		/* test this branch head */
	WEBHOOK_MERGE_GROUP,	/* test this merge-queue candidate */
	WEBHOOK_CANCEL,		/* drop queued work and stop running work for number/ref */
};

/*
 * One event, normalized. Every string is valid only during the callback:
 * copy what you keep. NULL when the payload has no such thing.
 */
struct webhook_event {
	const char *forge;		/* the configured forge's name */
	enum webhook_kind kind;
	const char *event;		/* the forge's name for it: pull_request, Merge Request Hook, … */
	const char *action;		/* opened, synchronize, closed, checks_requested, open, update, … */
	const char *delivery;		/* X-GitHub-Delivery / X-Gitlab-Event-UUID */
	int64_t number;			/* PR/MR number (merge_group: the PR at the queue's head); 0 for pushes */
	/*
	 * A ref to fetch head_sha from, in the forge's repository (clone_url):
	 * refs/pull/N/head, refs/merge-requests/N/head, refs/heads/BRANCH, or the
	 * merge queue's refs/heads/gh-readonly-queue/… ; checked to be a sane ref
	 * name (refs/…, no "..", no spaces or control characters).
	 */
	const char *ref;
	const char *head_sha;		/* 40 (or 64) lowercase hex digits; always set */
	const char *base_ref;		/* branch name, without refs/heads/: main */
	const char *base_sha;		/* GitHub PRs, merge groups, pushes (before); NULL for GitLab MRs */
	const char *title;		/* PR title or first line of the head commit's message */
	const char *author;		/* PR author or pusher (login/username) */
	const char *clone_url;		/* the forge repository's clone URL from the payload */
	const char *repo;		/* owner/name or group/project */
};

/*
 * The daemon's queue. Called once per accepted event while the forge waits
 * for the answer, from an HTTP worker thread, possibly from several at once:
 * it must not block (hand the event to a queue and return) and must copy
 * what it keeps. Returns 0 when the event is queued (answer 202), or a
 * negative ERR_* with err_set() (answer 503 with that message, delivery
 * forgotten so that the forge's redelivery is taken).
 */
typedef int (*webhook_queue_fn)(void *arg, const struct webhook_event *ev);

struct webhook_opts {
	const struct config *cfg;	/* forges and webhooks.max_body; copied, cfg may go after */
	const char *store_url;		/* where deliveries are remembered (store_open) */
	webhook_queue_fn queue;
	void *queue_arg;
};

/* Counts per forge since webhook_new; forge "" holds requests that matched no forge. */
struct webhook_counter {
	char forge[64];
	uint64_t received;		/* every request to a hook */
	uint64_t accepted;		/* 202: queued */
	uint64_t ignored;		/* 200: authenticated, nothing to do */
	uint64_t duplicate;		/* 200: a replayed delivery */
	uint64_t rejected;		/* 4xx and 5xx */
};

/* Reads every forge's webhook secret (refusing files others can read). */
int webhook_new(struct webhook **out, const struct webhook_opts *opts);
/* Registers /hooks/github and /hooks/gitlab on srv. */
int webhook_mount(struct webhook *w, struct http_server *srv);
/*
 * Takes a new configuration's forges, secrets and body cap; requests in
 * flight finish with the old ones. On error the old ones stay in force.
 */
int webhook_reload(struct webhook *w, const struct config *cfg);
/* A snapshot: *out (n entries) is the caller's to free(). */
int webhook_counters(struct webhook_counter **out, size_t *n, struct webhook *w);
void webhook_free(struct webhook *w);

/* ---- the pieces, for tests ---- */

/* Whether header ("sha256=<hex>") is the HMAC-SHA256 of body under secret; constant time. */
bool webhook_github_signature_ok(const char *secret, const void *body, size_t len, const char *header);
/* Whether token equals secret, in time independent of where they differ. */
bool webhook_token_ok(const char *secret, const char *token);

#endif
