/*
 * rvdtm: the JTAG Debug Transport Module of the RISC-V Debug Specification
 * 0.13.2, joining a TAP (jtag.h) to a Debug Module (rvdm.h).
 *
 * The TAP has a 5-bit IR, as on the FE310: IDCODE (0x01), dtmcs (0x10), dmi
 * (0x11) and BYPASS (0x1f, and every other instruction). A DMI access takes
 * effect at Update-DR and its result is there at the next Capture-DR, so the
 * DTM never answers "busy" and a debugger needs no Run-Test/Idle cycles
 * (dtmcs.idle is 0). The DTM owns its TAP; the DM is the caller's and must
 * outlive it. Nothing is allocated.
 */
#ifndef RIG_RVDTM_H
#define RIG_RVDTM_H

#include <stdint.h>

#include "jtag.h"
#include "rvdm.h"

#define RVDTM_IR_LEN 5
#define RVDTM_IR_IDCODE 0x01
#define RVDTM_IR_DTMCS 0x10
#define RVDTM_IR_DMI 0x11
#define RVDTM_IR_BYPASS 0x1f
#define RVDTM_ABITS 7

/* The FE310-G002's IDCODE, which OpenOCD's FE310 configurations expect. */
#define RVDTM_IDCODE_FE310 0x20000913u

/* DMI op field */
enum { RVDTM_OP_NOP = 0, RVDTM_OP_READ = 1, RVDTM_OP_WRITE = 2 };

struct rvdtm {
	struct jtag_tap tap;
	struct rvdm *dm;
	uint32_t idcode;
	uint32_t dmi_addr;	/* the last access's address and result, for Capture-DR */
	uint32_t dmi_data;
};

void rvdtm_init(struct rvdtm *dtm, uint32_t idcode, struct rvdm *dm);

#endif
