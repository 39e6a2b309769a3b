/* Helper of syscall/alarms-across-processes: re-arms a 3 ms alarm forever. */
#include <rig/alarm.h>

int main(void)
{
	for (;;)
		delay_ms(3);
}
