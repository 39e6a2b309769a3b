/*
 * forge: the git side of a change, through libgit2 — a bare mirror per
 * repository, and what the rig asks of it: fetch, resolve a ref, find the
 * merge base, merge a change onto its base in memory, check a tree out into a
 * fresh workspace, and tell which refs a fetch moved.
 *
 * A mirror lives at <data_dir>/mirrors/<host>/<path>-<hash>.git: readable by a
 * person, while the hash of the whole URL (less any password) keeps apart two
 * URLs that read alike. It is created on first use. Fetches write its refs
 * and packs, merges add trees to its object database; nothing writes its HEAD
 * or its index, so a person can still look into it with git.
 *
 * Concurrency: fetches of one mirror, from any thread or process, take turns
 * through flock() on <mirror>.lock, waited for with a deadline (the kernel
 * drops the lock of a process that dies, so no stale lock outlives it). A
 * mirror is created whole under that lock and renamed into place. Readers
 * need no lock: git moves refs and adds packs atomically. A
 * struct forge_mirror is one libgit2 repository handle: one thread at a time
 * uses it; open one per thread.
 *
 * Bounds: a fetch has a deadline for the whole transfer and a stall limit (no
 * byte in or out for that long). Network streams — git://, http:// and the
 * socket under libgit2's own https, which keeps checking certificates — go
 * through this module's socket stream, which enforces both with poll(); local
 * and file:// fetches are checked from libgit2's progress callbacks.
 *
 * Process-wide: libgit2's initialization and the stream registration are
 * process-wide, so forge_global_init() is called once from main() (and from
 * test mains) before any thread starts, and by nobody else.
 *
 * Ownership: *out of forge_mirror_open() is the caller's (forge_mirror_free);
 * so are lists (forge_ref_list_release) and commits (forge_commit_release).
 * Object ids travel as 40 hex digits in the caller's char[FORGE_SHA_SIZE].
 * Functions return 0 or a negative ERR_* with the last error naming what and
 * the repository: "fetch git://host/k.git: ...".
 */
#ifndef RIG_FORGE_H
#define RIG_FORGE_H

#include <stddef.h>
#include <stdint.h>

#define FORGE_SHA_SIZE 41			/* 40 hex digits and a NUL: SHA-1 */
#define FORGE_FETCH_TIMEOUT_MS (10 * 60 * 1000)
#define FORGE_STALL_MS (60 * 1000)

struct forge_mirror;

enum forge_ref_kind {
	FORGE_REF_BRANCH,		/* refs/heads/NAME */
	FORGE_REF_PULL,			/* refs/pull/N/head (GitHub, Gitea, Forgejo) */
	FORGE_REF_MERGE_REQUEST,	/* refs/merge-requests/N/head (GitLab) */
	FORGE_REF_OTHER,		/* whatever else a refspec brought: tags, notes */
};

struct forge_ref {
	char *name;			/* the full name: refs/pull/12/head */
	enum forge_ref_kind kind;
	int64_t number;			/* the PR or MR number; 0 for the other kinds */
	char old_sha[FORGE_SHA_SIZE];	/* before the fetch; "" when the fetch created it,
					   and always "" in forge_refs() listings */
	char sha[FORGE_SHA_SIZE];	/* now; "" when the fetch pruned it */
};

/* Sorted by name. */
struct forge_ref_list {
	struct forge_ref *v;
	size_t n;
};

struct forge_fetch_opts {
	const char *const *refspecs;	/* NULL: forge_default_refspecs("git") */
	size_t refspecs_n;
	int timeout_ms;			/* the whole fetch; 0: FORGE_FETCH_TIMEOUT_MS */
	int stall_ms;			/* no byte or progress for this long; 0: FORGE_STALL_MS */
	int lock_timeout_ms;		/* waiting for another fetch of the mirror; 0: timeout_ms */
};

struct forge_commit {
	char sha[FORGE_SHA_SIZE];
	char tree[FORGE_SHA_SIZE];
	char *summary;			/* the first paragraph of the message, on one line */
	char *author;			/* "Name <email>" */
	int64_t time;			/* author time, unix seconds */
};

/*
 * Initializes libgit2 and registers the bounded socket stream. Process-wide:
 * call once from main() before any thread starts; forge_global_shutdown()
 * undoes it.
 */
