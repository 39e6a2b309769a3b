/*
 * RISC-V (RV32, machine and user mode): process context, PMP, faults.
 */
#include "arch.h"

#include "panic.h"
#include "process.h"
#include "rv.h"

#define REG_RA 1
#define REG_SP 2
#define REG_A0 10
#define REG_A4 14

extern char __stack_guard[];

/* CSR numbers are immediates: one case per entry. */
#define PMP_CASE(n) case n: csr_write(pmpaddr##n, v); break;
static void pmpaddr_write(uint32_t i, uint32_t v)
{
	switch (i) {
	PMP_CASE(0) PMP_CASE(1) PMP_CASE(2) PMP_CASE(3) PMP_CASE(4) PMP_CASE(5) PMP_CASE(6)
	PMP_CASE(7)
#if PMP_ENTRIES > 8
	PMP_CASE(8) PMP_CASE(9) PMP_CASE(10) PMP_CASE(11) PMP_CASE(12) PMP_CASE(13)
	PMP_CASE(14) PMP_CASE(15)
#endif
	default: break;
	}
}
#undef PMP_CASE

/* Write the configuration bytes of all entries, four to a register. */
static void pmpcfg_write(const uint8_t cfg[PMP_ENTRIES])
{
	uint32_t w[4] = { 0, 0, 0, 0 };

	for (uint32_t i = 0; i < PMP_ENTRIES; i++)
		w[i / 4] |= (uint32_t)cfg[i] << (8 * (i % 4));
	csr_write(pmpcfg0, w[0]);
	csr_write(pmpcfg1, w[1]);
#if PMP_ENTRIES > 8
	csr_write(pmpcfg2, w[2]);
	csr_write(pmpcfg3, w[3]);
#endif
}

#define GUARD_ENTRY (PMP_ENTRIES - 1)
#define GUARD_CFG   (PMP_NAPOT | PMP_L)

static uint32_t napot(uint32_t addr, uint32_t size)
{
	return (addr >> 2) | ((size >> 3) - 1);
}

void arch_init(void)
{
	/*
	 * The last entry, locked, no access: the guard under the kernel stack.
	 * Locked entries bind machine mode too, so an overflow traps (and the
	 * trap handler runs on its own stack below the guard). No other entry
	 * matches yet: user mode can touch nothing.
	 */
	uint8_t cfg[PMP_ENTRIES] = { 0 };
	cfg[GUARD_ENTRY] = GUARD_CFG;
	pmpaddr_write(GUARD_ENTRY, napot((uint32_t)(uintptr_t)__stack_guard, STACK_GUARD_SIZE));
	pmpcfg_write(cfg);
	csr_set(mie, MIE_MTIE | MIE_MEIE);
}

/*
 * Entry 0: the app image, read and execute (NAPOT: it is a power of two,
 * aligned). Entries 1-2: [ram_start, brk) read-write, as top-of-range, the
 * break rounded up to the granule (arch_break_limit() keeps that below any
 * IPC endpoint). Then one NAPOT entry, read-write, per IPC share.
 */
static void pmp_configure(const struct process *p)
{
	uint8_t cfg[PMP_ENTRIES] = { 0 };
	uint32_t brk = (p->brk + PMP_GRANULE - 1) & ~(uint32_t)(PMP_GRANULE - 1);

	cfg[GUARD_ENTRY] = GUARD_CFG;
	pmpcfg_write(cfg);   /* the process's entries off while they change */
	pmpaddr_write(0, napot(p->flash_start, p->flash_size));
	pmpaddr_write(1, p->ram_start >> 2);
	pmpaddr_write(2, brk >> 2);
	cfg[0] = PMP_NAPOT | PMP_R | PMP_X;
	cfg[2] = PMP_TOR | PMP_R | PMP_W;
	for (uint32_t i = 0; i < p->nshares; i++) {
		pmpaddr_write(3 + i, napot(p->shares[i].addr, p->shares[i].size));
		cfg[3 + i] = PMP_NAPOT | PMP_R | PMP_W;
	}
	pmpcfg_write(cfg);
}

