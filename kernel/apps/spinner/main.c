/*
 * A helper that never yields: only preemption by the timeslice lets
 * anything else run beside it.
 */
int main(void)
{
	for (volatile unsigned long n = 0;; n++)
		;
}
