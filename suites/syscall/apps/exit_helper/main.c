/* Helper of syscall/exit-terminate: returns 7 from main, which exits with it. */
int main(void)
{
	return 7;
}
