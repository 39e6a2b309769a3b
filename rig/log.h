/*
 * log: leveled, timestamped messages on stderr.
 *
 * The level is the one piece of process-wide state outside main.c: it is set
 * once at start-up (and on SIGHUP) and only read afterwards, and passing a
 * context through every call site only to reach a verbosity flag would make
 * every signature noisier for no gain.
 */
#ifndef RIG_LOG_H
#define RIG_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info" or "debug"; returns 0 or ERR_INVALID. */
int log_parse_level(enum log_level *out, const char *name);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
