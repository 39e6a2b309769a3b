/*
 * Arty A7-35T with a LiteX SoC and a VexRiscv core: the LiteX UART for the
 * console, LiteX timer0 for everything that ticks: its 64-bit uptime
 * counter (the SoC built with --timer-uptime) is the clock, its one
 * countdown serves the alarm and the timeslice, as the FE310's mtimecmp
 * does. Register addresses are those of Tock's LiteX Arty board
 * (litex_generated_constants.rs): CSR base 0xf0000000, 32-bit CSR data
 * width, so every register is one word and a 64-bit one two, high first.
 *
 * Interrupts reach the VexRiscv through its own controller, two CSRs
 * (0xbc0 mask, 0xfc0 pending) in front of the machine external interrupt;
 * LiteX event sources hold their line until the kernel clears the event.
 * The UART's rate is fixed in the gateware (1 Mbaud, as Tock's bitstream).
 */
#include "board.h"

#include "driver.h"
#include "rv.h"

#define SYS_HZ      100000000u
#define SLICE_HZ    100u      /* 10 ms timeslices */

#define CSR_BASE    0xf0000000u
#define TIMER0      (CSR_BASE + 0x5000u)
#define UART        (CSR_BASE + 0x5800u)

#define TIMER_LOAD         REG32(TIMER0 + 0x00)
#define TIMER_RELOAD       REG32(TIMER0 + 0x04)
#define TIMER_EN           REG32(TIMER0 + 0x08)
#define TIMER_EV_PENDING   REG32(TIMER0 + 0x18)
#define TIMER_EV_ENABLE    REG32(TIMER0 + 0x1c)
#define TIMER_UPTIME_LATCH REG32(TIMER0 + 0x20)
#define TIMER_UPTIME_HI    REG32(TIMER0 + 0x24)
#define TIMER_UPTIME_LO    REG32(TIMER0 + 0x28)
#define TIMER_EV_ZERO      1u

#define UART_RXTX       REG32(UART + 0x00)
#define UART_TXFULL     REG32(UART + 0x04)
#define UART_RXEMPTY    REG32(UART + 0x08)
#define UART_EV_PENDING REG32(UART + 0x10)
#define UART_EV_ENABLE  REG32(UART + 0x14)
#define UART_EV_TX      1u
#define UART_EV_RX      2u

#define IRQ_UART    0
#define IRQ_TIMER0  1
#define IRQ_MASK_CSR    0xbc0   /* VexRiscv: interrupt lines let through */

/*
 * The clock is the uptime counter plus an offset chosen at boot (see
 * board_init()); the countdown serves two deadlines, remembered here. The
 * board's only state, hence file-level.
 */
static uint64_t time_offset;
static uint64_t alarm_deadline = UINT64_MAX;
static uint64_t slice_end;

static uint64_t uptime(void)
{
	TIMER_UPTIME_LATCH = 1;
	return (uint64_t)TIMER_UPTIME_HI << 32 | TIMER_UPTIME_LO;
}

void board_init(void)
{
	/* The BIOS may have left events on: start from none. */
	UART_EV_ENABLE = 0;
	UART_EV_PENDING = UART_EV_TX | UART_EV_RX;
	TIMER_EN = 0;
	TIMER_EV_ENABLE = 0;
	TIMER_EV_PENDING = TIMER_EV_ZERO;
	UART_EV_ENABLE = UART_EV_RX;

	/*
	 * The low word of the time starts half a second before it wraps, so
	 * every boot crosses a 32-bit wrap early (as Linux starts jiffies just
	 * before theirs): code that mishandles it fails at once.
	 */
	time_offset = (0x100000000ull - SYS_HZ / 2) - uptime();

	csr_write(0xbc0, (1u << IRQ_UART) | (1u << IRQ_TIMER0));
}

uint32_t board_time_hz(void)
{
	return SYS_HZ;
}

uint64_t board_time_now(void)
{
	return uptime() + time_offset;
}

/* The countdown to the nearer of the two deadlines, or off. */
static void program(void)
{
	uint64_t now = board_time_now();
	uint64_t next = alarm_deadline;

	if (slice_end > now && slice_end < next)
		next = slice_end;
	TIMER_EN = 0;
	TIMER_EV_PENDING = TIMER_EV_ZERO;
	if (next == UINT64_MAX) {
		TIMER_EV_ENABLE = 0;
		return;
	}
	uint64_t ahead = next > now ? next - now : 1;
	/* Further than the countdown reaches: wake up on the way and program again. */
	TIMER_RELOAD = 0;
	TIMER_LOAD = ahead > 0xffffffffu ? 0xffffffffu : (uint32_t)ahead;
	TIMER_EV_ENABLE = TIMER_EV_ZERO;
	TIMER_EN = 1;
}

void board_alarm_program(uint64_t deadline)
{
	if (deadline == alarm_deadline)
		return;
	alarm_deadline = deadline;
	program();
}

void board_slice_start(void)
{
	slice_end = board_time_now() + SYS_HZ / SLICE_HZ;
	program();
}

bool board_slice_expired(void)
{
	return board_time_now() >= slice_end;
}

bool board_uart_try_put(uint8_t c)
{
	if (UART_TXFULL & 1u)
		return false;
	UART_RXTX = c;
	return true;
}

/* The TX event fires when the FIFO stops being full. */
void board_uart_tx_irq(bool enable)
{
	if (enable) {
		UART_EV_PENDING = UART_EV_TX;
		UART_EV_ENABLE = UART_EV_RX | UART_EV_TX;
	} else {
		UART_EV_ENABLE = UART_EV_RX;
	}
}

void board_uart_put_sync(uint8_t c)
{
	while (!board_uart_try_put(c))
		;
}

void board_poll(struct kernel *k)
{
	/* Clearing the RX event is what pops the byte from the FIFO. */
	while (!(UART_RXEMPTY & 1u)) {
		uint8_t c = (uint8_t)UART_RXTX;
		UART_EV_PENDING = UART_EV_RX;
		console_rx_byte(k, c);
	}
	UART_EV_PENDING = UART_EV_TX;

	/* The countdown reached zero (the alarm, the slice or a waypoint): count down to the next. */
	if (TIMER_EV_PENDING & TIMER_EV_ZERO)
		program();
}
