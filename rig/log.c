#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"

static atomic_int current = LOG_INFO;

static const char *const names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level)
{
	atomic_store(&current, (int)level);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load(&current);
}

int log_parse_level(enum log_level *out, const char *name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return err_set(ERR_INVALID, "unknown log level '%s' (expected error, warn, info or debug)", name);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	va_list ap;

	if ((int)level > atomic_load(&current))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ %s: ", ts.tv_nsec / 1000000,
			      names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* One fputs per line keeps lines from concurrent threads whole. */
	n = strlen(line);
	if (n < sizeof(line) - 1) {
		line[n] = '\n';
		line[n + 1] = '\0';
	}
	fputs(line, stderr);
}
