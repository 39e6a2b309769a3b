/* Executes an instruction that is permanently undefined. */
int main(void)
{
#if defined(__arm__)
	__asm__ volatile("udf #0");
#else
	__asm__ volatile(".word 0");   /* all zeros: defined illegal in RISC-V */
#endif
	return 1;   /* not reached */
}
