/*
 * A driver is a table of functions, looked up by its number from the
 * command, subscribe and allow system calls. Per-process driver state lives
 * in struct process (the kernel has a fixed, small set of drivers).
 */
#ifndef DRIVER_H
#define DRIVER_H

#include "kernel.h"

struct driver {
	uint32_t num;
	struct syscall_ret (*command)(struct kernel *k, struct process *p,
				      uint32_t cmd, uint32_t arg1, uint32_t arg2);
	/* The upcall slot of subscribe number n, or -1 if there is none. */
	int (*upcall_slot)(uint32_t n);
	/* The buffer slot of allow number n, or -1 if there is none. */
	int (*allow_slot)(bool read_write, uint32_t n);
	/* The process stops or restarts: forget everything it asked for. */
	void (*release)(struct kernel *k, struct process *p);
};

extern const struct driver alarm_driver;
extern const struct driver console_driver;
extern const struct driver process_driver;
extern const struct driver ipc_driver;

/* NULL for an unknown number. */
const struct driver *driver_find(uint32_t num);

/* Run every driver's release for p. */
void drivers_release(struct kernel *k, struct process *p);

/* Kernel-loop services of the drivers that have background work. */
void alarm_service(struct kernel *k);
void console_service(struct kernel *k);
void console_rx_byte(struct kernel *k, uint8_t c);

#endif
