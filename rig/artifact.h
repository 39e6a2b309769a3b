/*
 * artifact: build outputs stored by content.
 *
 * A file goes into <store>/<first two hex digits>/<sha256>, written to a
 * temporary name and renamed, so a reader never sees half a file and two
 * builds producing the same bytes share one copy. Stored files are
 * read-only. Paths returned are malloc'd and the caller's.
 */
#ifndef RIG_ARTIFACT_H
#define RIG_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

/* hex receives 64 hex digits and a NUL. */
int artifact_sha256_file(char hex[SHA256_HEX_LEN + 1], int64_t *size, const char *path);
int artifact_sha256_mem(char hex[SHA256_HEX_LEN + 1], const void *data, size_t len);

/* Puts file into the store at store_dir; *stored is its path there. */
int artifact_put(char hex[SHA256_HEX_LEN + 1], int64_t *size, char **stored, const char *store_dir,
		 const char *file);

#endif
