#include "rvdm.h"

#include <stddef.h>
#include <string.h>

#define BIT(n) ((uint32_t)1 << (n))
#define FIELD(v, hi, lo) (((v) >> (lo)) & ((BIT((hi) - (lo)) << 1) - 1))

/* dmcontrol */
#define DMC_HALTREQ BIT(31)
#define DMC_RESUMEREQ BIT(30)
#define DMC_HARTRESET BIT(29)
#define DMC_ACKHAVERESET BIT(28)
#define DMC_HASEL BIT(26)
#define DMC_SETRESETHALTREQ BIT(3)
#define DMC_CLRRESETHALTREQ BIT(2)
#define DMC_NDMRESET BIT(1)
#define DMC_DMACTIVE BIT(0)

/* sbcs, the fields a debugger writes */
#define SBCS_BUSYERROR BIT(22)
#define SBCS_READONADDR BIT(20)
#define SBCS_AUTOINCREMENT BIT(16)
#define SBCS_READONDATA BIT(15)
#define SBCS_WRITABLE (SBCS_READONADDR | (7u << 17) | SBCS_AUTOINCREMENT | SBCS_READONDATA)
#define SBCS_ACCESS(v) FIELD(v, 19, 17)

/* dcsr: xdebugver 4 (external debug as the spec describes), machine mode */
#define DCSR_RESET ((4u << 28) | 3u)
#define DCSR_STEP BIT(2)
#define DCSR_WRITABLE (BIT(15) | BIT(13) | BIT(12) | BIT(11) | BIT(10) | BIT(9) | BIT(4) | DCSR_STEP)

/* RV32IMAC with user mode, as the FE310 reports it. */
#define MISA_RV32IMACU 0x40101105u

/*
 * The CSRs a debugger reads or writes through abstract commands, beyond
 * dcsr and dpc. A CSR not listed raises an exception (cmderr 3), as on a
 * hart that lacks it; never "not supported" (cmderr 2), which would make
 * OpenOCD give up abstract CSR access altogether.
 */
struct csr_def {
	uint16_t num;
	uint32_t reset;
	uint32_t writable;
};

static const struct csr_def csrs[] = {
	{ RVDM_CSR_MSTATUS, 0, 0x00001888 },	/* MIE, MPIE, MPP */
	{ RVDM_CSR_MISA, MISA_RV32IMACU, 0 },
	{ 0x304, 0, 0x00000888 },		/* mie */
	{ 0x305, 0, 0xfffffffd },		/* mtvec */
	{ 0x306, 0, 0 },			/* mcounteren */
	{ 0x340, 0, 0xffffffff },		/* mscratch */
	{ 0x341, 0, 0xfffffffe },		/* mepc */
	{ 0x342, 0, 0x8000000f },		/* mcause */
	{ 0x343, 0, 0xffffffff },		/* mtval */
	{ 0x344, 0, 0 },			/* mip */
	{ 0x3a0, 0, 0 },			/* pmpcfg0: no PMP entries here */
	{ 0x3b0, 0, 0 },			/* pmpaddr0 */
	{ RVDM_CSR_TSELECT, 0, 0 },		/* one read-only 0: no triggers */
	{ RVDM_CSR_TDATA1, 0, 0 },		/* type 0: no trigger there */
	{ 0x7a2, 0, 0 },			/* tdata2 */
	{ 0x7b2, 0, 0xffffffff },		/* dscratch0 */
	{ 0x7b3, 0, 0xffffffff },		/* dscratch1 */
	{ 0xb00, 0, 0xffffffff },		/* mcycle */
	{ 0xb02, 0, 0xffffffff },		/* minstret */
	{ 0xb80, 0, 0xffffffff },		/* mcycleh */
	{ 0xb82, 0, 0xffffffff },		/* minstreth */
	{ 0xc00, 0, 0 },			/* cycle */
	{ 0xc02, 0, 0 },			/* instret */
	{ 0xc80, 0, 0 },			/* cycleh */
	{ 0xc82, 0, 0 },			/* instreth */
	{ 0xf11, 0x489, 0 },			/* mvendorid: SiFive */
	{ 0xf12, 0x80000002, 0 },		/* marchid: E31 */
	{ 0xf13, 0x20181004, 0 },		/* mimpid */
	{ RVDM_CSR_MHARTID, 0, 0 },
};

