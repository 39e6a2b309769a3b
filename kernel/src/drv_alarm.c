/*
 * The alarm driver: the board's 64-bit clock and one alarm per process,
 * multiplexed onto the board's single hardware alarm.
 */
#include "board.h"
#include "driver.h"
#include "process.h"

static void arm(struct process *p, uint64_t deadline)
{
	p->alarm_armed = true;
	p->alarm_deadline = deadline;
}

static struct syscall_ret alarm_command(struct kernel *k, struct process *p, uint32_t cmd,
					uint32_t arg1, uint32_t arg2)
{
	(void)k;
	switch (cmd) {
	case CMD_EXISTS:
		return ret_success();
	case ALARM_CMD_FREQUENCY:
		return ret_success_u32(board_time_hz());
	case ALARM_CMD_NOW:
		return ret_success_u64(board_time_now());
	case ALARM_CMD_CANCEL:
		if (!p->alarm_armed)
			return ret_failure(ERR_ALREADY);
		p->alarm_armed = false;
		return ret_success();
	case ALARM_CMD_SET_RELATIVE: {
		uint64_t deadline = board_time_now() + arg1;
		arm(p, deadline);
		return ret_success_u64(deadline);
	}
	case ALARM_CMD_SET_ABSOLUTE: {
		uint64_t deadline = ((uint64_t)arg2 << 32) | arg1;
		arm(p, deadline);
		return ret_success_u64(deadline);
	}
	default:
		return ret_failure(ERR_NOSUPPORT);
	}
}

static int alarm_upcall_slot(uint32_t n)
{
	return n == ALARM_UPCALL_EXPIRED ? UPCALL_ALARM_EXPIRED : -1;
}

static int alarm_allow_slot(bool read_write, uint32_t n)
{
	(void)read_write;
	(void)n;
	return -1;
}

static void alarm_release(struct kernel *k, struct process *p)
{
	(void)k;
	p->alarm_armed = false;
}

void alarm_service(struct kernel *k)
{
	uint64_t now = board_time_now();
	uint64_t next = UINT64_MAX;

	for (uint32_t i = 0; i < k->nprocs; i++) {
		struct process *p = &k->procs[i];
		if (!p->alarm_armed)
			continue;
		if (p->alarm_deadline <= now) {
			p->alarm_armed = false;
			process_schedule_upcall(k, p, UPCALL_ALARM_EXPIRED, (uint32_t)p->alarm_deadline,
						(uint32_t)(p->alarm_deadline >> 32), 0);
		} else if (p->alarm_deadline < next) {
			next = p->alarm_deadline;
		}
	}
	board_alarm_program(next);
}

const struct driver alarm_driver = {
	.num = DRV_ALARM,
	.command = alarm_command,
	.upcall_slot = alarm_upcall_slot,
	.allow_slot = alarm_allow_slot,
	.release = alarm_release,
};
