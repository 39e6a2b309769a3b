#include "jtag.h"

#include <stddef.h>

/* IEEE 1149.1 figure 6-1: the next state for TMS = 0 and TMS = 1. */
static const unsigned char next_state[JTAG_STATES][2] = {
	[JTAG_RESET]      = { JTAG_IDLE,       JTAG_RESET },
	[JTAG_IDLE]       = { JTAG_IDLE,       JTAG_SELECT_DR },
	[JTAG_SELECT_DR]  = { JTAG_CAPTURE_DR, JTAG_SELECT_IR },
	[JTAG_CAPTURE_DR] = { JTAG_SHIFT_DR,   JTAG_EXIT1_DR },
	[JTAG_SHIFT_DR]   = { JTAG_SHIFT_DR,   JTAG_EXIT1_DR },
	[JTAG_EXIT1_DR]   = { JTAG_PAUSE_DR,   JTAG_UPDATE_DR },
	[JTAG_PAUSE_DR]   = { JTAG_PAUSE_DR,   JTAG_EXIT2_DR },
	[JTAG_EXIT2_DR]   = { JTAG_SHIFT_DR,   JTAG_UPDATE_DR },
	[JTAG_UPDATE_DR]  = { JTAG_IDLE,       JTAG_SELECT_DR },
	[JTAG_SELECT_IR]  = { JTAG_CAPTURE_IR, JTAG_RESET },
	[JTAG_CAPTURE_IR] = { JTAG_SHIFT_IR,   JTAG_EXIT1_IR },
	[JTAG_SHIFT_IR]   = { JTAG_SHIFT_IR,   JTAG_EXIT1_IR },
	[JTAG_EXIT1_IR]   = { JTAG_PAUSE_IR,   JTAG_UPDATE_IR },
	[JTAG_PAUSE_IR]   = { JTAG_PAUSE_IR,   JTAG_EXIT2_IR },
	[JTAG_EXIT2_IR]   = { JTAG_SHIFT_IR,   JTAG_UPDATE_IR },
	[JTAG_UPDATE_IR]  = { JTAG_IDLE,       JTAG_SELECT_DR },
};

static const char *const state_names[JTAG_STATES] = {
	"Test-Logic-Reset", "Run-Test/Idle",
	"Select-DR-Scan", "Capture-DR", "Shift-DR", "Exit1-DR", "Pause-DR", "Exit2-DR", "Update-DR",
	"Select-IR-Scan", "Capture-IR", "Shift-IR", "Exit1-IR", "Pause-IR", "Exit2-IR", "Update-IR",
};

enum jtag_state jtag_next_state(enum jtag_state s, bool tms)
{
	if ((unsigned)s >= JTAG_STATES)
		return JTAG_RESET;
	return (enum jtag_state)next_state[s][tms ? 1 : 0];
}

const char *jtag_state_name(enum jtag_state s)
{
	return (unsigned)s < JTAG_STATES ? state_names[s] : "?";
}

static uint64_t mask_of(unsigned bits)
{
	return bits >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << bits) - 1;
}

void jtag_tap_init(struct jtag_tap *tap, unsigned ir_len, uint32_t ir_after_reset,
		   const struct jtag_dr_ops *ops, void *ctx)
{
	*tap = (struct jtag_tap){ 0 };
	tap->ir_len = ir_len < 2 ? 2 : ir_len > JTAG_IR_MAX ? JTAG_IR_MAX : ir_len;
	tap->ir_after_reset = ir_after_reset & (uint32_t)mask_of(tap->ir_len);
	tap->ops = ops;
	tap->ctx = ctx;
	tap->shift_len = 1;
	jtag_tap_reset(tap);
}

void jtag_tap_reset(struct jtag_tap *tap)
{
	tap->state = JTAG_RESET;
	tap->ir = tap->ir_after_reset;
	tap->tdo = false;
}

/* The length of the data register the current instruction selects. */
static unsigned dr_width(const struct jtag_tap *tap)
{
	unsigned w = tap->ops && tap->ops->width ? tap->ops->width(tap->ctx, tap->ir) : 0;

	return w == 0 ? 1 : w > JTAG_DR_MAX ? JTAG_DR_MAX : w;
}

static bool is_bypass(const struct jtag_tap *tap)
{
	return !tap->ops || !tap->ops->width || tap->ops->width(tap->ctx, tap->ir) == 0;
}

static void rising_edge(struct jtag_tap *tap, bool tms, bool tdi)
{
	tap->clocks++;
	switch (tap->state) {
	case JTAG_RESET:
		tap->ir = tap->ir_after_reset;
		break;
	case JTAG_CAPTURE_DR:
		tap->shift_len = dr_width(tap);
		/* BYPASS captures 0; a register of the owner captures its value. */
		tap->shift = is_bypass(tap) ? 0 : tap->ops->capture(tap->ctx, tap->ir) & mask_of(tap->shift_len);
		break;
	case JTAG_CAPTURE_IR:
		/* The standard fixes the two low bits of the captured IR at 01. */
		tap->shift_len = tap->ir_len;
		tap->shift = 1;
		break;
	case JTAG_SHIFT_DR:
	case JTAG_SHIFT_IR:
		tap->shift = (tap->shift >> 1) | ((uint64_t)(tdi ? 1 : 0) << (tap->shift_len - 1));
		break;
	default:
		break;
	}
	tap->state = jtag_next_state(tap->state, tms);
	if (tap->state == JTAG_RESET)
		tap->ir = tap->ir_after_reset;
}

static void falling_edge(struct jtag_tap *tap)
{
	switch (tap->state) {
	case JTAG_SHIFT_DR:
	case JTAG_SHIFT_IR:
		tap->tdo = tap->shift & 1;
		return;
	case JTAG_UPDATE_IR:
		tap->ir = (uint32_t)(tap->shift & mask_of(tap->ir_len));
		break;
	case JTAG_UPDATE_DR:
		/* One falling edge per visit: the next rising edge always leaves Update-DR. */
		if (!is_bypass(tap) && tap->ops->update)
			tap->ops->update(tap->ctx, tap->ir, tap->shift & mask_of(tap->shift_len));
		break;
	default:
		break;
	}
	tap->tdo = false;
}

void jtag_tap_pins(struct jtag_tap *tap, bool tck, bool tms, bool tdi)
{
	if (tck == tap->tck)
		return;
	tap->tck = tck;
	if (tck)
		rising_edge(tap, tms, tdi);
	else
		falling_edge(tap);
}

bool jtag_tap_tdo(const struct jtag_tap *tap)
{
	return tap->tdo;
}