_Static_assert(sizeof(csrs) / sizeof(csrs[0]) <= sizeof(((struct rvdm_hart *)0)->csr) /
	       sizeof(uint32_t), "rvdm_hart.csr is too small for the CSR table");

static int csr_index(uint32_t num)
{
	for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++)
		if (csrs[i].num == num)
			return (int)i;
	return -1;
}

static void hart_reset_registers(struct rvdm *dm)
{
	struct rvdm_hart *h = &dm->hart;

	memset(h->x, 0, sizeof(h->x));
	for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++)
		h->csr[i] = csrs[i].reset;
	h->pc = dm->reset_pc;
	h->dcsr = DCSR_RESET;
	h->dpc = dm->reset_pc;
}

static void hook(struct rvdm *dm, void (*fn)(void *))
{
	if (fn)
		fn(dm->hooks_ctx);
}

static void halt_hart(struct rvdm *dm, enum rvdm_cause cause)
{
	struct rvdm_hart *h = &dm->hart;

	h->halted = true;
	h->dpc = h->pc;
	h->dcsr = (h->dcsr & ~(7u << 6)) | ((uint32_t)cause << 6);
	if (dm->hooks)
		hook(dm, dm->hooks->halt);
}

/* The reset line is the OR of ndmreset, hartreset and srst. */
static void update_reset(struct rvdm *dm)
{
	struct rvdm_hart *h = &dm->hart;
	bool held = dm->ndmreset || dm->hartreset || dm->srst;

	if (held == h->reset_held)
		return;
	h->reset_held = held;
	if (held) {
		h->halted = false;
		h->havereset = true;
		h->resumeack = false;
		hart_reset_registers(dm);
		if (dm->hooks)
			hook(dm, dm->hooks->reset);
		return;
	}
	/* Out of reset: halt at once if asked to, else run the reset vector. */
	if (h->haltreq || h->resethaltreq) {
		h->halted = true;
		h->dpc = h->pc;
		h->dcsr = (h->dcsr & ~(7u << 6)) |
			  ((uint32_t)(h->haltreq ? RVDM_CAUSE_HALTREQ : RVDM_CAUSE_RESETHALTREQ) << 6);
		return;
	}
	h->halted = false;
	if (dm->hooks)
		hook(dm, dm->hooks->run);
}

void rvdm_init(struct rvdm *dm, uint32_t reset_pc, const struct rvdm_bus *bus, void *bus_ctx,
	       const struct rvdm_hooks *hooks, void *hooks_ctx)
{
	memset(dm, 0, sizeof(*dm));
	dm->reset_pc = reset_pc;
	dm->bus = bus;
	dm->bus_ctx = bus_ctx;
	dm->hooks = hooks;
	dm->hooks_ctx = hooks_ctx;
	dm->sbcs = 2u << 17;	/* 32-bit accesses until told otherwise */
	hart_reset_registers(dm);
	dm->hart.havereset = true;
}

bool rvdm_hart_running(const struct rvdm *dm)
{
	return !dm->hart.halted && !dm->hart.reset_held;
}

/* Whether hartsel names the one hart there is. */
static bool hart_selected(const struct rvdm *dm)
{
	return dm->hartsel == 0;
}

/* dmactive = 0: every register of the DM to its reset value; harts keep running or halted. */
static void dm_reset(struct rvdm *dm)
{
	dm->dmactive = false;
	dm->ndmreset = false;
	dm->hartreset = false;
	dm->hartsel = 0;
	memset(dm->data, 0, sizeof(dm->data));
	dm->command = 0;
	dm->abstractauto = 0;
	dm->cmderr = RVDM_CMDERR_NONE;
	dm->sbcs = 2u << 17;
	dm->sberror = RVDM_SBERR_NONE;
	dm->sbbusyerror = false;
	dm->sbaddress = 0;
	dm->sbdata = 0;
	dm->hart.haltreq = false;
	dm->hart.resethaltreq = false;
	update_reset(dm);
}

