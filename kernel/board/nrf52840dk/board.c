/*
 * nRF52840-DK: UARTE0 on the J-Link's virtual COM port (P0.06 TX, P0.08
 * RX) for the console, RTC1 counting the 32768 Hz crystal as the clock
 * (compare 0 its alarm), SysTick on the 64 MHz core clock for the
 * timeslice.
 *
 * The UARTE moves bytes by EasyDMA from RAM: the kernel fills one 64-byte
 * buffer while the UARTE sends the other, and the end of each transfer
 * (ENDTX, always enabled) brings the kernel back to start the next. The
 * receiver takes one byte per transfer and is restarted by the kernel loop:
 * a console, not a modem.
 */
#include "board.h"

#include "cm.h"
#include "driver.h"

#define CPU_HZ      64000000u
#define RTC_HZ      32768u
#define SLICE_HZ    100u      /* 10 ms timeslices */

#define CLOCK                     0x40000000u
#define CLOCK_TASKS_HFCLKSTART    REG32(CLOCK + 0x000)
#define CLOCK_TASKS_LFCLKSTART    REG32(CLOCK + 0x008)
#define CLOCK_EVENTS_HFCLKSTARTED REG32(CLOCK + 0x100)
#define CLOCK_EVENTS_LFCLKSTARTED REG32(CLOCK + 0x104)
#define CLOCK_LFCLKSRC            REG32(CLOCK + 0x518)
#define LFCLKSRC_XTAL             1u

#define UARTE0               0x40002000u
#define UARTE_TASKS_STARTRX  REG32(UARTE0 + 0x000)
#define UARTE_TASKS_STARTTX  REG32(UARTE0 + 0x008)
#define UARTE_EVENTS_ENDRX   REG32(UARTE0 + 0x110)
#define UARTE_EVENTS_ENDTX   REG32(UARTE0 + 0x120)
#define UARTE_EVENTS_ERROR   REG32(UARTE0 + 0x124)
#define UARTE_INTENSET       REG32(UARTE0 + 0x304)
#define UARTE_ERRORSRC       REG32(UARTE0 + 0x480)
#define UARTE_ENABLE         REG32(UARTE0 + 0x500)
#define UARTE_PSEL_RTS       REG32(UARTE0 + 0x508)
#define UARTE_PSEL_TXD       REG32(UARTE0 + 0x50c)
#define UARTE_PSEL_CTS       REG32(UARTE0 + 0x510)
#define UARTE_PSEL_RXD       REG32(UARTE0 + 0x514)
#define UARTE_BAUDRATE       REG32(UARTE0 + 0x524)
#define UARTE_RXD_PTR        REG32(UARTE0 + 0x534)
#define UARTE_RXD_MAXCNT     REG32(UARTE0 + 0x538)
#define UARTE_RXD_AMOUNT     REG32(UARTE0 + 0x53c)
#define UARTE_TXD_PTR        REG32(UARTE0 + 0x544)
#define UARTE_TXD_MAXCNT     REG32(UARTE0 + 0x548)
#define UARTE_CONFIG         REG32(UARTE0 + 0x56c)
#define UARTE_ENABLE_ON      8u
#define UARTE_BAUD_115200    0x01d7e000u
#define UARTE_INT_ENDRX      (1u << 4)
#define UARTE_INT_ENDTX      (1u << 8)
#define PIN_TXD              6u
#define PIN_RXD              8u
#define PIN_NONE             0xffffffffu

#define RTC1                 0x40011000u
#define RTC_TASKS_START      REG32(RTC1 + 0x000)
#define RTC_TASKS_CLEAR      REG32(RTC1 + 0x008)
#define RTC_EVENTS_OVRFLW    REG32(RTC1 + 0x104)
#define RTC_EVENTS_COMPARE0  REG32(RTC1 + 0x140)
#define RTC_INTENSET         REG32(RTC1 + 0x304)
#define RTC_INTENCLR         REG32(RTC1 + 0x308)
#define RTC_COUNTER          REG32(RTC1 + 0x504)
#define RTC_PRESCALER        REG32(RTC1 + 0x508)
#define RTC_CC0              REG32(RTC1 + 0x540)
#define RTC_INT_OVRFLW       (1u << 1)
#define RTC_INT_COMPARE0     (1u << 16)
#define RTC_MASK             0x00ffffffu   /* a 24-bit counter */
/* The RTC may miss a compare value less than two ticks ahead of the counter. */
#define RTC_MIN_AHEAD        3u

#define IRQ_UARTE0           2
#define IRQ_RTC1             17
#define IRQ_MASK             ((1u << IRQ_UARTE0) | (1u << IRQ_RTC1))

#define SYST_ENABLE          1u
#define SYST_TICKINT         2u
#define SYST_CPUCLK          4u

#define TX_CHUNK 64

/*
 * The clock: RTC1's 24-bit counter widened to 64 bits by noticing when it
 * wraps (the overflow interrupt makes the kernel look at least once per
 * wrap, every 512 s). The DMA buffers must be in RAM. This is the board's
 * only state, hence file-level.
 */
static uint64_t clock_base;       /* the time at the counter's last zero */
static uint32_t clock_last;
static uint64_t alarm_programmed = UINT64_MAX;

static uint8_t tx_buf[2][TX_CHUNK];
static uint32_t tx_fill;          /* bytes waiting in tx_buf[tx_collect] */
static uint32_t tx_collect;       /* the buffer that collects; the other one may be on its way */
static bool tx_busy;              /* a transfer runs */
static uint8_t rx_byte;

