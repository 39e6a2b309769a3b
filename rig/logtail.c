#include "logtail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

void logtail_parse(struct logtail_line *out, const char *line, size_t len)
{
	size_t i = 0, s0, slen;
	long long t = 0;
	bool digits = false;

	out->t_ms = -1;
	out->stream[0] = '\0';
	out->text = line;
	out->len = len;
	while (i < len && line[i] == ' ')
		i++;
	while (i < len && line[i] >= '0' && line[i] <= '9' && t < 1000000000000LL) {
		t = t * 10 + (line[i++] - '0');
		digits = true;
	}
	if (!digits || i >= len || line[i] != ' ')
		return;
	while (i < len && line[i] == ' ')
		i++;
	s0 = i;
	while (i < len && line[i] != ' ' && i - s0 < sizeof(out->stream) - 1)
		i++;
	slen = i - s0;
	if (slen == 0 || (i < len && line[i] != ' '))
		return;
	/* The writer pads the stream to 7 characters and adds one space: the text keeps its own spaces. */
	for (size_t pad = slen < 7 ? 7 - slen + 1 : 1; pad > 0 && i < len && line[i] == ' '; pad--)
		i++;
	out->t_ms = t;
	memcpy(out->stream, line + s0, slen);
	out->stream[slen] = '\0';
	out->text = line + i;
	out->len = len - i;
}

int logtail_read(const char *path, int64_t from, size_t max_bytes, logtail_fn fn, void *arg, int64_t *next,
		 bool *eof)
{
	char *data;
	ssize_t got;
	size_t used = 0, have = 0;
	int fd, rc = 0;

	*next = from;
	*eof = true;
	if (from < 0)
		return err_set(ERR_INVALID, "log %s: negative offset", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "log %s", path);
	if (!(data = malloc(max_bytes + 1))) {
		close(fd);
		return err_set(ERR_NOMEM, "out of memory");
	}
	while (have < max_bytes && (got = pread(fd, data + have, max_bytes - have, from + (int64_t)have)) > 0)
		have += (size_t)got;
	if (have == max_bytes) {
		char probe;

		*eof = pread(fd, &probe, 1, from + (int64_t)have) <= 0;
	}
	close(fd);
	while (used < have) {
		char *nl = memchr(data + used, '\n', have - used);
		struct logtail_line l;
		size_t len;

		if (!nl) {
			/* A line that fills the whole window is passed cut; else it is still being written. */
			if (used > 0 || have < max_bytes)
				break;
			len = have;
			logtail_parse(&l, data, len);
			used = have;
		} else {
			len = (size_t)(nl - (data + used));
			logtail_parse(&l, data + used, len > 0 && data[used + len - 1] == '\r' ? len - 1 : len);
			used += len + 1;
		}
		l.end = from + (int64_t)used;
		*next = l.end;
		if ((rc = fn(&l, arg)) != 0) {
			*eof = false;
			rc = 0;
			break;
		}
	}
	if (used < have && *eof && !memchr(data + used, '\n', have - used))
		*eof = true;
	else if (used < have)
		*eof = false;
	free(data);
	return rc;
}
