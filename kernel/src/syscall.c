#include "syscall.h"

#include "arch.h"
#include "driver.h"
#include "ipc.h"
#include "process.h"

static const struct driver *const drivers[] = {
	&alarm_driver,
	&console_driver,
	&process_driver,
	&ipc_driver,
};

const struct driver *driver_find(uint32_t num)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (drivers[i]->num == num)
			return drivers[i];
	}
	return NULL;
}

void drivers_release(struct kernel *k, struct process *p)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		drivers[i]->release(k, p);
}

/* Yield has no return value: it either returns or runs an upcall first. */
static void do_yield(struct kernel *k, struct process *p, const uint32_t a[4])
{
	switch (a[0]) {
	case YIELD_WAIT:
		if (!process_deliver_upcall(k, p))
			p->state = PROCESS_YIELDED;
		return;
	case YIELD_NO_WAIT: {
		bool pending = process_has_upcall(p);
		/* An address the process cannot write is ignored, like a null one. */
		if (a[1] != 0 && process_writable(p, a[1], 1))
			*(volatile uint8_t *)(uintptr_t)a[1] = pending;
		if (pending)
			process_deliver_upcall(k, p);
		return;
	}
	default:
		arch_syscall_return(p, ret_failure(ERR_NOSUPPORT));
		return;
	}
}

static struct syscall_ret do_subscribe(struct kernel *k, struct process *p, const uint32_t a[4])
{
	const struct driver *d = driver_find(a[0]);
	if (d == NULL)
		return ret_failure(ERR_NODEVICE);
	int slot = d->upcall_slot(a[1]);
	if (slot < 0)
		return ret_failure(ERR_NOSUPPORT);
	uint32_t fn = a[2], userdata = a[3];
	if (fn != 0 && !process_executable(p, fn))
		return ret_failure(ERR_INVAL);

	struct upcall *u = &p->upcalls[slot];
	struct syscall_ret r = ret_success_2u32(u->fn, u->userdata);
	/*
	 * Upcalls queued for the old function go with it, except IPC's: a
	 * notification is another process's message, which only its delivery
	 * may consume, so it waits in the queue for the new function.
	 */
	if (ipc_slot(slot))
		ipc_requeue(k, p, slot);
	u->fn = fn;
	u->userdata = userdata;
	u->pending_seq = 0;
	if (ipc_slot(slot))
		ipc_kick(k, p);
	return r;
}

static struct syscall_ret do_allow(struct process *p, bool read_write, const uint32_t a[4])
{
	const struct driver *d = driver_find(a[0]);
	if (d == NULL)
		return ret_failure(ERR_NODEVICE);
	int slot = d->allow_slot(read_write, a[1]);
	if (slot < 0)
		return ret_failure(ERR_NOSUPPORT);
	uint32_t addr = a[2], len = a[3];
	if (len != 0) {
		bool ok = read_write ? process_writable(p, addr, len) : process_readable(p, addr, len);
		if (!ok)
			return ret_failure(ERR_INVAL);
	}

	struct buffer *b = read_write ? &p->allow_rw[slot] : &p->allow_ro[slot];
	struct syscall_ret r = ret_success_2u32(b->addr, b->len);
	b->addr = addr;
	b->len = len;
	return r;
}

static struct syscall_ret set_brk(struct process *p, uint32_t new_brk)
{
	if (new_brk < process_initial_brk(p))
		return ret_failure_u32(ERR_INVAL, p->brk);
	if (new_brk > p->heap_end)
		return ret_failure_u32(ERR_NOMEM, p->brk);
	p->brk = new_brk;
	return ret_success();
}

static struct syscall_ret do_memop(struct process *p, const uint32_t a[4])
{
	switch (a[0]) {
	case MEMOP_BRK:
		return set_brk(p, a[1]);
	case MEMOP_SBRK: {
		uint32_t old = p->brk;
		int32_t incr = (int32_t)a[1];
		uint64_t want = (uint64_t)old + (int64_t)incr;
		if (want > UINT32_MAX)
			return ret_failure_u32(ERR_NOMEM, old);
		struct syscall_ret r = set_brk(p, (uint32_t)want);
		return r.variant == RET_SUCCESS ? ret_success_u32(old) : r;
	}
	case MEMOP_RAM_START:
		return ret_success_u32(p->ram_start);
	case MEMOP_BREAK:
		return ret_success_u32(p->brk);
	case MEMOP_FLASH_START:
		return ret_success_u32(p->flash_start);
	case MEMOP_FLASH_END:
		return ret_success_u32(p->flash_start + p->flash_size);
	case MEMOP_RAM_END:
		return ret_success_u32(p->heap_end);
	default:
		return ret_failure(ERR_NOSUPPORT);
	}
}

void syscall_handle(struct kernel *k, struct process *p)
{
	uint32_t class, a[4];
	struct syscall_ret r;

	arch_syscall_args(p, &class, a);
	switch (class) {
	case SYS_YIELD:
		do_yield(k, p, a);
		return;
	case SYS_EXIT:
		if (a[0] == EXIT_TERMINATE || a[0] == EXIT_RESTART) {
			process_exit(k, p, a[0], a[1]);
			return;
		}
		r = ret_failure(ERR_NOSUPPORT);
		break;
	case SYS_SUBSCRIBE:
		r = do_subscribe(k, p, a);
		break;
	case SYS_COMMAND: {
		const struct driver *d = driver_find(a[0]);
		r = d != NULL ? d->command(k, p, a[1], a[2], a[3]) : ret_failure(ERR_NODEVICE);
		break;
	}
	case SYS_ALLOW_RW:
		r = do_allow(p, true, a);
		break;
	case SYS_ALLOW_RO:
		r = do_allow(p, false, a);
		break;
	case SYS_MEMOP:
		r = do_memop(p, a);
		break;
	default:
		r = ret_failure(ERR_NOSUPPORT);
		break;
	}
	arch_syscall_return(p, r);
}
