#include <rig/alarm.h>
#include <rig/ipc.h>

#include "rigstr.h"

static struct sysret with_name(uint32_t cmd, const char *name)
{
	size_t len = strlen(name);
	struct sysret r = allow_ro(DRV_IPC, IPC_ALLOW_RO_NAME, name, len);
	if (!sysret_ok(r))
		return r;
	r = command(DRV_IPC, cmd, len, 0);
	allow_ro(DRV_IPC, IPC_ALLOW_RO_NAME, NULL, 0);
	return r;
}

struct sysret ipc_discover(const char *name)
{
	return with_name(IPC_CMD_DISCOVER, name);
}

struct sysret ipc_await(const char *name)
{
	return with_name(IPC_CMD_AWAIT, name);
}

struct sysret ipc_share(uint32_t service, void *buf, size_t len)
{
	struct sysret r = allow_rw(DRV_IPC, IPC_ALLOW_RW_SHARE, buf, len);
	if (!sysret_ok(r))
		return r;
	return command(DRV_IPC, IPC_CMD_SHARE, service, 0);
}

static void set_flag(struct alarm *a, void *userdata)
{
	(void)a;
	*(volatile bool *)userdata = true;
}

static volatile uint32_t found;

static void on_discovered(uint32_t handle, uint32_t unused1, uint32_t unused2, void *userdata)
{
	(void)unused1;
	(void)unused2;
	(void)userdata;
	found = handle;
}

uint32_t ipc_find(const char *name, uint32_t ms)
{
	struct sysret r = ipc_discover(name);
	if (sysret_ok(r))
		return r.r1;

	found = 0;
	subscribe(DRV_IPC, IPC_UPCALL_DISCOVERED, on_discovered, NULL);
	if (!sysret_ok(ipc_await(name)))
		return 0;
	struct alarm a = { 0 };
	volatile bool late = false;
	alarm_in_ms(&a, ms, set_flag, (void *)&late);
	while (found == 0 && !late)
		yield_wait();
	alarm_cancel(&a);
	subscribe(DRV_IPC, IPC_UPCALL_DISCOVERED, NULL, NULL);
	return found;
}

#define QUEUE 4

struct queue {
	struct ipc_note notes[QUEUE];
	volatile uint32_t head, tail;   /* free-running */
};

static struct queue queues[2];   /* by upcall: IPC_UPCALL_SERVICE, IPC_UPCALL_CLIENT */

static void on_note(uint32_t from, uint32_t value, uint32_t unused, void *userdata);

static void listen(uint32_t upcall, bool on)
{
	subscribe(DRV_IPC, upcall, on ? on_note : NULL, on ? &queues[upcall & 1] : NULL);
}

/*
 * A full queue unsubscribes: the kernel then keeps further notifications
 * (and answers their senders ERR_BUSY) until ipc_next() makes room.
 */
static void on_note(uint32_t from, uint32_t value, uint32_t unused, void *userdata)
{
	struct queue *q = userdata;
	(void)unused;
	q->notes[q->head % QUEUE] = (struct ipc_note){ from, value };
	q->head++;
	if (q->head - q->tail == QUEUE)
		listen(q == &queues[0] ? IPC_UPCALL_SERVICE : IPC_UPCALL_CLIENT, false);
}

void ipc_listen(uint32_t upcall)
{
	listen(upcall, true);
}

bool ipc_next(uint32_t upcall, struct ipc_note *out, uint32_t ms)
{
	struct queue *q = &queues[upcall & 1];

	if (q->head == q->tail && ms == IPC_FOREVER) {
		while (q->head == q->tail)
			yield_wait();
	} else if (q->head == q->tail) {
		struct alarm a = { 0 };
		volatile bool late = false;
		alarm_in_ms(&a, ms, set_flag, (void *)&late);
		while (q->head == q->tail && !late)
			yield_wait();
		alarm_cancel(&a);
	}
	if (q->head == q->tail)
		return false;
	*out = q->notes[q->tail % QUEUE];
	if (q->head - q->tail++ == QUEUE)
		listen(upcall, true);
	return true;
}

struct sysret ipc_reply(uint32_t client, uint32_t value)
{
	struct sysret r;

	while (sysret_error(r = ipc_notify_client(client, value)) == ERR_BUSY)
		delay_ms(1);
	return r;
}
