/* A stand-in for a kernel under test: prints BANNER on the CMSDK UART of
 * mps2-an385, waits DELAY tenths of a second (SysTick at the 25 MHz core
 * clock: QEMU keeps it to real time), prints OUTPUT (the TAP), then spins.
 * Its variants (pass, fail, slow) are the "kernels" of the daemon's fixture
 * repository. */
#ifndef DELAY
#define DELAY 0
#endif
#define UART0 0x40004000u
#define REG(o) (*(volatile unsigned *)(UART0 + (o)))
#define SYST_CSR (*(volatile unsigned *)0xE000E010u)
#define SYST_RVR (*(volatile unsigned *)0xE000E014u)
#define SYST_CVR (*(volatile unsigned *)0xE000E018u)
extern unsigned _stack_top;
void reset(void);
__attribute__((section(".vectors"), used)) const void *const vectors[] = { &_stack_top, (void *)reset };

static void put(const char *s)
{
	for (; *s; s++) {
		while (REG(4) & 1)
			;
		REG(0) = (unsigned)*s;
	}
}

void reset(void)
{
	REG(8) = 1;
	put(BANNER);
	SYST_RVR = 2500000 - 1;
	SYST_CVR = 0;
	SYST_CSR = 5;	/* enabled, core clock, no interrupt */
	for (int wraps = 0; wraps < DELAY;)
		if (SYST_CSR & (1u << 16))
			wraps++;
	put(OUTPUT);
	for (;;)
		;
}
