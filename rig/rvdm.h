/*
 * rvdm: a RISC-V Debug Module (RISC-V Debug Specification 0.13.2) with one
 * RV32IMAC hart behind it, as a debugger sees it through the DMI.
 *
 * Modelled: dmcontrol (halt, resume, ndmreset, hartreset, ackhavereset,
 * reset-halt requests, hart selection), dmstatus, hartinfo, haltsum0,
 * abstractcs/command/abstractauto with Access Register for the GPRs and the
 * CSRs a debugger touches (misa, dcsr, dpc, mstatus, the trap CSRs, tselect,
 * ...), and system bus access (sbcs, sbaddress0, sbdata0: 8/16/32-bit,
 * autoincrement, read on address, read on data). There is no program buffer
 * (progbufsize 0), so OpenOCD uses abstract commands and, with
 * `riscv set_mem_access sysbus`, the system bus for memory.
 *
 * The hart executes no instructions itself: running is what the board does
 * with its flash (the virtual board starts QEMU). The DM tells its owner
 * through struct rvdm_hooks when the hart goes into reset, comes out of it
 * running, halts and resumes; while halted its registers are this model's.
 *
 * Memory belongs to the owner, behind struct rvdm_bus, so that a test or an
 * injected fault can sit between the DM and the bytes. The DM allocates
 * nothing and lives in its owner's struct. Nothing a debugger writes can make
 * it crash: unknown addresses read 0 and ignore writes, bad commands set
 * cmderr, bad bus accesses set sberror, as the specification says.
 */
#ifndef RIG_RVDM_H
#define RIG_RVDM_H

#include <stdbool.h>
#include <stdint.h>

/* DMI addresses of the registers modelled. */
enum rvdm_reg {
	RVDM_DATA0 = 0x04,
	RVDM_DMCONTROL = 0x10,
	RVDM_DMSTATUS = 0x11,
	RVDM_HARTINFO = 0x12,
	RVDM_HALTSUM1 = 0x13,
	RVDM_ABSTRACTCS = 0x16,
	RVDM_COMMAND = 0x17,
	RVDM_ABSTRACTAUTO = 0x18,
	RVDM_PROGBUF0 = 0x20,
	RVDM_SBCS = 0x38,
	RVDM_SBADDRESS0 = 0x39,
	RVDM_SBADDRESS1 = 0x3a,
	RVDM_SBDATA0 = 0x3c,
	RVDM_SBDATA1 = 0x3d,
	RVDM_HALTSUM0 = 0x40,
};

#define RVDM_DATACOUNT 2
#define RVDM_HARTSELLEN 4	/* harts 0..15 can be named; only hart 0 exists */

/* abstractcs.cmderr */
enum rvdm_cmderr {
	RVDM_CMDERR_NONE = 0,
	RVDM_CMDERR_BUSY = 1,
	RVDM_CMDERR_NOT_SUPPORTED = 2,
	RVDM_CMDERR_EXCEPTION = 3,
	RVDM_CMDERR_HALT_RESUME = 4,
};

/* sbcs.sberror */
enum rvdm_sberror {
	RVDM_SBERR_NONE = 0,
	RVDM_SBERR_TIMEOUT = 1,
	RVDM_SBERR_ADDRESS = 2,
	RVDM_SBERR_ALIGNMENT = 3,
	RVDM_SBERR_SIZE = 4,
	RVDM_SBERR_OTHER = 7,
};

/* dcsr.cause */
enum rvdm_cause {
	RVDM_CAUSE_EBREAK = 1,
	RVDM_CAUSE_TRIGGER = 2,
	RVDM_CAUSE_HALTREQ = 3,
	RVDM_CAUSE_STEP = 4,
	RVDM_CAUSE_RESETHALTREQ = 5,
};

/* CSR numbers the model knows by name. */
enum {
	RVDM_CSR_MSTATUS = 0x300,
	RVDM_CSR_MISA = 0x301,
	RVDM_CSR_TSELECT = 0x7a0,
	RVDM_CSR_TDATA1 = 0x7a1,
	RVDM_CSR_DCSR = 0x7b0,
	RVDM_CSR_DPC = 0x7b1,
	RVDM_CSR_MHARTID = 0xf14,
};

#define RVDM_REGNO_GPR0 0x1000

/* The system bus. Each returns 0, or -1 for an address nothing answers. */
struct rvdm_bus {
	int (*read)(void *ctx, uint32_t addr, unsigned size, uint32_t *value);
	int (*write)(void *ctx, uint32_t addr, unsigned size, uint32_t value);
};

/* What the hart does, for the board to act on; any may be NULL. */
struct rvdm_hooks {
	void (*reset)(void *ctx);	/* reset asserted: whatever ran is gone */
	void (*run)(void *ctx);		/* out of reset, running from the reset vector */
	void (*halt)(void *ctx);	/* a running hart halted */
	void (*resume)(void *ctx);	/* a halted hart resumed where it stopped */
};

struct rvdm_hart {
	bool halted;
	bool haltreq;			/* the hart's halt request bit */
	bool resethaltreq;
	bool resumeack;
	bool havereset;
	bool reset_held;		/* ndmreset, hartreset or srst holds it */
	uint32_t x[32];
	uint32_t pc;
	uint32_t dcsr, dpc;
	uint32_t csr[32];		/* plain CSRs, indexed as the table in rvdm.c */
};

struct rvdm_stats {
	uint64_t dmi_reads, dmi_writes;
	uint64_t sb_reads, sb_writes;
	uint64_t sb_bytes_read, sb_bytes_written;
	uint64_t commands;
};

struct rvdm {
	const struct rvdm_bus *bus;
	void *bus_ctx;
	const struct rvdm_hooks *hooks;
	void *hooks_ctx;
	uint32_t reset_pc;

	bool dmactive;
	bool ndmreset, hartreset, srst;
	uint32_t hartsel;
	uint32_t data[RVDM_DATACOUNT];
	uint32_t command;		/* the last command, for abstractauto */
	uint32_t abstractauto;
	enum rvdm_cmderr cmderr;

	uint32_t sbcs;			/* the writable fields, as written */
	enum rvdm_sberror sberror;
	bool sbbusyerror;
	uint32_t sbaddress;
	uint32_t sbdata;

	struct rvdm_hart hart;
	struct rvdm_stats stats;
};

/*
 * Power-on state: the DM inactive, the hart out of reset with havereset set,
 * running (hooks->run is not called: the owner starts what runs at power-on).
 */
void rvdm_init(struct rvdm *dm, uint32_t reset_pc, const struct rvdm_bus *bus, void *bus_ctx,
	       const struct rvdm_hooks *hooks, void *hooks_ctx);

/* A DMI read or write, with the side effects the specification gives them. */
uint32_t rvdm_read(struct rvdm *dm, uint32_t addr);
void rvdm_write(struct rvdm *dm, uint32_t addr, uint32_t value);

/* The system reset pin (SRST): resets the hart, not the DM. */
void rvdm_set_srst(struct rvdm *dm, bool asserted);

bool rvdm_hart_running(const struct rvdm *dm);

#endif
