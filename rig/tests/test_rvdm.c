#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "rvdm.h"
#include "rvdtm.h"

#define MEM_BASE 0x20400000u
#define MEM_SIZE 256u
#define RESET_PC MEM_BASE

/* dmstatus bits */
#define ALLHAVERESET (1u << 19)
#define ALLRESUMEACK (1u << 17)
#define ALLNONEXISTENT (1u << 15)
#define ALLUNAVAIL (1u << 13)
#define ALLRUNNING (1u << 11)
#define ALLHALTED (1u << 9)
#define AUTHENTICATED (1u << 7)

/* dmcontrol bits */
#define HALTREQ (1u << 31)
#define RESUMEREQ (1u << 30)
#define ACKHAVERESET (1u << 28)
#define SETRESETHALTREQ (1u << 3)
#define NDMRESET (1u << 1)
#define DMACTIVE 1u

/* Access Register, 32-bit, transfer */
#define AR_READ(regno) ((2u << 20) | (1u << 17) | (regno))
#define AR_WRITE(regno) ((2u << 20) | (1u << 17) | (1u << 16) | (regno))

struct fixture {
	struct rvdm dm;
	uint8_t mem[MEM_SIZE];
	int resets, runs, halts, resumes;
};

static int mem_read(void *ctx, uint32_t addr, unsigned size, uint32_t *value)
{
	struct fixture *f = ctx;
	uint32_t v = 0;

	if (addr < MEM_BASE || addr - MEM_BASE + size > MEM_SIZE)
		return -1;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)f->mem[addr - MEM_BASE + i] << (8 * i);
	*value = v;
	return 0;
}

static int mem_write(void *ctx, uint32_t addr, unsigned size, uint32_t value)
{
	struct fixture *f = ctx;

	if (addr < MEM_BASE || addr - MEM_BASE + size > MEM_SIZE)
		return -1;
	for (unsigned i = 0; i < size; i++)
		f->mem[addr - MEM_BASE + i] = (uint8_t)(value >> (8 * i));
	return 0;
}

static void on_reset(void *ctx) { ((struct fixture *)ctx)->resets++; }
static void on_run(void *ctx) { ((struct fixture *)ctx)->runs++; }
static void on_halt(void *ctx) { ((struct fixture *)ctx)->halts++; }
static void on_resume(void *ctx) { ((struct fixture *)ctx)->resumes++; }

