#include "forge.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "proc.h"

/* Creating a mirror takes milliseconds; a longer wait means a stuck peer. */
#define CREATE_LOCK_MS (30 * 1000)
/* Long enough to read, short enough that the hash still ends the name. */
#define READABLE_MAX 120
#define HASH_HEX 12
/* Conflicting paths named in a message; the rest are counted. */
#define CONFLICTS_NAMED 10

struct forge_mirror {
	git_repository *repo;
	char *path;		/* the bare repository's folder */
	char *url;		/* what libgit2 fetches from (credentials included) */
	char *shown;		/* for messages and records: no password */
};

/*
 * The bounds of the fetch running on this thread. libgit2 hands a stream
 * constructor only a host and a port, no payload, and runs a fetch's I/O on
 * the calling thread; so forge_fetch() points this at its context for its
 * own extent, and the socket stream reads its deadline from here.
 */
struct fetch_ctx {
	long long deadline_ms;		/* CLOCK_MONOTONIC */
	long long last_progress_ms;
	int timeout_ms, stall_ms;
	unsigned int last_objects, last_deltas;
	size_t last_bytes;
	bool timed_out;			/* a bound, not the remote, ended the fetch */
	char reason[256];
};

static _Thread_local struct fetch_ctx *current_fetch;

__attribute__((format(printf, 2, 3)))
static int git_fail(int code, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set(code, "%s: %s", what, e && e->message ? e->message : "libgit2 failed");
}

static int git_code(int gerr, int fallback)
{
	switch (gerr) {
	case GIT_ENOTFOUND: return ERR_NOTFOUND;
	case GIT_EAMBIGUOUS: return ERR_INVALID;
	case GIT_EINVALIDSPEC: return ERR_INVALID;
	case GIT_EEXISTS: return ERR_EXISTS;
	}
	return fallback;
}

/* ---- the bounded socket stream ---- */

struct sock_stream {
	git_stream parent;		/* first: libgit2 casts between the two */
	char *host, *port;
	int fd;
};

/* What a wait may still take: the stall limit, cut short by the deadline. */
static int stream_budget_ms(void)
{
	struct fetch_ctx *c = current_fetch;
	long long left;

	if (!c)
		return FORGE_STALL_MS;
	left = c->deadline_ms - proc_now_ms();
	if (left < 0)
		return 0;
	return left < c->stall_ms ? (int)left : c->stall_ms;
}

static int stream_timed_out(struct sock_stream *s, const char *doing)
{
	struct fetch_ctx *c = current_fetch;
	char msg[256];

	if (c && proc_now_ms() >= c->deadline_ms)
		snprintf(msg, sizeof(msg), "%s %s:%s: the fetch's deadline of %d ms passed", doing,
			 s->host, s->port, c->timeout_ms);
	else
		snprintf(msg, sizeof(msg), "%s %s:%s: nothing for %d ms", doing, s->host, s->port,
			 c ? c->stall_ms : FORGE_STALL_MS);
	if (c) {
		c->timed_out = true;
		snprintf(c->reason, sizeof(c->reason), "%s", msg);
	}
	git_error_set_str(GIT_ERROR_NET, msg);
	return -1;
}

static int stream_os_error(struct sock_stream *s, const char *doing, int errnum)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s %s:%s: %s", doing, s->host, s->port, strerror(errnum));
	git_error_set_str(GIT_ERROR_NET, msg);
	return -1;
}

/* 1 when fd is ready for events, 0 when the budget ran out, -1 on error. */
static int stream_poll(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int budget = stream_budget_ms();
		int rc;

		if (budget <= 0)
			return 0;
		rc = poll(&pfd, 1, budget);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static int stream_connect(git_stream *gs)
{
	struct sock_stream *s = (struct sock_stream *)gs;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL, *p;
	int fd = -1, last_errno = ECONNREFUSED, rc;

	rc = getaddrinfo(s->host, s->port, &hints, &ai);
	if (rc != 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "resolve %s: %s", s->host, gai_strerror(rc));
		git_error_set_str(GIT_ERROR_NET, msg);
		return -1;
	}
	for (p = ai; p; p = p->ai_next) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, p->ai_protocol);
		if (fd < 0) {
			last_errno = errno;
			continue;
		}
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		if (errno != EINPROGRESS) {
			last_errno = errno;
		} else {
			rc = stream_poll(fd, POLLOUT);
			if (rc == 0) {
				close(fd);
				freeaddrinfo(ai);
				return stream_timed_out(s, "connect to");
			}
			if (rc < 0)
				last_errno = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
				last_errno = errno;
			else if (soerr == 0)
				break;
			else
				last_errno = soerr;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return stream_os_error(s, "connect to", last_errno);
	s->fd = fd;
	return 0;
}

static ssize_t stream_read(git_stream *gs, void *data, size_t len)
{
	struct sock_stream *s = (struct sock_stream *)gs;

	for (;;) {
		ssize_t n = recv(s->fd, data, len, 0);
		int rc;

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return stream_os_error(s, "read from", errno);
		rc = stream_poll(s->fd, POLLIN);
		if (rc == 0)
			return stream_timed_out(s, "read from");
		if (rc < 0)
			return stream_os_error(s, "poll", errno);
	}
}

static ssize_t stream_write(git_stream *gs, const char *data, size_t len, int flags)
{
	struct sock_stream *s = (struct sock_stream *)gs;

	(void)flags;
	for (;;) {
		ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL);
		int rc;

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return stream_os_error(s, "write to", errno);
		rc = stream_poll(s->fd, POLLOUT);
		if (rc == 0)
			return stream_timed_out(s, "write to");
		if (rc < 0)
			return stream_os_error(s, "poll", errno);
	}
}

