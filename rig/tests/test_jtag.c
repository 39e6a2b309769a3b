#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "jtag.h"

/* A TAP with IDCODE (1), an 8-bit register (2) and BYPASS for the rest. */
#define IR_IDCODE 1
#define IR_REG8 2
#define IDCODE 0x1234567bu

struct regs {
	uint64_t reg8;
	int updates;
	uint64_t last_update;
};

static unsigned width(void *ctx, uint32_t instr)
{
	(void)ctx;
	return instr == IR_IDCODE ? 32 : instr == IR_REG8 ? 8 : 0;
}

static uint64_t capture(void *ctx, uint32_t instr)
{
	struct regs *r = ctx;

	return instr == IR_IDCODE ? IDCODE : r->reg8;
}

static void update(void *ctx, uint32_t instr, uint64_t value)
{
	struct regs *r = ctx;

	if (instr == IR_REG8)
		r->reg8 = value;
	r->updates++;
	r->last_update = value;
}

static const struct jtag_dr_ops ops = { width, capture, update };

/* One TCK cycle as a bitbang host drives it: TCK low, sample TDO, TCK high. */
static bool clock(struct jtag_tap *t, bool tms, bool tdi)
{
	bool tdo;

	jtag_tap_pins(t, false, tms, tdi);
	tdo = jtag_tap_tdo(t);
	jtag_tap_pins(t, true, tms, tdi);
	return tdo;
}

static void go_idle(struct jtag_tap *t)
{
	for (int i = 0; i < 5; i++)
		clock(t, 1, 0);
	clock(t, 0, 0);
	assert_int_equal(t->state, JTAG_IDLE);
}

/* From Run-Test/Idle: shift n bits through DR (or IR), back to Run-Test/Idle. */
static uint64_t scan(struct jtag_tap *t, bool ir, unsigned n, uint64_t in)
{
	uint64_t out = 0;

	clock(t, 1, 0);			/* Select-DR */
	if (ir)
		clock(t, 1, 0);		/* Select-IR */
	clock(t, 0, 0);			/* Capture */
	clock(t, 0, 0);			/* Shift */
	for (unsigned i = 0; i < n; i++) {
		bool last = i == n - 1;

		if (clock(t, last, (in >> i) & 1))
			out |= (uint64_t)1 << i;
	}
	clock(t, 1, 0);			/* Exit1 -> Update */
	clock(t, 0, 0);			/* Run-Test/Idle */
	return out;
}

