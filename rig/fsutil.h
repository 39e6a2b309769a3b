/*
 * fsutil: the few file-system chores every module needs, with errors that
 * name the path. Nothing here follows symlinks out of the tree it is given.
 */
#ifndef RIG_FSUTIL_H
#define RIG_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Creates dir and its parents (like mkdir -p). */
int fs_mkdirs(const char *dir);
/* Removes path and everything under it (like rm -rf); an absent path is fine. */
int fs_rmtree(const char *path);
/* Reads a whole file into out (appended), failing past out's cap. */
int fs_read_file(struct buf *out, const char *path);
/* Writes data to path through a temporary file and a rename: all or nothing. */
int fs_write_file(const char *path, const void *data, size_t len);
bool fs_is_dir(const char *path);
bool fs_is_file(const char *path);

#endif