static int stream_close(git_stream *gs)
{
	struct sock_stream *s = (struct sock_stream *)gs;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	return 0;
}

static void stream_free(git_stream *gs)
{
	struct sock_stream *s = (struct sock_stream *)gs;

	stream_close(gs);
	free(s->host);
	free(s->port);
	free(s);
}

static int stream_new(git_stream **out, const char *host, const char *port)
{
	struct sock_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->host = strdup(host)) || !(s->port = strdup(port ? port : "9418"))) {
		if (s) {
			free(s->host);
			free(s);
		}
		git_error_set_oom();
		return -1;
	}
	s->fd = -1;
	s->parent.version = GIT_STREAM_VERSION;
	s->parent.connect = stream_connect;
	s->parent.read = stream_read;
	s->parent.write = stream_write;
	s->parent.close = stream_close;
	s->parent.free = stream_free;
	*out = &s->parent;
	return 0;
}

int forge_global_init(void)
{
	/* Only the plain socket is replaced: libgit2's TLS runs on top of it,
	 * so https keeps its own certificate checks. */
	git_stream_registration reg = { .version = GIT_STREAM_VERSION, .init = stream_new };

	if (git_libgit2_init() < 0)
		return git_fail(ERR_FAIL, "libgit2 init");
	if (git_stream_register(GIT_STREAM_STANDARD, &reg) < 0)
		return git_fail(ERR_FAIL, "libgit2 stream registration");
	return 0;
}

void forge_global_shutdown(void)
{
	git_stream_register(GIT_STREAM_STANDARD, NULL);
	git_libgit2_shutdown();
}

const char *const *forge_default_refspecs(const char *kind, size_t *n)
{
	static const char *const github[] = {
		"+refs/heads/*:refs/heads/*",
		"+refs/pull/*/head:refs/pull/*/head",
	};
	static const char *const gitlab[] = {
		"+refs/heads/*:refs/heads/*",
		"+refs/merge-requests/*/head:refs/merge-requests/*/head",
	};

	if (kind && strcmp(kind, "gitlab") == 0) {
		*n = sizeof(gitlab) / sizeof(gitlab[0]);
		return gitlab;
	}
	*n = sizeof(github) / sizeof(github[0]);
	return github;
}

/* ---- URLs and where their mirrors live ---- */

static bool has_scheme(const char *url)
{
	const char *p = url;

	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return strncmp(p, "://", 3) == 0;
}

/* git's rule: host:path is ssh when the colon comes before any slash. */
static bool is_scp_like(const char *url)
{
	const char *colon = strchr(url, ':');
	const char *slash = strchr(url, '/');

	return colon && colon != url && (!slash || colon < slash);
}

/*
 * The URL to fetch from (a relative local path made absolute, since the
 * daemon's working folder is no business of the mirror's) and the one to
 * show (the same without a password).
 */
static int normalize_url(char **fetch, char **shown, const char *url)
{
	struct buf b;
	int rc = 0;

	*fetch = *shown = NULL;
	buf_init(&b, 8192);
	if (!url || !*url) {
		rc = err_set(ERR_INVALID, "empty repository URL");
		goto cleanup;
	}
	if (has_scheme(url) || is_scp_like(url) || url[0] == '/') {
		buf_addstr(&b, url);
	} else {
		char *cwd = getcwd(NULL, 0);

		if (!cwd) {
			rc = err_errno(ERR_IO, "repository %s: working folder", url);
			goto cleanup;
		}
		buf_addf(&b, "%s/%s", cwd, url);
		free(cwd);
	}
	while (b.len > 1 && b.data[b.len - 1] == '/')
		b.data[--b.len] = '\0';
	if (b.truncated) {
		rc = err_set(ERR_LIMIT, "repository URL too long");
		goto cleanup;
	}
	*fetch = strdup(b.data);

	if (has_scheme(b.data)) {
		const char *auth = strstr(b.data, "://") + 3;
		const char *end = auth + strcspn(auth, "/");
		const char *at = NULL, *colon;

		for (const char *p = auth; p < end; p++)
			if (*p == '@')
				at = p;
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			/* user:password@host becomes user@host */
			size_t keep = (size_t)(colon - b.data);
			struct buf s;

			buf_init(&s, 8192);
			buf_add(&s, b.data, keep);
			buf_addstr(&s, at);
			*shown = buf_detach(&s, NULL);
		}
	}
	if (!*shown)
		*shown = strdup(b.data);
	if (!*fetch || !*shown)
		rc = err_set(ERR_NOMEM, "out of memory");

cleanup:
	buf_release(&b);
	if (rc) {
		free(*fetch);
		free(*shown);
		*fetch = *shown = NULL;
	}
	return rc;
}

/* One path component from arbitrary bytes: [A-Za-z0-9._-], never hidden, never "..". */
static void add_component(struct buf *out, const char *s, size_t len)
{
	if (len == 0)
		return;
	if (out->len)
		buf_addch(out, '/');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == 0 && c == '.')
			c = '_';
		else if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			c = '_';
		buf_addch(out, (char)c);
	}
}

static void add_path(struct buf *out, const char *path)
{
	while (*path) {
		size_t len = strcspn(path, "/");

		add_component(out, path, len);
		path += len;
		while (*path == '/')
			path++;
	}
}

