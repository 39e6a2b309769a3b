#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "proc.h"

#define DEFAULT_RUN_TIMEOUT_MS (1200 * 1000)
#define DEFAULT_BUILD_TIMEOUT_MS (1800 * 1000)
#define DEFAULT_BOOTSTRAP_TIMEOUT_MS (1800 * 1000)
#define DEFAULT_OUTPUT_CAP ((size_t)4 << 20)
/* Runtime chores (inspect, rm): quick, but podman can stall on a busy store. */
#define CHORE_TIMEOUT_MS (120 * 1000)
/* After a deadline: SIGTERM to the client, then SIGKILL; the container is removed next. */
#define RUN_GRACE_MS 2000
#define BUILD_GRACE_MS 10000
#define HASH_MAX_ENTRIES 10000
#define NAME_MAX_LEN 64
/* podman's rootful default for RLIMIT_NOFILE and RLIMIT_NPROC. */
#define PODMAN_DEFAULT_RLIMIT 1048576
#define CAP_SYS_RESOURCE_BIT 24

static const char *const cgroup2_beside_v1[] = { "/sys/fs/cgroup/unified", NULL };

/* ---- small helpers ---- */

struct strv {
	char **v;
	size_t n, alloc;
	bool failed;
};

static void strv_push_owned(struct strv *s, char *str)
{
	if (!str) {
		s->failed = true;
		return;
	}
	if (s->n + 2 > s->alloc) {
		size_t alloc = s->alloc ? s->alloc * 2 : 32;
		char **v = realloc(s->v, alloc * sizeof(*v));

		if (!v) {
			free(str);
			s->failed = true;
			return;
		}
		s->v = v;
		s->alloc = alloc;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

static void strv_push(struct strv *s, const char *str)
{
	strv_push_owned(s, strdup(str));
}

static void strv_pushf(struct strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void strv_pushf(struct strv *s, const char *fmt, ...)
{
	va_list ap;
	char *str;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&str, fmt, ap);
	va_end(ap);
	strv_push_owned(s, n < 0 ? NULL : str);
}

void container_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}


/* The last non-empty line of out, at most max bytes of it, into line. */
static void last_line(char *line, size_t size, const struct buf *out)
{
	size_t end = out->len, start;

	while (end > 0 && (out->data[end - 1] == '\n' || out->data[end - 1] == '\r' ||
			   out->data[end - 1] == ' '))
		end--;
	start = end;
	while (start > 0 && out->data[start - 1] != '\n')
		start--;
	if (end - start >= size)
		start = end - (size - 1);
	memcpy(line, out->data + start, end - start);
	line[end - start] = '\0';
}

static bool contains_nocase(const struct buf *b, const char *needle)
{
	return b->data && strcasestr(b->data, needle) != NULL;
}

static const char *describe(struct buf *scratch, const char *const *argv)
{
	buf_reset(scratch);
	proc_describe(scratch, argv);
	return scratch->data;
}

/* ---- the host ---- */

void container_host_probe(struct container_host *out)
{
	struct statfs root, unified;
	struct rlimit nofile, nproc;
	bool have_sys_resource = false;
	char line[256];
	FILE *f;

	memset(out, 0, sizeof(*out));
	if (statfs("/sys/fs/cgroup", &root) == 0 && (unsigned long)root.f_type != CGROUP2_SUPER_MAGIC &&
	    statfs("/sys/fs/cgroup/unified", &unified) == 0 &&
	    (unsigned long)unified.f_type == CGROUP2_SUPER_MAGIC)
		out->cgroup_hybrid = true;

	f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long caps;

		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			have_sys_resource = (caps >> CAP_SYS_RESOURCE_BIT) & 1;
			break;
		}
	}
	if (f)
		fclose(f);
	if (!have_sys_resource && getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
	    getrlimit(RLIMIT_NPROC, &nproc) == 0 &&
	    ((nofile.rlim_max != RLIM_INFINITY && nofile.rlim_max < PODMAN_DEFAULT_RLIMIT) ||
	     (nproc.rlim_max != RLIM_INFINITY && nproc.rlim_max < PODMAN_DEFAULT_RLIMIT)))
		out->ulimits_blocked = true;
}

/* ---- the context ---- */

void container_opts_from_config(struct container_opts *out, const struct config *cfg)
{
	memset(out, 0, sizeof(*out));
	out->runtime = cfg->containers.runtime;
	out->containers_dir = cfg->containers_dir;
	out->data_dir = cfg->data_dir;
	out->cpus = cfg->containers.cpus;
	out->pids = cfg->containers.pids;
	out->memory = cfg->containers.memory;
	if (cfg->containers.timeout > 0) {
		double ms = cfg->containers.timeout * 1000.0;

		out->run_timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
		out->build_timeout_ms = out->run_timeout_ms;
	}
}

