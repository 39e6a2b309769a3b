/*
 * SiFive FE310 (the HiFive1's SoC; QEMU's sifive_e): UART0 for the console,
 * the CLINT's 64-bit mtime as the clock and its one mtimecmp shared by the
 * alarm, the timeslice and the UART's pacing, the PLIC routing the UART's
 * interrupt. Boards: qemu-sifive-e and hifive1-revb (board/<board>/board.mk
 * sets the FE310_* macros below).
 *
 * The clock's rate: FE310_CLINT_HZ. On the real chip mtime counts the
 * 32768 Hz RTC clock; QEMU 7.2 runs it at 10 MHz (from QEMU 8.1 on at 32768
 * Hz). A board whose image runs on both (hifive1-revb) is told by a note in
 * RAM when it runs in QEMU: QEMU's command line writes it (see
 * FE310_QEMU_NOTE below and boards/hifive1-revb.yaml), real RAM never
 * holds it.
 *
 * In QEMU the UART is paced in software: QEMU 7.2's model of it has no flow
 * control (its FIFO always reads empty and a byte the console backend
 * cannot take is dropped). Sending no faster than the real UART's 8-byte
 * FIFO drains at 115200 baud keeps what is in flight small. The real UART
 * has a FIFO that fills up and a transmit watermark interrupt, which the
 * kernel uses there instead.
 */
#include "board.h"

#include "driver.h"
#include "rv.h"

#ifndef FE310_CLINT_HZ
#define FE310_CLINT_HZ 32768u
#endif
#ifndef FE310_PACED_TX
#define FE310_PACED_TX 0
#endif

#define SLICE_HZ    100u      /* 10 ms timeslices */
#define BAUD        115200u
#define TX_FIFO_DEPTH 8

#define PRCI        0x10008000u
#define PRCI_HFXOSCCFG REG32(PRCI + 0x04)
#define PRCI_PLLCFG    REG32(PRCI + 0x08)
#define PRCI_PLLOUTDIV REG32(PRCI + 0x0c)
#define HFXOSC_EN      (1u << 30)
#define HFXOSC_RDY     (1u << 31)
#define PLL_SEL        (1u << 16)
#define PLL_REFSEL     (1u << 17)
#define PLL_BYPASS     (1u << 18)
#define PLLOUT_DIVBY1  (1u << 8)
#define CORE_HZ        16000000u   /* the HiFive1's crystal, through the bypassed PLL */

#define GPIO        0x10012000u
#define GPIO_IOF_EN REG32(GPIO + 0x38)
#define GPIO_IOF_SEL REG32(GPIO + 0x3c)
#define UART0_PINS  ((1u << 16) | (1u << 17))

#define UART0       0x10013000u
#define UART_TXDATA REG32(UART0 + 0x00)
#define UART_RXDATA REG32(UART0 + 0x04)
#define UART_TXCTRL REG32(UART0 + 0x08)
#define UART_RXCTRL REG32(UART0 + 0x0c)
#define UART_IE     REG32(UART0 + 0x10)
#define UART_DIV    REG32(UART0 + 0x18)
#define UART_FULL   0x80000000u       /* txdata: FIFO full */
#define UART_EMPTY  0x80000000u       /* rxdata: nothing received */
#define UART_IE_TXWM 1u
#define UART_IE_RXWM 2u
#define TXCTRL_EN   1u
#define TXCTRL_TXCNT(n) ((uint32_t)(n) << 16)   /* watermark: interrupt below n queued */

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

#ifdef FE310_QEMU_NOTE
/*
 * The note: two words at the start of app RAM, "QEMU" and mtime's rate,
 * written by QEMU's generic loader at reset. Read once, before any process
 * has RAM, and wiped, so that a reset without it does not find it again.
 */
#define NOTE_MAGIC 0x554d4551u   /* the bytes "QEMU" */
struct note {
	uint32_t magic;
	uint32_t hz;
};
#endif

/*
 * The clock's rate and whether transmission is paced: fixed per board, or
 * set by the note at boot. mtimecmp serves three deadlines, remembered here
 * so any can move without losing the others. These are the SoC's only
 * state, hence file-level.
 */
static uint32_t clint_hz = FE310_CLINT_HZ;
static bool paced = FE310_PACED_TX;
static uint64_t alarm_deadline = UINT64_MAX;
static uint64_t slice_end;
static uint64_t programmed;

/* When the modelled transmit FIFO will have drained; whether bytes wait for room. */
static uint64_t tx_drained_at;
static bool tx_waiting;

static uint32_t ticks_per_byte(void)
{
	return clint_hz / (BAUD / 10);   /* start + 8 data + stop bits */
}

static void clock_init(void)
{
	/* 16 MHz from the crystal: the PLL bypassed, so nothing to lock. */
	PRCI_HFXOSCCFG = HFXOSC_EN;
	while (!(PRCI_HFXOSCCFG & HFXOSC_RDY))
		;
	PRCI_PLLCFG = PLL_REFSEL | PLL_BYPASS | PLL_SEL;
	PRCI_PLLOUTDIV = PLLOUT_DIVBY1;
}

void board_init(void)
{
#ifdef FE310_QEMU_NOTE
	volatile struct note *note = (volatile struct note *)(uintptr_t)APP_RAM_ORIGIN;
	if (note->magic == NOTE_MAGIC && note->hz != 0) {
		clint_hz = note->hz;
		paced = true;
	}
	note->magic = 0;
	note->hz = 0;
#endif
	clock_init();
	GPIO_IOF_SEL &= ~UART0_PINS;
	GPIO_IOF_EN |= UART0_PINS;
	UART_DIV = CORE_HZ / BAUD - 1;         /* 138: 115107 baud */
	UART_TXCTRL = TXCTRL_EN | TXCTRL_TXCNT(1);
	UART_RXCTRL = 1u;                     /* enabled; interrupt on any byte */
	UART_IE = UART_IE_RXWM;

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
	MTIME_LO = 0;   /* no carry into the high word while it is set */
	MTIME_HI = 0;
	MTIME_LO = 0u - clint_hz / 2;
}

uint32_t board_time_hz(void)
{
	return clint_hz;
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
	if (paced && tx_waiting) {
		uint64_t room_at = tx_drained_at - (TX_FIFO_DEPTH - 1) * ticks_per_byte();
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
	slice_end = board_time_now() + clint_hz / SLICE_HZ;
	program();
}

bool board_slice_expired(void)
{
	return board_time_now() >= slice_end;
}

bool board_uart_try_put(uint8_t c)
{
	if (!paced) {
		if (UART_TXDATA & UART_FULL)
			return false;
		UART_TXDATA = c;
		return true;
	}
	uint64_t now = board_time_now();
	if (tx_drained_at < now)
		tx_drained_at = now;
	if (tx_drained_at - now > (TX_FIFO_DEPTH - 1) * ticks_per_byte() || (UART_TXDATA & UART_FULL))
		return false;
	UART_TXDATA = c;
	tx_drained_at += ticks_per_byte();
	return true;
}

/*
 * "Interrupt me when there is room": paced, a timer wakeup (see the top of
 * the file); else the UART's transmit watermark.
 */
void board_uart_tx_irq(bool enable)
{
	if (!paced) {
		UART_IE = UART_IE_RXWM | (enable ? UART_IE_TXWM : 0);
		return;
	}
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
