#include "build.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artifact.h"
#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "proc.h"
#include "sizes.h"
#include "store.h"

const char *build_status_name(enum build_status s)
{
	return s == BUILD_OK ? "ok" : s == BUILD_FAIL ? "fail" : "error";
}

/* The inputs that decide a build's result, hashed: same key, same outcome. */
static int cache_key(char out[65], const struct board *b, const char *tree, const char *image_id)
{
	struct buf in;
	int rc;

	buf_init(&in, 1 << 20);
	buf_addf(&in, "rig-build-1\n%s\n%s\n%s\n%s\n", tree, b->name, b->build.image, image_id);
	for (size_t i = 0; i < b->build.command.n; i++)
		buf_add(&in, b->build.command.v[i], strlen(b->build.command.v[i]) + 1);
	buf_addf(&in, "\n%s\n%s\n%s\n%s\n", b->build.artifacts.kernel,
		 b->build.artifacts.kernel_bin ? b->build.artifacts.kernel_bin : "",
		 b->build.artifacts.apps ? b->build.artifacts.apps : "",
		 b->build.artifacts.image ? b->build.artifacts.image : "");
	rc = artifact_sha256_mem(out, in.data, in.len);
	buf_release(&in);
	return rc;
}

/* The last lines of a build's output, on one line: what a person reads first. */
static void output_tail(char *out, size_t n, const struct buf *output, int lines)
{
	const char *start = output->data + output->len;
	size_t len;

	while (start > output->data && (start[-1] == '\n' || start[-1] == ' '))
		start--;
	len = (size_t)(start - output->data);
	for (int seen = 0; start > output->data; start--) {
		if (start[-1] == '\n' && ++seen == lines)
			break;
	}
	len -= (size_t)(start - output->data);
	snprintf(out, n, "%.*s", (int)len, start);
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = '|';
}

