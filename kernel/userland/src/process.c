#include <rig/alarm.h>
#include <rig/process.h>

#include "rigstr.h"

uint32_t process_self(void)
{
	return command(DRV_PROCESS, PROCESS_CMD_SELF, 0, 0).r1;
}

uint32_t process_count(void)
{
	return command(DRV_PROCESS, PROCESS_CMD_COUNT, 0, 0).r1;
}

int process_state(uint32_t id)
{
	struct sysret r = command(DRV_PROCESS, PROCESS_CMD_STATE, id, 0);
	return sysret_ok(r) ? (int)r.r1 : -1;
}

uint32_t process_restarts(uint32_t id)
{
	return command(DRV_PROCESS, PROCESS_CMD_RESTARTS, id, 0).r1;
}

int process_name(uint32_t id, char *buf, size_t len)
{
	struct sysret r = allow_rw(DRV_PROCESS, PROCESS_ALLOW_RW_NAME, buf, len);
	if (!sysret_ok(r))
		return -(int)sysret_error(r);
	r = command(DRV_PROCESS, PROCESS_CMD_NAME, id, 0);
	allow_rw(DRV_PROCESS, PROCESS_ALLOW_RW_NAME, NULL, 0);
	return sysret_ok(r) ? (int)r.r1 : -(int)sysret_error(r);
}

int process_find(const char *name)
{
	char buf[24];
	uint32_t n = process_count();

	for (uint32_t id = 0; id < n; id++) {
		if (process_name(id, buf, sizeof(buf)) >= 0 && strcmp(buf, name) == 0)
			return (int)id;
	}
	return -1;
}

int process_wait_state(uint32_t id, uint32_t mask, uint32_t ms)
{
	uint64_t give_up = alarm_now() + alarm_ticks_from_ms(ms);
	int state;

	while (((state = process_state(id)) < 0 || !(mask & (1u << state))) && alarm_now() < give_up)
		delay_ms(1);
	return state;
}
