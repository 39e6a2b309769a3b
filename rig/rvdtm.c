#include "rvdtm.h"

#define DMI_WIDTH (RVDTM_ABITS + 34)

static unsigned dtm_width(void *ctx, uint32_t instr)
{
	(void)ctx;
	switch (instr) {
	case RVDTM_IR_IDCODE:
	case RVDTM_IR_DTMCS:
		return 32;
	case RVDTM_IR_DMI:
		return DMI_WIDTH;
	default:
		return 0;	/* BYPASS */
	}
}

static uint64_t dtm_capture(void *ctx, uint32_t instr)
{
	struct rvdtm *dtm = ctx;

	switch (instr) {
	case RVDTM_IR_IDCODE:
		return dtm->idcode;
	case RVDTM_IR_DTMCS:
		/* version 1 (0.13), abits, dmistat 0 and idle 0: accesses never wait. */
		return 1u | ((uint32_t)RVDTM_ABITS << 4);
	case RVDTM_IR_DMI:
		/* op 0: the previous access succeeded. */
		return ((uint64_t)dtm->dmi_addr << 34) | ((uint64_t)dtm->dmi_data << 2);
	default:
		return 0;
	}
}

static void dtm_update(void *ctx, uint32_t instr, uint64_t value)
{
	struct rvdtm *dtm = ctx;
	uint32_t op, addr, data;

	switch (instr) {
	case RVDTM_IR_DTMCS:
		/* dmireset and dmihardreset clear a sticky busy or error this DTM never reports. */
		return;
	case RVDTM_IR_DMI:
		op = (uint32_t)(value & 3);
		data = (uint32_t)(value >> 2);
		addr = (uint32_t)(value >> 34) & ((1u << RVDTM_ABITS) - 1);
		if (op == RVDTM_OP_READ) {
			dtm->dmi_addr = addr;
			dtm->dmi_data = rvdm_read(dtm->dm, addr);
		} else if (op == RVDTM_OP_WRITE) {
			dtm->dmi_addr = addr;
			dtm->dmi_data = data;
			rvdm_write(dtm->dm, addr, data);
		}
		/* A nop (or the reserved op 3) leaves the last result in place. */
		return;
	default:
		return;
	}
}

static const struct jtag_dr_ops dtm_ops = {
	.width = dtm_width,
	.capture = dtm_capture,
	.update = dtm_update,
};

void rvdtm_init(struct rvdtm *dtm, uint32_t idcode, struct rvdm *dm)
{
	dtm->dm = dm;
	dtm->idcode = idcode;
	dtm->dmi_addr = 0;
	dtm->dmi_data = 0;
	jtag_tap_init(&dtm->tap, RVDTM_IR_LEN, RVDTM_IR_IDCODE, &dtm_ops, dtm);
}