static int put_artifact(const struct build_env *env, int64_t build_id, const char *dir, const char *name,
			const char *kind)
{
	char path[PATH_MAX], hex[65];
	struct store_artifact a = { .name = (char *)name, .kind = (char *)kind, .sha256 = hex };
	char *stored = NULL, store_dir[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(store_dir, sizeof(store_dir), "%s/artifacts", env->cfg->data_dir);
	rc = artifact_put(hex, &a.size, &stored, store_dir, path);
	if (rc)
		return rc;
	a.path = stored;
	rc = store_artifact_add(env->store, build_id, &a);
	free(stored);
	return rc;
}

/* Records what the recipe left in out_dir. A missing kernel is the change's failure. */
static int collect(struct build_result *out, const struct build_env *env, const struct board *b)
{
	const struct board_artifacts *art = &b->build.artifacts;
	const char *singles[][2] = {
		{ art->kernel, "kernel" }, { art->kernel_bin, "kernel_bin" }, { art->image, "image" },
	};
	int rc;

	for (size_t i = 0; i < 3; i++) {
		char path[PATH_MAX];

		if (!singles[i][0])
			continue;
		snprintf(path, sizeof(path), "%s/%s", out->output_dir, singles[i][0]);
		if (!fs_is_file(path)) {
			out->status = BUILD_FAIL;
			snprintf(out->reason, sizeof(out->reason), "the build produced no %s", singles[i][0]);
			return 0;
		}
		if ((rc = put_artifact(env, out->id, out->output_dir, singles[i][0], singles[i][1])) != 0)
			return rc;
	}
	if (art->apps) {
		char dir[PATH_MAX];
		struct dirent *e;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/%s", out->output_dir, art->apps);
		d = opendir(dir);
		if (!d) {
			out->status = BUILD_FAIL;
			snprintf(out->reason, sizeof(out->reason), "the build produced no %s/ folder", art->apps);
			return 0;
		}
		while ((e = readdir(d)) != NULL) {
			char name[PATH_MAX], path[PATH_MAX];

			snprintf(name, sizeof(name), "%s/%s", art->apps, e->d_name);
			snprintf(path, sizeof(path), "%s/%s", out->output_dir, name);
			if (e->d_name[0] == '.' || !fs_is_file(path))
				continue;
			if ((rc = put_artifact(env, out->id, out->output_dir, name, "app")) != 0) {
				closedir(d);
				return rc;
			}
		}
		closedir(d);
	}
	return 0;
}

/* Reuses a finished build with the same key, if its output is still there. */
static bool reuse(struct build_result *out, const struct build_env *env, const struct board *b,
		  int64_t change_id, const char *sha, const char *tree, const char *image_id)
{
	struct store_build found, row = { 0 };
	char kernel[PATH_MAX];

	if (store_build_find(env->store, out->key, &found) != 0)
		return false;
	snprintf(kernel, sizeof(kernel), "%s/%s", found.output_dir ? found.output_dir : "",
		 b->build.artifacts.kernel);
	if (strcmp(found.status, "ok") == 0 && !fs_is_file(kernel)) {
		/* Its folder was cleaned away: build again rather than point at nothing. */
		store_build_release(&found);
		return false;
	}
	row.change_id = change_id;
	row.board = (char *)b->name;
	row.sha = (char *)sha;
	row.tree = (char *)tree;
	row.cache_key = out->key;
	row.image_id = (char *)image_id;
	row.status = found.status;
	row.cached = true;
	row.source_build_id = found.id;
	row.reason = found.reason;
	row.output_dir = found.output_dir;
	row.log_path = found.log_path;
	if (store_build_add(env->store, &row) != 0) {
		store_build_release(&found);
		return false;
	}
	out->id = row.id;
	out->cached = true;
	out->status = strcmp(found.status, "ok") == 0 ? BUILD_OK : BUILD_FAIL;
	snprintf(out->reason, sizeof(out->reason), "%s", found.reason ? found.reason : "");
	snprintf(out->output_dir, sizeof(out->output_dir), "%s", found.output_dir ? found.output_dir : "");
	snprintf(out->log_path, sizeof(out->log_path), "%s", found.log_path ? found.log_path : "");
	store_build_release(&found);
	return true;
}

int build_board(struct build_result *out, const struct build_env *env, const struct board *b,
		int64_t change_id, const char *sha, const char *tree, const char *src_dir)
{
	const struct config *cfg = env->cfg;
	struct container_image img;
	struct container_result res;
	struct store_build row = { 0 };
	long long t0 = proc_now_ms();
	char name[64];
	int rc;

	memset(out, 0, sizeof(*out));
	container_image_init(&img);
	container_result_init(&res);

	if (container_image_ensure(&img, env->containers, b->build.image) != 0) {
		out->status = BUILD_ERROR;
		snprintf(out->reason, sizeof(out->reason), "build image %s: %s", b->build.image, err_msg());
	}
	if ((rc = cache_key(out->key, b, tree, img.id ? img.id : "")) != 0)
		goto cleanup;
	if (out->status != BUILD_ERROR && reuse(out, env, b, change_id, sha, tree, img.id)) {
		log_info("build %s: reusing build %s (same tree, recipe and image)", b->name, out->key);
		goto done;
	}

	row.change_id = change_id;
	row.board = (char *)b->name;
	row.sha = (char *)sha;
	row.tree = (char *)tree;
	row.cache_key = out->key;
	row.image_id = img.id;
	row.status = out->status == BUILD_ERROR ? "error" : "running";
	row.reason = out->status == BUILD_ERROR ? out->reason : NULL;
	if ((rc = store_build_add(env->store, &row)) != 0)
		goto cleanup;
	out->id = row.id;
	if (out->status == BUILD_ERROR)
		goto finish;

	snprintf(out->output_dir, sizeof(out->output_dir), "%s/builds/%.16s-%s", cfg->data_dir, out->key, b->name);
	snprintf(out->log_path, sizeof(out->log_path), "%s/logs/build-%lld.log", cfg->data_dir, (long long)out->id);
	if ((rc = fs_rmtree(out->output_dir)) != 0 || (rc = fs_mkdirs(out->output_dir)) != 0) {
		out->status = BUILD_ERROR;
		snprintf(out->reason, sizeof(out->reason), "%s", err_msg());
		goto finish;
	}
	snprintf(name, sizeof(name), "rig-build-%lld-%d", (long long)out->id, (int)getpid());
	log_info("build %s: %s in %s", b->name, b->build.command.v[0], img.tag);
	{
		/* Recipes that run make use the CPUs the container is given, as CI systems do. */
		char makeflags[32];
		const char *recipe_env[] = { makeflags, NULL };
		struct container_run run = {
			.env = recipe_env,
			.image = img.tag,
			.argv = b->build.command.v,
			.src_dir = src_dir,
			.out_dir = out->output_dir,
			.name = name,
			.timeout_ms = (int)(b->build.timeout * 1000),
		};

		snprintf(makeflags, sizeof(makeflags), "MAKEFLAGS=-j%lld", (long long)cfg->containers.cpus);
		rc = container_run(&res, env->containers, &run);
	}
	{
		char logs[PATH_MAX];

		snprintf(logs, sizeof(logs), "%s/logs", cfg->data_dir);
		if (fs_mkdirs(logs) != 0 || fs_write_file(out->log_path, res.output.data, res.output.len) != 0)
			log_warn("build %s: cannot keep its log: %s", b->name, err_msg());
	}
	if (rc != 0 || res.status == CONTAINER_ERROR) {
		out->status = BUILD_ERROR;
		snprintf(out->reason, sizeof(out->reason), "%s", err_msg());
	} else if (res.status == CONTAINER_FAIL) {
		char tail[700];

		output_tail(tail, sizeof(tail), &res.output, 4);
		out->status = BUILD_FAIL;
		snprintf(out->reason, sizeof(out->reason), "build failed (exit %d): %s", res.exit_code, tail);
	} else {
		out->status = BUILD_OK;
		if ((rc = collect(out, env, b)) != 0) {
			out->status = BUILD_ERROR;
			snprintf(out->reason, sizeof(out->reason), "keeping artifacts: %s", err_msg());
		} else if (out->status == BUILD_OK) {
			struct size_report sr = { 0 };

			/* An ELF the reader refuses is the build's product, hence the change's problem. */
			if (sizes_record(&sr, env->store, out->id, b, out->output_dir) != 0) {
				out->status = BUILD_FAIL;
				snprintf(out->reason, sizeof(out->reason), "sizes: %s", err_msg());
			}
		}
	}

finish:
	rc = store_build_finish(env->store, out->id, build_status_name(out->status), proc_now_ms() - t0,
				out->reason[0] ? out->reason : NULL, out->output_dir[0] ? out->output_dir : NULL,
				out->log_path[0] ? out->log_path : NULL);
done:
	out->duration_ms = (long)(proc_now_ms() - t0);
cleanup:
	container_result_release(&res);
	container_image_release(&img);
	return rc;
}
