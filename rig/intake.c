#include "intake.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "store.h"

/* Remembered once a forge has been polled, so that a forge with no ref yet still has a first poll only once. */
#define POLLED_MARK "(polled)"
#define MERGE_QUEUE_PREFIX "refs/heads/gh-readonly-queue/"

static int list_add(struct intake_list *l, int64_t id)
{
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 8;
		int64_t *nv = realloc(l->v, na * sizeof(*nv));

		if (!nv)
			return err_set(ERR_NOMEM, "out of memory");
		l->v = nv;
		l->alloc = na;
	}
	l->v[l->n++] = id;
	return 0;
}

static int list_add_all(struct intake_list *l, const int64_t *ids, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++)
		rc = list_add(l, ids[i]);
	return rc;
}

void intake_result_release(struct intake_result *r)
{
	free(r->queued.v);
	free(r->superseded.v);
	free(r->cancelled.v);
	memset(r, 0, sizeof(*r));
}

/* The body of intake_queue, inside its transaction. */
static int queue_in_tx(struct intake_result *out, struct store *s, const struct intake_change *c)
{
	struct store_change row = {
		.repo = (char *)c->repo, .forge = (char *)c->forge, .kind = (char *)c->kind, .number = c->number,
		.ref = (char *)c->ref, .sha = (char *)c->sha, .base_ref = (char *)c->base_ref,
		.base_sha = (char *)c->base_sha, .title = (char *)c->title, .author = (char *)c->author,
		.state = "queued",
	};
	int64_t *ended = NULL;
	size_t nended = 0;
	bool exists;
	int rc;

	if ((rc = store_forge_ref_set(s, c->forge, c->ref, c->sha)) != 0 ||
	    (rc = store_change_exists(s, c->forge, c->ref, c->sha, &exists)) != 0)
		return rc;
	if (exists) {
		out->known++;
		return 0;
	}
	if ((rc = store_change_add(s, &row)) != 0)
		return rc;
	/* Only a pull request's newest head matters; every push to a protected branch does. */
	if (strcmp(c->kind, "push") != 0) {
		char reason[160];

		snprintf(reason, sizeof(reason), "superseded by change %" PRId64 " (%.12s)", row.id, c->sha);
		if ((rc = store_changes_end(s, c->forge, c->ref, row.id, "superseded", reason, &ended, &nended)) != 0)
			return rc;
	}
	if ((rc = list_add(&out->queued, row.id)) == 0)
		rc = list_add_all(&out->superseded, ended, nended);
	for (size_t i = 0; i < nended; i++)
		log_info("change %" PRId64 " superseded by change %" PRId64, ended[i], row.id);
	free(ended);
	log_info("change %" PRId64 " queued: %s %s at %.12s", row.id, c->forge, c->ref, c->sha);
	return rc;
}

int intake_queue(struct intake_result *out, struct store *s, const struct intake_change *c)
{
	int rc;

	if (!c->forge || !c->repo || !c->kind || !c->ref || !c->sha)
		return err_set(ERR_INVALID, "intake: a change needs a forge, repo, kind, ref and sha");
	if ((rc = store_begin(s)) != 0)
		return rc;
	if ((rc = queue_in_tx(out, s, c)) != 0) {
		store_rollback(s);
		return err_prefix("queueing %s %s", c->forge, c->ref);
	}
	return store_commit(s);
}

