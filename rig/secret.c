#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

int secret_read(char **out, const char *path, const char *what)
{
	char data[SECRET_MAX_LEN + 2];
	struct stat st;
	size_t len = 0;
	int fd, rc = 0;

	*out = NULL;
	if (!path || !*path)
		return err_set(ERR_INVALID, "%s: no file configured", what);
	/* Symbolic links are followed (secret stores often link), the target is judged. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_errno(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%s %s", what, path);
	if (fstat(fd, &st) != 0) {
		rc = err_errno(ERR_IO, "%s %s", what, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(ERR_INVALID, "%s %s: not a regular file", what, path);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = err_set(ERR_INVALID,
			     "%s %s: readable or writable by group or others (mode %04o); "
			     "refusing it, run: chmod 600 %s", what, path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while (len < sizeof(data)) {
		ssize_t n = read(fd, data + len, sizeof(data) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_errno(ERR_IO, "%s %s", what, path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	if (len > SECRET_MAX_LEN) {
		rc = err_set(ERR_LIMIT, "%s %s: longer than %d bytes", what, path, SECRET_MAX_LEN);
		goto out;
	}
	if (len == 0) {
		rc = err_set(ERR_INVALID, "%s %s: empty", what, path);
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c < 0x20 || c == 0x7f) {
			rc = err_set(ERR_INVALID, "%s %s: holds a control character (byte %zu); "
				     "a secret is one line", what, path, i + 1);
			goto out;
		}
	}
	*out = malloc(len + 1);
	if (!*out) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*out, data, len);
	(*out)[len] = '\0';
out:
	explicit_bzero(data, sizeof(data));
	close(fd);
	return rc;
}

void secret_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}