static const struct rvdm_bus bus = { mem_read, mem_write };
static const struct rvdm_hooks hooks = { on_reset, on_run, on_halt, on_resume };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	rvdm_init(&f->dm, RESET_PC, &bus, f, &hooks, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint32_t rd(struct fixture *f, uint32_t addr)
{
	return rvdm_read(&f->dm, addr);
}

static void wr(struct fixture *f, uint32_t addr, uint32_t v)
{
	rvdm_write(&f->dm, addr, v);
}

static void activate(struct fixture *f)
{
	wr(f, RVDM_DMCONTROL, 0);
	wr(f, RVDM_DMCONTROL, DMACTIVE);
}

static void halt(struct fixture *f)
{
	wr(f, RVDM_DMCONTROL, DMACTIVE | HALTREQ);
	assert_true(rd(f, RVDM_DMSTATUS) & ALLHALTED);
	wr(f, RVDM_DMCONTROL, DMACTIVE);
}

static uint32_t cmderr(struct fixture *f)
{
	return (rd(f, RVDM_ABSTRACTCS) >> 8) & 7;
}

static void test_activation_and_identity(void **state)
{
	struct fixture *f = *state;
	uint32_t st, acs, hartsel;

	assert_int_equal(rd(f, RVDM_DMCONTROL), 0);
	activate(f);
	assert_int_equal(rd(f, RVDM_DMCONTROL), DMACTIVE);
	st = rd(f, RVDM_DMSTATUS);
	assert_int_equal(st & 0xf, 2);			/* 0.13 */
	assert_true(st & AUTHENTICATED);
	assert_true(st & ALLRUNNING);
	assert_true(st & ALLHAVERESET);			/* power-on is a reset */
	wr(f, RVDM_DMCONTROL, DMACTIVE | ACKHAVERESET);
	assert_false(rd(f, RVDM_DMSTATUS) & ALLHAVERESET);

	acs = rd(f, RVDM_ABSTRACTCS);
	assert_int_equal(acs & 0xf, RVDM_DATACOUNT);
	assert_int_equal((acs >> 24) & 0x1f, 0);	/* no program buffer */

	/* hartsellen: write all ones, count what sticks. */
	wr(f, RVDM_DMCONTROL, DMACTIVE | (0x3ffu << 16) | (0x3ffu << 6));
	hartsel = (rd(f, RVDM_DMCONTROL) >> 16) & 0x3ff;
	assert_int_equal(hartsel, (1u << RVDM_HARTSELLEN) - 1);
	assert_true(rd(f, RVDM_DMSTATUS) & ALLNONEXISTENT);
	wr(f, RVDM_DMCONTROL, DMACTIVE);
	assert_false(rd(f, RVDM_DMSTATUS) & ALLNONEXISTENT);
}

static void test_halt_resume(void **state)
{
	struct fixture *f = *state;
	uint32_t st;

	activate(f);
	halt(f);
	assert_int_equal(f->halts, 1);
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_DCSR));
	assert_int_equal(cmderr(f), 0);
	assert_int_equal((rd(f, RVDM_DATA0) >> 6) & 7, RVDM_CAUSE_HALTREQ);
	assert_int_equal(rd(f, RVDM_DATA0) >> 28, 4);	/* xdebugver */
	assert_int_equal(rd(f, RVDM_HALTSUM0), 1);

	wr(f, RVDM_DMCONTROL, DMACTIVE | RESUMEREQ);
	st = rd(f, RVDM_DMSTATUS);
	assert_true(st & ALLRESUMEACK);
	assert_true(st & ALLRUNNING);
	assert_int_equal(f->resumes, 1);
	assert_true(rvdm_hart_running(&f->dm));

	/* resumereq is ignored while haltreq is set */
	halt(f);
	wr(f, RVDM_DMCONTROL, DMACTIVE | HALTREQ | RESUMEREQ);
	assert_true(rd(f, RVDM_DMSTATUS) & ALLHALTED);
	assert_int_equal(f->resumes, 1);
}

static void test_registers(void **state)
{
	struct fixture *f = *state;

	activate(f);
	/* Not halted: the command cannot run. */
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_MISA));
	assert_int_equal(cmderr(f), RVDM_CMDERR_HALT_RESUME);
	/* cmderr is sticky: the next command does nothing until it is cleared. */
	halt(f);
	rvdm_write(&f->dm, RVDM_DATA0, 0);
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_MISA));
	assert_int_equal(rd(f, RVDM_DATA0), 0);
	wr(f, RVDM_ABSTRACTCS, 7u << 8);
	assert_int_equal(cmderr(f), 0);

	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_MISA));
	assert_int_equal(cmderr(f), 0);
	assert_int_equal(rd(f, RVDM_DATA0), 0x40101105);

	/* GPRs: x5 keeps a value, x0 stays 0. */
	wr(f, RVDM_DATA0, 0xdeadbeef);
	wr(f, RVDM_COMMAND, AR_WRITE(RVDM_REGNO_GPR0 + 5));
	wr(f, RVDM_COMMAND, AR_WRITE(RVDM_REGNO_GPR0));
	wr(f, RVDM_DATA0, 0);
	wr(f, RVDM_COMMAND, AR_READ(RVDM_REGNO_GPR0 + 5));
	assert_int_equal(rd(f, RVDM_DATA0), 0xdeadbeef);
	wr(f, RVDM_COMMAND, AR_READ(RVDM_REGNO_GPR0));
	assert_int_equal(rd(f, RVDM_DATA0), 0);

	/* dpc and mstatus are writable; misa and mhartid are not. */
	wr(f, RVDM_DATA0, MEM_BASE + 0x40);
	wr(f, RVDM_COMMAND, AR_WRITE(RVDM_CSR_DPC));
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_DPC));
	assert_int_equal(rd(f, RVDM_DATA0), MEM_BASE + 0x40);
	wr(f, RVDM_DATA0, 0);
	wr(f, RVDM_COMMAND, AR_WRITE(RVDM_CSR_MISA));
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_MISA));
	assert_int_equal(rd(f, RVDM_DATA0), 0x40101105);

	/* dcsr.prv is WARL: M (3) or U (0) only. */
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_DCSR));
	wr(f, RVDM_DATA0, (rd(f, RVDM_DATA0) & ~3u) | 1u);
	wr(f, RVDM_COMMAND, AR_WRITE(RVDM_CSR_DCSR));
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_DCSR));
	assert_int_equal(rd(f, RVDM_DATA0) & 3, 3);
	assert_int_equal(cmderr(f), 0);
}

