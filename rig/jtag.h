/*
 * jtag: a JTAG TAP as IEEE 1149.1 describes it, clocked one pin change at a
 * time, for the virtual board's debug port.
 *
 * The TAP owns its 16-state controller, its instruction register and the
 * shift register of whichever register the instruction selects. What the data
 * registers hold belongs to the owner, through struct jtag_dr_ops: width()
 * says how long the register an instruction selects is (0: none, the one-bit
 * BYPASS register stands in), capture() gives the value loaded in Capture-DR,
 * update() receives what was shifted in, in Update-DR. Nothing is allocated:
 * the TAP lives inside its owner's struct.
 *
 * Timing follows the standard: the controller moves and shift registers shift
 * on the rising edge of TCK; TDO changes and Update-xR takes effect on the
 * falling edge. A remote_bitbang host samples TDO between the two, so it sees
 * bit 0 of the shift register as the standard promises.
 */
#ifndef RIG_JTAG_H
#define RIG_JTAG_H

#include <stdbool.h>
#include <stdint.h>

enum jtag_state {
	JTAG_RESET,		/* Test-Logic-Reset */
	JTAG_IDLE,		/* Run-Test/Idle */
	JTAG_SELECT_DR,
	JTAG_CAPTURE_DR,
	JTAG_SHIFT_DR,
	JTAG_EXIT1_DR,
	JTAG_PAUSE_DR,
	JTAG_EXIT2_DR,
	JTAG_UPDATE_DR,
	JTAG_SELECT_IR,
	JTAG_CAPTURE_IR,
	JTAG_SHIFT_IR,
	JTAG_EXIT1_IR,
	JTAG_PAUSE_IR,
	JTAG_EXIT2_IR,
	JTAG_UPDATE_IR,
	JTAG_STATES
};

#define JTAG_DR_MAX 64		/* bits: the widest register a TAP can shift */
#define JTAG_IR_MAX 32

struct jtag_dr_ops {
	/* Length in bits (1..JTAG_DR_MAX) of the register instr selects; 0: BYPASS. */
	unsigned (*width)(void *ctx, uint32_t instr);
	uint64_t (*capture)(void *ctx, uint32_t instr);
	void (*update)(void *ctx, uint32_t instr, uint64_t value);
};

struct jtag_tap {
	enum jtag_state state;
	unsigned ir_len;
	uint32_t ir;			/* the current instruction */
	uint32_t ir_after_reset;	/* IDCODE, or BYPASS on a TAP without one */
	uint64_t shift;			/* the shift register of the selected path */
	unsigned shift_len;		/* its length in bits */
	bool tck, tdo;
	const struct jtag_dr_ops *ops;
	void *ctx;
	uint64_t clocks;		/* rising edges seen, for statistics */
};

/* ir_len is 2..JTAG_IR_MAX; the TAP starts in Test-Logic-Reset. */
void jtag_tap_init(struct jtag_tap *tap, unsigned ir_len, uint32_t ir_after_reset,
		   const struct jtag_dr_ops *ops, void *ctx);

/* TRST: back to Test-Logic-Reset at once, as on power-up. */
void jtag_tap_reset(struct jtag_tap *tap);

/* Drives TCK, TMS and TDI; a change of TCK clocks the TAP. */
void jtag_tap_pins(struct jtag_tap *tap, bool tck, bool tms, bool tdi);

/* What TDO drives now: bit 0 of the shift register in Shift-xR, else 0. */
bool jtag_tap_tdo(const struct jtag_tap *tap);

/* Where the controller goes from s on a rising edge with tms. */
enum jtag_state jtag_next_state(enum jtag_state s, bool tms);

/* "Shift-DR", ... for messages. */
const char *jtag_state_name(enum jtag_state s);

#endif
