/* The vector table and the reset handler. */
#include <stdint.h>

#include "cm.h"

extern uint32_t __kernel_stack_top[];
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];

_Noreturn void kernel_main(void);
_Noreturn void cm_reset(void);

/* Interrupt lines of the chip (the board may say; 32 covers the MPS2). */
#ifndef CM_EXTERNAL_IRQS
#define CM_EXTERNAL_IRQS 32
#endif

__attribute__((section(".vectors"), used))
static void (*const vectors[16 + CM_EXTERNAL_IRQS])(void) = {
	(void (*)(void))(uintptr_t)__kernel_stack_top,
	cm_reset,
	cm_fault_handler,    /* NMI */
	cm_fault_handler,    /* HardFault */
	cm_fault_handler,    /* MemManage */
	cm_fault_handler,    /* BusFault */
	cm_fault_handler,    /* UsageFault */
	0, 0, 0, 0,
	cm_svc_handler,
	0,                   /* DebugMonitor */
	0,
	cm_fault_handler,    /* PendSV: never pended; if it were, a bug */
	cm_systick_handler,
	[16 ... 16 + CM_EXTERNAL_IRQS - 1] = cm_irq_handler,
};

_Noreturn void cm_reset(void)
{
	for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;)
		*d++ = *s++;
	for (uint32_t *d = __bss_start; d < __bss_end;)
		*d++ = 0;
	kernel_main();
}
