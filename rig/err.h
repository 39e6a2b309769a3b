/*
 * err: the error convention of every module.
 *
 * A function that can fail returns 0 or a negative ERR_* code, and leaves a
 * message for a person in this thread's last error. Callers that add context
 * ("flash nrf52-3: ") use err_prefix(); the message is then complete enough
 * to print as is. The last error belongs to the thread: nothing to free.
 */
#ifndef RIG_ERR_H
#define RIG_ERR_H

#include <stdarg.h>

enum err_code {
	ERR_OK = 0,
	ERR_FAIL = -1,		/* anything without a better code */
	ERR_NOMEM = -2,
	ERR_INVALID = -3,	/* bad input: a malformed file, argument or message */
	ERR_NOTFOUND = -4,
	ERR_IO = -5,		/* an operating-system call failed */
	ERR_TIMEOUT = -6,	/* a deadline passed */
	ERR_LIMIT = -7,		/* a cap was reached (buffer, body, count) */
	ERR_EXISTS = -8,
	ERR_UNSUPPORTED = -9,
	ERR_CANCELLED = -10,
	ERR_CONFLICT = -11,	/* e.g. a merge conflict, a lease held by another */
};

#define ERR_MSG_MAX 1024

/* Sets the last error to code and the formatted message; returns code. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_setv(int code, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Sets the last error from errno: "<formatted>: <strerror(errno)>"; returns code. */
int err_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "<formatted>: " to the last message; returns the last code. */
int err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char *err_msg(void);
int err_code(void);
void err_clear(void);

/* A short name for a code: "timeout", "not found", ... */
const char *err_name(int code);

#endif
