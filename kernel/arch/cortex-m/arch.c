/*
 * Cortex-M3: process context, MPU (PMSAv7), faults.
 */
#include "arch.h"

#include "cm.h"
#include "panic.h"
#include "process.h"

volatile uint32_t cm_trap_reason;
volatile uint32_t cm_fault_exception;
volatile uint32_t cm_systick_fired;
volatile uint32_t cm_irq_seen;

#define XPSR_THUMB      0x01000000u
#define XPSR_STKALIGN   (1u << 9)    /* the hardware padded the frame by 4 */
#define FRAME_WORDS     8            /* r0-r3, r12, lr, pc, xpsr */

#define CCR_STKALIGN    (1u << 9)
#define CCR_DIV_0_TRP   (1u << 4)
#define SHCSR_FAULTS    ((1u << 16) | (1u << 17) | (1u << 18))  /* mem, bus, usage */

#define MPU_CTRL_ENABLE     1u
#define MPU_CTRL_PRIVDEFENA 4u
#define RBAR_VALID      (1u << 4)
#define RASR_ENABLE     1u
#define RASR_XN         (1u << 28)
#define RASR_AP_RO_RO   (6u << 24)   /* read-only, privileged and not */
#define RASR_AP_RW_RW   (3u << 24)
#define RASR_NORMAL_WT  (1u << 17)   /* TEX=0 C=1 B=0: normal, write-through */
#define RASR_SHAREABLE  (1u << 18)

void arch_init(void)
{
	SCB_CCR |= CCR_STKALIGN | CCR_DIV_0_TRP;
	/* Give MemManage, BusFault and UsageFault their own handlers. */
	SCB_SHCSR |= SHCSR_FAULTS;
	for (uint32_t r = 0; r < 8; r++) {
		MPU_RNR = r;
		MPU_RASR = 0;
	}
	/* The kernel keeps the default memory map; processes get only their regions. */
	MPU_CTRL = MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA;
	__asm__ volatile("dsb\n\tisb" ::: "memory");
}

static uint32_t log2_of(uint32_t pow2)
{
	return 31 - (uint32_t)__builtin_clz(pow2);
}

static void mpu_configure(const struct process *p)
{
	/* Region 0: the app image, read-only and executable. */
	MPU_RBAR = p->flash_start | RBAR_VALID | 0;
	MPU_RASR = RASR_AP_RO_RO | RASR_NORMAL_WT | ((log2_of(p->flash_size) - 1) << 1) |
		   RASR_ENABLE;

	/*
	 * Region 1: the RAM block, never executable. Its eight subregions
	 * are enabled up to the break (rounded up to a subregion), so memory
	 * above the break faults.
	 */
	uint32_t sub = p->ram_size / 8;
	uint32_t used = (p->brk - p->ram_start + sub - 1) / sub;
	uint32_t srd = (0xffu << used) & 0xffu;
	MPU_RBAR = p->ram_start | RBAR_VALID | 1;
	MPU_RASR = RASR_XN | RASR_AP_RW_RW | RASR_NORMAL_WT | RASR_SHAREABLE | (srd << 8) |
		   ((log2_of(p->ram_size) - 1) << 1) | RASR_ENABLE;

	/* Regions 2-7: the buffers clients share with it (IPC), never executable. */
	for (uint32_t i = 0; i < ARCH_SHARE_REGIONS; i++) {
		if (i < p->nshares) {
			const struct region *r = &p->shares[i];
			MPU_RBAR = r->addr | RBAR_VALID | (2 + i);
			MPU_RASR = RASR_XN | RASR_AP_RW_RW | RASR_NORMAL_WT | RASR_SHAREABLE |
				   ((log2_of(r->size) - 1) << 1) | RASR_ENABLE;
		} else {
			MPU_RNR = 2 + i;
			MPU_RASR = 0;
		}
	}
	__asm__ volatile("dsb\n\tisb" ::: "memory");
}

/* The MPU's smallest region. */
uint32_t arch_share_min(void)
{
	return 32;
}

