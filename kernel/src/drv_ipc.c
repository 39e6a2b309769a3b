/*
 * The IPC driver: see ipc.h for where its state lives and doc/abi.md for
 * the contract.
 *
 * Notifications are queued in the receiver's endpoint, one per sender (a
 * bit and a value), and fed to the receiver's upcall slot one at a time, so
 * that notifications from several processes never overwrite each other in
 * the slot's single pending call. A sender whose previous notification has
 * not run yet gets ERR_BUSY instead of a silent merge.
 *
 * A share is a record in the service's endpoint, indexed by the client's
 * id, and one protection region in the service's MPU/PMP from SHARE until
 * it ends. A service touches it between SHARE_GET and SHARE_PUT (a hold).
 * Ending a share while the service holds it would pull memory out from
 * under a running access, so the region stays until the PUT, which reports
 * ERR_REVOKED; a client that restarts meanwhile waits, so that its next run
 * never shares memory with a service that did not ask for it.
 */
#include "arch.h"
#include "driver.h"
#include "ipc.h"
#include "process.h"
#include "rigstr.h"

_Static_assert(MAX_PROCESSES <= 8, "an endpoint keeps one bit per process");

#define HANDLE_GEN_MASK 0xffffffu

#define SHARE_LIVE    1u   /* the client shares it */
#define SHARE_HELD    2u   /* the service holds it: between SHARE_GET and SHARE_PUT */
#define SHARE_REVOKED 4u   /* it ended; the service has not been told yet */

struct ipc_share {
	uint32_t addr;
	uint16_t gen;          /* the client's generation, low 16 bits */
	uint8_t size_log2;
	uint8_t flags;
};

/* In the process's own RAM, above its break (ipc.h). Bit i of a mask is process i. */
struct ipc_endpoint {
	uint8_t service;       /* registered under its app name */
	uint8_t awaiting;      /* processes whose registration it waits for */
	uint8_t found;         /* processes that registered; DISCOVERED not offered yet */
	uint8_t notified;      /* processes with a notification for it not offered yet */
	uint8_t by_service;    /* of those, the ones that notified as its service */
	uint8_t reserved[3];
	uint32_t value[MAX_PROCESSES];            /* of each queued notification */
	uint16_t sender_gen[MAX_PROCESSES];       /* the run that sent it, low 16 bits */
	struct ipc_share share[MAX_PROCESSES];    /* what each client shares with it */
};

/* Small enough for one eighth of a 1 KiB block: the MPU's unit of the break. */
_Static_assert(sizeof(struct ipc_endpoint) <= 128, "the IPC endpoint grew");

static struct ipc_endpoint *endpoint(const struct process *p)
{
	return (struct ipc_endpoint *)(uintptr_t)p->ipc;
}

static bool alive(const struct process *p)
{
	return p->state == PROCESS_RUNNING || p->state == PROCESS_YIELDED;
}

static uint32_t handle_of(const struct process *p)
{
	return (p->generation & HANDLE_GEN_MASK) << 8 | p->id;
}

/*
 * The handle of the run of p whose generation ends in the 16 bits gen: the
 * latest one, since a notification waits for one delivery at most.
 */
static uint32_t handle_of_run(const struct process *p, uint16_t gen)
{
	uint32_t g = p->generation - (uint16_t)((uint16_t)p->generation - gen);
	return (g & HANDLE_GEN_MASK) << 8 | p->id;
}

static bool is_service(const struct process *p)
{
	const struct ipc_endpoint *e = endpoint(p);
	return e != NULL && e->service && alive(p);
}

/*
 * The endpoint of p, taken from the top of its RAM block on first use. 0,
 * or ERR_NOMEM when p's break already lies where it would go.
 */
static uint32_t endpoint_make(struct process *p)
{
	if (p->ipc != 0)
		return 0;
	uint32_t at = (p->ram_start + p->ram_size - (uint32_t)sizeof(struct ipc_endpoint)) & ~7u;
	uint32_t limit = arch_break_limit(p, at);
	if (p->brk > limit)
		return ERR_NOMEM;
	memset((void *)(uintptr_t)at, 0, sizeof(struct ipc_endpoint));
	p->ipc = at;
	p->heap_end = limit;
	return 0;
}

/*
 * The process a handle names. NULL with *err set: ERR_INVAL if the handle
 * names no process, ERR_STALE if that run of it has restarted or stopped.
 */
static struct process *lookup(struct kernel *k, uint32_t handle, uint32_t *err)
{
	uint32_t id = handle & 0xff;

