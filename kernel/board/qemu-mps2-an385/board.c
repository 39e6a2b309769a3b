/*
 * MPS2 AN385 in QEMU: CMSDK APB UART0 for the console, CMSDK APB timer 0
 * free-running as the clock, timer 1 one-shot as the alarm, SysTick for
 * the timeslice. All run from the 25 MHz system clock.
 */
#include "board.h"

#include "cm.h"
#include "driver.h"

#define SYSCLK_HZ   25000000u
#define BAUD        115200u
#define SLICE_HZ    100u      /* 10 ms timeslices */

#define UART0       0x40004000u
#define UART_DATA   REG32(UART0 + 0x00)
#define UART_STATE  REG32(UART0 + 0x04)
#define UART_CTRL   REG32(UART0 + 0x08)
#define UART_INT    REG32(UART0 + 0x0c)   /* status on read, clear on write */
#define UART_BAUDDIV REG32(UART0 + 0x10)
#define STATE_TX_FULL   1u
#define STATE_RX_FULL   2u
#define CTRL_TX_EN      1u
#define CTRL_RX_EN      2u
#define CTRL_TX_INT_EN  4u
#define CTRL_RX_INT_EN  8u
#define INT_ALL         0xfu

#define TIMER_CTRL(t)   REG32((t) + 0x00)
#define TIMER_VALUE(t)  REG32((t) + 0x04)
#define TIMER_RELOAD(t) REG32((t) + 0x08)
#define TIMER_INT(t)    REG32((t) + 0x0c)
#define TIMER_ENABLE    1u
#define TIMER_IRQ_EN    8u
#define CLOCK_TIMER     0x40000000u
#define ALARM_TIMER     0x40001000u

#define IRQ_UART0_RX    0
#define IRQ_UART0_TX    1
#define IRQ_TIMER0      8
#define IRQ_TIMER1      9
#define IRQ_MASK ((1u << IRQ_UART0_RX) | (1u << IRQ_UART0_TX) | (1u << IRQ_TIMER0) | \
		  (1u << IRQ_TIMER1))

#define SYST_ENABLE     1u
#define SYST_TICKINT    2u
#define SYST_CPUCLK     4u

/*
 * The clock is the down-counter of timer 0 read as an up-counter, widened
 * to 64 bits by noticing when it wraps. The timer's own wrap interrupt makes
 * the kernel look at least once per wrap, which is all this needs. These
 * two words are the only state of the clock, hence file-level.
 */
static uint64_t clock_high;
static uint32_t clock_last_low;

/* What the alarm timer counts down to, so an unchanged deadline is left alone. */
static uint64_t alarm_programmed = UINT64_MAX;

void board_init(void)
{
	UART_BAUDDIV = SYSCLK_HZ / BAUD;
	UART_CTRL = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INT_EN;

	/*
	 * The low word of the time starts half a second before it wraps, so
	 * every boot crosses a 32-bit wrap early (as Linux starts jiffies just
	 * before theirs): code that mishandles it fails at once, not after
	 * three minutes of uptime.
	 */
	TIMER_CTRL(CLOCK_TIMER) = 0;
	TIMER_RELOAD(CLOCK_TIMER) = 0xffffffffu;
	TIMER_VALUE(CLOCK_TIMER) = SYSCLK_HZ / 2;
	TIMER_CTRL(CLOCK_TIMER) = TIMER_ENABLE | TIMER_IRQ_EN;
	clock_last_low = ~(SYSCLK_HZ / 2);

	TIMER_CTRL(ALARM_TIMER) = 0;
	TIMER_RELOAD(ALARM_TIMER) = 0xffffffffu;
	TIMER_INT(ALARM_TIMER) = 1;

	SYST_RVR = SYSCLK_HZ / SLICE_HZ - 1;
	SYST_CVR = 0;
	SYST_CSR = SYST_ENABLE | SYST_TICKINT | SYST_CPUCLK;

	NVIC_ICPR(0) = IRQ_MASK;
	NVIC_ISER(0) = IRQ_MASK;
}

uint32_t board_time_hz(void)
{
	return SYSCLK_HZ;
}

uint64_t board_time_now(void)
{
	uint32_t low = ~TIMER_VALUE(CLOCK_TIMER);

	if (low < clock_last_low)
		clock_high += 1ull << 32;
	clock_last_low = low;
	return clock_high | low;
}

void board_alarm_program(uint64_t deadline)
{
	if (deadline == alarm_programmed)
		return;
	TIMER_CTRL(ALARM_TIMER) = 0;
	TIMER_INT(ALARM_TIMER) = 1;
	alarm_programmed = deadline;
	if (deadline == UINT64_MAX)
		return;
	uint64_t now = board_time_now();
	uint64_t delta = deadline > now ? deadline - now : 1;
	/* Further than one timer period: wake up on the way and program again. */
	TIMER_VALUE(ALARM_TIMER) = delta > 0xffffffffu ? 0xffffffffu : (uint32_t)delta;
	TIMER_CTRL(ALARM_TIMER) = TIMER_ENABLE | TIMER_IRQ_EN;
}

void board_slice_start(void)
{
	SYST_CVR = 0;   /* restart the count from the reload value */
	cm_systick_fired = 0;
}

bool board_slice_expired(void)
{
	return cm_systick_fired != 0;
}

bool board_uart_try_put(uint8_t c)
{
	if (UART_STATE & STATE_TX_FULL)
		return false;
	UART_DATA = c;
	return true;
}

void board_uart_tx_irq(bool enable)
{
	if (enable)
		UART_CTRL |= CTRL_TX_INT_EN;
	else
		UART_CTRL &= ~CTRL_TX_INT_EN;
}

void board_uart_put_sync(uint8_t c)
{
	while (!board_uart_try_put(c))
		;
}

void board_poll(struct kernel *k)
{
	/* Acknowledge first: an event after this point raises the line again. */
	UART_INT = INT_ALL;
	TIMER_INT(CLOCK_TIMER) = 1;
	(void)board_time_now();
	if (TIMER_INT(ALARM_TIMER) & 1) {
		/* Fired (or reached a waypoint): alarm_service() programs it anew. */
		TIMER_CTRL(ALARM_TIMER) = 0;
		TIMER_INT(ALARM_TIMER) = 1;
		alarm_programmed = UINT64_MAX;
	}

	while (UART_STATE & STATE_RX_FULL)
		console_rx_byte(k, (uint8_t)UART_DATA);

	NVIC_ISER(0) = IRQ_MASK;
}
