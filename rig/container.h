/*
 * container: the build images of containers/<name>/ and the build recipes
 * that run in them, with podman or docker through the same code.
 *
 * Images. container_image_ensure() tags the image of containers/<name>/ as
 * localhost/rig-<name>:<hash12>, where the hash covers every entry of the
 * folder (path, kind, mode as git sees it, bytes), so an edited Containerfile
 * gets a new tag and is built, and an unchanged one is found and reused. Before
 * a build, scripts/bootstrap-base-image.sh makes the base image the
 * Containerfiles start FROM when it is missing (no registry is reachable).
 * Builds run with the host's network, since their RUN steps fetch packages;
 * the output is kept as a log under <data_dir>/containers/logs/.
 *
 * Recipes. container_run() runs one recipe: no network, the source read-only
 * at /src, only the output folder writable at /out, a read-only root with a
 * tmpfs /tmp, no capabilities, the CPU/memory/process limits of rig.yaml's
 * containers section, the rig's uid and gid (so /out stays the rig's), and a
 * deadline after which the container is removed by name.
 *
 * Outcomes. A recipe that ran and exited non-zero is CONTAINER_FAIL: the
 * change's fault. Everything else that goes wrong is CONTAINER_ERROR with a
 * reason (enum container_error): the runtime missing or not answering, the
 * base image or the image build failing, the container not starting, the
 * deadline. Those are the rig's problems and never blame a change. Exit codes
 * 125 (and 126/127 with the runtime's "OCI runtime" message) are the
 * runtimes' own, so a recipe must not use 125 itself.
 *
 * podman on a host with a hybrid cgroup layout (cgroup v1 controllers with
 * cgroup2 at /sys/fs/cgroup/unified) runs in a private mount namespace with
 * /sys/fs/cgroup/unified detached (proc_opts.unmount), since crun refuses the
 * hybrid layout; where crun cannot raise rlimits (no CAP_SYS_RESOURCE, hard
 * limits below podman's default) CONTAINERS_CONF names
 * <data_dir>/podman/containers.conf with `default_ulimits = []`. Both are
 * detected at container_init (struct container_host); scripts/rig-podman does
 * the same for people and scripts. docker needs neither (its daemon runs the
 * containers).
 *
 * Ownership: struct container holds copies of what it was given and is
 * read-only after container_init, so threads may share one;
 * container_release frees it. struct container_image and struct
 * container_result are the caller's, filled by the calls and freed with their
 * _release; strings in them are owned by them.
 */
#ifndef RIG_CONTAINER_H
#define RIG_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct config;

enum container_runtime {
	CONTAINER_PODMAN = 0,
	CONTAINER_DOCKER,
};

/* What a context is made from; container_opts_from_config fills it from rig.yaml. */
struct container_opts {
	const char *runtime;		/* "podman" or "docker"; NULL: podman */
	const char *program;		/* the runtime's binary; NULL: runtime's name in PATH */
	const char *containers_dir;	/* required: holds <name>/Containerfile */
	const char *data_dir;		/* required: logs and podman's containers.conf go below */
	const char *bootstrap;		/* NULL: <project root>/scripts/bootstrap-base-image.sh */
	int64_t cpus;			/* --cpus; 0: no limit */
	int64_t pids;			/* --pids-limit; 0: no limit */
	const char *memory;		/* --memory, as the runtime takes it (2g); NULL: no limit */
	int run_timeout_ms;		/* a recipe's deadline when the run names none; 0: 1200 s */
	int build_timeout_ms;		/* one image build; 0: 1800 s */
	int bootstrap_timeout_ms;	/* the base image; 0: 1800 s */
	size_t output_cap;		/* output kept per build or run; 0: 4 MiB */
};

/* The host quirks podman needs worked around (see above). */
struct container_host {
	bool cgroup_hybrid;		/* run podman with /sys/fs/cgroup/unified detached */
	bool ulimits_blocked;		/* give podman default_ulimits = [] */
};

struct container {
	enum container_runtime runtime;
	char *runtime_name;		/* "podman" | "docker", for messages */
	char *program;
	char *containers_dir, *data_dir, *bootstrap, *memory;
	int64_t cpus, pids;
	int run_timeout_ms, build_timeout_ms, bootstrap_timeout_ms;
	size_t output_cap;
	struct container_host host;	/* as detected; applied for podman only */
	char *conf_env;			/* "CONTAINERS_CONF=…" when it applies, else NULL */
};

enum container_status {
	CONTAINER_OK = 0,		/* the recipe exited 0 */
	CONTAINER_FAIL,			/* the recipe ran and exited non-zero: the change's fault */
	CONTAINER_ERROR,		/* infrastructure: see enum container_error */
};

