#include "process.h"

#include "arch.h"
#include "console.h"
#include "driver.h"
#include "ipc.h"
#include "rigstr.h"

void process_init(struct process *p, uint32_t id, const struct tbf_header *image,
		  uint32_t ram_start, uint32_t ram_size)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->image = image;
	p->flash_start = (uint32_t)(uintptr_t)image;
	p->flash_size = image->total_len;
	p->ram_start = ram_start;
	p->ram_size = ram_size;
}

const char *process_name(const struct process *p)
{
	return p->image->name;
}

uint32_t process_initial_brk(const struct process *p)
{
	return p->ram_start + p->image->init_brk;
}

static void forget_requests(struct kernel *k, struct process *p)
{
	drivers_release(k, p);
	memset(p->upcalls, 0, sizeof(p->upcalls));
	memset(p->allow_ro, 0, sizeof(p->allow_ro));
	memset(p->allow_rw, 0, sizeof(p->allow_rw));
}

void process_start(struct kernel *k, struct process *p)
{
	forget_requests(k, p);

	/* A restarted process must not see what its previous run left. */
	memset((void *)(uintptr_t)p->ram_start, 0, p->ram_size);
	p->brk = process_initial_brk(p);
	p->heap_end = p->ram_start + p->ram_size;
	p->exit_code = 0;
	p->generation++;
	p->state = PROCESS_RUNNING;

	const uint32_t args[4] = { p->flash_start, p->ram_start, p->ram_size, p->brk };
	arch_process_start(p, p->flash_start + p->image->entry,
			   p->ram_start + p->image->stack_size, args);
}

void process_exit(struct kernel *k, struct process *p, uint32_t how, uint32_t code)
{
	if (how == EXIT_RESTART) {
		p->restarts++;
		forget_requests(k, p);
		if (ipc_restart_must_wait(k, p)) {
			p->state = PROCESS_RESTARTING;
			return;
		}
		process_start(k, p);
		return;
	}
	forget_requests(k, p);
	p->state = PROCESS_TERMINATED;
	p->exit_code = code;
	kprintf(k, "kernel: process %s exited %d\n", process_name(p), (int)(int32_t)code);
}

void process_fault(struct kernel *k, struct process *p)
{
	struct fault_info f;

	arch_fault_info(p, &f);
	forget_requests(k, p);
	p->state = PROCESS_FAULTED;
	kprintf(k, "kernel: process %s faulted: %s at 0x%08x\n", process_name(p), f.reason,
		(unsigned)f.addr);
}

static bool in_range(uint32_t addr, uint32_t len, uint32_t start, uint32_t end)
{
	return addr >= start && addr <= end && len <= end - addr;
}

bool process_writable(const struct process *p, uint32_t addr, uint32_t len)
{
	return in_range(addr, len, p->ram_start, p->brk);
}

bool process_readable(const struct process *p, uint32_t addr, uint32_t len)
{
	return process_writable(p, addr, len) ||
	       in_range(addr, len, p->flash_start, p->flash_start + p->flash_size);
}

bool process_executable(const struct process *p, uint32_t addr)
{
	/* The header is data, not code. */
	return in_range(addr & ~1u, 2, p->flash_start + TBF_HEADER_LEN,
			p->flash_start + p->flash_size);
}

void process_schedule_upcall(struct kernel *k, struct process *p, enum upcall_slot slot,
			     uint32_t a0, uint32_t a1, uint32_t a2)
{
	struct upcall *u = &p->upcalls[slot];

	if (u->fn == 0 || (p->state != PROCESS_RUNNING && p->state != PROCESS_YIELDED))
		return;
	u->args[0] = a0;
	u->args[1] = a1;
	u->args[2] = a2;
	if (u->pending_seq == 0) {
		/* 0 means "not pending", so the counter skips it when it wraps. */
		if (++k->upcall_seq == 0)
			++k->upcall_seq;
		u->pending_seq = k->upcall_seq;
	}
	if (p->state == PROCESS_YIELDED) {
		/* Running first: delivering may queue the next IPC upcall, which must only wait. */
		p->state = PROCESS_RUNNING;
		process_deliver_upcall(k, p);
	}
}

bool process_has_upcall(const struct process *p)
{
	for (int i = 0; i < UPCALL_SLOTS; i++) {
		if (p->upcalls[i].pending_seq != 0)
			return true;
	}
	return false;
}

bool process_deliver_upcall(struct kernel *k, struct process *p)
{
	struct upcall *oldest = NULL;

	for (int i = 0; i < UPCALL_SLOTS; i++) {
		struct upcall *u = &p->upcalls[i];
		/* Compared as a difference so that the order survives the counter wrapping. */
		if (u->pending_seq != 0 &&
		    (oldest == NULL || (int32_t)(u->pending_seq - oldest->pending_seq) < 0))
			oldest = u;
	}
	if (oldest == NULL)
		return false;
	oldest->pending_seq = 0;
	const uint32_t args[4] = { oldest->args[0], oldest->args[1], oldest->args[2],
				   oldest->userdata };
	arch_upcall(p, oldest->fn, args);
	/* The slot is free again: IPC feeds it the next of its queue. */
	if (ipc_slot((int)(oldest - p->upcalls)))
		ipc_kick(k, p);
	return true;
}