	if (id >= k->nprocs) {
		*err = ERR_INVAL;
		return NULL;
	}
	struct process *q = &k->procs[id];
	if (handle >> 8 != (q->generation & HANDLE_GEN_MASK) || !alive(q)) {
		*err = ERR_STALE;
		return NULL;
	}
	return q;
}

/* The protection regions of service q: every share it may touch. */
static void remap(struct process *q)
{
	const struct ipc_endpoint *e = endpoint(q);

	q->nshares = 0;
	for (uint32_t id = 0; e != NULL && id < MAX_PROCESSES; id++) {
		const struct ipc_share *s = &e->share[id];
		if ((s->flags & (SHARE_LIVE | SHARE_HELD)) && q->nshares < ARCH_SHARE_REGIONS)
			q->shares[q->nshares++] = (struct region){ s->addr, 1u << s->size_log2 };
	}
}

static uint32_t mapped_shares(const struct ipc_endpoint *e)
{
	uint32_t n = 0;
	for (uint32_t id = 0; id < MAX_PROCESSES; id++)
		n += (e->share[id].flags & (SHARE_LIVE | SHARE_HELD)) != 0;
	return n;
}

/* Put the lowest queued sender of candidates into p's slot, if it is free. */
static void offer(struct kernel *k, struct process *p, int slot, uint8_t candidates, bool notification)
{
	struct ipc_endpoint *e = endpoint(p);
	const struct upcall *u = &p->upcalls[slot];

	if (candidates == 0 || u->fn == 0 || u->pending_seq != 0)
		return;
	uint32_t id = (uint32_t)__builtin_ctz(candidates);
	uint8_t bit = (uint8_t)(1u << id);
	const struct process *from = &k->procs[id];
	if (notification) {
		e->notified &= (uint8_t)~bit;
		e->by_service &= (uint8_t)~bit;
		process_schedule_upcall(k, p, (enum upcall_slot)slot, handle_of_run(from, e->sender_gen[id]),
					e->value[id], 0);
	} else {
		e->found &= (uint8_t)~bit;
		process_schedule_upcall(k, p, (enum upcall_slot)slot, handle_of(from), 0, 0);
	}
}

void ipc_kick(struct kernel *k, struct process *p)
{
	struct ipc_endpoint *e = endpoint(p);

	if (e == NULL || !alive(p))
		return;
	/* Offering can run an upcall at once, which kicks again: read the masks each time. */
	offer(k, p, UPCALL_IPC_SERVICE, e->notified & (uint8_t)~e->by_service, true);
	offer(k, p, UPCALL_IPC_CLIENT, e->notified & e->by_service, true);
	offer(k, p, UPCALL_IPC_DISCOVERED, e->found, false);
}

void ipc_requeue(struct kernel *k, struct process *p, int slot)
{
	struct ipc_endpoint *e = endpoint(p);
	const struct upcall *u = &p->upcalls[slot];

	uint32_t id = u->args[0] & 0xff;
	if (e == NULL || u->pending_seq == 0 || id >= k->nprocs)
		return;
	const struct process *from = &k->procs[id];
	uint8_t bit = (uint8_t)(1u << id);
	switch (slot) {
	case UPCALL_IPC_SERVICE:
	case UPCALL_IPC_CLIENT:
		e->value[id] = u->args[1];
		e->sender_gen[id] = (uint16_t)(u->args[0] >> 8);
		e->notified |= bit;
		if (slot == UPCALL_IPC_CLIENT)
			e->by_service |= bit;
		else
			e->by_service &= (uint8_t)~bit;
		break;
	case UPCALL_IPC_DISCOVERED:
		if (is_service(from))
			e->found |= bit;
		break;
	default:
		break;
	}
}

/* Whether a notification from p to q is queued or in q's slot. */
static bool notification_pending(const struct process *q, const struct ipc_endpoint *eq,
				 const struct process *p)
{
	if (eq->notified & (1u << p->id))
		return true;
	for (int slot = UPCALL_IPC_SERVICE; slot <= UPCALL_IPC_CLIENT; slot++) {
		const struct upcall *u = &q->upcalls[slot];
		if (u->pending_seq != 0 && (u->args[0] & 0xff) == p->id)
			return true;
	}
	return false;
}