int intake_cancel(struct intake_result *out, struct store *s, const char *forge, const char *ref)
{
	int64_t *ended = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_changes_end(s, forge, ref, 0, "cancelled", "closed on the forge", &ended, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		log_info("change %" PRId64 " cancelled: %s %s was closed", ended[i], forge, ref);
	rc = list_add_all(&out->cancelled, ended, n);
	free(ended);
	return rc;
}

static bool branch_protected(const struct forge *f, const char *branch)
{
	if (f->protected_branches.n == 0)
		return strcmp(branch, f->base ? f->base : "main") == 0;
	for (size_t i = 0; i < f->protected_branches.n; i++)
		if (fnmatch(f->protected_branches.v[i], branch, 0) == 0)
			return true;
	return false;
}

const char *intake_ref_kind(const struct forge *f, const char *ref, int64_t *number, char *base, size_t size)
{
	bool merge_queue = f->gate && strcmp(f->gate, "merge-queue") == 0;
	enum forge_ref_kind kind = forge_ref_classify(number, ref);

	if (base && size)
		snprintf(base, size, "%s", f->base ? f->base : "main");
	if (kind == FORGE_REF_PULL || kind == FORGE_REF_MERGE_REQUEST)
		return merge_queue ? NULL : "pr";
	*number = 0;
	if (kind != FORGE_REF_BRANCH)
		return NULL;
	if (merge_queue && strncmp(ref, MERGE_QUEUE_PREFIX, strlen(MERGE_QUEUE_PREFIX)) == 0) {
		/* gh-readonly-queue/<base>/pr-<number>-<sha> */
		const char *rest = ref + strlen(MERGE_QUEUE_PREFIX), *pr = strstr(rest, "/pr-");

		if (pr) {
			*number = strtoll(pr + 4, NULL, 10);
			if (*number < 0)
				*number = 0;
			if (base && size)
				snprintf(base, size, "%.*s", (int)(pr - rest), rest);
		}
		return "merge_group";
	}
	return branch_protected(f, ref + strlen("refs/heads/")) ? "push" : NULL;
}

static const struct store_forge_ref *known_ref(const struct store_forge_ref *v, size_t n, const char *ref)
{
	size_t lo = 0, hi = n;

	/* The store lists them sorted by ref, as git's byte order does. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid].ref, ref);

		if (c == 0)
			return &v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool in_refs(const struct forge_ref_list *refs, const char *name)
{
	for (size_t i = 0; i < refs->n; i++)
		if (strcmp(refs->v[i].name, name) == 0)
			return true;
	return false;
}

/* One moved ref that is a change: queued with what its commit says. */
static int poll_queue(struct intake_result *out, struct store *s, const struct forge *f, struct forge_mirror *m,
		      const struct forge_ref *r, const char *kind, int64_t number, const char *base,
		      const struct store_forge_ref *before)
{
	struct forge_commit commit = { 0 };
	struct intake_change c = {
		.forge = f->name, .repo = f->url, .kind = kind, .number = number, .ref = r->name, .sha = r->sha,
		.base_ref = strcmp(kind, "push") == 0 ? NULL : base,
		.base_sha = strcmp(kind, "push") == 0 && before ? before->sha : NULL,
	};
	int rc;

	if (m && forge_commit_get(&commit, m, r->sha) == 0) {
		c.title = commit.summary;
		c.author = commit.author;
	}
	rc = queue_in_tx(out, s, &c);
	forge_commit_release(&commit);
	return rc;
}

int intake_poll(struct intake_result *out, struct store *s, const struct forge *f, struct forge_mirror *m,
		const struct forge_ref_list *refs, bool queue_first)
{
	struct intake_result saved = *out;
	struct store_forge_ref *known = NULL;
	size_t nknown = 0;
	bool first;
	int rc;

	if ((rc = store_forge_refs_list(s, f->name, &known, &nknown)) != 0)
		return rc;
	/* One transaction: a first poll remembers every ref of the forge, possibly thousands. */
	if ((rc = store_begin(s)) != 0) {
		store_forge_refs_free(known, nknown);
		return rc;
	}
	first = !known_ref(known, nknown, POLLED_MARK);
	for (size_t i = 0; i < refs->n && !rc; i++) {
		const struct forge_ref *r = &refs->v[i];
		const struct store_forge_ref *k = known_ref(known, nknown, r->name);
		char base[256];
		int64_t number = 0;
		const char *kind;

		if (!r->sha[0] || (k && strcmp(k->sha, r->sha) == 0))
			continue;
		kind = intake_ref_kind(f, r->name, &number, base, sizeof(base));
		if (kind && (!first || queue_first)) {
			rc = poll_queue(out, s, f, m, r, kind, number, base, k);
			continue;
		}
		if (kind)
			out->baseline++;
		rc = store_forge_ref_set(s, f->name, r->name, r->sha);
	}
	/* Refs the forge deleted are forgotten; a pull request closed arrives as a webhook, if at all. */
	for (size_t i = 0; i < nknown && !rc; i++)
		if (strcmp(known[i].ref, POLLED_MARK) != 0 && !in_refs(refs, known[i].ref))
			rc = store_forge_ref_set(s, f->name, known[i].ref, NULL);
	if (!rc && first)
		rc = store_forge_ref_set(s, f->name, POLLED_MARK, "-");
	store_forge_refs_free(known, nknown);
	if (rc) {
		store_rollback(s);
		/* Nothing of this poll holds: the next one sees the same refs again. */
		out->queued.n = saved.queued.n;
		out->superseded.n = saved.superseded.n;
		out->cancelled.n = saved.cancelled.n;
		out->known = saved.known;
		out->baseline = saved.baseline;
		return err_prefix("poll of forge %s", f->name);
	}
	return store_commit(s);
}
