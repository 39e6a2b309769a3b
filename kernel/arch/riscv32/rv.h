/* RISC-V machine-mode CSRs and bits (privileged spec 1.11). */
#ifndef RV_H
#define RV_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define csr_read(csr) ({ uint32_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" :: "rK"(v) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" :: "rK"(v) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" :: "rK"(v) : "memory")

#define MSTATUS_MIE   (1u << 3)
#define MSTATUS_MPIE  (1u << 7)
#define MSTATUS_MPP   (3u << 11)
#define MIE_MTIE      (1u << 7)
#define MIE_MEIE      (1u << 11)
#define MCAUSE_INTERRUPT 0x80000000u
#define MCAUSE_ECALL_U 8

#define PMP_R     0x01u
#define PMP_W     0x02u
#define PMP_X     0x04u
#define PMP_TOR   0x08u
#define PMP_NAPOT 0x18u
#define PMP_L     0x80u

/* trap.S */
void rv_switch_to_user(void *ctx);
void rv_trap_entry(void);
_Noreturn void rv_kernel_trap(const uint32_t *frame);

#endif