static void test_command_errors(void **state)
{
	struct fixture *f = *state;

	activate(f);
	halt(f);
	/* XLEN probe: a 64-bit access to s0 is not supported on RV32. */
	wr(f, RVDM_COMMAND, (3u << 20) | (1u << 17) | (RVDM_REGNO_GPR0 + 8));
	assert_int_equal(cmderr(f), RVDM_CMDERR_NOT_SUPPORTED);
	wr(f, RVDM_ABSTRACTCS, 7u << 8);
	/* A CSR the hart lacks raises an exception: never "not supported". */
	wr(f, RVDM_COMMAND, AR_READ(0x7c0));
	assert_int_equal(cmderr(f), RVDM_CMDERR_EXCEPTION);
	wr(f, RVDM_ABSTRACTCS, RVDM_CMDERR_EXCEPTION << 8);
	assert_int_equal(cmderr(f), 0);
	/* FPRs do not exist on RV32IMAC. */
	wr(f, RVDM_COMMAND, AR_READ(0x1020));
	assert_int_equal(cmderr(f), RVDM_CMDERR_EXCEPTION);
	wr(f, RVDM_ABSTRACTCS, 7u << 8);
	/* No program buffer to execute; no Quick Access or Access Memory. */
	wr(f, RVDM_COMMAND, AR_READ(RVDM_REGNO_GPR0) | (1u << 18));
	assert_int_equal(cmderr(f), RVDM_CMDERR_NOT_SUPPORTED);
	wr(f, RVDM_ABSTRACTCS, 7u << 8);
	wr(f, RVDM_COMMAND, 2u << 24);
	assert_int_equal(cmderr(f), RVDM_CMDERR_NOT_SUPPORTED);
	wr(f, RVDM_ABSTRACTCS, 7u << 8);
	/* tselect reads back 0 whatever is written, tdata1 type 0: no triggers. */
	wr(f, RVDM_DATA0, 1);
	wr(f, RVDM_COMMAND, AR_WRITE(RVDM_CSR_TSELECT));
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_TSELECT));
	assert_int_equal(rd(f, RVDM_DATA0), 0);
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_TDATA1));
	assert_int_equal(rd(f, RVDM_DATA0), 0);
	assert_int_equal(cmderr(f), 0);
}

static void test_abstractauto_postincrement(void **state)
{
	struct fixture *f = *state;

	activate(f);
	halt(f);
	/* Write x1, x2, x3 by writing data0 three times. */
	wr(f, RVDM_DATA0, 11);
	wr(f, RVDM_COMMAND, AR_WRITE(RVDM_REGNO_GPR0 + 1) | (1u << 19));
	wr(f, RVDM_ABSTRACTAUTO, 1);
	assert_int_equal(rd(f, RVDM_ABSTRACTAUTO), 1);
	wr(f, RVDM_DATA0, 22);
	wr(f, RVDM_DATA0, 33);
	wr(f, RVDM_ABSTRACTAUTO, 0);
	for (uint32_t i = 1; i <= 3; i++) {
		wr(f, RVDM_COMMAND, AR_READ(RVDM_REGNO_GPR0 + i));
		assert_int_equal(rd(f, RVDM_DATA0), 11 * i);
	}
	assert_int_equal(cmderr(f), 0);
}