static const char conf_text[] =
	"# Written by rig: crun on this host cannot raise rlimits (no\n"
	"# CAP_SYS_RESOURCE, hard limits below podman's default), so containers\n"
	"# keep the caller's limits. See rig/container.h.\n"
	"[containers]\n"
	"default_ulimits = []\n";

int container_init(struct container *c, const struct container_opts *opts)
{
	const char *runtime = opts->runtime ? opts->runtime : "podman";
	const char *user_conf = getenv("CONTAINERS_CONF");
	char dir[PATH_MAX], path[PATH_MAX];
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (strcmp(runtime, "podman") == 0)
		c->runtime = CONTAINER_PODMAN;
	else if (strcmp(runtime, "docker") == 0)
		c->runtime = CONTAINER_DOCKER;
	else
		return err_set(ERR_INVALID, "container runtime must be podman or docker, not '%s'", runtime);
	if (!opts->containers_dir || !opts->data_dir)
		return err_set(ERR_INVALID, "container: containers_dir and data_dir are required");

	c->runtime_name = strdup(runtime);
	c->program = strdup(opts->program ? opts->program : runtime);
	c->containers_dir = strdup(opts->containers_dir);
	c->data_dir = strdup(opts->data_dir);
	if (opts->bootstrap)
		c->bootstrap = strdup(opts->bootstrap);
	else if (asprintf(&c->bootstrap, "%s/scripts/bootstrap-base-image.sh", config_project_root()) < 0)
		c->bootstrap = NULL;
	c->memory = xstrdup(opts->memory);
	if (!c->runtime_name || !c->program || !c->containers_dir || !c->data_dir || !c->bootstrap ||
	    (opts->memory && !c->memory)) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	c->cpus = opts->cpus;
	c->pids = opts->pids;
	c->run_timeout_ms = opts->run_timeout_ms > 0 ? opts->run_timeout_ms : DEFAULT_RUN_TIMEOUT_MS;
	c->build_timeout_ms = opts->build_timeout_ms > 0 ? opts->build_timeout_ms : DEFAULT_BUILD_TIMEOUT_MS;
	c->bootstrap_timeout_ms = opts->bootstrap_timeout_ms > 0 ? opts->bootstrap_timeout_ms
								 : DEFAULT_BOOTSTRAP_TIMEOUT_MS;
	c->output_cap = opts->output_cap ? opts->output_cap : DEFAULT_OUTPUT_CAP;
	container_host_probe(&c->host);

	/* A CONTAINERS_CONF the operator set is theirs to get right. */
	if (c->runtime == CONTAINER_PODMAN && c->host.ulimits_blocked && !(user_conf && *user_conf)) {
		if (snprintf(dir, sizeof(dir), "%s/podman", c->data_dir) >= (int)sizeof(dir) ||
		    snprintf(path, sizeof(path), "%s/containers.conf", dir) >= (int)sizeof(path)) {
			rc = err_set(ERR_INVALID, "data dir path too long: %s", c->data_dir);
			goto fail;
		}
		if ((rc = fs_mkdirs(dir)) != 0)
			goto fail_prefix;
		if ((rc = fs_write_file(path, conf_text, sizeof(conf_text) - 1)) != 0)
			goto fail_prefix;
		if (asprintf(&c->conf_env, "CONTAINERS_CONF=%s", path) < 0) {
			c->conf_env = NULL;
			rc = err_set(ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if (c->runtime == CONTAINER_PODMAN && (c->host.cgroup_hybrid || c->conf_env))
		log_debug("podman runs%s%s", c->host.cgroup_hybrid ? " without /sys/fs/cgroup/unified" : "",
			  c->conf_env ? " with default_ulimits = []" : "");
	return 0;

fail_prefix:
	err_prefix("podman's containers.conf");
fail:
	container_release(c);
	return rc;
}

void container_release(struct container *c)
{
	free(c->runtime_name);
	free(c->program);
	free(c->containers_dir);
	free(c->data_dir);
	free(c->bootstrap);
	free(c->memory);
	free(c->conf_env);
	memset(c, 0, sizeof(*c));
}

/*
 * Process options for running the runtime: for podman, the namespace and the
 * containers.conf of the workaround where this host needs them. env must have
 * room for two entries and a NULL; extra may be NULL.
 */
static void runtime_proc_opts(struct proc_opts *o, const char **env, const struct container *c,
			      const char *const *argv, const char *extra)
{
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	o->argv = argv;
	if (c->runtime == CONTAINER_PODMAN) {
		if (c->host.cgroup_hybrid)
			o->unmount = cgroup2_beside_v1;
		if (c->conf_env)
			env[n++] = c->conf_env;
	}
	if (extra)
		env[n++] = extra;
	env[n] = NULL;
	o->env = env;
}

/* ---- hashing a folder ---- */

struct entries {
	char **v;
	size_t n, alloc;
};

static int collect(struct entries *e, const char *root, const char *rel)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	if (snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel) >= (int)sizeof(path))
		return err_set(ERR_INVALID, "path too long under %s", root);
	dir = opendir(path);
	if (!dir)
		return err_errno(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "open folder %s", path);
	while ((d = readdir(dir)) != NULL) {
		struct stat st;
		char *child;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (e->n >= HASH_MAX_ENTRIES) {
			rc = err_set(ERR_LIMIT, "%s has more than %d entries", root, HASH_MAX_ENTRIES);
			break;
		}
		if (asprintf(&child, "%s%s%s", rel, *rel ? "/" : "", d->d_name) < 0) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		if (e->n == e->alloc) {
			size_t alloc = e->alloc ? e->alloc * 2 : 64;
			char **v = realloc(e->v, alloc * sizeof(*v));

			if (!v) {
				free(child);
				rc = err_set(ERR_NOMEM, "out of memory");
				break;
			}
			e->v = v;
			e->alloc = alloc;
		}
		e->v[e->n++] = child;
		if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_errno(ERR_IO, "stat %s/%s", root, child);
			break;
		}
		if (S_ISDIR(st.st_mode) && (rc = collect(e, root, child)) != 0)
			break;
	}
	closedir(dir);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hash_file(EVP_MD_CTX *md, const char *path, const struct stat *st)
{
	char chunk[65536];
	long long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return err_errno(ERR_IO, "open %s", path);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return err_errno(ERR_IO, "read %s", path);
		}
		EVP_DigestUpdate(md, chunk, (size_t)n);
		total += n;
	}
	close(fd);
	if (total != (long long)st->st_size)
		return err_set(ERR_IO, "%s changed while it was hashed", path);
	return 0;
}