static void write_dmcontrol(struct rvdm *dm, uint32_t v)
{
	struct rvdm_hart *h = &dm->hart;

	if (!(v & DMC_DMACTIVE)) {
		dm_reset(dm);
		return;
	}
	if (!dm->dmactive) {
		/* Coming out of DM reset: only dmactive takes effect. */
		dm->dmactive = true;
		return;
	}
	dm->hartsel = FIELD(v, 25, 16) & (BIT(RVDM_HARTSELLEN) - 1);
	dm->hartreset = hart_selected(dm) && (v & DMC_HARTRESET);
	dm->ndmreset = (v & DMC_NDMRESET) != 0;

	if (hart_selected(dm)) {
		h->haltreq = (v & DMC_HALTREQ) != 0;
		if (v & DMC_SETRESETHALTREQ)
			h->resethaltreq = true;
		else if (v & DMC_CLRRESETHALTREQ)
			h->resethaltreq = false;
		if (v & DMC_ACKHAVERESET)
			h->havereset = false;
	}
	update_reset(dm);
	if (!hart_selected(dm) || h->reset_held)
		return;
	if (h->haltreq && !h->halted) {
		halt_hart(dm, RVDM_CAUSE_HALTREQ);
	} else if ((v & DMC_RESUMEREQ) && !h->haltreq && h->halted) {
		h->resumeack = false;
		h->pc = h->dpc;
		if (h->dcsr & DCSR_STEP) {
			/*
			 * The model executes nothing, so a step retires no
			 * instruction: the hart halts again at once, as after
			 * a step, without telling the board it ran.
			 */
			h->dcsr = (h->dcsr & ~(7u << 6)) | ((uint32_t)RVDM_CAUSE_STEP << 6);
			h->resumeack = true;
			return;
		}
		h->halted = false;
		h->resumeack = true;
		if (dm->hooks)
			hook(dm, dm->hooks->resume);
	}
}

static uint32_t read_dmcontrol(const struct rvdm *dm)
{
	uint32_t v = 0;

	if (!dm->dmactive)
		return 0;
	v |= DMC_DMACTIVE;
	v |= dm->ndmreset ? DMC_NDMRESET : 0;
	v |= dm->hartreset ? DMC_HARTRESET : 0;
	v |= (dm->hartsel & 0x3ff) << 16;
	return v;
}

static uint32_t read_dmstatus(const struct rvdm *dm)
{
	const struct rvdm_hart *h = &dm->hart;
	uint32_t v = 2;		/* version: 0.13 */

	v |= BIT(7);		/* authenticated */
	v |= BIT(5);		/* hasresethaltreq */
	if (!hart_selected(dm))
		return v | BIT(15) | BIT(14);	/* allnonexistent, anynonexistent */
	if (h->havereset)
		v |= BIT(19) | BIT(18);
	if (h->resumeack)
		v |= BIT(17) | BIT(16);
	if (h->reset_held)
		v |= BIT(13) | BIT(12);		/* unavailable while held in reset */
	else if (h->halted)
		v |= BIT(9) | BIT(8);
	else
		v |= BIT(11) | BIT(10);
	return v;
}

/* Access Register on a halted hart. Returns the cmderr it ends with. */
static enum rvdm_cmderr access_register(struct rvdm *dm, uint32_t cmd)
{
	struct rvdm_hart *h = &dm->hart;
	unsigned aarsize = FIELD(cmd, 22, 20);
	bool postincrement = cmd & BIT(19), postexec = cmd & BIT(18);
	bool transfer = cmd & BIT(17), write = cmd & BIT(16);
	uint32_t regno = cmd & 0xffff;
	uint32_t *reg = NULL;
	uint32_t writable = 0xffffffff;
	int ci;

	if (postexec)
		return RVDM_CMDERR_NOT_SUPPORTED;	/* there is no program buffer */
	if (!h->halted || h->reset_held)
		return RVDM_CMDERR_HALT_RESUME;
	if (!transfer)
		goto done;