static void test_sysbus_autoincrement(void **state)
{
	struct fixture *f = *state;
	uint32_t sbcs;

	activate(f);
	sbcs = rd(f, RVDM_SBCS);
	assert_int_equal(sbcs >> 29, 1);		/* sbversion */
	assert_int_equal((sbcs >> 5) & 0x7f, 32);	/* sbasize */
	assert_int_equal(sbcs & 0x1f, 0x7);		/* 8, 16, 32 bits */

	/* Writes work whether the hart runs or not. */
	wr(f, RVDM_SBCS, (2u << 17) | (1u << 16));
	wr(f, RVDM_SBADDRESS0, MEM_BASE);
	wr(f, RVDM_SBDATA0, 0x03020100);
	wr(f, RVDM_SBDATA0, 0x07060504);
	wr(f, RVDM_SBDATA0, 0x0b0a0908);
	assert_int_equal(rd(f, RVDM_SBADDRESS0), MEM_BASE + 12);
	for (int i = 0; i < 12; i++)
		assert_int_equal(f->mem[i], i);
	assert_int_equal(f->dm.stats.sb_bytes_written, 12);

	/* Reads: on address, then on every read of sbdata0, incrementing. */
	wr(f, RVDM_SBCS, (1u << 20) | (2u << 17) | (1u << 16) | (1u << 15));
	wr(f, RVDM_SBADDRESS0, MEM_BASE);
	assert_int_equal(rd(f, RVDM_SBDATA0), 0x03020100);
	assert_int_equal(rd(f, RVDM_SBDATA0), 0x07060504);
	wr(f, RVDM_SBCS, (2u << 17) | (1u << 16));	/* last read without reading on */
	assert_int_equal(rd(f, RVDM_SBDATA0), 0x0b0a0908);
	assert_int_equal((rd(f, RVDM_SBCS) >> 12) & 7, 0);

	/* Bytes and halves. */
	wr(f, RVDM_SBCS, (0u << 17) | (1u << 16));
	wr(f, RVDM_SBADDRESS0, MEM_BASE + 1);
	wr(f, RVDM_SBDATA0, 0xffffffaa);
	assert_int_equal(f->mem[1], 0xaa);
	assert_int_equal(f->mem[2], 2);
	wr(f, RVDM_SBCS, (1u << 20) | (1u << 17));
	wr(f, RVDM_SBADDRESS0, MEM_BASE + 2);
	assert_int_equal(rd(f, RVDM_SBDATA0), 0x0302);
}

static void test_sysbus_errors(void **state)
{
	struct fixture *f = *state;

	activate(f);
	/* Nothing at that address: sberror 2, and it sticks. */
	wr(f, RVDM_SBCS, 2u << 17);
	wr(f, RVDM_SBADDRESS0, 0x10000000);
	wr(f, RVDM_SBDATA0, 1);
	assert_int_equal((rd(f, RVDM_SBCS) >> 12) & 7, RVDM_SBERR_ADDRESS);
	wr(f, RVDM_SBADDRESS0, MEM_BASE);		/* ignored while sberror is set */
	assert_int_equal(rd(f, RVDM_SBADDRESS0), 0x10000000);
	wr(f, RVDM_SBCS, (2u << 17) | (7u << 12));	/* write 1s to clear */
	assert_int_equal((rd(f, RVDM_SBCS) >> 12) & 7, 0);

	/* Misaligned, and a 64-bit access the bus does not offer. */
	wr(f, RVDM_SBADDRESS0, MEM_BASE + 2);
	wr(f, RVDM_SBDATA0, 1);
	assert_int_equal((rd(f, RVDM_SBCS) >> 12) & 7, RVDM_SBERR_ALIGNMENT);
	wr(f, RVDM_SBCS, (3u << 17) | (7u << 12));
	wr(f, RVDM_SBADDRESS0, MEM_BASE);
	wr(f, RVDM_SBDATA0, 1);
	assert_int_equal((rd(f, RVDM_SBCS) >> 12) & 7, RVDM_SBERR_SIZE);
	/* The last half-word of memory is there. */
	wr(f, RVDM_SBCS, (2u << 17) | (7u << 12));
	wr(f, RVDM_SBADDRESS0, MEM_BASE + MEM_SIZE - 2);
	wr(f, RVDM_SBCS, (1u << 17) | (7u << 12));
	wr(f, RVDM_SBDATA0, 0xffff);
	assert_int_equal((rd(f, RVDM_SBCS) >> 12) & 7, 0);
	assert_int_equal(f->mem[MEM_SIZE - 1], 0xff);
}

