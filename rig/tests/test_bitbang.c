#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bitbang.h"
#include "err.h"
#include "rvdm.h"
#include "rvdtm.h"

struct fixture {
	struct rvdm dm;
	struct rvdtm dtm;
	struct bitbang bb;
	struct buf out;
	int srst_changes;
	bool srst;
};

static void srst(void *ctx, bool asserted)
{
	struct fixture *f = ctx;

	f->srst_changes++;
	f->srst = asserted;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	rvdm_init(&f->dm, 0x20400000, NULL, NULL, NULL, NULL);
	rvdtm_init(&f->dtm, RVDTM_IDCODE_FE310, &f->dm);
	bitbang_init(&f->bb, &f->dtm.tap, srst, f);
	buf_init(&f->out, 1 << 16);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	buf_release(&f->out);
	free(f);
	return 0;
}

static int feed(struct fixture *f, const char *s, size_t *used)
{
	size_t u;

	return bitbang_feed(&f->bb, (const uint8_t *)s, strlen(s), used ? used : &u, &f->out);
}

/* The requests OpenOCD sends for one TCK cycle, reading TDO. */
static void cycle(struct buf *b, int tms, int tdi, bool read)
{
	buf_addch(b, (char)('0' + (tms << 1) + tdi));
	if (read)
		buf_addch(b, 'R');
	buf_addch(b, (char)('4' + (tms << 1) + tdi));
}

static void test_reads_idcode(void **state)
{
	struct fixture *f = *state;
	struct buf req;
	uint32_t id = 0;

	buf_init(&req, 0);
	for (int i = 0; i < 5; i++)
		cycle(&req, 1, 0, false);
	cycle(&req, 0, 0, false);	/* Run-Test/Idle */
	cycle(&req, 1, 0, false);	/* Select-DR */
	cycle(&req, 0, 0, false);	/* Capture-DR */
	cycle(&req, 0, 0, false);	/* Shift-DR */
	for (int i = 0; i < 32; i++)
		cycle(&req, i == 31, 0, true);
	assert_int_equal(feed(f, req.data, NULL), 0);
	assert_int_equal(f->out.len, 32);
	for (int i = 0; i < 32; i++)
		id |= (uint32_t)(f->out.data[i] == '1') << i;
	assert_int_equal(id, RVDTM_IDCODE_FE310);
	assert_int_equal(f->bb.reads, 32);
	buf_release(&req);
}

static void test_quit_stops_and_rest_is_left(void **state)
{
	struct fixture *f = *state;
	size_t used;

	assert_int_equal(feed(f, "BbZz0R4Q0R", &used), 0);
	assert_true(f->bb.quit);
	assert_int_equal(used, 8);
	assert_int_equal(f->out.len, 1);
}

static void test_reset_pins(void **state)
{
	struct fixture *f = *state;

	f->dtm.tap.state = JTAG_SHIFT_DR;
	assert_int_equal(feed(f, "t", NULL), 0);	/* TRST */
	assert_int_equal(f->dtm.tap.state, JTAG_RESET);
	/* While TRST is held the TAP does not move. */
	assert_int_equal(feed(f, "2604", NULL), 0);
	assert_int_equal(f->dtm.tap.state, JTAG_RESET);
	assert_int_equal(feed(f, "r0404", NULL), 0);
	assert_int_equal(f->dtm.tap.state, JTAG_IDLE);
	assert_int_equal(f->srst_changes, 0);
	assert_int_equal(feed(f, "ss", NULL), 0);	/* SRST */
	assert_true(f->srst);
	assert_int_equal(f->srst_changes, 1);
	assert_int_equal(feed(f, "u r", NULL), ERR_INVALID);
	assert_int_equal(f->srst_changes, 1);		/* u: both asserted, srst unchanged */
	assert_int_equal(feed(f, "r", NULL), 0);
	assert_false(f->srst);
}

static void test_refuses_swd_and_garbage(void **state)
{
	struct fixture *f = *state;
	size_t used;

	assert_int_equal(feed(f, "04c", &used), ERR_UNSUPPORTED);
	assert_int_equal(used, 2);
	assert_non_null(strstr(err_msg(), "JTAG only"));
	assert_int_equal(feed(f, "0\n", &used), ERR_INVALID);
	assert_int_equal(used, 1);
	assert_non_null(strstr(err_msg(), "0x0a"));
}

static void test_unread_answers_are_capped(void **state)
{
	struct fixture *f = *state;
	char many[4096];
	int rc = 0;

	memset(many, 'R', sizeof(many) - 1);
	many[sizeof(many) - 1] = '\0';
	buf_release(&f->out);
	buf_init(&f->out, 10000);
	for (int i = 0; i < 4 && rc == 0; i++)
		rc = feed(f, many, NULL);
	assert_int_equal(rc, ERR_LIMIT);
	assert_true(f->out.len <= 10000);
}

static void test_random_requests_never_break_it(void **state)
{
	static const char alphabet[] = "01234567RrstuBbZz";
	struct fixture *f = *state;
	unsigned seed = 99;
	char chunk[4097];

	for (int round = 0; round < 200; round++) {
		size_t used;

		for (size_t i = 0; i < sizeof(chunk) - 1; i++)
			chunk[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		chunk[sizeof(chunk) - 1] = '\0';
		assert_int_equal(feed(f, chunk, &used), 0);
		assert_int_equal(used, sizeof(chunk) - 1);
		buf_reset(&f->out);
	}
	/* Arbitrary bytes: refused at the first bad one, never a crash. */
	for (int round = 0; round < 2000; round++) {
		uint8_t junk[64];
		size_t used;
		int rc;

		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rand_r(&seed);
		f->bb.quit = false;
		rc = bitbang_feed(&f->bb, junk, sizeof(junk), &used, &f->out);
		assert_true(used <= sizeof(junk));
		assert_true(rc == 0 || rc == ERR_INVALID || rc == ERR_UNSUPPORTED);
		buf_reset(&f->out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_idcode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quit_stops_and_rest_is_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_pins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_swd_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unread_answers_are_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_requests_never_break_it, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