	if (regno >= RVDM_REGNO_GPR0 && regno < RVDM_REGNO_GPR0 + 32) {
		reg = &h->x[regno - RVDM_REGNO_GPR0];
		if (regno == RVDM_REGNO_GPR0)
			writable = 0;
	} else if (regno == RVDM_CSR_DCSR) {
		reg = &h->dcsr;
		writable = DCSR_WRITABLE;
	} else if (regno == RVDM_CSR_DPC) {
		reg = &h->dpc;
		writable = 0xfffffffe;
	} else if (regno < 0x1000 && (ci = csr_index(regno)) >= 0) {
		reg = &h->csr[ci];
		writable = csrs[ci].writable;
	} else {
		return RVDM_CMDERR_EXCEPTION;
	}
	/* The registers are 32 bits wide: a wider access fails, a narrower one is not offered. */
	if (aarsize != 2)
		return RVDM_CMDERR_NOT_SUPPORTED;
	if (write) {
		uint32_t value = dm->data[0];

		if (regno == RVDM_CSR_DCSR && (value & 3) != 0 && (value & 3) != 3)
			value = (value & ~3u) | (*reg & 3);	/* prv is WARL: M or U only */
		*reg = (*reg & ~writable) | (value & writable);
	} else {
		dm->data[0] = *reg;
	}
done:
	if (postincrement)
		dm->command = (dm->command & ~0xffffu) | ((regno + 1) & 0xffff);
	return RVDM_CMDERR_NONE;
}

static void execute_command(struct rvdm *dm)
{
	uint32_t cmd = dm->command;

	if (dm->cmderr != RVDM_CMDERR_NONE)
		return;
	dm->stats.commands++;
	switch (cmd >> 24) {
	case 0:
		dm->cmderr = access_register(dm, cmd);
		break;
	default:
		/* Quick Access and Access Memory are optional and absent. */
		dm->cmderr = RVDM_CMDERR_NOT_SUPPORTED;
		break;
	}
}

static uint32_t sb_size(const struct rvdm *dm)
{
	return (uint32_t)1 << SBCS_ACCESS(dm->sbcs);
}

/* One system bus access at sbaddress; autoincrements after success. */
static void sb_access(struct rvdm *dm, bool write)
{
	unsigned access = SBCS_ACCESS(dm->sbcs);
	uint32_t size, value;
	int rc;

	if (dm->sberror != RVDM_SBERR_NONE || dm->sbbusyerror)
		return;
	if (access > 2) {
		dm->sberror = RVDM_SBERR_SIZE;
		return;
	}
	size = sb_size(dm);
	if (dm->sbaddress & (size - 1)) {
		dm->sberror = RVDM_SBERR_ALIGNMENT;
		return;
	}
	if (write) {
		value = size == 4 ? dm->sbdata : dm->sbdata & ((BIT(size * 8)) - 1);
		rc = dm->bus && dm->bus->write ? dm->bus->write(dm->bus_ctx, dm->sbaddress, size, value) : -1;
		if (rc == 0) {
			dm->stats.sb_writes++;
			dm->stats.sb_bytes_written += size;
		}
	} else {
		value = 0;
		rc = dm->bus && dm->bus->read ? dm->bus->read(dm->bus_ctx, dm->sbaddress, size, &value) : -1;
		if (rc == 0) {
			dm->sbdata = size == 4 ? value : value & (BIT(size * 8) - 1);
			dm->stats.sb_reads++;
			dm->stats.sb_bytes_read += size;
		}
	}
	if (rc != 0) {
		dm->sberror = RVDM_SBERR_ADDRESS;
		return;
	}
	if (dm->sbcs & SBCS_AUTOINCREMENT)
		dm->sbaddress += size;
}

static uint32_t read_sbcs(const struct rvdm *dm)
{
	uint32_t v = 1u << 29;		/* sbversion 1: the 0.13 system bus interface */

	v |= dm->sbbusyerror ? SBCS_BUSYERROR : 0;
	v |= dm->sbcs & SBCS_WRITABLE;
	v |= (uint32_t)dm->sberror << 12;
	v |= 32u << 5;			/* sbasize */
	v |= 7u;			/* 8, 16 and 32-bit accesses */
	return v;
}