static void test_state_table(void **state)
{
	/* Every edge of IEEE 1149.1 figure 6-1, written out independently. */
	static const struct { enum jtag_state from; int tms; enum jtag_state to; } edges[] = {
		{ JTAG_RESET, 0, JTAG_IDLE }, { JTAG_RESET, 1, JTAG_RESET },
		{ JTAG_IDLE, 0, JTAG_IDLE }, { JTAG_IDLE, 1, JTAG_SELECT_DR },
		{ JTAG_SELECT_DR, 0, JTAG_CAPTURE_DR }, { JTAG_SELECT_DR, 1, JTAG_SELECT_IR },
		{ JTAG_CAPTURE_DR, 0, JTAG_SHIFT_DR }, { JTAG_CAPTURE_DR, 1, JTAG_EXIT1_DR },
		{ JTAG_SHIFT_DR, 0, JTAG_SHIFT_DR }, { JTAG_SHIFT_DR, 1, JTAG_EXIT1_DR },
		{ JTAG_EXIT1_DR, 0, JTAG_PAUSE_DR }, { JTAG_EXIT1_DR, 1, JTAG_UPDATE_DR },
		{ JTAG_PAUSE_DR, 0, JTAG_PAUSE_DR }, { JTAG_PAUSE_DR, 1, JTAG_EXIT2_DR },
		{ JTAG_EXIT2_DR, 0, JTAG_SHIFT_DR }, { JTAG_EXIT2_DR, 1, JTAG_UPDATE_DR },
		{ JTAG_UPDATE_DR, 0, JTAG_IDLE }, { JTAG_UPDATE_DR, 1, JTAG_SELECT_DR },
		{ JTAG_SELECT_IR, 0, JTAG_CAPTURE_IR }, { JTAG_SELECT_IR, 1, JTAG_RESET },
		{ JTAG_CAPTURE_IR, 0, JTAG_SHIFT_IR }, { JTAG_CAPTURE_IR, 1, JTAG_EXIT1_IR },
		{ JTAG_SHIFT_IR, 0, JTAG_SHIFT_IR }, { JTAG_SHIFT_IR, 1, JTAG_EXIT1_IR },
		{ JTAG_EXIT1_IR, 0, JTAG_PAUSE_IR }, { JTAG_EXIT1_IR, 1, JTAG_UPDATE_IR },
		{ JTAG_PAUSE_IR, 0, JTAG_PAUSE_IR }, { JTAG_PAUSE_IR, 1, JTAG_EXIT2_IR },
		{ JTAG_EXIT2_IR, 0, JTAG_SHIFT_IR }, { JTAG_EXIT2_IR, 1, JTAG_UPDATE_IR },
		{ JTAG_UPDATE_IR, 0, JTAG_IDLE }, { JTAG_UPDATE_IR, 1, JTAG_SELECT_DR },
	};

	(void)state;
	assert_int_equal(sizeof(edges) / sizeof(edges[0]), 2 * JTAG_STATES);
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		assert_int_equal(jtag_next_state(edges[i].from, edges[i].tms), edges[i].to);
	assert_string_equal(jtag_state_name(JTAG_SHIFT_DR), "Shift-DR");
	assert_string_equal(jtag_state_name(JTAG_STATES), "?");
}

static void test_five_tms_reach_reset_from_anywhere(void **state)
{
	struct regs r = { 0 };
	struct jtag_tap t;

	(void)state;
	jtag_tap_init(&t, 5, IR_IDCODE, &ops, &r);
	for (int s = 0; s < JTAG_STATES; s++) {
		t.state = (enum jtag_state)s;
		for (int i = 0; i < 5; i++)
			clock(&t, 1, 0);
		assert_int_equal(t.state, JTAG_RESET);
		assert_int_equal(t.ir, IR_IDCODE);
	}
}

static void test_idcode_after_reset(void **state)
{
	struct regs r = { 0 };
	struct jtag_tap t;

	(void)state;
	jtag_tap_init(&t, 5, IR_IDCODE, &ops, &r);
	go_idle(&t);
	assert_int_equal(scan(&t, false, 32, 0), IDCODE);
	/* IDCODE is read-only here: an update reaches the owner, which ignores it. */
	assert_int_equal(r.updates, 1);
}

static void test_ir_captures_01(void **state)
{
	struct regs r = { 0 };
	struct jtag_tap t;

	(void)state;
	jtag_tap_init(&t, 5, IR_IDCODE, &ops, &r);
	go_idle(&t);
	assert_int_equal(scan(&t, true, 5, IR_REG8), 0x01);
	assert_int_equal(t.ir, IR_REG8);
}

static void test_register_shift_and_update(void **state)
{
	struct regs r = { .reg8 = 0xa5 };
	struct jtag_tap t;

	(void)state;
	jtag_tap_init(&t, 5, IR_IDCODE, &ops, &r);
	go_idle(&t);
	scan(&t, true, 5, IR_REG8);
	assert_int_equal(scan(&t, false, 8, 0x3c), 0xa5);
	assert_int_equal(r.reg8, 0x3c);
	assert_int_equal(r.updates, 1);
	assert_int_equal(scan(&t, false, 8, 0x00), 0x3c);
	assert_int_equal(r.updates, 2);
}