static void test_ndmreset(void **state)
{
	struct fixture *f = *state;
	uint32_t st;

	activate(f);
	halt(f);
	wr(f, RVDM_DMCONTROL, DMACTIVE | ACKHAVERESET);
	/* reset run */
	wr(f, RVDM_DMCONTROL, DMACTIVE | NDMRESET);
	assert_int_equal(f->resets, 1);
	st = rd(f, RVDM_DMSTATUS);
	assert_true(st & ALLUNAVAIL);
	assert_true(st & ALLHAVERESET);
	wr(f, RVDM_DMCONTROL, DMACTIVE);
	assert_int_equal(f->runs, 1);
	assert_true(rd(f, RVDM_DMSTATUS) & ALLRUNNING);

	/* reset halt: haltreq held through the release. */
	wr(f, RVDM_DMCONTROL, DMACTIVE | NDMRESET | HALTREQ);
	wr(f, RVDM_DMCONTROL, DMACTIVE | HALTREQ);
	assert_int_equal(f->resets, 2);
	assert_int_equal(f->runs, 1);
	assert_true(rd(f, RVDM_DMSTATUS) & ALLHALTED);
	wr(f, RVDM_DMCONTROL, DMACTIVE | ACKHAVERESET);
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_DPC));
	assert_int_equal(rd(f, RVDM_DATA0), RESET_PC);

	/* halt on reset request */
	wr(f, RVDM_DMCONTROL, DMACTIVE | SETRESETHALTREQ);
	rvdm_set_srst(&f->dm, true);
	rvdm_set_srst(&f->dm, false);
	assert_true(rd(f, RVDM_DMSTATUS) & ALLHALTED);
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_DCSR));
	assert_int_equal((rd(f, RVDM_DATA0) >> 6) & 7, RVDM_CAUSE_RESETHALTREQ);
}

static void test_step_halts_again(void **state)
{
	struct fixture *f = *state;

	activate(f);
	halt(f);
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_DCSR));
	wr(f, RVDM_DATA0, rd(f, RVDM_DATA0) | 4);
	wr(f, RVDM_COMMAND, AR_WRITE(RVDM_CSR_DCSR));
	wr(f, RVDM_DMCONTROL, DMACTIVE | RESUMEREQ);
	assert_true(rd(f, RVDM_DMSTATUS) & ALLRESUMEACK);
	assert_true(rd(f, RVDM_DMSTATUS) & ALLHALTED);
	assert_int_equal(f->resumes, 0);
	wr(f, RVDM_COMMAND, AR_READ(RVDM_CSR_DCSR));
	assert_int_equal((rd(f, RVDM_DATA0) >> 6) & 7, RVDM_CAUSE_STEP);
}

