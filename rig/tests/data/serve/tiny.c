/* A stand-in for a kernel under test: prints OUTPUT (given with -D) on the
 * CMSDK UART of mps2-an385 after DELAY idle loops, then spins. Its variants
 * (pass, fail, slow) are the "kernels" of the daemon's fixture repository. */
#ifndef DELAY
#define DELAY 0
#endif
#define UART0 0x40004000u
#define REG(o) (*(volatile unsigned *)(UART0 + (o)))
extern unsigned _stack_top;
void reset(void);
__attribute__((section(".vectors"), used)) const void *const vectors[] = { &_stack_top, (void *)reset };
void reset(void)
{
	REG(8) = 1;
	for (volatile unsigned long i = 0; i < (unsigned long)DELAY; i++)
		;
	for (const char *p = OUTPUT; *p; p++) {
		while (REG(4) & 1)
			;
		REG(0) = (unsigned)*p;
	}
	for (;;)
		;
}