/* host/path of a shown URL, made safe as a relative folder name. */
static void readable_name(struct buf *out, const char *shown)
{
	if (has_scheme(shown)) {
		const char *auth = strstr(shown, "://") + 3;
		size_t authlen = strcspn(auth, "/");
		const char *host = auth;
		size_t hostlen = authlen;

		for (size_t i = 0; i < authlen; i++)
			if (auth[i] == '@') {
				host = auth + i + 1;
				hostlen = authlen - i - 1;
			}
		if (strncmp(shown, "file:", 5) == 0 || hostlen == 0 ||
		    (hostlen == 9 && strncmp(host, "localhost", 9) == 0))
			add_component(out, "local", 5);
		else
			add_component(out, host, hostlen);
		add_path(out, auth + authlen);
	} else if (is_scp_like(shown)) {
		const char *colon = strchr(shown, ':');
		const char *host = shown;
		const char *at = memchr(shown, '@', (size_t)(colon - shown));

		if (at)
			host = at + 1;
		add_component(out, host, (size_t)(colon - host));
		add_path(out, colon + 1);
	} else {
		add_component(out, "local", 5);
		add_path(out, shown);
	}
	if (out->len > 4 && strcmp(out->data + out->len - 4, ".git") == 0)
		out->data[out->len -= 4] = '\0';
	if (out->len > READABLE_MAX)
		out->data[out->len = READABLE_MAX] = '\0';
	while (out->len && (out->data[out->len - 1] == '/' || out->data[out->len - 1] == '.'))
		out->data[--out->len] = '\0';
	if (!strchr(out->data, '/'))
		add_component(out, "repo", 4);
}

static int locate(char **out, const char *data_dir, const char *shown)
{
	struct buf b;
	git_oid oid;
	char hex[HASH_HEX + 1];
	int rc = 0;

	*out = NULL;
	buf_init(&b, 8192);
	/* The hash of a git blob of the URL: any stable digest would do, and
	 * this one needs nothing beyond libgit2. */
	if (git_odb_hash(&oid, shown, strlen(shown), GIT_OBJECT_BLOB) < 0) {
		rc = git_fail(ERR_FAIL, "hash of %s", shown);
		goto cleanup;
	}
	git_oid_tostr(hex, sizeof(hex), &oid);
	buf_addf(&b, "%s/mirrors/", data_dir);
	{
		struct buf name;

		buf_init(&name, 1024);
		readable_name(&name, shown);
		buf_addf(&b, "%s-%s.git", name.data, hex);
		buf_release(&name);
	}
	if (b.truncated) {
		rc = err_set(ERR_LIMIT, "mirror path of %s too long", shown);
		goto cleanup;
	}
	*out = buf_detach(&b, NULL);

cleanup:
	buf_release(&b);
	return rc;
}

int forge_mirror_locate(char **out, const char *data_dir, const char *url)
{
	char *fetch = NULL, *shown = NULL;
	int rc;

	*out = NULL;
	rc = normalize_url(&fetch, &shown, url);
	if (rc == 0)
		rc = locate(out, data_dir, shown);
	free(fetch);
	free(shown);
	return rc;
}

static int mkdir_p(const char *path)
{
	char *copy = strdup(path);
	int rc = 0;

	if (!copy)
		return err_set(ERR_NOMEM, "out of memory");
	for (char *p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char saved = *p;

			*p = '\0';
			if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
				rc = err_errno(ERR_IO, "mkdir %s", copy);
				goto cleanup;
			}
			*p = saved;
		}
		if (*p == '\0')
			break;
	}

cleanup:
	free(copy);
	return rc;
}

static int mkdir_parent(const char *path)
{
	char *parent = strdup(path);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	int rc = 0;

	if (!parent)
		return err_set(ERR_NOMEM, "out of memory");
	if (slash && slash != parent) {
		*slash = '\0';
		rc = mkdir_p(parent);
	}
	free(parent);
	return rc;
}

/* ---- the fetch lock ---- */

/*
 * flock() rather than an O_EXCL lock file: it conflicts between threads of
 * one process as between processes, and dies with its holder, so nobody has
 * to judge whether a lock file is stale. The holder's pid is written in the
 * file only to name it when a waiter gives up.
 */
static int lock_take(int *out, const char *path, int timeout_ms, const char *doing)
{
	long long deadline = proc_now_ms() + timeout_ms;
	int delay_ms = 5;
	int fd, rc = 0;
	char pid[32];

	*out = -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_errno(ERR_IO, "%s: open %s", doing, path);
	for (;;) {
		long long left;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			rc = err_errno(ERR_IO, "%s: lock %s", doing, path);
			goto cleanup;
		}
		left = deadline - proc_now_ms();
		if (left <= 0) {
			ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			rc = err_set(ERR_TIMEOUT,
				     "%s: another fetch held %s for more than %d ms (last taken by pid %s)",
				     doing, path, timeout_ms, pid[0] ? pid : "?");
			goto cleanup;
		}
		usleep((useconds_t)(left < delay_ms ? left : delay_ms) * 1000);
		if (delay_ms < 100)
			delay_ms *= 2;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, strlen(pid), 0) < 0)
		log_debug("%s: cannot note our pid in %s", doing, path);
	*out = fd;
	fd = -1;

cleanup:
	if (fd >= 0)
		close(fd);
	return rc;
}

static void lock_drop(int fd)
{
	/* Closing the only descriptor of the open file drops the flock. */
	if (fd >= 0)
		close(fd);
}

/* ---- mirrors ---- */

/*
 * The lock lives beside the mirror, not in it: a mirror is created whole in
 * a temporary folder and renamed into place under this lock, so a reader
 * that finds the folder finds a complete repository.
 */
static int lock_path(struct buf *out, const struct forge_mirror *m)
{
	buf_addf(out, "%s.lock", m->path);
	return out->truncated ? err_set(ERR_LIMIT, "path too long: %s", m->path) : 0;
}

/* Checks that the mirror is the one of this URL: hashes can collide, and a
 * folder can be copied around. */
