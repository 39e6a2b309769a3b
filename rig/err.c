#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local struct {
	int code;
	char msg[ERR_MSG_MAX];
} last;

int err_setv(int code, const char *fmt, va_list ap)
{
	last.code = code;
	vsnprintf(last.msg, sizeof(last.msg), fmt, ap);
	return code;
}

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

int err_errno(int code, const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	err_setv(code, fmt, ap);
	va_end(ap);
	len = strlen(last.msg);
	snprintf(last.msg + len, sizeof(last.msg) - len, ": %s", strerror(saved));
	errno = saved;
	return code;
}

int err_prefix(const char *fmt, ...)
{
	char old[ERR_MSG_MAX];
	size_t len;
	va_list ap;

	memcpy(old, last.msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(last.msg, sizeof(last.msg), fmt, ap);
	va_end(ap);
	len = strlen(last.msg);
	snprintf(last.msg + len, sizeof(last.msg) - len, ": %s", old);
	return last.code;
}

const char *err_msg(void)
{
	return last.msg[0] ? last.msg : err_name(last.code);
}

int err_code(void)
{
	return last.code;
}

void err_clear(void)
{
	last.code = 0;
	last.msg[0] = '\0';
}

const char *err_name(int code)
{
	switch (code) {
	case ERR_OK: return "ok";
	case ERR_FAIL: return "failed";
	case ERR_NOMEM: return "out of memory";
	case ERR_INVALID: return "invalid";
	case ERR_NOTFOUND: return "not found";
	case ERR_IO: return "i/o error";
	case ERR_TIMEOUT: return "timeout";
	case ERR_LIMIT: return "limit reached";
	case ERR_EXISTS: return "exists";
	case ERR_UNSUPPORTED: return "unsupported";
	case ERR_CANCELLED: return "cancelled";
	case ERR_CONFLICT: return "conflict";
	}
	return "unknown error";
}
