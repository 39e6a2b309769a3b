/*
 * build: the kernel and apps of one board, built from one checked-out tree.
 *
 * A build runs the board's recipe in its container (container.h) with the
 * tree read-only and a fresh output folder. Its cache key is the tree id, the
 * board's recipe and the image id: a finished ok or fail build with the same
 * key is reused (reported as cached) instead of built again, since the same
 * inputs give the same result; an infrastructure error is never reused.
 * Artifacts are copied into the content-addressed store and recorded.
 *
 * Outcomes: ok, fail (the recipe failed or produced no kernel: the change's
 * fault), error (the image or runtime failed: the rig's).
 */
#ifndef RIG_BUILD_H
#define RIG_BUILD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "container.h"

struct board;
struct config;
struct store;

enum build_status { BUILD_OK, BUILD_FAIL, BUILD_ERROR };

struct build_env {
	const struct config *cfg;
	struct store *store;
	const struct container *containers;
};

struct build_result {
	int64_t id;			/* this change's row in builds */
	enum build_status status;
	bool cached;
	long duration_ms;		/* time spent in this run */
	char reason[1024];
	char key[65];
	char output_dir[PATH_MAX];	/* the artifacts: the original build's folder when cached */
	char log_path[PATH_MAX];
};

const char *build_status_name(enum build_status s);

/*
 * Builds board b for the change (change_id, sha) whose tree (tree id) is
 * checked out at src_dir. Returns 0 with the outcome in *out, whatever it is;
 * a negative ERR_* only when the outcome could not even be recorded.
 */
int build_board(struct build_result *out, const struct build_env *env, const struct board *b,
		int64_t change_id, const char *sha, const char *tree, const char *src_dir);

#endif
