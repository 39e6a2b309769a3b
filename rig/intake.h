/*
 * intake: what the daemon learns from a forge — a webhook event, or the refs
 * a poll finds in the forge's mirror — turned into queued changes in the
 * store, durably and exactly once.
 *
 * A change is (forge, ref, sha). Queueing one that the store already has
 * (and that was not cancelled or superseded) does nothing: a webhook and the
 * poll that follows it, or a forge's redelivery, test a commit once. A new
 * sha on a pull-request ref supersedes that ref's open changes (their queued
 * jobs are cancelled; running ones finish and what they record is kept); a
 * closed pull request cancels them. Branch pushes are each tested: every
 * commit of a protected branch gets its status and its sizes.
 *
 * Which refs are changes depends on the forge's gate mode (config.h):
 *   every-pr     refs/pull/N/head and refs/merge-requests/N/head (pr), and
 *                protected branches (push)
 *   merge-queue  refs/heads/gh-readonly-queue/… (merge_group), and
 *                protected branches (push); pull requests are not tested
 * protected_branches are fnmatch patterns; with none, the forge's base.
 *
 * A poll compares the mirror's refs with those the store remembers for the
 * forge (store_forge_refs_*), not with what its own fetch moved: a builder's
 * fetch or a `rig run` may have moved them first, and a daemon killed between
 * a fetch and the queueing would otherwise lose the change. The first poll
 * of a forge takes its refs as they are (a forge's closed pull requests keep
 * their refs for ever) unless asked to queue them (the demo).
 *
 * Every function takes the caller's store connection and appends what it
 * did to a struct intake_result, which the caller releases.
 */
#ifndef RIG_INTAKE_H
#define RIG_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "forge.h"

struct forge;
struct store;

/* One change to queue; strings are copied into the store. */
struct intake_change {
	const char *forge;		/* the configured forge's name */
	const char *repo;		/* its url */
	const char *kind;		/* pr | push | merge_group */
	int64_t number;			/* PR/MR number; 0 for a push */
	const char *ref;		/* the full ref: refs/pull/7/head, refs/heads/main */
	const char *sha;
	const char *base_ref;		/* the branch it merges into; NULL for a push */
	const char *base_sha;		/* a push's previous head, when known */
	const char *title, *author;
};

struct intake_list {
	int64_t *v;
	size_t n, alloc;
};

struct intake_result {
	struct intake_list queued;	/* changes queued: report them pending */
	struct intake_list superseded;	/* changes ended by a newer push */
	struct intake_list cancelled;	/* changes ended by a closed PR: report them cancelled */
	size_t known;			/* changes asked for that the store had already */
	size_t baseline;		/* refs taken as they were by a forge's first poll */
};

void intake_result_release(struct intake_result *r);

/* Queues c (see above), remembering its ref at its sha, in one transaction. */
int intake_queue(struct intake_result *out, struct store *s, const struct intake_change *c);

/* A pull request closed (or a merge group destroyed): its open changes are cancelled. */
int intake_cancel(struct intake_result *out, struct store *s, const char *forge, const char *ref);

/*
 * Whether ref is a change to test on forge f, by its gate mode: "pr", "push"
 * or "merge_group" (static strings), or NULL. *number gets the PR number (0
 * for a push); base, when not NULL, the branch it merges into (size bytes).
 */
const char *intake_ref_kind(const struct forge *f, const char *ref, int64_t *number, char *base, size_t size);

/*
 * Queues every ref of refs (the mirror m's, after a fetch) that is a change
 * and moved since the store last saw it, and remembers every ref as it is
 * now. On the forge's first poll, refs are only remembered, unless
 * queue_first. Titles and authors come from m (when not NULL). It is one
 * transaction: on failure nothing of it holds, and out is as it was.
 */
int intake_poll(struct intake_result *out, struct store *s, const struct forge *f, struct forge_mirror *m,
		const struct forge_ref_list *refs, bool queue_first);

#endif
