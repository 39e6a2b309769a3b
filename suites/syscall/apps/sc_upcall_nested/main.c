/* An upcall may make system calls, yield included: write, and set another alarm. */
#include <rig/alarm.h>
#include <rig/console.h>
#include <rig/tap.h>

#include "rigstr.h"

static volatile int written = -1;
static volatile bool second_fired;
static struct alarm first_alarm, second_alarm;

static void second(struct alarm *a, void *userdata)
{
	(void)a, (void)userdata;
	second_fired = true;
}

static void first(struct alarm *a, void *userdata)
{
	(void)a, (void)userdata;
	static const char line[] = "# written from inside an upcall\n";
	written = console_write(line, strlen(line));   /* yields until the write's own upcall */
	alarm_in_ms(&second_alarm, 5, second, NULL);
}

int main(void)
{
	tap_plan(2);
	alarm_in_ms(&first_alarm, 5, first, NULL);
	while (!second_fired)
		yield_wait();
	tap_eq((uint32_t)written, 32, "a console write from inside an upcall completes");
	tap_ok(second_fired, "an alarm set from inside an upcall fires");
	tap_end();
	return 0;
}
