/*
 * Cortex-M3 system registers (ARMv7-M) and the state the exception entry
 * code in switch.S shares with C. Those few variables are written by
 * exception handlers, so they live here rather than in struct kernel.
 */
#ifndef CM_H
#define CM_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define SCB_ICSR   REG32(0xE000ED04)
#define SCB_VTOR   REG32(0xE000ED08)
#define SCB_CCR    REG32(0xE000ED14)
#define SCB_SHPR2  REG32(0xE000ED1C)
#define SCB_SHPR3  REG32(0xE000ED20)
#define SCB_SHCSR  REG32(0xE000ED24)
#define SCB_CFSR   REG32(0xE000ED28)
#define SCB_HFSR   REG32(0xE000ED2C)
#define SCB_MMFAR  REG32(0xE000ED34)
#define SCB_BFAR   REG32(0xE000ED38)

#define MPU_CTRL   REG32(0xE000ED94)
#define MPU_RNR    REG32(0xE000ED98)
#define MPU_RBAR   REG32(0xE000ED9C)
#define MPU_RASR   REG32(0xE000EDA0)

#define SYST_CSR   REG32(0xE000E010)
#define SYST_RVR   REG32(0xE000E014)
#define SYST_CVR   REG32(0xE000E018)

#define NVIC_ISER(n) REG32(0xE000E100 + 4 * (n))
#define NVIC_ICER(n) REG32(0xE000E180 + 4 * (n))
#define NVIC_ICPR(n) REG32(0xE000E280 + 4 * (n))

/* Values of cm_trap_reason; the same numbers as enum trap. */
#define CM_TRAP_SYSCALL   0
#define CM_TRAP_INTERRUPT 1
#define CM_TRAP_FAULT     2

#ifndef __ASSEMBLER__
/* Set by the handler that brought a process back to the kernel. */
extern volatile uint32_t cm_trap_reason;
/* The exception number of a process fault (IPSR). */
extern volatile uint32_t cm_fault_exception;
/* Set by SysTick: the running process's timeslice is over. */
extern volatile uint32_t cm_systick_fired;
/* Set by every interrupt handler (see arch_irq_seen()). */
extern volatile uint32_t cm_irq_seen;

/* switch.S: run the process whose stack is psp with r4-r11 from regs. */
uint32_t cm_switch_to_user(uint32_t psp, uint32_t *regs);
void cm_svc_handler(void);
void cm_systick_handler(void);
void cm_irq_handler(void);
void cm_fault_handler(void);

/* arch.c: a fault in the kernel itself. frame: r0-r3, r12, lr, pc, xpsr. */
_Noreturn void cm_kernel_fault(const uint32_t *frame, const uint32_t *r4_r11,
			       uint32_t ipsr, uint32_t exc_return);
#endif

#endif
