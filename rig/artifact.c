#include "artifact.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"

static void to_hex(char hex[SHA256_HEX_LEN + 1], const unsigned char *md)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[SHA256_HEX_LEN] = '\0';
}

int artifact_sha256_mem(char hex[SHA256_HEX_LEN + 1], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return err_set(ERR_FAIL, "sha256 failed");
	to_hex(hex, md);
	return 0;
}

int artifact_sha256_file(char hex[SHA256_HEX_LEN + 1], int64_t *size, const char *path)
{
	unsigned char md[32], chunk[65536];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	int fd = -1, rc = 0;
	int64_t total = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(ERR_IO, "cannot read %s", path);
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		rc = err_set(ERR_FAIL, "sha256 of %s: cannot start", path);
		goto cleanup;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = err_errno(ERR_IO, "cannot read %s", path);
			goto cleanup;
		}
		EVP_DigestUpdate(ctx, chunk, (size_t)n);
		total += n;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32) {
		rc = err_set(ERR_FAIL, "sha256 of %s failed", path);
		goto cleanup;
	}
	to_hex(hex, md);
	if (size)
		*size = total;
cleanup:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

static int copy_file(const char *from, const char *to)
{
	char chunk[65536];
	int in = -1, out = -1, rc = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_errno(ERR_IO, "cannot read %s", from);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (out < 0) {
		rc = err_errno(ERR_IO, "cannot create %s", to);
		goto cleanup;
	}
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = err_errno(ERR_IO, "cannot read %s", from);
			goto cleanup;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, chunk + off, (size_t)(n - off));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				rc = err_errno(ERR_IO, "cannot write %s", to);
				goto cleanup;
			}
			off += w;
		}
	}
	if (fsync(out) < 0)
		rc = err_errno(ERR_IO, "cannot write %s", to);
cleanup:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && !rc)
		rc = err_errno(ERR_IO, "cannot write %s", to);
	return rc;
}

int artifact_put(char hex[SHA256_HEX_LEN + 1], int64_t *size, char **stored, const char *store_dir,
		 const char *file)
{
	char dir[4096], final[4096], tmp[4200];
	struct stat st;
	int rc;

	*stored = NULL;
	if ((rc = artifact_sha256_file(hex, size, file)) != 0)
		return rc;
	snprintf(dir, sizeof(dir), "%s/%.2s", store_dir, hex);
	snprintf(final, sizeof(final), "%s/%s", dir, hex);
	if (stat(final, &st) == 0 && st.st_size == *size)
		goto done;
	if ((rc = fs_mkdirs(dir)) != 0)
		return rc;
	/* Per thread (a thread id is unique machine-wide): two of the daemon's builders may store one file at once. */
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", final, (int)gettid());
	if ((rc = copy_file(file, tmp)) != 0) {
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, final) < 0) {
		rc = err_errno(ERR_IO, "cannot store %s as %s", file, final);
		unlink(tmp);
		return rc;
	}
done:
	*stored = strdup(final);
	return *stored ? 0 : err_set(ERR_NOMEM, "out of memory");
}