/* The break is enforced in subregions: eighths of the RAM block. */
uint32_t arch_break_limit(const struct process *p, uint32_t limit)
{
	uint32_t sub = p->ram_size / 8;
	return p->ram_start + (limit - p->ram_start) / sub * sub;
}

void arch_process_start(struct process *p, uint32_t entry, uint32_t sp, const uint32_t args[4])
{
	uint32_t *frame = (uint32_t *)(uintptr_t)(sp - FRAME_WORDS * 4);

	for (int i = 0; i < 4; i++)
		frame[i] = args[i];
	frame[4] = 0;               /* r12 */
	frame[5] = 0;               /* lr: returning from the entry point faults */
	frame[6] = entry & ~1u;     /* pc */
	frame[7] = XPSR_THUMB;
	p->ctx.psp = sp - FRAME_WORDS * 4;
	for (int i = 0; i < 8; i++)
		p->ctx.r4_r11[i] = 0;
}

/* The frame is only trusted where the process could have written it itself. */
static uint32_t *frame_of(const struct process *p)
{
	if (p->ctx.psp < p->ram_start || p->ctx.psp > p->brk - FRAME_WORDS * 4 ||
	    p->ctx.psp % 4 != 0)
		return NULL;
	return (uint32_t *)(uintptr_t)p->ctx.psp;
}

enum trap arch_run(struct process *p)
{
	mpu_configure(p);
	p->ctx.psp = cm_switch_to_user(p->ctx.psp, p->ctx.r4_r11);

	switch (cm_trap_reason) {
	case CM_TRAP_SYSCALL:
		/* A frame outside the process's memory cannot be a real call. */
		if (frame_of(p) == NULL) {
			p->ctx.fault_exception = 0;
			return TRAP_FAULT;
		}
		return TRAP_SYSCALL;
	case CM_TRAP_FAULT:
		p->ctx.fault_exception = cm_fault_exception;
		p->ctx.cfsr = SCB_CFSR;
		p->ctx.hfsr = SCB_HFSR;
		p->ctx.mmfar = SCB_MMFAR;
		p->ctx.bfar = SCB_BFAR;
		/* Write-one-to-clear, so the next fault starts clean. */
		SCB_CFSR = p->ctx.cfsr;
		SCB_HFSR = p->ctx.hfsr;
		return TRAP_FAULT;
	default:
		return TRAP_INTERRUPT;
	}
}

void arch_syscall_args(const struct process *p, uint32_t *class, uint32_t args[4])
{
	const uint32_t *frame = frame_of(p);
	uint32_t pc = frame[6];

	for (int i = 0; i < 4; i++)
		args[i] = frame[i];
	/* The class is the immediate of the svc just before the return address. */
	if (process_executable(p, pc - 2))
		*class = *(const uint16_t *)(uintptr_t)(pc - 2) & 0xffu;
	else
		*class = 0xffffffffu;
}

void arch_syscall_return(struct process *p, struct syscall_ret r)
{
	uint32_t *frame = frame_of(p);

	frame[0] = r.variant;
	frame[1] = r.r1;
	frame[2] = r.r2;
	frame[3] = r.r3;
}

void arch_upcall(struct process *p, uint32_t fn, const uint32_t args[4])
{
	uint32_t *frame = frame_of(p);

	for (int i = 0; i < 4; i++)
		frame[i] = args[i];
	frame[4] = 0;
	frame[5] = frame[6] | 1u;   /* the upcall returns to just after the svc */
	frame[6] = fn & ~1u;
	/* Keep the padding bit: it says where the stack pointer goes back to. */
	frame[7] = (frame[7] & XPSR_STKALIGN) | XPSR_THUMB;
}