static int check_owner(struct forge_mirror *m)
{
	git_config *cfg = NULL, *local = NULL;
	git_buf have = GIT_BUF_INIT;
	int rc = 0, grc;

	if (git_repository_config(&cfg, m->repo) < 0 ||
	    git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) < 0) {
		rc = git_fail(ERR_IO, "mirror %s: config", m->path);
		goto cleanup;
	}
	grc = git_config_get_string_buf(&have, local, "rig.url");
	if (grc == GIT_ENOTFOUND)
		rc = err_set(ERR_CONFLICT, "mirror %s of %s: the rig did not make it (no rig.url)",
			     m->path, m->shown);
	else if (grc < 0)
		rc = git_fail(ERR_IO, "mirror %s: config", m->path);
	else if (strcmp(have.ptr, m->shown) != 0)
		rc = err_set(ERR_CONFLICT, "mirror %s belongs to %s, not %s", m->path, have.ptr, m->shown);

cleanup:
	git_buf_dispose(&have);
	git_config_free(local);
	git_config_free(cfg);
	return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A bare repository recording its URL, made at tmp then renamed to m->path. */
static int init_mirror(struct forge_mirror *m, const char *tmp)
{
	git_repository_init_options init;
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	int rc = 0;

	git_repository_init_options_init(&init, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	init.flags = GIT_REPOSITORY_INIT_BARE;
	if (git_repository_init_ext(&repo, tmp, &init) < 0 ||
	    git_repository_config(&cfg, repo) < 0 ||
	    git_config_set_string(cfg, "rig.url", m->shown) < 0) {
		rc = git_fail(ERR_IO, "create mirror %s of %s", m->path, m->shown);
		goto cleanup;
	}
	if (rename(tmp, m->path) < 0)
		rc = err_errno(ERR_IO, "create mirror %s of %s: rename", m->path, m->shown);

cleanup:
	git_config_free(cfg);
	git_repository_free(repo);
	return rc;
}

static int create_mirror(struct forge_mirror *m)
{
	struct buf lp, tmp;
	struct stat st;
	int lock = -1, rc;

	buf_init(&lp, 8192);
	buf_init(&tmp, 8192);
	rc = lock_path(&lp, m);
	if (rc == 0)
		rc = lock_take(&lock, lp.data, CREATE_LOCK_MS, m->shown);
	if (rc)
		goto cleanup;
	/* Someone may have made it while we waited. */
	if (git_repository_open_bare(&m->repo, m->path) == 0)
		goto cleanup;
	if (lstat(m->path, &st) == 0) {
		rc = err_set(ERR_IO, "mirror %s of %s: the folder holds no git repository; remove it",
			     m->path, m->shown);
		goto cleanup;
	}
	buf_addf(&tmp, "%s.new-XXXXXX", m->path);
	if (tmp.truncated || !mkdtemp(tmp.data)) {
		rc = err_errno(ERR_IO, "create mirror %s of %s", m->path, m->shown);
		goto cleanup;
	}
	rc = init_mirror(m, tmp.data);
	if (rc) {
		nftw(tmp.data, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		goto cleanup;
	}
	if (git_repository_open_bare(&m->repo, m->path) < 0) {
		rc = git_fail(ERR_IO, "open mirror %s of %s", m->path, m->shown);
		goto cleanup;
	}
	log_info("created mirror %s of %s", m->path, m->shown);

cleanup:
	lock_drop(lock);
	buf_release(&tmp);
	buf_release(&lp);
	return rc;
}

int forge_mirror_open(struct forge_mirror **out, const char *data_dir, const char *url)
{
	struct forge_mirror *m;
	int rc;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return err_set(ERR_NOMEM, "out of memory");
	rc = normalize_url(&m->url, &m->shown, url);
	if (rc == 0)
		rc = locate(&m->path, data_dir, m->shown);
	if (rc)
		goto cleanup;
	rc = mkdir_parent(m->path);
	if (rc)
		goto cleanup;
	if (git_repository_open_bare(&m->repo, m->path) < 0) {
		rc = create_mirror(m);
		if (rc)
			goto cleanup;
	}
	rc = check_owner(m);

cleanup:
	if (rc)
		forge_mirror_free(m);
	else
		*out = m;
	return rc;
}

void forge_mirror_free(struct forge_mirror *m)
{
	if (!m)
		return;
	git_repository_free(m->repo);
	free(m->path);
	free(m->url);
	free(m->shown);
	free(m);
}

const char *forge_mirror_path(const struct forge_mirror *m)
{
	return m->path;
}

const char *forge_mirror_url(const struct forge_mirror *m)
{
	return m->shown;
}

/* ---- refs ---- */

enum forge_ref_kind forge_ref_classify(int64_t *number, const char *refname)
{
	static const struct {
		const char *prefix;
		enum forge_ref_kind kind;
	} numbered[] = {
		{ "refs/pull/", FORGE_REF_PULL },
		{ "refs/merge-requests/", FORGE_REF_MERGE_REQUEST },
	};

	*number = 0;
	if (strncmp(refname, "refs/heads/", 11) == 0 && refname[11])
		return FORGE_REF_BRANCH;
	for (size_t i = 0; i < sizeof(numbered) / sizeof(numbered[0]); i++) {
		size_t plen = strlen(numbered[i].prefix);
		const char *p = refname + plen;
		int64_t n = 0;

		if (strncmp(refname, numbered[i].prefix, plen) != 0 || !isdigit((unsigned char)*p))
			continue;
		while (isdigit((unsigned char)*p) && n < INT64_MAX / 10 - 9)
			n = n * 10 + (*p++ - '0');
		if (strcmp(p, "/head") == 0 && n > 0) {
			*number = n;
			return numbered[i].kind;
		}
	}
	return FORGE_REF_OTHER;
}

void forge_ref_list_release(struct forge_ref_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		free(l->v[i].name);
	if (l) {
		free(l->v);
		l->v = NULL;
		l->n = 0;
	}
}

static struct forge_ref *ref_add(struct forge_ref_list *l, size_t *alloc, const char *name)
{
	struct forge_ref *r;

	if (l->n == *alloc) {
		size_t grow = *alloc ? *alloc * 2 : 64;
		struct forge_ref *v = realloc(l->v, grow * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		*alloc = grow;
	}
	r = &l->v[l->n];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	if (!r->name)
		return NULL;
	r->kind = forge_ref_classify(&r->number, name);
	l->n++;
	return r;
}

static int ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct forge_ref *)a)->name, ((const struct forge_ref *)b)->name);
}

