/*
 * Processes: start, restart, exit and fault; their memory bounds; and
 * their upcalls.
 *
 * A process owns its flash image (checked by the loader) and one RAM block
 * (a power of two, aligned to its size, so one MPU region covers it). Of the
 * block, [ram_start, brk) is the process's; the MPU/PMP and every pointer
 * check here use that range. Above heap_end, the top of the block may hold
 * the process's IPC endpoint (ipc.h), which only the kernel touches.
 */
#ifndef PROCESS_H
#define PROCESS_H

#include "kernel.h"

/* Fill in a process slot for an image the loader accepted. */
void process_init(struct process *p, uint32_t id, const struct tbf_header *image,
		  uint32_t ram_start, uint32_t ram_size);

/* (Re)start p from its entry point with fresh memory: a new generation. */
void process_start(struct kernel *k, struct process *p);

/*
 * The exit system call: terminate, or restart from scratch. A restart waits
 * (PROCESS_RESTARTING) while a service holds a buffer p shared; the IPC
 * driver starts p when the last such hold ends.
 */
void process_exit(struct kernel *k, struct process *p, uint32_t how, uint32_t code);

/* p faulted (arch_fault_info() says how): report it and stop it for good. */
void process_fault(struct kernel *k, struct process *p);

const char *process_name(const struct process *p);
uint32_t process_initial_brk(const struct process *p);

/* Whether [addr, addr + len) lies in memory p may write, read, run. */
bool process_writable(const struct process *p, uint32_t addr, uint32_t len);
bool process_readable(const struct process *p, uint32_t addr, uint32_t len);
bool process_executable(const struct process *p, uint32_t addr);

/*
 * Queue the upcall of a slot with its three arguments. If p is waiting in
 * yield it runs at once; otherwise at p's next yield. Dropped if p has
 * no function subscribed to the slot or is not alive.
 */
void process_schedule_upcall(struct kernel *k, struct process *p, enum upcall_slot slot,
			     uint32_t a0, uint32_t a1, uint32_t a2);

bool process_has_upcall(const struct process *p);

/* Set up p (stopped in yield) to run its oldest pending upcall. */
bool process_deliver_upcall(struct kernel *k, struct process *p);

#endif