#define CFSR_IACCVIOL   (1u << 0)
#define CFSR_DACCVIOL   (1u << 1)
#define CFSR_MUNSTKERR  (1u << 3)
#define CFSR_MSTKERR    (1u << 4)
#define CFSR_MMARVALID  (1u << 7)
#define CFSR_IBUSERR    (1u << 8)
#define CFSR_PRECISERR  (1u << 9)
#define CFSR_UNSTKERR   (1u << 11)
#define CFSR_STKERR     (1u << 12)
#define CFSR_BFARVALID  (1u << 15)
#define CFSR_UNDEFINSTR (1u << 16)
#define CFSR_INVSTATE   (1u << 17)
#define CFSR_INVPC      (1u << 18)
#define CFSR_NOCP       (1u << 19)
#define CFSR_UNALIGNED  (1u << 24)
#define CFSR_DIVBYZERO  (1u << 25)

void arch_fault_info(const struct process *p, struct fault_info *out)
{
	const struct arch_context *c = &p->ctx;
	const uint32_t *frame = frame_of(p);
	uint32_t pc = frame != NULL ? frame[6] : c->psp;
	uint32_t cfsr = c->cfsr;

	out->addr = pc;
	if (c->fault_exception == 0) {
		out->reason = "bad stack pointer";
		out->addr = c->psp;
	} else if (cfsr & (CFSR_MSTKERR | CFSR_MUNSTKERR | CFSR_STKERR | CFSR_UNSTKERR)) {
		out->reason = "stack fault";
		out->addr = c->psp;
	} else if (cfsr & CFSR_DACCVIOL) {
		out->reason = "mpu fault";
		if (cfsr & CFSR_MMARVALID)
			out->addr = c->mmfar;
	} else if (cfsr & CFSR_IACCVIOL) {
		out->reason = "mpu fault";
	} else if (cfsr & CFSR_PRECISERR) {
		out->reason = "bus fault";
		if (cfsr & CFSR_BFARVALID)
			out->addr = c->bfar;
	} else if (cfsr & CFSR_IBUSERR) {
		out->reason = "bus fault";
	} else if (cfsr & (CFSR_UNDEFINSTR | CFSR_NOCP)) {
		out->reason = "illegal instruction";
	} else if (cfsr & CFSR_INVSTATE) {
		out->reason = "invalid state";
	} else if (cfsr & CFSR_INVPC) {
		out->reason = "invalid exception return";
	} else if (cfsr & CFSR_UNALIGNED) {
		out->reason = "unaligned access";
	} else if (cfsr & CFSR_DIVBYZERO) {
		out->reason = "divide by zero";
	} else {
		out->reason = "hard fault";
	}
}

bool arch_irq_seen(void)
{
	return cm_irq_seen != 0;
}

void arch_irq_seen_clear(void)
{
	cm_irq_seen = 0;
}

void arch_irq_disable(void)
{
	__asm__ volatile("cpsid i" ::: "memory");
}

void arch_irq_enable(void)
{
	__asm__ volatile("cpsie i" ::: "memory");
}

void arch_wait_for_interrupt(void)
{
	__asm__ volatile("dsb\n\twfi" ::: "memory");
}

_Noreturn void arch_halt(void)
{
	for (;;)
		__asm__ volatile("cpsid i\n\twfi" ::: "memory");
}

_Noreturn void cm_kernel_fault(const uint32_t *frame, const uint32_t *r4_r11, uint32_t ipsr,
			       uint32_t exc_return)
{
	static const char *const names[] = {
		"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11",
		"r12", "lr", "pc", "xpsr", "sp", "exc", "cfsr", "hfsr", "mmfar", "bfar",
	};
	uint32_t values[sizeof(names) / sizeof(names[0])];

	for (int i = 0; i < 4; i++)
		values[i] = frame[i];
	for (int i = 0; i < 8; i++)
		values[4 + i] = r4_r11[i];
	values[12] = frame[4];
	values[13] = frame[5];
	values[14] = frame[6];
	values[15] = frame[7];
	values[16] = (uint32_t)(uintptr_t)frame + FRAME_WORDS * 4;
	values[17] = ipsr;
	values[18] = SCB_CFSR;
	values[19] = SCB_HFSR;
	values[20] = SCB_MMFAR;
	values[21] = SCB_BFAR;
	(void)exc_return;

	const struct panic_regs regs = { sizeof(names) / sizeof(names[0]), names, values };
	kernel_panic("kernel fault", &regs);
}