void board_init(void)
{
	CLOCK_EVENTS_HFCLKSTARTED = 0;
	CLOCK_TASKS_HFCLKSTART = 1;   /* the crystal: the UART's baud rate needs it */
	while (!CLOCK_EVENTS_HFCLKSTARTED)
		;
	CLOCK_LFCLKSRC = LFCLKSRC_XTAL;
	CLOCK_EVENTS_LFCLKSTARTED = 0;
	CLOCK_TASKS_LFCLKSTART = 1;
	while (!CLOCK_EVENTS_LFCLKSTARTED)
		;

	UARTE_PSEL_TXD = PIN_TXD;
	UARTE_PSEL_RXD = PIN_RXD;
	UARTE_PSEL_RTS = PIN_NONE;
	UARTE_PSEL_CTS = PIN_NONE;
	UARTE_BAUDRATE = UARTE_BAUD_115200;
	UARTE_CONFIG = 0;                         /* 8N1, no flow control */
	UARTE_ENABLE = UARTE_ENABLE_ON;
	UARTE_RXD_PTR = (uint32_t)(uintptr_t)&rx_byte;
	UARTE_RXD_MAXCNT = 1;
	UARTE_TASKS_STARTRX = 1;
	UARTE_INTENSET = UARTE_INT_ENDRX | UARTE_INT_ENDTX;

	/*
	 * The time starts half a second before its low 32 bits wrap, so every
	 * boot crosses a 32-bit wrap early (as Linux starts jiffies just before
	 * theirs): code that mishandles it fails at once.
	 */
	RTC_PRESCALER = 0;
	RTC_TASKS_CLEAR = 1;
	clock_base = 0x100000000ull - RTC_HZ / 2;
	clock_last = 0;
	RTC_INTENSET = RTC_INT_OVRFLW;
	RTC_TASKS_START = 1;

	SYST_RVR = CPU_HZ / SLICE_HZ - 1;
	SYST_CVR = 0;
	SYST_CSR = SYST_ENABLE | SYST_TICKINT | SYST_CPUCLK;

	NVIC_ICPR(0) = IRQ_MASK;
	NVIC_ISER(0) = IRQ_MASK;
}

uint32_t board_time_hz(void)
{
	return RTC_HZ;
}

uint64_t board_time_now(void)
{
	uint32_t c = RTC_COUNTER & RTC_MASK;

	if (c < clock_last)
		clock_base += RTC_MASK + 1u;
	clock_last = c;
	return clock_base + c;
}

void board_alarm_program(uint64_t deadline)
{
	if (deadline == alarm_programmed)
		return;
	RTC_INTENCLR = RTC_INT_COMPARE0;
	RTC_EVENTS_COMPARE0 = 0;
	alarm_programmed = deadline;
	if (deadline == UINT64_MAX)
		return;
	uint64_t now = board_time_now();
	uint64_t ahead = deadline > now ? deadline - now : 0;
	if (ahead < RTC_MIN_AHEAD)
		ahead = RTC_MIN_AHEAD;
	/* Further than the counter reaches: wake up on the way and program again. */
	if (ahead > RTC_MASK - RTC_MIN_AHEAD)
		ahead = RTC_MASK - RTC_MIN_AHEAD;
	RTC_CC0 = (clock_last + (uint32_t)ahead) & RTC_MASK;
	RTC_INTENSET = RTC_INT_COMPARE0;
}

void board_slice_start(void)
{
	SYST_CVR = 0;
	cm_systick_fired = 0;
}

bool board_slice_expired(void)
{
	return cm_systick_fired != 0;
}

/* Finish a transfer that ended and start the next, if bytes wait. */
static void tx_kick(void)
{
	if (UARTE_EVENTS_ENDTX) {
		UARTE_EVENTS_ENDTX = 0;
		tx_busy = false;
	}
	if (tx_busy || tx_fill == 0)
		return;
	UARTE_TXD_PTR = (uint32_t)(uintptr_t)tx_buf[tx_collect];
	UARTE_TXD_MAXCNT = tx_fill;
	UARTE_TASKS_STARTTX = 1;
	tx_busy = true;
	tx_collect ^= 1;
	tx_fill = 0;
}

bool board_uart_try_put(uint8_t c)
{
	tx_kick();
	if (tx_fill == TX_CHUNK)
		return false;
	tx_buf[tx_collect][tx_fill++] = c;
	tx_kick();
	return true;
}

/* ENDTX interrupts are always on: each brings the kernel back to send more. */
void board_uart_tx_irq(bool enable)
{
	(void)enable;
}

/* Panics: nothing would come back to send what waits, so wait until it went. */
void board_uart_put_sync(uint8_t c)
{
	while (!board_uart_try_put(c))
		;
	while (tx_busy || tx_fill != 0)
		tx_kick();
}

void board_poll(struct kernel *k)
{
	RTC_EVENTS_OVRFLW = 0;
	(void)board_time_now();
	if (RTC_EVENTS_COMPARE0) {
		/* Fired (or reached a waypoint): alarm_service() programs it anew. */
		RTC_EVENTS_COMPARE0 = 0;
		RTC_INTENCLR = RTC_INT_COMPARE0;
		alarm_programmed = UINT64_MAX;
	}

	tx_kick();
	if (UARTE_EVENTS_ERROR) {
		UARTE_ERRORSRC = UARTE_ERRORSRC;   /* write-one-to-clear */
		UARTE_EVENTS_ERROR = 0;
	}
	if (UARTE_EVENTS_ENDRX) {
		UARTE_EVENTS_ENDRX = 0;
		uint32_t got = UARTE_RXD_AMOUNT;
		UARTE_TASKS_STARTRX = 1;
		if (got == 1)
			console_rx_byte(k, rx_byte);
	}

	NVIC_ISER(0) = IRQ_MASK;
}