static struct syscall_ret notify(struct kernel *k, struct process *p, struct process *q,
				 uint32_t value, bool by_service)
{
	struct ipc_endpoint *eq = endpoint(q);
	uint8_t bit = (uint8_t)(1u << p->id);

	if (notification_pending(q, eq, p))
		return ret_failure(ERR_BUSY);
	eq->value[p->id] = value;
	eq->sender_gen[p->id] = (uint16_t)p->generation;
	eq->notified |= bit;
	if (by_service)
		eq->by_service |= bit;
	else
		eq->by_service &= (uint8_t)~bit;
	ipc_kick(k, q);
	return ret_success();
}

/* The name in p's read-only IPC buffer: 0, or the error to return. */
static uint32_t read_name(const struct process *p, uint32_t len, const char **out)
{
	const struct buffer *b = &p->allow_ro[ALLOW_RO_IPC_NAME];

	if (b->len == 0)
		return ERR_RESERVE;
	if (len == 0 || len >= TBF_NAME_LEN)
		return ERR_INVAL;
	if (len > b->len)
		return ERR_SIZE;
	/* Re-checked here: the break may have moved since the allow. */
	if (!process_readable(p, b->addr, len))
		return ERR_INVAL;
	*out = (const char *)(uintptr_t)b->addr;
	return 0;
}

static bool named(const struct process *q, const char *name, uint32_t len)
{
	const char *n = process_name(q);
	return strnlen(n, TBF_NAME_LEN) == len && memcmp(n, name, len) == 0;
}

static struct syscall_ret name_error(const struct process *p, uint32_t err)
{
	if (err == ERR_SIZE)
		return ret_failure_u32(ERR_SIZE, p->allow_ro[ALLOW_RO_IPC_NAME].len);
	return ret_failure(err);
}

static void resume_restarts(struct kernel *k)
{
	for (uint32_t i = 0; i < k->nprocs; i++) {
		struct process *c = &k->procs[i];
		if (c->state == PROCESS_RESTARTING && !ipc_restart_must_wait(k, c))
			process_start(k, c);
	}
}

static struct syscall_ret do_register(struct kernel *k, struct process *p)
{
	uint32_t err = endpoint_make(p);
	if (err)
		return ret_failure(err);
	struct ipc_endpoint *e = endpoint(p);
	if (e->service)
		return ret_failure(ERR_ALREADY);

	const char *name = process_name(p);
	uint32_t len = strnlen(name, TBF_NAME_LEN);
	uint8_t namesakes = 0;
	for (uint32_t i = 0; i < k->nprocs; i++) {
		struct process *q = &k->procs[i];
		if (!named(q, name, len))
			continue;
		if (q != p && is_service(q))
			return ret_failure(ERR_BUSY);
		namesakes |= (uint8_t)(1u << i);
	}
	e->service = 1;

	/* Tell whoever waits for this name, once: the wait ends for all its namesakes. */
	uint8_t bit = (uint8_t)(1u << p->id);
	for (uint32_t i = 0; i < k->nprocs; i++) {
		struct process *q = &k->procs[i];
		struct ipc_endpoint *eq = endpoint(q);
		if (eq == NULL || !alive(q) || !(eq->awaiting & bit))
			continue;
		eq->awaiting &= (uint8_t)~namesakes;
		eq->found |= bit;
		ipc_kick(k, q);
	}
	return ret_success();
}

static struct syscall_ret do_discover(struct kernel *k, struct process *p, uint32_t len)
{
	const char *name;
	uint32_t err = read_name(p, len, &name);
	if (err)
		return name_error(p, err);
	for (uint32_t i = 0; i < k->nprocs; i++) {
		struct process *q = &k->procs[i];
		if (is_service(q) && named(q, name, len))
			return ret_success_u32(handle_of(q));
	}
	return ret_failure(ERR_NOTFOUND);
}

static struct syscall_ret do_await(struct kernel *k, struct process *p, uint32_t len)
{
	const char *name;
	uint32_t err = read_name(p, len, &name);
	if (err)
		return name_error(p, err);
	uint8_t candidates = 0;
	for (uint32_t i = 0; i < k->nprocs; i++) {
		if (named(&k->procs[i], name, len))
			candidates |= (uint8_t)(1u << i);
	}
	/* No app of that name was loaded: it can never appear. */
	if (candidates == 0)
		return ret_failure(ERR_NOTFOUND);
	if ((err = endpoint_make(p)) != 0)
		return ret_failure(err);

	struct ipc_endpoint *e = endpoint(p);
	for (uint32_t i = 0; i < k->nprocs; i++) {
		if ((candidates & (1u << i)) && is_service(&k->procs[i])) {
			e->found |= (uint8_t)(1u << i);
			ipc_kick(k, p);
			return ret_success();
		}
	}
	e->awaiting |= candidates;
	return ret_success();
}

