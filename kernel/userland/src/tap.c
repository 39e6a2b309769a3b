#include <rig/console.h>
#include <rig/tap.h>

#include <stdarg.h>

#include "fmt.h"

static unsigned next_point = 1;

void tap_plan(unsigned n)
{
	printf("1..%u\n", n);
}

void tap_set_next(unsigned n)
{
	next_point = n;
}

bool tap_ok(bool cond, const char *name)
{
	printf("%sok %u - %s\n", cond ? "" : "not ", next_point++, name);
	return cond;
}

bool tap_check(bool cond, const char *name, const char *why_fmt, ...)
{
	if (cond)
		return tap_ok(true, name);

	char why[80];
	va_list ap;
	va_start(ap, why_fmt);
	fmt_vformat(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	printf("not ok %u - %s # %s\n", next_point++, name, why);
	return false;
}

bool tap_eq(uint32_t got, uint32_t want, const char *name)
{
	return tap_check(got == want, name, "expected %lu got %lu", (unsigned long)want,
			 (unsigned long)got);
}

bool tap_eq64(uint64_t got, uint64_t want, const char *name)
{
	return tap_check(got == want, name, "expected %llu got %llu", (unsigned long long)want,
			 (unsigned long long)got);
}

void tap_skip(const char *name, const char *reason)
{
	printf("ok %u - %s # SKIP %s\n", next_point++, name, reason);
}

void tap_diag(const char *fmt, ...)
{
	char text[100];
	va_list ap;
	va_start(ap, fmt);
	fmt_vformat(text, sizeof(text), fmt, ap);
	va_end(ap);
	printf("# %s\n", text);
}

void tap_end(void)
{
	printf("# tap-end\n");
	console_flush();
}
