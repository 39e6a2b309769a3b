/* The process-information driver: who am I, who else runs, and how they are. */
#include "driver.h"
#include "process.h"
#include "rigstr.h"

static struct process *lookup(struct kernel *k, uint32_t id)
{
	return id < k->nprocs ? &k->procs[id] : NULL;
}

static struct syscall_ret process_command(struct kernel *k, struct process *p, uint32_t cmd,
					  uint32_t arg1, uint32_t arg2)
{
	(void)arg2;
	struct process *other = lookup(k, arg1);

	switch (cmd) {
	case CMD_EXISTS:
		return ret_success();
	case PROCESS_CMD_SELF:
		return ret_success_u32(p->id);
	case PROCESS_CMD_COUNT:
		return ret_success_u32(k->nprocs);
	case PROCESS_CMD_STATE:
		return other ? ret_success_u32(other->state) : ret_failure(ERR_INVAL);
	case PROCESS_CMD_RESTARTS:
		return other ? ret_success_u32(other->restarts) : ret_failure(ERR_INVAL);
	case PROCESS_CMD_EXIT_CODE:
		if (other == NULL || other->state != PROCESS_TERMINATED)
			return ret_failure(ERR_INVAL);
		return ret_success_u32(other->exit_code);
	case PROCESS_CMD_NAME: {
		if (other == NULL)
			return ret_failure(ERR_INVAL);
		struct buffer *b = &p->allow_rw[ALLOW_RW_PROCESS_NAME];
		const char *name = process_name(other);
		uint32_t len = strlen(name);
		/* Re-checked here: the break may have moved since the allow. */
		if (b->len == 0 || !process_writable(p, b->addr, b->len))
			return ret_failure(ERR_RESERVE);
		if (b->len < len + 1)
			return ret_failure_u32(ERR_SIZE, len + 1);
		memcpy((void *)(uintptr_t)b->addr, name, len + 1);
		return ret_success_u32(len);
	}
	default:
		return ret_failure(ERR_NOSUPPORT);
	}
}

static int process_upcall_slot(uint32_t n)
{
	(void)n;
	return -1;
}

static int process_allow_slot(bool read_write, uint32_t n)
{
	return read_write && n == PROCESS_ALLOW_RW_NAME ? ALLOW_RW_PROCESS_NAME : -1;
}

static void process_release(struct kernel *k, struct process *p)
{
	(void)k;
	(void)p;
}

const struct driver process_driver = {
	.num = DRV_PROCESS,
	.command = process_command,
	.upcall_slot = process_upcall_slot,
	.allow_slot = process_allow_slot,
	.release = process_release,
};
