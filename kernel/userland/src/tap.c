#include <rig/console.h>
#include <rig/tap.h>

#include <stdarg.h>


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

	/* One line still: printf sends only whole lines. */
	va_list ap;
	printf("not ok %u - %s # ", next_point++, name);
	va_start(ap, why_fmt);
	vprintf(why_fmt, ap);
	va_end(ap);
	printf("\n");
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

bool tap_fails_with(struct sysret r, uint32_t error, const char *name)
{
	bool failed = r.variant == RET_FAILURE || r.variant == RET_FAILURE_U32;
	return tap_check(failed && r.r1 == error, name, "expected failure %lu, got variant %lu r1 %lu",
			 (unsigned long)error, (unsigned long)r.variant, (unsigned long)r.r1);
}

bool tap_succeeds(struct sysret r, uint32_t variant, const char *name)
{
	return tap_check(r.variant == variant, name, "expected variant %lu, got %lu r1 %lu",
			 (unsigned long)variant, (unsigned long)r.variant, (unsigned long)r.r1);
}

void tap_skip(const char *name, const char *reason)
{
	printf("ok %u - %s # SKIP %s\n", next_point++, name, reason);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void tap_end(void)
{
	printf("# tap-end\n");
	console_flush();
}
