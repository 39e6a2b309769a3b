/*
 * System-call wrappers: one function per class, returning the raw return
 * variant and registers (doc/abi.md). The higher-level headers (console,
 * alarm, process, memop, tap) are built on these.
 */
#ifndef RIG_SYSCALL_H
#define RIG_SYSCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rig/abi.h>

struct sysret {
	uint32_t variant;
	uint32_t r1, r2, r3;
};

/* An upcall: the three driver arguments, then the subscriber's userdata. */
typedef void upcall_fn(uint32_t arg0, uint32_t arg1, uint32_t arg2, void *userdata);

/* Sleep until an upcall has run. */
void yield_wait(void);
/* Run one pending upcall if there is one: true if one ran. Never sleeps. */
bool yield_no_wait(void);
/* yield-no-wait with the result address chosen by the caller (tests). */
void yield_no_wait_at(uintptr_t result_addr);
/* yield_wait() until *done is true. */
void yield_for(volatile bool *done);

struct sysret subscribe(uint32_t driver, uint32_t num, upcall_fn *fn, void *userdata);
struct sysret command(uint32_t driver, uint32_t cmd, uint32_t arg1, uint32_t arg2);
struct sysret allow_rw(uint32_t driver, uint32_t num, void *buf, size_t len);
struct sysret allow_ro(uint32_t driver, uint32_t num, const void *buf, size_t len);
struct sysret memop(uint32_t op, uint32_t arg);
_Noreturn void exit_terminate(uint32_t code);
_Noreturn void exit_restart(uint32_t code);

/* Calls the ABI does not define, for tests of how the kernel refuses them. */
struct sysret syscall_undefined_class(uint32_t arg0);  /* class 9 */
struct sysret exit_undefined(uint32_t how, uint32_t code);
struct sysret yield_undefined(uint32_t how);

static inline bool sysret_ok(struct sysret r)
{
	return r.variant >= RET_SUCCESS;
}

/* The error code of a failure variant, 0 for a success. */
static inline uint32_t sysret_error(struct sysret r)
{
	return r.variant < RET_SUCCESS ? r.r1 : 0;
}

static inline uint64_t sysret_u64(struct sysret r)
{
	return ((uint64_t)r.r2 << 32) | r.r1;
}

#endif
