/*
 * The console driver: process writes and reads over the kernel console.
 *
 * A write is queued with a turn number and copied into the console ring,
 * whole, when its turn comes and the ring has room (see console.h for why
 * whole). Reads take bytes as the UART delivers them, for one reader at a
 * time, the lowest process id first.
 */
#include "console.h"
#include "driver.h"
#include "process.h"
#include "rigstr.h"

static struct syscall_ret console_command(struct kernel *k, struct process *p, uint32_t cmd,
					  uint32_t arg1, uint32_t arg2)
{
	(void)arg2;
	switch (cmd) {
	case CMD_EXISTS:
		return ret_success();
	case CONSOLE_CMD_WRITE: {
		struct buffer *b = &p->allow_ro[ALLOW_RO_CONSOLE_WRITE];
		if (b->len == 0)
			return ret_failure(ERR_RESERVE);
		if (p->write_seq != 0)
			return ret_failure(ERR_BUSY);
		if (arg1 > b->len)
			return ret_failure_u32(ERR_SIZE, b->len);
		/* Longer writes are cut to what can go into the ring at once. */
		p->write_len = arg1 < CONSOLE_RING_SIZE ? arg1 : CONSOLE_RING_SIZE;
		if (++k->write_seq == 0)
			++k->write_seq;
		p->write_seq = k->write_seq;
		console_service(k);
		return ret_success();
	}
	case CONSOLE_CMD_READ: {
		struct buffer *b = &p->allow_rw[ALLOW_RW_CONSOLE_READ];
		if (b->len == 0)
			return ret_failure(ERR_RESERVE);
		if (p->read_pending)
			return ret_failure(ERR_BUSY);
		if (arg1 == 0)
			return ret_failure(ERR_INVAL);
		if (arg1 > b->len)
			return ret_failure_u32(ERR_SIZE, b->len);
		p->read_pending = true;
		p->read_len = arg1;
		p->read_done = 0;
		return ret_success();
	}
	case CONSOLE_CMD_ABORT_READ:
		if (!p->read_pending)
			return ret_failure(ERR_ALREADY);
		p->read_pending = false;
		process_schedule_upcall(k, p, UPCALL_CONSOLE_READ, ERR_CANCEL, p->read_done, 0);
		return ret_success();
	default:
		return ret_failure(ERR_NOSUPPORT);
	}
}

static struct process *next_writer(struct kernel *k)
{
	struct process *first = NULL;

	for (uint32_t i = 0; i < k->nprocs; i++) {
		struct process *p = &k->procs[i];
		if (p->write_seq != 0 &&
		    (first == NULL || (int32_t)(p->write_seq - first->write_seq) < 0))
			first = p;
	}
	return first;
}

/* Move the oldest pending write into the ring if it fits whole; false if none could go. */
static bool move_one_write(struct kernel *k)
{
	struct process *p = next_writer(k);
	if (p == NULL)
		return false;
	struct buffer *b = &p->allow_ro[ALLOW_RO_CONSOLE_WRITE];
	uint32_t len = p->write_len;
	/* The buffer was checked at allow; the break may have moved since. */
	if (len > b->len || !process_readable(p, b->addr, len))
		len = 0;
	if (console_space(k) < len)
		return false;   /* its turn holds until the ring drains */
	console_put(k, (const void *)(uintptr_t)b->addr, len);
	p->write_seq = 0;
	process_schedule_upcall(k, p, UPCALL_CONSOLE_WRITTEN, len, 0, 0);
	return true;
}

void console_service(struct kernel *k)
{
	/*
	 * Until nothing moves: draining can make room for a waiting write, and
	 * once the ring is empty no interrupt would come to look again.
	 */
	for (;;) {
		while (move_one_write(k))
			;
		uint32_t space = console_space(k);
		console_drain(k);
		if (console_space(k) == space || next_writer(k) == NULL)
			break;
	}
}

void console_rx_byte(struct kernel *k, uint8_t c)
{
	for (uint32_t i = 0; i < k->nprocs; i++) {
		struct process *p = &k->procs[i];
		if (!p->read_pending)
			continue;
		struct buffer *b = &p->allow_rw[ALLOW_RW_CONSOLE_READ];
		if (p->read_done >= b->len || !process_writable(p, b->addr, b->len)) {
			p->read_pending = false;
			process_schedule_upcall(k, p, UPCALL_CONSOLE_READ, ERR_SIZE, p->read_done, 0);
			continue;
		}
		*(uint8_t *)(uintptr_t)(b->addr + p->read_done++) = c;
		if (p->read_done == p->read_len) {
			p->read_pending = false;
			process_schedule_upcall(k, p, UPCALL_CONSOLE_READ, 0, p->read_done, 0);
		}
		return;
	}
	/* Nobody is reading: the byte is dropped. */
}

static int console_upcall_slot(uint32_t n)
{
	switch (n) {
	case CONSOLE_UPCALL_WRITTEN:
		return UPCALL_CONSOLE_WRITTEN;
	case CONSOLE_UPCALL_READ:
		return UPCALL_CONSOLE_READ;
	default:
		return -1;
	}
}

static int console_allow_slot(bool read_write, uint32_t n)
{
	if (read_write)
		return n == CONSOLE_ALLOW_RW_READ ? ALLOW_RW_CONSOLE_READ : -1;
	return n == CONSOLE_ALLOW_RO_WRITE ? ALLOW_RO_CONSOLE_WRITE : -1;
}

static void console_release(struct kernel *k, struct process *p)
{
	(void)k;
	p->write_seq = 0;
	p->read_pending = false;
}

const struct driver console_driver = {
	.num = DRV_CONSOLE,
	.command = console_command,
	.upcall_slot = console_upcall_slot,
	.allow_slot = console_allow_slot,
	.release = console_release,
};
