/*
 * logtail: reads a job's console log, as it grows, a line at a time.
 *
 * A job log (data_dir/logs/job-<id>.log) is appended while the job runs, one
 * line per console line or rig step: "<ms> <stream> <text>", ms counted from
 * the job's start, stream "console" for the target's output and "rig" for
 * the rig's own steps (power, flash, reset). Readers take only complete
 * lines: a line still being written is left for the next read, and the
 * offset after the last complete line is where that read starts, so a
 * follower never sees half a line twice or loses one.
 *
 * A line that does not parse (a log from elsewhere) comes back whole as
 * text, stream "", time -1: shown as it is rather than dropped.
 */
#ifndef RIG_LOGTAIL_H
#define RIG_LOGTAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct logtail_line {
	long long t_ms;			/* -1 when the line has no time */
	char stream[16];
	const char *text;		/* not NUL-terminated; valid during the callback */
	size_t len;
	int64_t end;			/* offset just after this line */
};

/* Called per line; a nonzero return stops the read there (the line counts as read). */
typedef int (*logtail_fn)(const struct logtail_line *line, void *arg);

/* Splits one line (without its newline). */
void logtail_parse(struct logtail_line *out, const char *line, size_t len);

/*
 * Reads complete lines of path from byte offset from, at most max_bytes of
 * them, calling fn for each. *next is where the next read starts; *eof tells
 * whether everything complete in the file was read (false when max_bytes
 * cut it). A line longer than max_bytes is passed cut at max_bytes, so a
 * runaway line cannot stall a follower. ERR_NOTFOUND when the file is absent.
 */
int logtail_read(const char *path, int64_t from, size_t max_bytes, logtail_fn fn, void *arg, int64_t *next,
		 bool *eof);

#endif
