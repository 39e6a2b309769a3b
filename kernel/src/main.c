/*
 * Boot and the kernel loop.
 *
 * The loop polls the devices, fires due alarms, moves console output, then
 * runs one process until it traps (system call, fault or interrupt) and
 * handles the trap. Processes take turns round-robin; one that runs out its
 * timeslice goes to the back.
 */
#include "arch.h"
#include "board.h"
#include "console.h"
#include "driver.h"
#include "fmt.h"
#include "loader.h"
#include "panic.h"
#include "process.h"
#include "syscall.h"

/* The one kernel; everything else reaches it through a pointer. */
static struct kernel the_kernel;

static struct process *pick_next(struct kernel *k, bool rotate)
{
	uint32_t n = k->nprocs;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t idx = (k->current + (rotate ? 1 : 0) + i) % n;
		if (k->procs[idx].state == PROCESS_RUNNING) {
			k->current = idx;
			return &k->procs[idx];
		}
	}
	return NULL;
}

_Noreturn static void schedule(struct kernel *k)
{
	struct process *last = NULL;
	bool rotate = false;

	for (;;) {
		arch_irq_seen_clear();
		board_poll(k);
		alarm_service(k);
		console_service(k);

		struct process *p = pick_next(k, rotate);
		if (p == NULL) {
			/*
			 * Masked, so that an interrupt after the check still wakes the
			 * wait; one that came during this pass is serviced first.
			 */
			arch_irq_disable();
			if (!arch_irq_seen())
				arch_wait_for_interrupt();
			arch_irq_enable();
			last = NULL;
			continue;
		}
		if (p != last || rotate)
			board_slice_start();
		rotate = false;
		last = p;

		switch (arch_run(p)) {
		case TRAP_SYSCALL:
			syscall_handle(k, p);
			break;
		case TRAP_FAULT:
			process_fault(k, p);
			break;
		case TRAP_INTERRUPT:
			break;
		}
		if (p->state != PROCESS_RUNNING || board_slice_expired())
			rotate = true;
	}
}

_Noreturn void kernel_main(void)
{
	struct kernel *k = &the_kernel;

	board_init();
	arch_init();
	kprintf(k, "rig-kernel %s board=%s arch=%s\n", KERNEL_VERSION, BOARD_NAME, BOARD_ARCH);
	loader_scan(k);
	kprintf(k, "kernel: %u apps running\n", (unsigned)k->nprocs);
	for (uint32_t i = 0; i < k->nprocs; i++)
		process_start(k, &k->procs[i]);
	schedule(k);
}

_Noreturn void kernel_panic(const char *reason, const struct panic_regs *regs)
{
	struct kernel *k = &the_kernel;

	arch_irq_disable();
	console_flush_sync(k);
	kprintf(k, "kernel: panic: %s\n", reason);
	if (regs != NULL) {
		for (uint32_t i = 0; i < regs->count; i += 4) {
			char line[100];
			uint32_t n = 0;
			for (uint32_t j = i; j < regs->count && j < i + 4; j++)
				n += fmt_format(line + n, sizeof(line) - n, " %s=0x%08x", regs->names[j],
						(unsigned)regs->values[j]);
			kprintf(k, "kernel:%s\n", line);
		}
	}
	console_flush_sync(k);
	arch_halt();
}