static void test_dm_reset_clears_state(void **state)
{
	struct fixture *f = *state;

	activate(f);
	halt(f);
	wr(f, RVDM_COMMAND, 9u << 24);
	wr(f, RVDM_SBCS, (1u << 16));
	wr(f, RVDM_DATA0, 5);
	wr(f, RVDM_DMCONTROL, 0);
	/* Inactive: only dmcontrol answers, and other writes are ignored. */
	wr(f, RVDM_DATA0, 6);
	assert_int_equal(rd(f, RVDM_DATA0), 0);
	activate(f);
	assert_int_equal(cmderr(f), 0);
	assert_int_equal(rd(f, RVDM_DATA0), 0);
	assert_int_equal((rd(f, RVDM_SBCS) >> 16) & 1, 0);
	/* The hart stays halted through a DM reset. */
	assert_true(rd(f, RVDM_DMSTATUS) & ALLHALTED);
}

/* A DMI access through the DTM's TAP, as OpenOCD makes it. */
static bool clock(struct jtag_tap *t, bool tms, bool tdi)
{
	bool tdo;

	jtag_tap_pins(t, false, tms, tdi);
	tdo = jtag_tap_tdo(t);
	jtag_tap_pins(t, true, tms, tdi);
	return tdo;
}

static uint64_t scan(struct jtag_tap *t, bool ir, unsigned n, uint64_t in)
{
	uint64_t out = 0;

	clock(t, 1, 0);
	if (ir)
		clock(t, 1, 0);
	clock(t, 0, 0);
	clock(t, 0, 0);
	for (unsigned i = 0; i < n; i++)
		if (clock(t, i == n - 1, (in >> i) & 1))
			out |= (uint64_t)1 << i;
	clock(t, 1, 0);
	clock(t, 0, 0);
	return out;
}

static void test_dtm(void **state)
{
	struct fixture *f = *state;
	struct rvdtm dtm;
	unsigned dmi_len = RVDTM_ABITS + 34;
	uint64_t out;

	rvdtm_init(&dtm, RVDTM_IDCODE_FE310, &f->dm);
	for (int i = 0; i < 5; i++)
		clock(&dtm.tap, 1, 0);
	clock(&dtm.tap, 0, 0);
	assert_int_equal(scan(&dtm.tap, false, 32, 0), RVDTM_IDCODE_FE310);

	scan(&dtm.tap, true, 5, RVDTM_IR_DTMCS);
	out = scan(&dtm.tap, false, 32, 0);
	assert_int_equal(out & 0xf, 1);				/* version 0.13 */
	assert_int_equal((out >> 4) & 0x3f, RVDTM_ABITS);
	assert_int_equal((out >> 12) & 7, 0);			/* idle */

	scan(&dtm.tap, true, 5, RVDTM_IR_DMI);
	scan(&dtm.tap, false, dmi_len, ((uint64_t)RVDM_DMCONTROL << 34) | ((uint64_t)DMACTIVE << 2) | 2);
	scan(&dtm.tap, false, dmi_len, ((uint64_t)RVDM_DMSTATUS << 34) | 1);
	out = scan(&dtm.tap, false, dmi_len, 0);		/* nop: collect the result */
	assert_int_equal(out & 3, 0);				/* success */
	assert_int_equal(out >> 34, RVDM_DMSTATUS);
	assert_int_equal(((out >> 2) & 0xffffffff) & 0xf, 2);
	assert_true(f->dm.dmactive);
}

static void test_garbage_never_breaks_it(void **state)
{
	struct fixture *f = *state;
	unsigned seed = 4242;

	activate(f);
	for (int i = 0; i < 300000; i++) {
		uint32_t addr = (uint32_t)rand_r(&seed) & 0x7f;
		uint32_t v = ((uint32_t)rand_r(&seed) << 16) ^ (uint32_t)rand_r(&seed);

		/* Keep the DM active most of the time so the deep paths run. */
		if (addr == RVDM_DMCONTROL)
			v |= (rand_r(&seed) & 15) ? DMACTIVE : 0;
		if (rand_r(&seed) & 1)
			wr(f, addr, v);
		else
			rd(f, addr);
	}
	assert_true(f->dm.stats.dmi_reads + f->dm.stats.dmi_writes >= 300000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_activation_and_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_halt_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abstractauto_postincrement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysbus_autoincrement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysbus_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ndmreset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_halts_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dm_reset_clears_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dtm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_never_breaks_it, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