static void test_pause_resumes_shift(void **state)
{
	struct regs r = { .reg8 = 0x81 };
	struct jtag_tap t;
	uint64_t out = 0;

	(void)state;
	jtag_tap_init(&t, 5, IR_REG8, &ops, &r);
	go_idle(&t);
	clock(&t, 1, 0);	/* Select-DR */
	clock(&t, 0, 0);	/* Capture-DR */
	clock(&t, 0, 0);	/* Shift-DR */
	for (int i = 0; i < 4; i++)
		out |= (uint64_t)clock(&t, i == 3, (0x96 >> i) & 1) << i;
	assert_int_equal(t.state, JTAG_EXIT1_DR);
	clock(&t, 0, 0);	/* Pause-DR */
	clock(&t, 0, 0);
	clock(&t, 1, 0);	/* Exit2-DR */
	clock(&t, 0, 0);	/* Shift-DR */
	assert_int_equal(r.updates, 0);
	for (int i = 4; i < 8; i++)
		out |= (uint64_t)clock(&t, i == 7, (0x96 >> i) & 1) << i;
	clock(&t, 1, 0);	/* Update-DR */
	assert_int_equal(r.updates, 0);		/* takes effect on the falling edge */
	jtag_tap_pins(&t, false, 0, 0);
	assert_int_equal(r.updates, 1);
	assert_int_equal(out, 0x81);
	assert_int_equal(r.reg8, 0x96);
}

static void test_bypass_delays_by_one_bit(void **state)
{
	struct regs r = { 0 };
	struct jtag_tap t;

	(void)state;
	jtag_tap_init(&t, 5, IR_IDCODE, &ops, &r);
	go_idle(&t);
	scan(&t, true, 5, 0x1f);
	assert_int_equal(t.ir, 0x1f);
	/* BYPASS captures 0, then hands each TDI bit to TDO one clock later. */
	assert_int_equal(scan(&t, false, 8, 0x5b), (0x5b << 1) & 0xff);
	assert_int_equal(r.updates, 0);
	/* An instruction the owner does not know is BYPASS too. */
	scan(&t, true, 5, 0x07);
	assert_int_equal(scan(&t, false, 4, 0xf), 0xe);
}

static void test_trst_and_tck_levels(void **state)
{
	struct regs r = { .reg8 = 1 };
	struct jtag_tap t;

	(void)state;
	jtag_tap_init(&t, 5, IR_IDCODE, &ops, &r);
	go_idle(&t);
	scan(&t, true, 5, IR_REG8);
	clock(&t, 1, 0);
	jtag_tap_reset(&t);
	assert_int_equal(t.state, JTAG_RESET);
	assert_int_equal(t.ir, IR_IDCODE);
	/* Repeating a pin level is not an edge. */
	jtag_tap_pins(&t, true, 0, 0);
	jtag_tap_pins(&t, true, 0, 0);
	assert_int_equal(t.state, JTAG_RESET);
}

static void test_random_pins_never_break_it(void **state)
{
	struct regs r = { 0 };
	struct jtag_tap t;
	unsigned seed = 12345;

	(void)state;
	jtag_tap_init(&t, 5, IR_IDCODE, &ops, &r);
	for (int i = 0; i < 200000; i++) {
		int v = rand_r(&seed);

		jtag_tap_pins(&t, v & 4, v & 2, v & 1);
		assert_true((unsigned)t.state < JTAG_STATES);
		assert_true(t.ir < 32);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_table),
		cmocka_unit_test(test_five_tms_reach_reset_from_anywhere),
		cmocka_unit_test(test_idcode_after_reset),
		cmocka_unit_test(test_ir_captures_01),
		cmocka_unit_test(test_register_shift_and_update),
		cmocka_unit_test(test_pause_resumes_shift),
		cmocka_unit_test(test_bypass_delays_by_one_bit),
		cmocka_unit_test(test_trst_and_tck_levels),
		cmocka_unit_test(test_random_pins_never_break_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
