/*
 * The kernel's state: the process table, the console ring and the counters
 * that order upcalls and console writes.
 *
 * There is exactly one `struct kernel`; main.c owns it and passes a pointer
 * to every module, so no core module keeps state of its own. The arch and
 * board layers hold the few hardware mirrors that interrupt entry needs
 * (they say so where they do). Processes live in a fixed table: the kernel
 * never allocates.
 */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rig/abi.h>
#include <rig/tbf.h>

#include "arch_context.h"   /* struct arch_context, per architecture */

#define KERNEL_VERSION "0.1.0"
#define MAX_PROCESSES  8
#define APP_RAM_MIN_BLOCK 1024u

#ifndef CONSOLE_RING_SIZE
#define CONSOLE_RING_SIZE 512
#endif

/* Upcall and allow slots: each (driver, number) pair a process can use. */
enum upcall_slot {
	UPCALL_ALARM_EXPIRED,
	UPCALL_CONSOLE_WRITTEN,
	UPCALL_CONSOLE_READ,
	UPCALL_IPC_SERVICE,
	UPCALL_IPC_CLIENT,
	UPCALL_IPC_DISCOVERED,
	UPCALL_SLOTS
};
enum allow_ro_slot { ALLOW_RO_CONSOLE_WRITE, ALLOW_RO_IPC_NAME, ALLOW_RO_SLOTS };
enum allow_rw_slot {
	ALLOW_RW_CONSOLE_READ,
	ALLOW_RW_PROCESS_NAME,
	ALLOW_RW_IPC_SHARE,
	ALLOW_RW_SLOTS
};

struct syscall_ret {
	uint32_t variant;
	uint32_t r1, r2, r3;
};

struct upcall {
	uint32_t fn;
	uint32_t userdata;
	uint32_t args[3];
	uint32_t pending_seq;   /* 0: not pending; otherwise when it was scheduled */
};

struct buffer {
	uint32_t addr;
	uint32_t len;
};

enum process_state {
	PROCESS_RUNNING = PROCESS_STATE_RUNNING,
	PROCESS_YIELDED = PROCESS_STATE_YIELDED,
	PROCESS_TERMINATED = PROCESS_STATE_TERMINATED,
	PROCESS_FAULTED = PROCESS_STATE_FAULTED,
	PROCESS_RESTARTING = PROCESS_STATE_RESTARTING,
};

/* A protection region the arch layer maps for a process beyond its own memory. */
struct region {
	uint32_t addr;
	uint32_t size;   /* a power of two; addr is a multiple of it */
};

struct process {
	const struct tbf_header *image;   /* in app flash; checked at boot */
	uint32_t id;
	uint32_t flash_start, flash_size;
	uint32_t ram_start, ram_size;     /* the RAM block: power of two, aligned */
	uint32_t brk;                     /* [ram_start, brk) is the process's */
	/*
	 * The highest break: the end of the RAM block until the process first
	 * uses IPC, then the start of its IPC endpoint (ipc.h) at the top of
	 * the block, rounded down to what the MPU/PMP can enforce.
	 */
	uint32_t heap_end;
	enum process_state state;
	uint32_t restarts;
	uint32_t generation;              /* 1 at boot, +1 at each restart */
	uint32_t exit_code;
	struct arch_context ctx;
	struct upcall upcalls[UPCALL_SLOTS];
	struct buffer allow_ro[ALLOW_RO_SLOTS];
	struct buffer allow_rw[ALLOW_RW_SLOTS];

	/* alarm driver */
	bool alarm_armed;
	uint64_t alarm_deadline;

	/* console driver */
	uint32_t write_seq;     /* 0: no write pending; otherwise its turn */
	uint32_t write_len;
	bool read_pending;
	uint32_t read_len;
	uint32_t read_done;

	/* IPC driver: its endpoint, and the shares it may touch as a service. */
	uint32_t ipc;                     /* address of its endpoint, 0 while it has none */
	uint32_t nshares;
	struct region shares[ARCH_SHARE_REGIONS];
};

struct console {
	uint8_t ring[CONSOLE_RING_SIZE];
	uint32_t head;   /* free-running: next byte written at head % size */
	uint32_t tail;   /* free-running: next byte sent from tail % size */
};

struct kernel {
	struct process procs[MAX_PROCESSES];
	uint32_t nprocs;
	uint32_t current;       /* index of the process that ran last */
	uint32_t upcall_seq;    /* orders pending upcalls, oldest first */
	uint32_t write_seq;     /* orders pending console writes, oldest first */
	struct console console;
};

static inline struct syscall_ret ret_success(void)
{
	return (struct syscall_ret){ RET_SUCCESS, 0, 0, 0 };
}
static inline struct syscall_ret ret_success_u32(uint32_t v)
{
	return (struct syscall_ret){ RET_SUCCESS_U32, v, 0, 0 };
}
static inline struct syscall_ret ret_success_2u32(uint32_t a, uint32_t b)
{
	return (struct syscall_ret){ RET_SUCCESS_2U32, a, b, 0 };
}
static inline struct syscall_ret ret_success_u64(uint64_t v)
{
	return (struct syscall_ret){ RET_SUCCESS_U64, (uint32_t)v, (uint32_t)(v >> 32), 0 };
}
static inline struct syscall_ret ret_failure(uint32_t err)
{
	return (struct syscall_ret){ RET_FAILURE, err, 0, 0 };
}
static inline struct syscall_ret ret_failure_u32(uint32_t err, uint32_t v)
{
	return (struct syscall_ret){ RET_FAILURE_U32, err, v, 0 };
}

/* main.c */
_Noreturn void kernel_main(void);

#endif