/* NAPOT covers 8 bytes at least, and never less than the granule. */
uint32_t arch_share_min(void)
{
	return PMP_GRANULE > 8 ? PMP_GRANULE : 8;
}

uint32_t arch_break_limit(const struct process *p, uint32_t limit)
{
	(void)p;
	return limit & ~(uint32_t)(PMP_GRANULE - 1);
}

void arch_process_start(struct process *p, uint32_t entry, uint32_t sp, const uint32_t args[4])
{
	for (int i = 0; i < 32; i++)
		p->ctx.regs[i] = 0;
	p->ctx.regs[0] = entry;
	p->ctx.regs[REG_SP] = sp;
	for (int i = 0; i < 4; i++)
		p->ctx.regs[REG_A0 + i] = args[i];
}

enum trap arch_run(struct process *p)
{
	pmp_configure(p);
	rv_switch_to_user(&p->ctx);

	uint32_t cause = p->ctx.mcause;
	if (cause & MCAUSE_INTERRUPT)
		return TRAP_INTERRUPT;
	if (cause == MCAUSE_ECALL_U) {
		p->ctx.regs[0] += 4;   /* return after the ecall */
		return TRAP_SYSCALL;
	}
	return TRAP_FAULT;
}

void arch_syscall_args(const struct process *p, uint32_t *class, uint32_t args[4])
{
	*class = p->ctx.regs[REG_A4];
	for (int i = 0; i < 4; i++)
		args[i] = p->ctx.regs[REG_A0 + i];
}

void arch_syscall_return(struct process *p, struct syscall_ret r)
{
	p->ctx.regs[REG_A0] = r.variant;
	p->ctx.regs[REG_A0 + 1] = r.r1;
	p->ctx.regs[REG_A0 + 2] = r.r2;
	p->ctx.regs[REG_A0 + 3] = r.r3;
}

void arch_upcall(struct process *p, uint32_t fn, const uint32_t args[4])
{
	p->ctx.regs[REG_RA] = p->ctx.regs[0];   /* the upcall returns to after the ecall */
	p->ctx.regs[0] = fn;
	for (int i = 0; i < 4; i++)
		p->ctx.regs[REG_A0 + i] = args[i];
}

void arch_fault_info(const struct process *p, struct fault_info *out)
{
	uint32_t cause = p->ctx.mcause, pc = p->ctx.regs[0], tval = p->ctx.mtval;

	switch (cause) {
	case 0:
		out->reason = "misaligned fetch";
		out->addr = tval;
		break;
	case 1:
	case 5:
	case 7:
		out->reason = "pmp fault";   /* instruction, load, store access fault */
		out->addr = tval;
		break;
	case 2:
		out->reason = "illegal instruction";
		out->addr = pc;
		break;
	case 3:
		out->reason = "breakpoint";
		out->addr = pc;
		break;
	case 4:
	case 6:
		out->reason = "misaligned access";
		out->addr = tval;
		break;
	default:
		out->reason = "exception";
		out->addr = pc;
		break;
	}
}

/* The kernel takes no interrupts in machine mode, so there is nothing to see. */
bool arch_irq_seen(void)
{
	return false;
}

void arch_irq_seen_clear(void)
{
}

/* Interrupts stay off in machine mode; wfi still wakes on a pending one. */
void arch_irq_disable(void)
{
}

void arch_irq_enable(void)
{
}

void arch_wait_for_interrupt(void)
{
	__asm__ volatile("wfi" ::: "memory");
}

_Noreturn void arch_halt(void)
{
	csr_write(mie, 0);
	for (;;)
		__asm__ volatile("wfi" ::: "memory");
}

_Noreturn void rv_kernel_trap(const uint32_t *frame)
{
	static const char *const names[] = {
		"pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1",
		"a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
		"s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6", "mcause", "mtval",
	};
	const struct panic_regs regs = { sizeof(names) / sizeof(names[0]), names, frame };
	kernel_panic("kernel trap", &regs);
}