int container_hash_dir(char hex[65], const char *dir)
{
	static const char version[] = "rig container folder v1";
	struct entries e = { 0 };
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char path[PATH_MAX], head[PATH_MAX + 64];
	int rc;

	hex[0] = '\0';
	if (!md)
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = collect(&e, dir, "")) != 0)
		goto cleanup;
	qsort(e.v, e.n, sizeof(*e.v), cmp_str);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, version, sizeof(version));
	for (size_t i = 0; i < e.n; i++) {
		struct stat st;
		int len;

		snprintf(path, sizeof(path), "%s/%s", dir, e.v[i]);
		if (lstat(path, &st) < 0) {
			rc = err_errno(ERR_IO, "stat %s", path);
			goto cleanup;
		}
		/* Modes as git keeps them: the same tree under another umask hashes the same. */
		if (S_ISDIR(st.st_mode)) {
			len = snprintf(head, sizeof(head), "tree 040000 %s", e.v[i]);
			EVP_DigestUpdate(md, head, (size_t)len + 1);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(path, target, sizeof(target) - 1);

			if (n < 0) {
				rc = err_errno(ERR_IO, "readlink %s", path);
				goto cleanup;
			}
			target[n] = '\0';
			len = snprintf(head, sizeof(head), "link 120000 %s", e.v[i]);
			EVP_DigestUpdate(md, head, (size_t)len + 1);
			EVP_DigestUpdate(md, target, (size_t)n + 1);
		} else if (S_ISREG(st.st_mode)) {
			len = snprintf(head, sizeof(head), "blob %s %s", (st.st_mode & 0111) ? "100755" : "100644",
				       e.v[i]);
			EVP_DigestUpdate(md, head, (size_t)len + 1);
			len = snprintf(head, sizeof(head), "%lld", (long long)st.st_size);
			EVP_DigestUpdate(md, head, (size_t)len + 1);
			if ((rc = hash_file(md, path, &st)) != 0)
				goto cleanup;
		} else {
			rc = err_set(ERR_INVALID, "%s is not a file, folder or link", path);
			goto cleanup;
		}
	}
	EVP_DigestFinal_ex(md, digest, &digest_len);
	for (unsigned int i = 0; i < digest_len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	rc = 0;

cleanup:
	for (size_t i = 0; i < e.n; i++)
		free(e.v[i]);
	free(e.v);
	EVP_MD_CTX_free(md);
	return rc;
}

/* ---- images ---- */

void container_image_init(struct container_image *img)
{
	memset(img, 0, sizeof(*img));
}

void container_image_release(struct container_image *img)
{
	free(img->name);
	free(img->tag);
	free(img->id);
	free(img->log_path);
	memset(img, 0, sizeof(*img));
}

/* Folder names become image names, which runtimes want lowercase and plain. */
static bool valid_image_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			continue;
		if (i > 0 && (ch == '-' || ch == '_' || ch == '.'))
			continue;
		return false;
	}
	return true;
}

/* Whether the runtime's answer means "no such image" rather than trouble. */
static bool says_no_such_image(const struct buf *err)
{
	return contains_nocase(err, "image not known") || contains_nocase(err, "no such image") ||
	       contains_nocase(err, "no such object");
}