static int list_refs(struct forge_ref_list *out, struct forge_mirror *m)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	size_t alloc = 0;
	int rc = 0, grc;

	out->v = NULL;
	out->n = 0;
	if (git_reference_iterator_new(&it, m->repo) < 0) {
		rc = git_fail(ERR_IO, "refs of %s", m->shown);
		goto cleanup;
	}
	while ((grc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		struct forge_ref *r;

		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT && strncmp(name, "refs/", 5) == 0) {
			r = ref_add(out, &alloc, name);
			if (!r) {
				rc = err_set(ERR_NOMEM, "out of memory");
				goto cleanup;
			}
			git_oid_tostr(r->sha, sizeof(r->sha), git_reference_target(ref));
		}
		git_reference_free(ref);
		ref = NULL;
	}
	if (grc != GIT_ITEROVER) {
		rc = git_fail(ERR_IO, "refs of %s", m->shown);
		goto cleanup;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), ref_cmp);

cleanup:
	git_reference_free(ref);
	git_reference_iterator_free(it);
	if (rc)
		forge_ref_list_release(out);
	return rc;
}

int forge_refs(struct forge_ref_list *out, struct forge_mirror *m)
{
	return list_refs(out, m);
}

/* What moved between two sorted listings. */
static int diff_refs(struct forge_ref_list *out, const struct forge_ref_list *before,
		     const struct forge_ref_list *after)
{
	size_t i = 0, j = 0, alloc = 0;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	while (i < before->n || j < after->n) {
		const struct forge_ref *b = i < before->n ? &before->v[i] : NULL;
		const struct forge_ref *a = j < after->n ? &after->v[j] : NULL;
		int cmp = !b ? 1 : !a ? -1 : strcmp(b->name, a->name);
		struct forge_ref *r;

		if (cmp == 0 && strcmp(b->sha, a->sha) == 0) {
			i++;
			j++;
			continue;
		}
		r = ref_add(out, &alloc, cmp <= 0 ? b->name : a->name);
		if (!r) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto cleanup;
		}
		if (cmp <= 0)
			memcpy(r->old_sha, b->sha, sizeof(r->old_sha));
		if (cmp >= 0)
			memcpy(r->sha, a->sha, sizeof(r->sha));
		i += cmp <= 0;
		j += cmp >= 0;
	}

cleanup:
	if (rc)
		forge_ref_list_release(out);
	return rc;
}

/* ---- fetch ---- */

static int fetch_check(struct fetch_ctx *c, bool progressed)
{
	long long now = proc_now_ms();

	if (progressed)
		c->last_progress_ms = now;
	if (now >= c->deadline_ms) {
		c->timed_out = true;
		snprintf(c->reason, sizeof(c->reason), "the fetch's deadline of %d ms passed",
			 c->timeout_ms);
		return -1;
	}
	if (now - c->last_progress_ms >= c->stall_ms) {
		c->timed_out = true;
		snprintf(c->reason, sizeof(c->reason), "no progress for %d ms", c->stall_ms);
		return -1;
	}
	return 0;
}

static int on_transfer(const git_indexer_progress *st, void *payload)
{
	struct fetch_ctx *c = payload;
	bool progressed = st->received_bytes != c->last_bytes ||
			  st->indexed_objects != c->last_objects ||
			  st->indexed_deltas != c->last_deltas;

	c->last_bytes = st->received_bytes;
	c->last_objects = st->indexed_objects;
	c->last_deltas = st->indexed_deltas;
	return fetch_check(c, progressed);
}

static int on_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return fetch_check(payload, true);
}

/* Parses every refspec up front, so a bad one is named before any transfer. */
static int parse_refspecs(git_refspec **out, const struct forge_mirror *m,
			  const char *const *specs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *dst;

		if (git_refspec_parse(&out[i], specs[i], 1) < 0)
			return git_fail(ERR_INVALID, "fetch %s: refspec '%s'", m->shown, specs[i]);
		/* Without a destination git fetches into FETCH_HEAD alone, and the
		 * mirror would keep nothing. */
		dst = git_refspec_dst(out[i]);
		if (!dst || strncmp(dst, "refs/", 5) != 0)
			return err_set(ERR_INVALID, "fetch %s: refspec '%s' names no refs/ destination",
				       m->shown, specs[i]);
	}
	return 0;
}

/*
 * git's prune drops only refs the refspecs still map, so refs a former
 * configuration brought (PR refs, after a switch to GitLab's refspecs)
 * would stay and be listed as live PRs for ever. The mirror is the rig's
 * alone: whatever no refspec maps goes.
 */