static bool power_of_two(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static struct syscall_ret do_share(struct kernel *k, struct process *p, uint32_t handle)
{
	/* The endpoint first: it must never be carved out from under a shared buffer. */
	uint32_t err = endpoint_make(p);
	if (err)
		return ret_failure(err);
	const struct buffer *b = &p->allow_rw[ALLOW_RW_IPC_SHARE];
	if (b->len == 0)
		return ret_failure(ERR_RESERVE);
	if (!process_writable(p, b->addr, b->len))
		return ret_failure(ERR_INVAL);
	struct process *q = lookup(k, handle, &err);
	if (q == NULL)
		return ret_failure(err);
	if (q == p)
		return ret_failure(ERR_INVAL);
	if (!is_service(q))
		return ret_failure(ERR_NOTFOUND);

	struct ipc_endpoint *eq = endpoint(q);
	struct ipc_share *s = &eq->share[p->id];
	if (s->flags & (SHARE_LIVE | SHARE_HELD))
		return ret_failure(ERR_ALREADY);
	if (!power_of_two(b->len) || b->len < arch_share_min() || b->addr % b->len != 0)
		return ret_failure(ERR_ALIGN);
	if (mapped_shares(eq) >= ARCH_SHARE_REGIONS)
		return ret_failure(ERR_NOREGION);
	s->addr = b->addr;
	s->gen = (uint16_t)p->generation;
	s->size_log2 = (uint8_t)__builtin_ctz(b->len);
	s->flags = SHARE_LIVE;
	remap(q);
	return ret_success();
}

static struct syscall_ret do_unshare(struct kernel *k, struct process *p, uint32_t handle)
{
	uint32_t err;
	struct process *q = lookup(k, handle, &err);
	if (q == NULL)
		return ret_failure(err);
	struct ipc_endpoint *eq = endpoint(q);
	struct ipc_share *s = eq != NULL ? &eq->share[p->id] : NULL;
	if (s == NULL || !(s->flags & SHARE_LIVE))
		return ret_failure(ERR_ALREADY);
	if (s->flags & SHARE_HELD)
		return ret_failure(ERR_BUSY);
	s->flags = SHARE_REVOKED;
	remap(q);
	return ret_success();
}

/* The record of the share a client handle names in p's endpoint, or NULL with *err. */
static struct ipc_share *share_of(struct kernel *k, struct process *p, uint32_t handle, uint32_t *err)
{
	struct ipc_endpoint *e = endpoint(p);
	uint32_t id = handle & 0xff, gen = handle >> 8;

	if (id >= k->nprocs) {
		*err = ERR_INVAL;
		return NULL;
	}
	struct ipc_share *s = e != NULL ? &e->share[id] : NULL;
	if (s == NULL || s->flags == 0 || s->gen != (uint16_t)gen) {
		/* Nothing from that run of the client: say whether the handle is out of date. */
		*err = gen != (k->procs[id].generation & HANDLE_GEN_MASK) ? ERR_STALE : ERR_RESERVE;
		return NULL;
	}
	return s;
}

static struct syscall_ret do_share_get(struct kernel *k, struct process *p, uint32_t handle)
{
	uint32_t err;
	struct ipc_share *s = share_of(k, p, handle, &err);
	if (s == NULL)
		return ret_failure(err);
	if (s->flags & SHARE_HELD)
		return ret_failure(ERR_ALREADY);
	if (s->flags & SHARE_REVOKED) {
		s->flags = 0;
		return ret_failure(ERR_REVOKED);
	}
	s->flags |= SHARE_HELD;
	return ret_success_2u32(s->addr, 1u << s->size_log2);
}

static struct syscall_ret do_share_put(struct kernel *k, struct process *p, uint32_t handle)
{
	uint32_t err;
	struct ipc_share *s = share_of(k, p, handle, &err);
	if (s == NULL)
		return ret_failure(err);
	if (!(s->flags & SHARE_HELD))
		return ret_failure(ERR_ALREADY);
	if (s->flags & SHARE_REVOKED) {
		s->flags = 0;
		remap(p);
		resume_restarts(k);
		return ret_failure(ERR_REVOKED);
	}
	s->flags &= (uint8_t)~SHARE_HELD;
	return ret_success();
}

static struct syscall_ret ipc_command(struct kernel *k, struct process *p, uint32_t cmd,
				      uint32_t arg1, uint32_t arg2)
{
	uint32_t err;
	struct process *q;

	switch (cmd) {
	case CMD_EXISTS:
		return ret_success();
	case IPC_CMD_REGISTER:
		return do_register(k, p);
	case IPC_CMD_DISCOVER:
		return do_discover(k, p, arg1);
	case IPC_CMD_AWAIT:
		return do_await(k, p, arg1);
	case IPC_CMD_NOTIFY_SERVICE:
		/* The sender's endpoint too: the service can only answer a process that has one. */
		if ((err = endpoint_make(p)) != 0)
			return ret_failure(err);
		if ((q = lookup(k, arg1, &err)) == NULL)
			return ret_failure(err);
		if (!is_service(q))
			return ret_failure(ERR_NOTFOUND);
		return notify(k, p, q, arg2, false);
	case IPC_CMD_NOTIFY_CLIENT:
		if (!is_service(p))
			return ret_failure(ERR_RESERVE);
		if ((q = lookup(k, arg1, &err)) == NULL)
			return ret_failure(err);
		/* A process that never used IPC has no endpoint, and gets none from us. */
		if (endpoint(q) == NULL)
			return ret_failure(ERR_NOTFOUND);
		return notify(k, p, q, arg2, true);
	case IPC_CMD_SHARE:
		return do_share(k, p, arg1);
	case IPC_CMD_UNSHARE:
		return do_unshare(k, p, arg1);
	case IPC_CMD_SHARE_GET:
		return do_share_get(k, p, arg1);
	case IPC_CMD_SHARE_PUT:
		return do_share_put(k, p, arg1);
	case IPC_CMD_SHARE_RULES:
		return ret_success_2u32(arch_share_min(), ARCH_SHARE_REGIONS);
	case IPC_CMD_SELF:
		return ret_success_u32(handle_of(p));
	default:
		return ret_failure(ERR_NOSUPPORT);
	}
}

bool ipc_restart_must_wait(const struct kernel *k, const struct process *p)
{
	for (uint32_t i = 0; i < k->nprocs; i++) {
		const struct ipc_endpoint *e = endpoint(&k->procs[i]);
		if (i != p->id && e != NULL && (e->share[p->id].flags & SHARE_HELD))
			return true;
	}
	return false;
}

void ipc_release(struct kernel *k, struct process *p)
{
	uint8_t bit = (uint8_t)(1u << p->id);

	/*
	 * As a client: its shares end. Its notifications still reach their
	 * receivers, from a handle that is now stale; but a registration it
	 * announced is void.
	 */
	for (uint32_t i = 0; i < k->nprocs; i++) {
		struct process *q = &k->procs[i];
		struct ipc_endpoint *eq = endpoint(q);
		if (q == p || eq == NULL)
			continue;
		struct ipc_share *s = &eq->share[p->id];
		if (s->flags & SHARE_LIVE) {
			s->flags = (uint8_t)((s->flags & SHARE_HELD) | SHARE_REVOKED);
			remap(q);
		}
		eq->found &= (uint8_t)~bit;
	}

	/* As a service: its endpoint goes, and with it every share it held. */
	const struct ipc_endpoint *e = endpoint(p);
	bool held = false;
	for (uint32_t id = 0; e != NULL && id < MAX_PROCESSES; id++)
		held |= (e->share[id].flags & SHARE_HELD) != 0;
	p->ipc = 0;
	p->nshares = 0;
	p->heap_end = p->ram_start + p->ram_size;
	if (held)
		resume_restarts(k);
}

static int ipc_upcall_slot(uint32_t n)
{
	switch (n) {
	case IPC_UPCALL_SERVICE:
		return UPCALL_IPC_SERVICE;
	case IPC_UPCALL_CLIENT:
		return UPCALL_IPC_CLIENT;
	case IPC_UPCALL_DISCOVERED:
		return UPCALL_IPC_DISCOVERED;
	default:
		return -1;
	}
}

static int ipc_allow_slot(bool read_write, uint32_t n)
{
	if (read_write)
		return n == IPC_ALLOW_RW_SHARE ? ALLOW_RW_IPC_SHARE : -1;
	return n == IPC_ALLOW_RO_NAME ? ALLOW_RO_IPC_NAME : -1;
}

const struct driver ipc_driver = {
	.num = DRV_IPC,
	.command = ipc_command,
	.upcall_slot = ipc_upcall_slot,
	.allow_slot = ipc_allow_slot,
	.release = ipc_release,
};
