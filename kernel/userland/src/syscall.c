/*
 * The system-call instructions. Cortex-M: `svc <class>`, arguments and
 * results in r0-r3. RISC-V: `ecall` with the class in a4, arguments and
 * results in a0-a3.
 *
 * A yield may run an upcall before it returns, and the upcall is an
 * ordinary function call made on the yield's behalf: so yield clobbers
 * every caller-saved register, the link register included.
 */
#include <rig/syscall.h>

#if defined(__arm__)

#define SYSCALL4(class, a0, a1, a2, a3)                                          \
	({                                                                       \
		register uint32_t r0 __asm__("r0") = (a0);                       \
		register uint32_t r1 __asm__("r1") = (a1);                       \
		register uint32_t r2 __asm__("r2") = (a2);                       \
		register uint32_t r3 __asm__("r3") = (a3);                       \
		__asm__ volatile("svc %[c]"                                      \
				 : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)        \
				 : [c] "i"(class)                                \
				 : "memory");                                    \
		(struct sysret){ r0, r1, r2, r3 };                               \
	})

static void yield_raw(uint32_t how, uintptr_t result)
{
	register uint32_t r0 __asm__("r0") = how;
	register uint32_t r1 __asm__("r1") = result;
	__asm__ volatile("svc %[c]"
			 : "+r"(r0), "+r"(r1)
			 : [c] "i"(SYS_YIELD)
			 : "r2", "r3", "r12", "lr", "cc", "memory");
}

struct sysret yield_undefined(uint32_t how)
{
	register uint32_t r0 __asm__("r0") = how;
	register uint32_t r1 __asm__("r1") = 0;
	__asm__ volatile("svc %[c]"
			 : "+r"(r0), "+r"(r1)
			 : [c] "i"(SYS_YIELD)
			 : "r2", "r3", "r12", "lr", "cc", "memory");
	return (struct sysret){ r0, r1, 0, 0 };
}

#elif defined(__riscv)

#define SYSCALL4(class, x0, x1, x2, x3)                                          \
	({                                                                       \
		register uint32_t a0 __asm__("a0") = (x0);                       \
		register uint32_t a1 __asm__("a1") = (x1);                       \
		register uint32_t a2 __asm__("a2") = (x2);                       \
		register uint32_t a3 __asm__("a3") = (x3);                       \
		register uint32_t a4 __asm__("a4") = (class);                    \
		__asm__ volatile("ecall"                                         \
				 : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3)        \
				 : "r"(a4)                                       \
				 : "memory");                                    \
		(struct sysret){ a0, a1, a2, a3 };                               \
	})

/* a0, a1 and a4 are operands, so they are not listed. */
#define YIELD_CLOBBERS "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", \
	"a2", "a3", "a5", "a6", "a7", "memory"

static void yield_raw(uint32_t how, uintptr_t result)
{
	register uint32_t a0 __asm__("a0") = how;
	register uint32_t a1 __asm__("a1") = result;
	register uint32_t a4 __asm__("a4") = SYS_YIELD;
	__asm__ volatile("ecall" : "+r"(a0), "+r"(a1), "+r"(a4) : : YIELD_CLOBBERS);
}

struct sysret yield_undefined(uint32_t how)
{
	register uint32_t a0 __asm__("a0") = how;
	register uint32_t a1 __asm__("a1") = 0;
	register uint32_t a4 __asm__("a4") = SYS_YIELD;
	__asm__ volatile("ecall" : "+r"(a0), "+r"(a1), "+r"(a4) : : YIELD_CLOBBERS);
	return (struct sysret){ a0, a1, 0, 0 };
}

#else
#error "unsupported architecture"
#endif

void yield_wait(void)
{
	yield_raw(YIELD_WAIT, 0);
}

bool yield_no_wait(void)
{
	volatile uint8_t ran = 0;
	yield_raw(YIELD_NO_WAIT, (uintptr_t)&ran);
	return ran != 0;
}

void yield_no_wait_at(uintptr_t result_addr)
{
	yield_raw(YIELD_NO_WAIT, result_addr);
}

void yield_for(volatile bool *done)
{
	while (!*done)
		yield_wait();
}

struct sysret subscribe(uint32_t driver, uint32_t num, upcall_fn *fn, void *userdata)
{
	return SYSCALL4(SYS_SUBSCRIBE, driver, num, (uint32_t)(uintptr_t)fn,
			(uint32_t)(uintptr_t)userdata);
}

struct sysret command(uint32_t driver, uint32_t cmd, uint32_t arg1, uint32_t arg2)
{
	return SYSCALL4(SYS_COMMAND, driver, cmd, arg1, arg2);
}

struct sysret allow_rw(uint32_t driver, uint32_t num, void *buf, size_t len)
{
	return SYSCALL4(SYS_ALLOW_RW, driver, num, (uint32_t)(uintptr_t)buf, len);
}

struct sysret allow_ro(uint32_t driver, uint32_t num, const void *buf, size_t len)
{
	return SYSCALL4(SYS_ALLOW_RO, driver, num, (uint32_t)(uintptr_t)buf, len);
}

struct sysret memop(uint32_t op, uint32_t arg)
{
	return SYSCALL4(SYS_MEMOP, op, arg, 0, 0);
}

_Noreturn void exit_terminate(uint32_t code)
{
	SYSCALL4(SYS_EXIT, EXIT_TERMINATE, code, 0, 0);
	__builtin_unreachable();
}

_Noreturn void exit_restart(uint32_t code)
{
	SYSCALL4(SYS_EXIT, EXIT_RESTART, code, 0, 0);
	__builtin_unreachable();
}

struct sysret exit_undefined(uint32_t how, uint32_t code)
{
	return SYSCALL4(SYS_EXIT, how, code, 0, 0);
}

struct sysret syscall_undefined_class(uint32_t arg0)
{
	return SYSCALL4(9, arg0, 0, 0, 0);
}