static int prune_unmapped(struct forge_mirror *m, git_refspec *const *specs, size_t n)
{
	struct forge_ref_list refs = { 0 };
	int rc;

	rc = list_refs(&refs, m);
	for (size_t i = 0; rc == 0 && i < refs.n; i++) {
		bool mapped = false;

		for (size_t j = 0; j < n && !mapped; j++)
			mapped = git_refspec_dst_matches(specs[j], refs.v[i].name);
		if (!mapped && git_reference_remove(m->repo, refs.v[i].name) < 0)
			rc = git_fail(ERR_IO, "fetch %s: prune %s", m->shown, refs.v[i].name);
	}
	forge_ref_list_release(&refs);
	return rc;
}

/* Said here, since libgit2 calls a missing local path an "unsupported URL protocol". */
static int check_local(const struct forge_mirror *m)
{
	const char *path = NULL;
	struct stat st;

	if (strncmp(m->url, "file:///", 8) == 0)
		path = m->url + 7;
	else if (m->url[0] == '/')
		path = m->url;
	if (!path || stat(path, &st) == 0)
		return 0;
	return err_errno(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "fetch %s: no repository at %s",
			 m->shown, path);
}

int forge_fetch(struct forge_ref_list *changed, struct forge_mirror *m,
		const struct forge_fetch_opts *opts)
{
	static const struct forge_fetch_opts no_opts;
	git_fetch_options fo;
	git_remote_create_options ro;
	struct forge_ref_list before = { 0 }, after = { 0 };
	struct fetch_ctx ctx = { 0 };
	git_remote *remote = NULL;
	git_strarray specs;
	git_refspec **parsed = NULL;
	struct buf lp;
	size_t nspecs;
	const char *const *spec_list;
	long long start = proc_now_ms();
	int lock = -1, rc, grc;

	if (changed) {
		changed->v = NULL;
		changed->n = 0;
	}
	if (!opts)
		opts = &no_opts;
	buf_init(&lp, 8192);
	spec_list = opts->refspecs;
	nspecs = opts->refspecs_n;
	if (!spec_list || nspecs == 0)
		spec_list = forge_default_refspecs("git", &nspecs);
	ctx.timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : FORGE_FETCH_TIMEOUT_MS;
	ctx.stall_ms = opts->stall_ms > 0 ? opts->stall_ms : FORGE_STALL_MS;

	parsed = calloc(nspecs, sizeof(*parsed));
	if (!parsed) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	rc = parse_refspecs(parsed, m, spec_list, nspecs);
	if (rc == 0)
		rc = check_local(m);
	if (rc == 0)
		rc = lock_path(&lp, m);
	if (rc == 0) {
		char doing[1100];

		snprintf(doing, sizeof(doing), "fetch %s", m->shown);
		rc = lock_take(&lock, lp.data, opts->lock_timeout_ms > 0 ? opts->lock_timeout_ms
									  : ctx.timeout_ms, doing);
	}
	if (rc)
		goto cleanup;
	/* The deadline starts once the mirror is ours: waiting is bounded apart. */
	ctx.deadline_ms = proc_now_ms() + ctx.timeout_ms;
	ctx.last_progress_ms = proc_now_ms();

	rc = list_refs(&before, m);
	if (rc)
		goto cleanup;
	/* No url.*.insteadOf rewriting: the mirror fetches the URL it is named
	 * for. Besides, libgit2 1.5 leaks pcre2 match data (some 20 KiB) for
	 * every config entry that insteadOf lookup does not match (fixed in
	 * 1.6, libgit2 PR 6382): a daemon fetching every minute would grow
	 * without end. */
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = m->repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, m->url, &ro) < 0) {
		rc = git_fail(ERR_INVALID, "fetch %s", m->shown);
		goto cleanup;
	}
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.transfer_progress = on_transfer;
	fo.callbacks.sideband_progress = on_sideband;
	fo.callbacks.payload = &ctx;
	/* A mirror holds what the refspecs say and nothing else: deleted
	 * branches and closed PRs go, tags come only when a refspec asks. */
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	fo.proxy_opts.type = GIT_PROXY_AUTO;
	specs.strings = (char **)spec_list;
	specs.count = nspecs;

	current_fetch = &ctx;
	grc = git_remote_fetch(remote, &specs, &fo, "rig: fetch");
	current_fetch = NULL;
	if (grc < 0) {
		if (ctx.timed_out)
			rc = err_set(ERR_TIMEOUT, "fetch %s: %s", m->shown, ctx.reason);
		else
			rc = git_fail(git_code(grc, ERR_IO), "fetch %s", m->shown);
		goto cleanup;
	}

	rc = prune_unmapped(m, parsed, nspecs);
	if (rc == 0)
		rc = list_refs(&after, m);
	if (rc == 0 && changed)
		rc = diff_refs(changed, &before, &after);
	if (rc == 0)
		log_debug("fetch %s: %zu refs, %ld ms", m->shown, after.n, (long)(proc_now_ms() - start));

cleanup:
	current_fetch = NULL;
	for (size_t i = 0; parsed && i < nspecs; i++)
		git_refspec_free(parsed[i]);
	free(parsed);
	git_remote_free(remote);
	lock_drop(lock);
	forge_ref_list_release(&before);
	forge_ref_list_release(&after);
	buf_release(&lp);
	return rc;
}

/* ---- resolving ---- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool is_hex_id(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > GIT_OID_HEXSZ)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

/* Looks name up as a ref; 1 found (*out set), 0 no such ref, <0 error. */
static int try_ref(git_object **out, struct forge_mirror *m, const char *rev, const char *name)
{
	git_reference *ref = NULL;
	int grc, rc = 0;

	grc = git_reference_lookup(&ref, m->repo, name);
	if (grc == GIT_ENOTFOUND || grc == GIT_EINVALIDSPEC)
		return 0;
	if (grc < 0)
		return git_fail(ERR_IO, "resolve '%s' in %s", rev, m->shown);
	if (git_reference_peel(out, ref, GIT_OBJECT_ANY) < 0)
		rc = git_fail(ERR_INVALID, "resolve '%s' in %s: %s", rev, m->shown, name);
	else
		rc = 1;
	git_reference_free(ref);
	return rc;
}

