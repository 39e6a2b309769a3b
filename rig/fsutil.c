#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

int fs_mkdirs(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return err_set(ERR_INVALID, "bad folder path '%s'", dir);
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return err_errno(ERR_IO, "cannot create folder %s", path);
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_errno(ERR_IO, "cannot create folder %s", path);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT) {
		/* Read-only folders (a build's output) must be made writable to empty them. */
		if (flag != FTW_DP)
			return -1;
		chmod(path, 0755);
		if (rmdir(path) < 0)
			return -1;
	}
	return 0;
}

int fs_rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_errno(ERR_IO, "cannot remove %s", path);
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return err_errno(ERR_IO, "cannot remove %s", path);
	return 0;
}

int fs_read_file(struct buf *out, const char *path)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return err_errno(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "cannot read %s", path);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = err_errno(ERR_IO, "cannot read %s", path);
			break;
		}
		if (buf_add(out, chunk, (size_t)n) != 0) {
			rc = err_set(ERR_LIMIT, "%s is larger than %zu bytes", path, out->cap);
			break;
		}
	}
	close(fd);
	return rc;
}

int fs_write_file(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd;

	/* Per thread (a thread id is unique machine-wide): threads of one daemon may write one path at once. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)gettid()) >= sizeof(tmp))
		return err_set(ERR_INVALID, "path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_errno(ERR_IO, "cannot create %s", tmp);
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err_errno(ERR_IO, "cannot write %s", tmp);
			close(fd);
			unlink(tmp);
			return ERR_IO;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		err_errno(ERR_IO, "cannot write %s", path);
		unlink(tmp);
		return ERR_IO;
	}
	return 0;
}

bool fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fs_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
