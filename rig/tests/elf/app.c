/*
 * A small firmware image for the tests of rig size: functions GCC clones
 * (constprop, isra), initialised data whose load image sits in flash, bss,
 * read-only tables and, with -DWITH_TABLE, a 3 KiB table more. With -DHOSTED
 * it is an ordinary program for the build machine.
 */
#include <stdint.h>

volatile uint32_t ticks;
uint32_t counters[64];
static uint8_t scratch[200];
int32_t gain = 3;
static const char banner[] = "rig size fixture";
const uint16_t crc_table[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
#ifdef WITH_TABLE
const uint8_t big_table[3072] = { 1, 2, 3 };
#endif

struct quad {
	int32_t a, b, c, d;
};

/* Called with constant arguments only: GCC makes scale.constprop.0. */
static __attribute__((noinline)) int32_t scale(const uint32_t *v, int n, int32_t k)
{
	int32_t s = 0;

	for (int i = 0; i < n; i++)
		s += (int32_t)v[i] * k + (k >> 1);
	return s;
}

/* Uses two fields of a struct passed by value: GCC makes sum_quad.isra.0. */
static __attribute__((noinline)) int32_t sum_quad(struct quad q)
{
	return q.a + q.d;
}

__attribute__((cold, noinline)) static void fault(const char *why)
{
	while (*why)
		scratch[(uint8_t)*why++]++;
	for (;;)
		;
}

int32_t process(int32_t x)
{
	struct quad q = { x, x + 1, x + 2, x + 3 };

	if (__builtin_expect(x < -1000, 0)) {
		scratch[1] = (uint8_t)x;
		scratch[2] = (uint8_t)(x >> 8);
		fault("negative");
	}
	counters[x & 63]++;
	return scale(counters, 8, 5) + scale(counters + 8, 8, 5) + sum_quad(q) + gain;
}

int main(void)
{
	int32_t acc = 0;

	for (int i = 0; i < 10; i++)
		acc += process(i + (int32_t)ticks);
	acc += banner[acc & 15] + crc_table[acc & 15];
#ifdef WITH_TABLE
	acc += big_table[acc & 1023];
#endif
	return acc;
}

#ifndef HOSTED
/* Linker-script symbols: where .data's image is in flash, and .data/.bss in RAM. */
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void Reset_Handler(void)
{
	uint32_t *src = &_sidata, *dst = &_sdata;

	while (dst < &_edata)
		*dst++ = *src++;
	for (dst = &_sbss; dst < &_ebss;)
		*dst++ = 0;
	main();
	for (;;)
		;
}

__attribute__((section(".vectors"), used)) void (*const vectors[])(void) = {
	(void (*)(void))&_estack,
	Reset_Handler,
};
#endif