/* Whether the runtime's answer means its engine is not there (docker without its daemon). */
static bool says_engine_unreachable(const struct buf *out)
{
	return contains_nocase(out, "cannot connect to the docker daemon") ||
	       contains_nocase(out, "is the docker daemon running") ||
	       contains_nocase(out, "cannot connect to podman");
}

/*
 * Looks ref up. 0 when the runtime answered: *id set when the image is
 * there, *absent when it is not. A negative code when the runtime is missing
 * or fails (ERR_NOTFOUND: no such program).
 */
static int image_inspect(char **id, bool *absent, const struct container *c, const char *ref)
{
	const char *argv[] = { c->program, "image", "inspect", "--format", "{{.Id}}", ref, NULL };
	const char *env[3];
	struct proc_opts o;
	struct proc_result r;
	char line[256];
	int rc;

	*id = NULL;
	*absent = false;
	runtime_proc_opts(&o, env, c, argv, NULL);
	o.timeout_ms = CHORE_TIMEOUT_MS;
	o.out_cap = o.err_cap = 64 << 10;
	proc_result_init(&r);
	rc = proc_run(&r, &o);
	if (rc == ERR_NOTFOUND) {
		err_prefix("container runtime %s", c->runtime_name);
		goto cleanup;
	}
	if (rc) {
		err_prefix("%s image inspect %s", c->runtime_name, ref);
		goto cleanup;
	}
	if (r.exit_code == 0 && r.signal == 0) {
		last_line(line, sizeof(line), &r.out);
		/* docker says sha256:<hex>, podman just <hex>. */
		*id = strdup(strncmp(line, "sha256:", 7) == 0 ? line + 7 : line);
		rc = *id ? 0 : err_set(ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	if (r.signal == 0 && says_no_such_image(&r.err)) {
		*absent = true;
		rc = 0;
		goto cleanup;
	}
	last_line(line, sizeof(line), r.err.len ? &r.err : &r.out);
	rc = err_set(ERR_FAIL, "%s image inspect %s exited %d: %s", c->runtime_name, ref,
		     r.signal ? -r.signal : r.exit_code, line);
cleanup:
	proc_result_release(&r);
	return rc;
}

/* Appends a section of output to the build log; a log that cannot be written is only a warning. */
static void log_append(FILE *log, const char *what, const struct buf *out)
{
	if (!log)
		return;
	fprintf(log, "==> %s\n", what);
	if (out->len)
		fwrite(out->data, 1, out->len, log);
	if (out->len && out->data[out->len - 1] != '\n')
		fputc('\n', log);
	if (out->truncated)
		fputs("==> (output cut at the cap)\n", log);
	fflush(log);
}

/*
 * The build lock of one tag: waits up to timeout_ms for a concurrent build of
 * the same image to end. The image store belongs to the machine, not to one
 * rig, so the lock lives in /run/lock where it can (every rig, every worktree
 * and CI job on the machine sees it), else under the data dir. Returns the
 * descriptor or a negative code.
 */
static int lock_build(const struct container *c, const struct container_image *img, int timeout_ms)
{
	static const char machine_locks[] = "/run/lock";
	char path[PATH_MAX];
	long long deadline = proc_now_ms() + timeout_ms;
	int fd, rc, n;

	if (access(machine_locks, W_OK) == 0) {
		n = snprintf(path, sizeof(path), "%s/rig-image-%s-%.12s.lock", machine_locks, img->name, img->hash);
	} else {
		if (snprintf(path, sizeof(path), "%s/containers/locks", c->data_dir) >= (int)sizeof(path))
			return err_set(ERR_INVALID, "data dir path too long: %s", c->data_dir);
		if ((rc = fs_mkdirs(path)) != 0)
			return rc;
		n = snprintf(path, sizeof(path), "%s/containers/locks/%s-%.12s.lock", c->data_dir, img->name,
			     img->hash);
	}
	if (n >= (int)sizeof(path))
		return err_set(ERR_INVALID, "data dir path too long: %s", c->data_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_errno(ERR_IO, "open %s", path);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = err_errno(ERR_IO, "lock %s", path);
			close(fd);
			return rc;
		}
		if (proc_now_ms() >= deadline) {
			close(fd);
			return err_set(ERR_TIMEOUT, "another build of %s held %s for over %d s", img->tag,
				       path, timeout_ms / 1000);
		}
		poll(NULL, 0, 200);
	}
	return fd;
}

/* Runs the bootstrap script; its output goes to the build log. */
static int ensure_base(struct container_image *out, const struct container *c, FILE *log)
{
	const char *argv[] = { c->bootstrap, "--runtime", c->runtime_name, NULL };
	const char *env[3];
	char *data_env = NULL;
	long long start = proc_now_ms();
	struct proc_opts o;
	struct proc_result r;
	struct buf cmd;
	char line[300];
	int rc;

	if (asprintf(&data_env, "RIG_DATA_DIR=%s", c->data_dir) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	runtime_proc_opts(&o, env, c, argv, data_env);
	o.timeout_ms = c->bootstrap_timeout_ms;
	o.err_to_out = true;
	o.out_cap = c->output_cap;
	proc_result_init(&r);
	buf_init(&cmd, 4096);
	rc = proc_run(&r, &o);
	out->base_ms = (long)(proc_now_ms() - start);
	log_append(log, describe(&cmd, argv), &r.out);
	if (rc) {
		err_prefix("base image: %s", c->bootstrap);
	} else if (r.exit_code != 0 || r.signal) {
		last_line(line, sizeof(line), &r.out);
		rc = err_set(ERR_FAIL, "base image: %s exited %d: %s", c->bootstrap,
			     r.signal ? -r.signal : r.exit_code, line);
	} else if (strstr(r.out.data, "made ")) {
		log_info("base image made in %.1f s", out->base_ms / 1000.0);
	}
	proc_result_release(&r);
	buf_release(&cmd);
	free(data_env);
	return rc;
}

static int build_image(const struct container_image *img, const struct container *c, const char *dir,
		       FILE *log)
{
	struct strv argv = { 0 };
	const char *env[3];
	struct proc_opts o;
	struct proc_result r;
	struct buf cmd;
	char line[300];
	int rc;

	strv_push(&argv, c->program);
	strv_push(&argv, "build");
	/* RUN steps fetch packages: they need a network, and the host's needs no bridge. */
	strv_push(&argv, "--network");
	strv_push(&argv, "host");
	strv_push(&argv, "--label");
	strv_pushf(&argv, "rig.image=%s", img->name);
	strv_push(&argv, "--label");
	strv_pushf(&argv, "rig.hash=%s", img->hash);
	strv_push(&argv, "-t");
	strv_push(&argv, img->tag);
	strv_push(&argv, "-f");
	strv_pushf(&argv, "%s/Containerfile", dir);
	strv_push(&argv, dir);
	if (argv.failed) {
		container_argv_free(argv.v);
		return err_set(ERR_NOMEM, "out of memory");
	}
	runtime_proc_opts(&o, env, c, (const char *const *)argv.v, NULL);
	o.timeout_ms = c->build_timeout_ms;
	/* On SIGTERM podman removes its working containers; give it the time. */
	o.grace_ms = BUILD_GRACE_MS;
	o.err_to_out = true;
	o.out_cap = c->output_cap;
	proc_result_init(&r);
	buf_init(&cmd, 4096);
	rc = proc_run(&r, &o);
	log_append(log, describe(&cmd, (const char *const *)argv.v), &r.out);
	last_line(line, sizeof(line), &r.out);
	if (rc == ERR_NOTFOUND)
		err_prefix("container runtime %s", c->runtime_name);
	else if (rc == ERR_TIMEOUT)
		err_set(rc, "%s build passed its deadline of %d s (log %s)", c->runtime_name,
			c->build_timeout_ms / 1000, img->log_path ? img->log_path : "not kept");
	else if (rc)
		err_prefix("%s build", c->runtime_name);
	else if (r.exit_code != 0 || r.signal)
		rc = err_set(ERR_FAIL, "%s build exited %d (log %s): %s", c->runtime_name,
			     r.signal ? -r.signal : r.exit_code, img->log_path ? img->log_path : "not kept", line);
	proc_result_release(&r);
	buf_release(&cmd);
	container_argv_free(argv.v);
	return rc;
}

static int image_fail(struct container_image *out, enum container_error why, int rc, long long start)
{
	out->error = why;
	out->duration_ms = (long)(proc_now_ms() - start);
	return rc;
}

int container_image_ensure(struct container_image *out, const struct container *c, const char *name)
{
	long long start = proc_now_ms();
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat st;
	FILE *log = NULL;
	bool absent = false;
	int lock = -1, rc;

	container_image_release(out);
	if (!name || !valid_image_name(name)) {
		rc = err_set(ERR_INVALID, "image '%s': a containers/ folder name must be lowercase letters, "
			     "digits and -_. (at most %d)", name ? name : "", NAME_MAX_LEN);
		return image_fail(out, CONTAINER_ERR_SETUP, rc, start);
	}
	out->name = strdup(name);
	if (snprintf(dir, sizeof(dir), "%s/%s", c->containers_dir, name) >= (int)sizeof(dir) ||
	    snprintf(path, sizeof(path), "%s/Containerfile", dir) >= (int)sizeof(path))
		return image_fail(out, CONTAINER_ERR_SETUP, err_set(ERR_INVALID, "image %s: path too long", name),
				  start);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_errno(ERR_NOTFOUND, "image %s: no %s", name, path);
		return image_fail(out, CONTAINER_ERR_SETUP, rc, start);
	}
	if ((rc = container_hash_dir(out->hash, dir)) != 0) {
		err_prefix("image %s", name);
		return image_fail(out, CONTAINER_ERR_SETUP, rc, start);
	}
	if (asprintf(&out->tag, "localhost/rig-%s:%.12s", name, out->hash) < 0 || !out->name) {
		out->tag = NULL;
		return image_fail(out, CONTAINER_ERR_SETUP, err_set(ERR_NOMEM, "out of memory"), start);
	}

	if ((rc = image_inspect(&out->id, &absent, c, out->tag)) != 0) {
		err_prefix("image %s", name);
		return image_fail(out, CONTAINER_ERR_RUNTIME, rc, start);
	}
	if (!absent)
		goto done;

	lock = lock_build(c, out, c->build_timeout_ms);
	if (lock < 0) {
		err_prefix("image %s", name);
		return image_fail(out, lock == ERR_TIMEOUT ? CONTAINER_ERR_BUILD : CONTAINER_ERR_SETUP, lock, start);
	}
	/* Whoever held the lock may have built it meanwhile. */
	if ((rc = image_inspect(&out->id, &absent, c, out->tag)) != 0) {
		err_prefix("image %s", name);
		rc = image_fail(out, CONTAINER_ERR_RUNTIME, rc, start);
		goto unlock;
	}
	if (!absent)
		goto done;

	snprintf(path, sizeof(path), "%s/containers/logs", c->data_dir);
	if (fs_mkdirs(path) == 0 &&
	    asprintf(&out->log_path, "%s/containers/logs/%s-%.12s.log", c->data_dir, name, out->hash) >= 0) {
		log = fopen(out->log_path, "we");
		if (!log)
			log_warn("image %s: cannot write the build log %s: %s", name, out->log_path, strerror(errno));
	} else {
		out->log_path = NULL;
		log_warn("image %s: no build log: %s", name, err_msg());
	}
	if (!log) {
		free(out->log_path);
		out->log_path = NULL;
	}

	if ((rc = ensure_base(out, c, log)) != 0) {
		err_prefix("image %s", name);
		rc = image_fail(out, rc == ERR_NOTFOUND ? CONTAINER_ERR_SETUP : CONTAINER_ERR_BASE_IMAGE, rc, start);
		goto unlock;
	}
	log_info("image %s: building %s", name, out->tag);
	if ((rc = build_image(out, c, dir, log)) != 0) {
		err_prefix("image %s", name);
		rc = image_fail(out, rc == ERR_NOTFOUND ? CONTAINER_ERR_RUNTIME : CONTAINER_ERR_BUILD, rc, start);
		goto unlock;
	}
	if ((rc = image_inspect(&out->id, &absent, c, out->tag)) != 0 || absent) {
		if (absent)
			rc = err_set(ERR_FAIL, "%s build succeeded but %s is not there", c->runtime_name, out->tag);
		err_prefix("image %s", name);
		rc = image_fail(out, CONTAINER_ERR_BUILD, rc, start);
		goto unlock;
	}
	out->built = true;

done:
	out->error = CONTAINER_ERR_NONE;
	out->duration_ms = (long)(proc_now_ms() - start);
	rc = 0;
unlock:
	if (log)
		fclose(log);
	if (lock >= 0)
		close(lock);
	return rc;
}

/* ---- runs ---- */

void container_result_init(struct container_result *res)
{
	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	buf_init(&res->output, 0);
}

void container_result_release(struct container_result *res)
{
	buf_release(&res->output);
}

/* -v takes SRC:DST:OPTIONS, so a colon or comma in a path would be misread. */
static int check_mount_path(const char *what, const char *path)
{
	if (!path || path[0] != '/')
		return err_set(ERR_INVALID, "%s must be an absolute path, not '%s'", what, path ? path : "");
	if (strpbrk(path, ":,\n"))
		return err_set(ERR_INVALID, "%s '%s' has a ':' or ',', which the runtime cannot mount", what, path);
	return 0;
}

int container_run_argv(char ***out, const struct container *c, const struct container_run *run,
		       const char *name)
{
	struct strv a = { 0 };
	int rc;

	*out = NULL;
	if (!run->image || !*run->image)
		return err_set(ERR_INVALID, "container run: no image");
	if (!run->argv || !run->argv[0])
		return err_set(ERR_INVALID, "container run: no recipe command");
	if (!name || !*name)
		return err_set(ERR_INVALID, "container run: no container name");
	if ((rc = check_mount_path("source folder", run->src_dir)) != 0 ||
	    (rc = check_mount_path("output folder", run->out_dir)) != 0)
		return rc;

	strv_push(&a, c->program);
	strv_push(&a, "run");
	strv_push(&a, "--rm");
	strv_push(&a, "--name");
	strv_push(&a, name);
	strv_push(&a, "--pull=never");
	strv_push(&a, "--network");
	strv_push(&a, "none");
	/* The output is read from the attached client; a second copy on disk is waste. */
	strv_push(&a, "--log-driver");
	strv_push(&a, "none");
	strv_push(&a, "--read-only");
	/* Compilers and configure scripts want a writable, executable /tmp. */
	strv_push(&a, "--tmpfs");
	strv_push(&a, "/tmp:rw,exec,nosuid,nodev,mode=1777");
	strv_push(&a, "--cap-drop");
	strv_push(&a, "all");
	strv_push(&a, "--security-opt");
	strv_push(&a, "no-new-privileges");
	/* Files in /out belong to the rig, whoever it runs as. */
	strv_push(&a, "--user");
	strv_pushf(&a, "%u:%u", (unsigned)getuid(), (unsigned)getgid());
	if (c->cpus > 0) {
		strv_push(&a, "--cpus");
		strv_pushf(&a, "%lld", (long long)c->cpus);
	}
	if (c->memory && *c->memory) {
		strv_push(&a, "--memory");
		strv_push(&a, c->memory);
		/* Equal to --memory: no swap on top of the limit. */
		strv_push(&a, "--memory-swap");
		strv_push(&a, c->memory);
	}
	if (c->pids > 0) {
		strv_push(&a, "--pids-limit");
		strv_pushf(&a, "%lld", (long long)c->pids);
	}
	strv_push(&a, "-v");
	strv_pushf(&a, "%s:/src:ro", run->src_dir);
	strv_push(&a, "-v");
	strv_pushf(&a, "%s:/out:rw", run->out_dir);
	strv_push(&a, "-w");
	strv_push(&a, run->workdir ? run->workdir : "/src");
	/* The root is read-only and the user may have no home: tools that write ~ get /tmp. */
	strv_push(&a, "-e");
	strv_push(&a, "HOME=/tmp");
	for (size_t i = 0; run->env && run->env[i]; i++) {
		if (!strchr(run->env[i], '=')) {
			container_argv_free(a.v);
			return err_set(ERR_INVALID, "container run: environment entry '%s' is not NAME=VALUE",
				       run->env[i]);
		}
		strv_push(&a, "-e");
		strv_push(&a, run->env[i]);
	}
	strv_push(&a, run->image);
	for (size_t i = 0; run->argv[i]; i++)
		strv_push(&a, run->argv[i]);
	if (a.failed) {
		container_argv_free(a.v);
		return err_set(ERR_NOMEM, "out of memory");
	}
	*out = a.v;
	return 0;
}

int container_remove(const struct container *c, const char *name)
{
	const char *podman_argv[] = { c->program, "rm", "--force", "--time", "0", name, NULL };
	const char *docker_argv[] = { c->program, "rm", "--force", name, NULL };
	const char *env[3];
	struct proc_opts o;
	struct proc_result r;
	char line[300];
	int rc;

	runtime_proc_opts(&o, env, c, c->runtime == CONTAINER_PODMAN ? podman_argv : docker_argv, NULL);
	o.timeout_ms = CHORE_TIMEOUT_MS;
	o.err_to_out = true;
	o.out_cap = 64 << 10;
	proc_result_init(&r);
	rc = proc_run(&r, &o);
	if (rc) {
		err_prefix("removing container %s", name);
	} else if ((r.exit_code != 0 || r.signal) && !contains_nocase(&r.out, "no such container")) {
		last_line(line, sizeof(line), &r.out);
		rc = err_set(ERR_FAIL, "removing container %s: %s rm exited %d: %s", name, c->runtime_name,
			     r.signal ? -r.signal : r.exit_code, line);
	}
	proc_result_release(&r);
	return rc;
}

static int run_fail(struct container_result *res, enum container_error why, int rc, long long start)
{
	res->status = CONTAINER_ERROR;
	res->error = why;
	res->duration_ms = (long)(proc_now_ms() - start);
	return rc;
}

int container_run(struct container_result *res, const struct container *c, const struct container_run *run)
{
	long long start = proc_now_ms();
	int timeout_ms = run->timeout_ms > 0 ? run->timeout_ms : c->run_timeout_ms;
	char src[PATH_MAX], outdir[PATH_MAX], line[300];
	const char *env[3];
	char **argv = NULL;
	struct proc_opts o;
	struct proc_result r;
	struct buf cmd;
	struct timespec ts;
	int rc;

	buf_reset(&res->output);
	res->status = CONTAINER_ERROR;
	res->error = CONTAINER_ERR_NONE;
	res->exit_code = -1;
	res->timed_out = false;
	if (run->name && *run->name) {
		if ((size_t)snprintf(res->name, sizeof(res->name), "%s", run->name) >= sizeof(res->name))
			return run_fail(res, CONTAINER_ERR_SETUP,
					err_set(ERR_INVALID, "container name '%s' is too long", run->name), start);
	} else {
		/* Unique across threads and concurrent rigs, and recognisable in `podman ps`. */
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(res->name, sizeof(res->name), "rig-%d-%d-%llx", (int)getpid(), (int)gettid(),
			 (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec);
	}
	if (!run->src_dir || !realpath(run->src_dir, src))
		return run_fail(res, CONTAINER_ERR_SETUP,
				err_errno(ERR_NOTFOUND, "source folder %s", run->src_dir ? run->src_dir : "(none)"),
				start);
	if (!run->out_dir)
		return run_fail(res, CONTAINER_ERR_SETUP, err_set(ERR_INVALID, "no output folder"), start);
	if ((rc = fs_mkdirs(run->out_dir)) != 0)
		return run_fail(res, CONTAINER_ERR_SETUP, err_prefix("output folder"), start);
	if (!realpath(run->out_dir, outdir))
		return run_fail(res, CONTAINER_ERR_SETUP, err_errno(ERR_IO, "output folder %s", run->out_dir), start);
	{
		struct container_run resolved = *run;

		resolved.src_dir = src;
		resolved.out_dir = outdir;
		if ((rc = container_run_argv(&argv, c, &resolved, res->name)) != 0)
			return run_fail(res, CONTAINER_ERR_SETUP, rc, start);
	}

	runtime_proc_opts(&o, env, c, (const char *const *)argv, NULL);
	o.timeout_ms = timeout_ms;
	o.grace_ms = RUN_GRACE_MS;
	o.err_to_out = true;
	o.out_cap = c->output_cap;
	proc_result_init(&r);
	buf_init(&cmd, 4096);
	rc = proc_run(&r, &o);
	/* The output is the caller's, whatever happened. */
	buf_release(&res->output);
	res->output = r.out;
	buf_init(&r.out, 0);
	proc_describe(&cmd, run->argv);

	if (rc == ERR_TIMEOUT) {
		char why[ERR_MSG_MAX];

		/* The client is gone, the container may not be: it goes by name. */
		res->timed_out = true;
		if (container_remove(c, res->name) == 0) {
			err_set(ERR_TIMEOUT, "recipe '%s' in %s passed its deadline of %.1f s; container %s removed",
				cmd.data, run->image, timeout_ms / 1000.0, res->name);
		} else {
			snprintf(why, sizeof(why), "%s", err_msg());
			err_set(ERR_TIMEOUT, "recipe '%s' in %s passed its deadline of %.1f s; %s", cmd.data,
				run->image, timeout_ms / 1000.0, why);
		}
		rc = run_fail(res, CONTAINER_ERR_DEADLINE, ERR_TIMEOUT, start);
		goto cleanup;
	}
	if (rc) {
		err_prefix("container runtime %s", c->runtime_name);
		rc = run_fail(res, CONTAINER_ERR_RUNTIME, rc, start);
		goto cleanup;
	}
	last_line(line, sizeof(line), &res->output);
	if (r.signal) {
		rc = err_set(ERR_FAIL, "%s run of '%s' was killed by signal %d", c->runtime_name, cmd.data, r.signal);
		rc = run_fail(res, CONTAINER_ERR_RUNTIME, rc, start);
		goto cleanup;
	}
	if (r.exit_code == 125) {
		bool engine = says_engine_unreachable(&res->output);

		rc = err_set(ERR_FAIL, "%s: container for '%s' in %s did not start: %s", c->runtime_name, cmd.data,
			     run->image, line);
		rc = run_fail(res, engine ? CONTAINER_ERR_RUNTIME : CONTAINER_ERR_START, rc, start);
		goto cleanup;
	}
	/* 126 and 127 are also what a shell says; only the runtime's own words make them its. */
	if ((r.exit_code == 126 || r.exit_code == 127) &&
	    (contains_nocase(&res->output, "OCI runtime") ||
	     contains_nocase(&res->output, "executable file not found"))) {
		rc = err_set(ERR_FAIL, "%s: '%s' could not be started in %s: %s", c->runtime_name, cmd.data,
			     run->image, line);
		rc = run_fail(res, CONTAINER_ERR_START, rc, start);
		goto cleanup;
	}
	res->exit_code = r.exit_code;
	res->status = r.exit_code == 0 ? CONTAINER_OK : CONTAINER_FAIL;
	res->error = CONTAINER_ERR_NONE;
	res->duration_ms = (long)(proc_now_ms() - start);
	rc = 0;

cleanup:
	proc_result_release(&r);
	buf_release(&cmd);
	container_argv_free(argv);
	return rc;
}

const char *container_status_name(enum container_status status)
{
	switch (status) {
	case CONTAINER_OK: return "ok";
	case CONTAINER_FAIL: return "fail";
	case CONTAINER_ERROR: return "error";
	}
	return "error";
}

const char *container_error_name(enum container_error error)
{
	switch (error) {
	case CONTAINER_ERR_NONE: return "none";
	case CONTAINER_ERR_RUNTIME: return "runtime";
	case CONTAINER_ERR_SETUP: return "setup";
	case CONTAINER_ERR_BASE_IMAGE: return "base image";
	case CONTAINER_ERR_BUILD: return "image build";
	case CONTAINER_ERR_START: return "start";
	case CONTAINER_ERR_DEADLINE: return "deadline";
	}
	return "none";
}
