/* Pending upcalls of different drivers run oldest first. */
#include <rig/alarm.h>
#include <rig/tap.h>

#include "rigstr.h"

static char order[8];
static int n;

static void on_alarm(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
	order[n++] = 'A';
}

static void on_written(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
	order[n++] = 'W';
}

static const char line[] = "# a write whose upcall waits its turn\n";

static void expire_alarm_now(void)
{
	uint64_t now = alarm_now();
	command(DRV_ALARM, ALARM_CMD_SET_ABSOLUTE, (uint32_t)now, (uint32_t)(now >> 32));
	/* Any system call passes through the kernel loop, which queues the expiry. */
	command(DRV_ALARM, CMD_EXISTS, 0, 0);
}

static void write_line(void)
{
	allow_ro(DRV_CONSOLE, CONSOLE_ALLOW_RO_WRITE, line, strlen(line));
	command(DRV_CONSOLE, CONSOLE_CMD_WRITE, strlen(line), 0);
}

int main(void)
{
	tap_plan(2);

	/* Both experiments before any printing: a print takes over the console upcall. */
	char first[8], second[8];
	subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, on_alarm, NULL);
	subscribe(DRV_CONSOLE, CONSOLE_UPCALL_WRITTEN, on_written, NULL);

	expire_alarm_now();
	write_line();
	while (yield_no_wait())
		;
	order[n] = '\0';
	memcpy(first, order, sizeof(first));

	n = 0;
	write_line();
	expire_alarm_now();
	while (yield_no_wait())
		;
	order[n] = '\0';
	memcpy(second, order, sizeof(second));

	tap_check(strcmp(first, "AW") == 0, "alarm then write: alarm upcall first", "order %s", first);
	tap_check(strcmp(second, "WA") == 0, "write then alarm: write upcall first", "order %s", second);
	tap_end();
	return 0;
}
