#include "fmt.h"

#include <stdbool.h>
#include <stdint.h>

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len++] = c;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

/* Decimal without division: subtract powers of ten. */
static int utoa_dec(char *tmp, uint64_t v)
{
	static const uint64_t pow10[] = {
		10000000000000000000ull, 1000000000000000000ull, 100000000000000000ull,
		10000000000000000ull, 1000000000000000ull, 100000000000000ull,
		10000000000000ull, 1000000000000ull, 100000000000ull, 10000000000ull,
		1000000000ull, 100000000ull, 10000000ull, 1000000ull, 100000ull,
		10000ull, 1000ull, 100ull, 10ull, 1ull,
	};
	int n = 0;
	bool started = false;

	for (size_t i = 0; i < sizeof(pow10) / sizeof(pow10[0]); i++) {
		char d = '0';
		while (v >= pow10[i]) {
			v -= pow10[i];
			d++;
		}
		if (d != '0' || started || i + 1 == sizeof(pow10) / sizeof(pow10[0])) {
			tmp[n++] = d;
			started = true;
		}
	}
	return n;
}

static int utoa_hex(char *tmp, uint64_t v, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[16];
	int n = 0;

	do {
		rev[n++] = digits[v & 0xf];
		v >>= 4;
	} while (v != 0);
	for (int i = 0; i < n; i++)
		tmp[i] = rev[n - 1 - i];
	return n;
}

size_t fmt_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (const char *f = fmt; *f != '\0'; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f++;
		bool left = false, zero = false;
		for (;; f++) {
			if (*f == '-')
				left = true;
			else if (*f == '0')
				zero = true;
			else
				break;
		}
		int width = 0;
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		int longs = 0;
		while (*f == 'l') {
			longs++;
			f++;
		}

		char tmp[24];
		const char *s = tmp;
		int n = 0;
		bool negative = false;

		switch (*f) {
		case '%':
			tmp[n++] = '%';
			break;
		case 'c':
			tmp[n++] = (char)va_arg(ap, int);
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (s == NULL)
				s = "(null)";
			while (s[n] != '\0')
				n++;
			break;
		case 'd':
		case 'i': {
			int64_t v = longs >= 2 ? va_arg(ap, long long)
				  : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
			uint64_t u = (uint64_t)v;
			if (v < 0) {
				negative = true;
				u = 0 - u;
			}
			n = utoa_dec(tmp, u);
			break;
		}
		case 'u': {
			uint64_t v = longs >= 2 ? va_arg(ap, unsigned long long)
				   : longs == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			n = utoa_dec(tmp, v);
			break;
		}
		case 'x':
		case 'X': {
			uint64_t v = longs >= 2 ? va_arg(ap, unsigned long long)
				   : longs == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			n = utoa_hex(tmp, v, *f == 'X');
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			n = utoa_hex(tmp, (uintptr_t)va_arg(ap, void *), false);
			width = 8;
			zero = true;
			break;
		case '\0':
			f--;   /* a lone '%' at the end: print nothing for it */
			continue;
		default:
			tmp[n++] = '%';
			tmp[n++] = *f;
			break;
		}

		int fill = width - n - (negative ? 1 : 0);
		if (!left && !zero)
			pad(&o, ' ', fill);
		if (negative)
			put(&o, '-');
		if (!left && zero)
			pad(&o, '0', fill);
		for (int i = 0; i < n; i++)
			put(&o, s[i]);
		if (left)
			pad(&o, ' ', fill);
	}
	if (o.size > 0)
		o.buf[o.len] = '\0';
	return o.len;
}

size_t fmt_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = fmt_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
