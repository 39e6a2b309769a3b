/*
 * What the kernel needs from the board (board/<board>/): the console UART,
 * the 64-bit clock with its one alarm, the scheduler's timeslice, and a poll
 * of the devices after an interrupt.
 *
 * Interrupts only wake the CPU or pull it out of a process; all device work
 * happens in board_poll(), called from the kernel loop, so no kernel data is
 * ever touched from interrupt context.
 */
#ifndef BOARD_H
#define BOARD_H

#include "kernel.h"

void board_init(void);

/* Service the devices: UART to and from the console, clock bookkeeping. */
void board_poll(struct kernel *k);

/* UART transmit: false when the transmitter cannot take a byte now. */
bool board_uart_try_put(uint8_t c);
/* Ask for an interrupt when the transmitter can take more. */
void board_uart_tx_irq(bool enable);
/* Busy-wait transmit, for panics and for a full ring. */
void board_uart_put_sync(uint8_t c);

/* The clock: a 64-bit tick count that never goes backwards. */
uint64_t board_time_now(void);
uint32_t board_time_hz(void);
/* Interrupt at or after deadline; UINT64_MAX cancels. */
void board_alarm_program(uint64_t deadline);

/* The timeslice of the process about to run. */
void board_slice_start(void);
bool board_slice_expired(void);

#endif