/* The object rev names, peeled through refs and annotated tags. */
static int lookup_object(git_object **out, struct forge_mirror *m, const char *rev)
{
	static const char *const prefixes[] = { "refs/heads/", "refs/tags/", "refs/" };
	struct buf name;
	int rc = 0;

	*out = NULL;
	buf_init(&name, 4096);
	if (!rev || !*rev) {
		rc = err_set(ERR_INVALID, "resolve in %s: empty ref", m->shown);
		goto cleanup;
	}
	if (strncmp(rev, "pull/", 5) == 0 && all_digits(rev + 5))
		buf_addf(&name, "refs/pull/%s/head", rev + 5);
	else if (strncmp(rev, "merge-requests/", 15) == 0 && all_digits(rev + 15))
		buf_addf(&name, "refs/merge-requests/%s/head", rev + 15);
	if (name.len) {
		rc = try_ref(out, m, rev, name.data);
		if (rc == 0)
			rc = err_set(ERR_NOTFOUND, "ref '%s' not found in %s: no %s", rev, m->shown,
				     name.data);
		goto cleanup;
	}
	if (strncmp(rev, "refs/", 5) == 0) {
		rc = try_ref(out, m, rev, rev);
		if (rc)
			goto cleanup;
	}
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		buf_reset(&name);
		buf_addf(&name, "%s%s", prefixes[i], rev);
		rc = try_ref(out, m, rev, name.data);
		if (rc)
			goto cleanup;
	}
	if (is_hex_id(rev)) {
		git_oid oid;
		int grc;

		git_oid_fromstrn(&oid, rev, strlen(rev));
		grc = git_object_lookup_prefix(out, m->repo, &oid, strlen(rev), GIT_OBJECT_ANY);
		if (grc == GIT_EAMBIGUOUS) {
			rc = err_set(ERR_INVALID, "'%s' is ambiguous in %s: give more hex digits",
				     rev, m->shown);
			goto cleanup;
		}
		if (grc < 0 && grc != GIT_ENOTFOUND) {
			rc = git_fail(ERR_IO, "resolve '%s' in %s", rev, m->shown);
			goto cleanup;
		}
		if (grc == 0 && git_object_type(*out) == GIT_OBJECT_TAG) {
			git_object *tag = *out;

			grc = git_object_peel(out, tag, GIT_OBJECT_ANY);
			git_object_free(tag);
			if (grc < 0) {
				*out = NULL;
				rc = git_fail(ERR_INVALID, "resolve '%s' in %s", rev, m->shown);
				goto cleanup;
			}
		}
		if (grc == 0) {
			rc = 1;
			goto cleanup;
		}
	}
	rc = err_set(ERR_NOTFOUND,
		     "ref '%s' not found in %s: no branch, tag, pull request or object of that name",
		     rev, m->shown);

cleanup:
	buf_release(&name);
	return rc < 0 ? rc : 0;
}

static int lookup_as(git_object **out, struct forge_mirror *m, const char *rev, git_object_t type)
{
	git_object *obj = NULL;
	int rc;

	*out = NULL;
	rc = lookup_object(&obj, m, rev);
	if (rc)
		goto cleanup;
	if (git_object_peel(out, obj, type) < 0) {
		char id[FORGE_SHA_SIZE];

		git_oid_tostr(id, sizeof(id), git_object_id(obj));
		rc = err_set(ERR_INVALID, "'%s' in %s is a %s (%s), not a %s", rev, m->shown,
			     git_object_type2string(git_object_type(obj)), id,
			     git_object_type2string(type));
	}

cleanup:
	git_object_free(obj);
	return rc;
}

int forge_resolve(char out[FORGE_SHA_SIZE], struct forge_mirror *m, const char *rev)
{
	git_object *commit = NULL;
	int rc;

	out[0] = '\0';
	rc = lookup_as(&commit, m, rev, GIT_OBJECT_COMMIT);
	if (rc == 0)
		git_oid_tostr(out, FORGE_SHA_SIZE, git_object_id(commit));
	git_object_free(commit);
	return rc;
}

int forge_tree_id(char out[FORGE_SHA_SIZE], struct forge_mirror *m, const char *rev)
{
	git_object *tree = NULL;
	int rc;

	out[0] = '\0';
	rc = lookup_as(&tree, m, rev, GIT_OBJECT_TREE);
	if (rc == 0)
		git_oid_tostr(out, FORGE_SHA_SIZE, git_object_id(tree));
	git_object_free(tree);
	return rc;
}

int forge_commit_get(struct forge_commit *out, struct forge_mirror *m, const char *rev)
{
	git_object *obj = NULL;
	const git_commit *c;
	const git_signature *who;
	const char *summary;
	struct buf author;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&author, 4096);
	rc = lookup_as(&obj, m, rev, GIT_OBJECT_COMMIT);
	if (rc)
		goto cleanup;
	c = (const git_commit *)obj;
	git_oid_tostr(out->sha, sizeof(out->sha), git_commit_id(c));
	git_oid_tostr(out->tree, sizeof(out->tree), git_commit_tree_id(c));
	summary = git_commit_summary((git_commit *)obj);
	who = git_commit_author(c);
	buf_addf(&author, "%s <%s>", who->name, who->email);
	out->summary = strdup(summary ? summary : "");
	out->author = buf_detach(&author, NULL);
	out->time = who->when.time;
	if (!out->summary || !out->author)
		rc = err_set(ERR_NOMEM, "out of memory");