int forge_global_init(void);
void forge_global_shutdown(void);

/*
 * The refspecs a forge of this kind (git, github, gitlab; NULL is git) is
 * mirrored with when the configuration names none. Static: not to be freed.
 */
const char *const *forge_default_refspecs(const char *kind, size_t *n);

/* The folder of url's mirror under data_dir, malloc'd into *out. Touches nothing. */
int forge_mirror_locate(char **out, const char *data_dir, const char *url);

/*
 * Opens url's mirror under data_dir, creating an empty bare repository when
 * there is none (under the fetch lock, so two first uses do not race). url is
 * a local path (relative to the working folder), file://, git://, http(s)://,
 * ssh:// or scp-like host:path. ERR_CONFLICT when the folder holds the mirror
 * of another URL.
 */
int forge_mirror_open(struct forge_mirror **out, const char *data_dir, const char *url);
void forge_mirror_free(struct forge_mirror *m);
const char *forge_mirror_path(const struct forge_mirror *m);
/* The URL for messages and records: an absolute path for a local one, no password. */
const char *forge_mirror_url(const struct forge_mirror *m);

/*
 * Fetches opts' refspecs into the mirror, force-updating and pruning refs the
 * remote no longer has, within opts' bounds. When changed is not NULL it
 * receives every ref the fetch created, moved or deleted (old_sha → sha), so
 * a poller queues exactly the PRs that changed. Refs no refspec maps (left
 * by an earlier configuration) are removed and reported too. ERR_TIMEOUT
 * when a deadline or the lock wait ran out, ERR_NOTFOUND when a local
 * repository does not exist, ERR_INVALID for a malformed refspec, ERR_IO
 * for other failures (servers do not tell "absent" from "forbidden").
 */
int forge_fetch(struct forge_ref_list *changed, struct forge_mirror *m,
		const struct forge_fetch_opts *opts);

/* Every ref in the mirror (branches, PRs, MRs, others), sorted by name. */
int forge_refs(struct forge_ref_list *out, struct forge_mirror *m);
void forge_ref_list_release(struct forge_ref_list *l);

/* The kind of a full ref name, and its PR or MR number (0 when none) in *number. */
enum forge_ref_kind forge_ref_classify(int64_t *number, const char *refname);

/*
 * Resolves rev to a commit: "pull/N" (refs/pull/N/head), "merge-requests/N",
 * a full "refs/..." name, a branch, a tag, or a full or abbreviated (4+ hex
 * digits) object id, in that order, as git does. ERR_NOTFOUND names rev and
 * the repository; ERR_INVALID for an ambiguous abbreviation or an object that
 * is no commit.
 */
int forge_resolve(char out[FORGE_SHA_SIZE], struct forge_mirror *m, const char *rev);

/* The commit rev resolves to, with its tree and the words a change record shows. */
int forge_commit_get(struct forge_commit *out, struct forge_mirror *m, const char *rev);
void forge_commit_release(struct forge_commit *c);

/* The id of the tree rev stands for: a commit's (any rev above) or a tree id itself. */
int forge_tree_id(char out[FORGE_SHA_SIZE], struct forge_mirror *m, const char *rev);

/* The best common ancestor of a and b; ERR_NOTFOUND when they share no history. */
int forge_merge_base(char out[FORGE_SHA_SIZE], struct forge_mirror *m, const char *a,
		     const char *b);

/*
 * Merges change onto base in memory — no working tree, HEAD or index — and
 * writes the merged tree into the mirror's object database; its id goes to
 * tree_out, ready for forge_checkout(). ERR_CONFLICT lists the conflicting
 * paths.
 */
int forge_merge(char tree_out[FORGE_SHA_SIZE], struct forge_mirror *m, const char *change,
		const char *base);

/*
 * Writes the tree rev stands for (see forge_tree_id) into dir, which must be
 * absent or empty and is created with its parents. Contents are the blobs'
 * bytes exactly (no line-ending or other filters, whatever the host's git
 * configuration says), executable bits and symlinks are kept. Its tree id
 * goes to tree_out: the same bytes always come with the same id, so builds
 * can be cached on it. On failure dir may hold part of the tree: the caller
 * removes it.
 */
int forge_checkout(char tree_out[FORGE_SHA_SIZE], struct forge_mirror *m, const char *rev,
		   const char *dir);

#endif