enum container_error {
	CONTAINER_ERR_NONE = 0,
	CONTAINER_ERR_RUNTIME,		/* the runtime is missing, will not start or does not answer */
	CONTAINER_ERR_SETUP,		/* the rig's side: a bad name, folder, path or log file */
	CONTAINER_ERR_BASE_IMAGE,	/* the base image could not be made */
	CONTAINER_ERR_BUILD,		/* the image build failed or passed its deadline */
	CONTAINER_ERR_START,		/* the container did not start (no image, no command, …) */
	CONTAINER_ERR_DEADLINE,		/* the recipe passed its deadline; the container was removed */
};

struct container_image {
	enum container_error error;	/* CONTAINER_ERR_NONE when ensured */
	char *name;			/* the folder under containers/ */
	char *tag;			/* localhost/rig-<name>:<hash12> */
	char *id;			/* the runtime's image id (hex) */
	char hash[65];			/* sha256 of the folder, hex */
	bool built;			/* false: the tag existed (a cache hit) */
	long duration_ms;		/* the whole call */
	long base_ms;			/* of that, making sure of the base image */
	char *log_path;			/* the build log when a build ran, else NULL */
};

/* One recipe run; everything but env, workdir, name and timeout_ms is required. */
struct container_run {
	const char *image;		/* a tag or id, from container_image_ensure */
	const char *const *argv;	/* the recipe, run as is (no shell); NULL-terminated */
	const char *src_dir;		/* read-only at /src */
	const char *out_dir;		/* writable at /out; made when missing */
	const char *workdir;		/* NULL: /src */
	const char *const *env;		/* NAME=VALUE for the recipe, NULL-terminated; may be NULL */
	const char *name;		/* the container's name; NULL: one is made up */
	int timeout_ms;			/* 0: the context's run_timeout_ms */
};

struct container_result {
	enum container_status status;
	enum container_error error;	/* why, when status is CONTAINER_ERROR */
	int exit_code;			/* the recipe's, when it ran to its end; else -1 */
	bool timed_out;
	long duration_ms;
	char name[128];			/* the container's name */
	struct buf output;		/* stdout and stderr as they came, capped */
};

/* Reads rig.yaml's containers section and folders; the strings stay cfg's. */
void container_opts_from_config(struct container_opts *out, const struct config *cfg);

/*
 * Detects the host quirks, copies opts and, when podman needs it, writes
 * <data_dir>/podman/containers.conf. A missing runtime is not an error here:
 * container_image_ensure and container_run report it.
 */
int container_init(struct container *c, const struct container_opts *opts);
void container_release(struct container *c);

/* The quirks of this host, as container_init sees them. */
void container_host_probe(struct container_host *out);

/*
 * sha256 of a folder, as hex into hex[65]: entries in byte order of their
 * relative paths, each with its kind, its mode as git keeps it (644 or 755
 * for files, so a checkout under another umask hashes the same), and its
 * bytes or link target. Anything but files, folders and links is ERR_INVALID.
 */
int container_hash_dir(char hex[65], const char *dir);

void container_image_init(struct container_image *img);
void container_image_release(struct container_image *img);

/*
 * Makes sure the image of containers/<name>/ exists, building it (and the
 * base image first) when its tag is absent; concurrent callers on one
 * machine build it once. Returns 0 with out filled, or a negative ERR_* with
 * out->error saying what failed and the last error saying why.
 */
int container_image_ensure(struct container_image *out, const struct container *c, const char *name);

void container_result_init(struct container_result *res);
void container_result_release(struct container_result *res);

/*
 * Runs one recipe. Returns 0 when the recipe ran to its end (res->status
 * CONTAINER_OK or CONTAINER_FAIL, res->exit_code its exit code), or a
 * negative ERR_* with res->status CONTAINER_ERROR, res->error the reason and
 * the last error the message; res->output holds what was printed either way.
 */
int container_run(struct container_result *res, const struct container *c, const struct container_run *run);

/*
 * The runtime's argv for a run under the container name given, as container_run
 * would use it: a NULL-terminated malloc'd array of malloc'd strings for
 * container_argv_free. For logs, tests and running it by hand.
 */
int container_run_argv(char ***out, const struct container *c, const struct container_run *run,
		       const char *name);
void container_argv_free(char **argv);

/*
 * Removes a container, running or not (after a deadline, or one a crash left
 * behind). 0 also when there was none.
 */
int container_remove(const struct container *c, const char *name);

/* "ok", "fail", "error": the words of rig run's JSON. */
const char *container_status_name(enum container_status status);
/* "runtime", "setup", "base image", "image build", "start", "deadline", or "none". */
const char *container_error_name(enum container_error error);

#endif