static bool data_autoexec(const struct rvdm *dm, uint32_t addr)
{
	return addr >= RVDM_DATA0 && addr < RVDM_DATA0 + RVDM_DATACOUNT &&
	       (dm->abstractauto & BIT(addr - RVDM_DATA0));
}

uint32_t rvdm_read(struct rvdm *dm, uint32_t addr)
{
	uint32_t v;

	dm->stats.dmi_reads++;
	if (!dm->dmactive && addr != RVDM_DMCONTROL)
		return addr == RVDM_DMSTATUS ? read_dmstatus(dm) : 0;
	if (addr >= RVDM_DATA0 && addr < RVDM_DATA0 + RVDM_DATACOUNT) {
		v = dm->data[addr - RVDM_DATA0];
		if (data_autoexec(dm, addr))
			execute_command(dm);
		return v;
	}
	switch (addr) {
	case RVDM_DMCONTROL:
		return read_dmcontrol(dm);
	case RVDM_DMSTATUS:
		return read_dmstatus(dm);
	case RVDM_HARTINFO:
		return 1u << 20;	/* nscratch 1; data registers not memory-mapped */
	case RVDM_HALTSUM0:
		return dm->hart.halted && !dm->hart.reset_held ? 1 : 0;
	case RVDM_HALTSUM1:
		return dm->hart.halted && !dm->hart.reset_held ? 1 : 0;
	case RVDM_ABSTRACTCS:
		return (0u << 24) | ((uint32_t)dm->cmderr << 8) | RVDM_DATACOUNT;
	case RVDM_COMMAND:
		return 0;	/* write-only */
	case RVDM_ABSTRACTAUTO:
		return dm->abstractauto;
	case RVDM_SBCS:
		return read_sbcs(dm);
	case RVDM_SBADDRESS0:
		return dm->sbaddress;
	case RVDM_SBDATA0:
		v = dm->sbdata;
		if (dm->sbcs & SBCS_READONDATA)
			sb_access(dm, false);
		return v;
	default:
		return 0;
	}
}

void rvdm_write(struct rvdm *dm, uint32_t addr, uint32_t value)
{
	dm->stats.dmi_writes++;
	if (addr == RVDM_DMCONTROL) {
		write_dmcontrol(dm, value);
		return;
	}
	if (!dm->dmactive)
		return;
	if (addr >= RVDM_DATA0 && addr < RVDM_DATA0 + RVDM_DATACOUNT) {
		dm->data[addr - RVDM_DATA0] = value;
		if (data_autoexec(dm, addr))
			execute_command(dm);
		return;
	}
	switch (addr) {
	case RVDM_ABSTRACTCS:
		/* cmderr is write-1-to-clear, bit by bit. */
		dm->cmderr = (enum rvdm_cmderr)(dm->cmderr & ~FIELD(value, 10, 8));
		break;
	case RVDM_COMMAND:
		if (dm->cmderr != RVDM_CMDERR_NONE)
			break;
		dm->command = value;
		execute_command(dm);
		break;
	case RVDM_ABSTRACTAUTO:
		/* No program buffer: only the data bits stick. */
		dm->abstractauto = value & (BIT(RVDM_DATACOUNT) - 1);
		break;
	case RVDM_SBCS:
		if (value & SBCS_BUSYERROR)
			dm->sbbusyerror = false;
		dm->sberror = (enum rvdm_sberror)(dm->sberror & ~FIELD(value, 14, 12));
		dm->sbcs = value & SBCS_WRITABLE;
		break;
	case RVDM_SBADDRESS0:
		if (dm->sberror != RVDM_SBERR_NONE || dm->sbbusyerror)
			break;
		dm->sbaddress = value;
		if (dm->sbcs & SBCS_READONADDR)
			sb_access(dm, false);
		break;
	case RVDM_SBDATA0:
		if (dm->sberror != RVDM_SBERR_NONE || dm->sbbusyerror)
			break;
		dm->sbdata = value;
		sb_access(dm, true);
		break;
	default:
		break;
	}
}

void rvdm_set_srst(struct rvdm *dm, bool asserted)
{
	dm->srst = asserted;
	update_reset(dm);
}
