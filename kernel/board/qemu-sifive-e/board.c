/*
 * SiFive E (FE310) in QEMU: UART0 for the console, the CLINT's 64-bit
 * mtime as the clock, and its one mtimecmp shared by the alarm, the
 * timeslice and the UART's pacing, the PLIC routing the UART's interrupt.
 *
 * The UART is paced in software: QEMU 7.2's model of it has no flow control
 * (its FIFO always reads empty and a byte the console backend cannot take
 * is dropped), and a console on a Unix socket stops taking one-byte writes
 * after a few hundred bytes until the reader catches up. Sending no faster
 * than the real UART's 8-byte FIFO drains at 115200 baud keeps what is in
 * flight small, and is what the real board needs anyway.
 */
#include "board.h"

#include "driver.h"
#include "rv.h"

/*
 * QEMU 7.2 runs the sifive_e CLINT at 10 MHz (from QEMU 8.1 on it is the
 * 32768 Hz of the real board's RTC, and this must follow).
 */
#ifndef CLINT_HZ
#define CLINT_HZ    10000000u
#endif
#define SLICE_HZ    100u      /* 10 ms timeslices */
#define BAUD        115200u
#define TICKS_PER_BYTE (CLINT_HZ / (BAUD / 10))   /* start + 8 data + stop bits */
#define TX_FIFO_DEPTH 8

#define UART0       0x10013000u
#define UART_TXDATA REG32(UART0 + 0x00)
#define UART_RXDATA REG32(UART0 + 0x04)
#define UART_TXCTRL REG32(UART0 + 0x08)
#define UART_RXCTRL REG32(UART0 + 0x0c)
#define UART_IE     REG32(UART0 + 0x10)
#define UART_DIV    REG32(UART0 + 0x18)
#define UART_FULL   0x80000000u       /* txdata: FIFO full */
#define UART_EMPTY  0x80000000u       /* rxdata: nothing received */
#define UART_IE_RXWM 2u

#define CLINT       0x02000000u
#define MTIMECMP_LO REG32(CLINT + 0x4000)
#define MTIMECMP_HI REG32(CLINT + 0x4004)
#define MTIME_LO    REG32(CLINT + 0xbff8)
#define MTIME_HI    REG32(CLINT + 0xbffc)

#define PLIC        0x0c000000u
#define PLIC_PRIORITY(n) REG32(PLIC + 4 * (n))
#define PLIC_ENABLE REG32(PLIC + 0x2000)
#define PLIC_THRESHOLD REG32(PLIC + 0x200000)
#define PLIC_CLAIM  REG32(PLIC + 0x200004)
#define IRQ_UART0   3

/*
 * mtimecmp serves three deadlines; these remember them so any can move
 * without losing the others.
 */
static uint64_t alarm_deadline = UINT64_MAX;
static uint64_t slice_end;
static uint64_t programmed;

/* When the modelled transmit FIFO will have drained; whether bytes wait for room. */
static uint64_t tx_drained_at;
static bool tx_waiting;

void board_init(void)
{
	UART_DIV = 138;                       /* 115200 baud from the 16 MHz bus clock */
	UART_TXCTRL = 1u;                     /* enabled */
	UART_RXCTRL = 1u;                     /* enabled; interrupt on any byte */
	UART_IE = UART_IE_RXWM;               /* transmit is paced by the timer */

	PLIC_PRIORITY(IRQ_UART0) = 1;
	PLIC_ENABLE = 1u << IRQ_UART0;
	PLIC_THRESHOLD = 0;

	/*
	 * The low word of mtime starts half a second before it wraps, so every
	 * boot crosses a 32-bit wrap early (as Linux starts jiffies just before
	 * theirs): code that mishandles it fails at once, not after hours.
	 */
	MTIMECMP_HI = 0xffffffffu;
	MTIMECMP_LO = 0xffffffffu;
	programmed = UINT64_MAX;
	MTIME_LO = 0u - CLINT_HZ / 2;
}

uint32_t board_time_hz(void)
{
	return CLINT_HZ;
}

uint64_t board_time_now(void)
{
	uint32_t hi, lo;

	/* Read high, low, high again: if the low word wrapped in between, retry. */
	do {
		hi = MTIME_HI;
		lo = MTIME_LO;
	} while (hi != MTIME_HI);
	return (uint64_t)hi << 32 | lo;
}

static void program(void)
{
	uint64_t now = board_time_now();
	uint64_t next = alarm_deadline;

	/* A slice that is over must not hold the interrupt pending. */
	if (slice_end > now && slice_end < next)
		next = slice_end;
	if (tx_waiting) {
		uint64_t room_at = tx_drained_at - (TX_FIFO_DEPTH - 1) * TICKS_PER_BYTE;
		if (room_at < next)
			next = room_at;
	}
	if (next == programmed)
		return;
	programmed = next;
	/* Never a moment where the compare value is lower than both halves say. */
	MTIMECMP_HI = 0xffffffffu;
	MTIMECMP_LO = (uint32_t)next;
	MTIMECMP_HI = (uint32_t)(next >> 32);
}

void board_alarm_program(uint64_t deadline)
{
	alarm_deadline = deadline;
	program();
}

void board_slice_start(void)
{
	slice_end = board_time_now() + CLINT_HZ / SLICE_HZ;
	program();
}

bool board_slice_expired(void)
{
	return board_time_now() >= slice_end;
}

bool board_uart_try_put(uint8_t c)
{
	uint64_t now = board_time_now();

	if (tx_drained_at < now)
		tx_drained_at = now;
	if (tx_drained_at - now > (TX_FIFO_DEPTH - 1) * TICKS_PER_BYTE || (UART_TXDATA & UART_FULL))
		return false;
	UART_TXDATA = c;
	tx_drained_at += TICKS_PER_BYTE;
	return true;
}

/* "Interrupt me when there is room": a timer wakeup, see the top of the file. */
void board_uart_tx_irq(bool enable)
{
	if (enable != tx_waiting) {
		tx_waiting = enable;
		program();
	}
}

void board_uart_put_sync(uint8_t c)
{
	while (!board_uart_try_put(c))
		;
}

void board_poll(struct kernel *k)
{
	uint32_t irq;

	/* Claim and complete everything the PLIC holds: the UART is polled below. */
	while ((irq = PLIC_CLAIM) != 0)
		PLIC_CLAIM = irq;

	uint32_t v;
	while (!((v = UART_RXDATA) & UART_EMPTY))
		console_rx_byte(k, (uint8_t)v);

	/* A timer interrupt that woke us: moving mtimecmp on clears it. */
	program();
}