cleanup:
	if (rc)
		forge_commit_release(out);
	buf_release(&author);
	git_object_free(obj);
	return rc;
}

void forge_commit_release(struct forge_commit *c)
{
	free(c->summary);
	free(c->author);
	memset(c, 0, sizeof(*c));
}

int forge_merge_base(char out[FORGE_SHA_SIZE], struct forge_mirror *m, const char *a,
		     const char *b)
{
	git_object *ca = NULL, *cb = NULL;
	git_oid base;
	int rc, grc;

	out[0] = '\0';
	rc = lookup_as(&ca, m, a, GIT_OBJECT_COMMIT);
	if (rc == 0)
		rc = lookup_as(&cb, m, b, GIT_OBJECT_COMMIT);
	if (rc)
		goto cleanup;
	grc = git_merge_base(&base, m->repo, git_object_id(ca), git_object_id(cb));
	if (grc == GIT_ENOTFOUND)
		rc = err_set(ERR_NOTFOUND, "merge base of '%s' and '%s' in %s: no common history",
			     a, b, m->shown);
	else if (grc < 0)
		rc = git_fail(ERR_FAIL, "merge base of '%s' and '%s' in %s", a, b, m->shown);
	else
		git_oid_tostr(out, FORGE_SHA_SIZE, &base);

cleanup:
	git_object_free(ca);
	git_object_free(cb);
	return rc;
}

static void name_conflicts(struct buf *msg, git_index *index)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *anc, *ours, *theirs;
	size_t n = 0;

	if (git_index_conflict_iterator_new(&it, index) < 0) {
		buf_addstr(msg, " (the conflicting paths could not be listed)");
		return;
	}
	while (git_index_conflict_next(&anc, &ours, &theirs, it) == 0) {
		const git_index_entry *e = ours ? ours : theirs ? theirs : anc;

		if (n < CONFLICTS_NAMED)
			buf_addf(msg, "%s%s", n ? ", " : " ", e->path);
		n++;
	}
	if (n > CONFLICTS_NAMED)
		buf_addf(msg, " and %zu more", n - CONFLICTS_NAMED);
	git_index_conflict_iterator_free(it);
}

int forge_merge(char tree_out[FORGE_SHA_SIZE], struct forge_mirror *m, const char *change,
		const char *base)
{
	git_merge_options mo;
	git_object *theirs = NULL, *ours = NULL;
	git_index *index = NULL;
	git_oid tree;
	int rc;

	tree_out[0] = '\0';
	rc = lookup_as(&theirs, m, change, GIT_OBJECT_COMMIT);
	if (rc == 0)
		rc = lookup_as(&ours, m, base, GIT_OBJECT_COMMIT);
	if (rc)
		goto cleanup;
	git_merge_options_init(&mo, GIT_MERGE_OPTIONS_VERSION);
	if (git_merge_commits(&index, m->repo, (git_commit *)ours, (git_commit *)theirs, &mo) < 0) {
		rc = git_fail(ERR_FAIL, "merge '%s' onto '%s' in %s", change, base, m->shown);
		goto cleanup;
	}
	if (git_index_has_conflicts(index)) {
		struct buf msg;

		buf_init(&msg, ERR_MSG_MAX);
		name_conflicts(&msg, index);
		rc = err_set(ERR_CONFLICT, "merge '%s' onto '%s' in %s: conflict in%s", change, base,
			     m->shown, msg.data);
		buf_release(&msg);
		goto cleanup;
	}
	if (git_index_write_tree_to(&tree, index, m->repo) < 0) {
		rc = git_fail(ERR_IO, "merge '%s' onto '%s' in %s: write tree", change, base, m->shown);
		goto cleanup;
	}
	git_oid_tostr(tree_out, FORGE_SHA_SIZE, &tree);

cleanup:
	git_index_free(index);
	git_object_free(theirs);
	git_object_free(ours);
	return rc;
}

/* 0 when dir is absent or empty, ERR_EXISTS when it holds anything. */
static int check_fresh(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : err_errno(ERR_IO, "checkout into %s", dir);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			rc = err_set(ERR_EXISTS, "checkout into %s: the folder is not empty", dir);
			break;
		}
	closedir(d);
	return rc;
}

int forge_checkout(char tree_out[FORGE_SHA_SIZE], struct forge_mirror *m, const char *rev,
		   const char *dir)
{
	git_checkout_options co;
	git_object *tree = NULL;
	git_index *empty = NULL;
	int rc;

	tree_out[0] = '\0';
	rc = lookup_as(&tree, m, rev, GIT_OBJECT_TREE);
	if (rc == 0)
		rc = check_fresh(dir);
	if (rc == 0)
		rc = mkdir_p(dir);
	if (rc)
		goto cleanup;
	if (git_index_new(&empty) < 0) {
		rc = git_fail(ERR_NOMEM, "checkout '%s' of %s", rev, m->shown);
		goto cleanup;
	}
	/* FORCE writes every file of the tree; an empty baseline says the
	 * folder starts empty, so neither the mirror's HEAD nor its index is
	 * consulted, and nothing writes an index into the mirror. Filters are
	 * off so the files are the blobs' bytes and the tree id describes them. */
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX |
			       GIT_CHECKOUT_DONT_WRITE_INDEX;
	co.disable_filters = 1;
	co.baseline_index = empty;
	co.target_directory = dir;
	if (git_checkout_tree(m->repo, tree, &co) < 0) {
		rc = git_fail(ERR_IO, "checkout '%s' of %s into %s", rev, m->shown, dir);
		goto cleanup;
	}
	git_oid_tostr(tree_out, FORGE_SHA_SIZE, git_object_id(tree));

cleanup:
	git_index_free(empty);
	git_object_free(tree);
	return rc;
}
