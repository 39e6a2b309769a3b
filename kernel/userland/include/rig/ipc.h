/*
 * IPC for apps (doc/abi.md, "IPC").
 *
 * The ipc_* calls named after commands return the kernel's answer as it
 * came, so that callers (and the IPC suite) can tell every error code
 * apart. On top of them: ipc_find() (discover, or wait until the service
 * registers) and a queue of received notifications (ipc_listen(),
 * ipc_next()), filled by upcalls while the app yields.
 */
#ifndef RIG_IPC_H
#define RIG_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rig/syscall.h>

/* A handle: bits 0-7 the process id, bits 8-31 the run's generation. */
static inline uint32_t ipc_handle_id(uint32_t handle)
{
	return handle & 0xff;
}
static inline uint32_t ipc_handle_generation(uint32_t handle)
{
	return handle >> 8;
}

static inline struct sysret ipc_register(void)
{
	return command(DRV_IPC, IPC_CMD_REGISTER, 0, 0);
}
static inline struct sysret ipc_notify_service(uint32_t service, uint32_t value)
{
	return command(DRV_IPC, IPC_CMD_NOTIFY_SERVICE, service, value);
}
static inline struct sysret ipc_notify_client(uint32_t client, uint32_t value)
{
	return command(DRV_IPC, IPC_CMD_NOTIFY_CLIENT, client, value);
}
static inline struct sysret ipc_unshare(uint32_t service)
{
	return command(DRV_IPC, IPC_CMD_UNSHARE, service, 0);
}
/* SUCCESS_2U32: r1 the buffer's address, r2 its length. */
static inline struct sysret ipc_share_get(uint32_t client)
{
	return command(DRV_IPC, IPC_CMD_SHARE_GET, client, 0);
}
static inline struct sysret ipc_share_put(uint32_t client)
{
	return command(DRV_IPC, IPC_CMD_SHARE_PUT, client, 0);
}
/* SUCCESS_2U32: r1 the smallest share, r2 how many shares one service can hold. */
static inline struct sysret ipc_share_rules(void)
{
	return command(DRV_IPC, IPC_CMD_SHARE_RULES, 0, 0);
}
static inline uint32_t ipc_self(void)
{
	return command(DRV_IPC, IPC_CMD_SELF, 0, 0).r1;
}

/* SUCCESS_U32: r1 the handle. The name goes in read-only allow 0 for the call. */
struct sysret ipc_discover(const char *name);
struct sysret ipc_await(const char *name);
/* Share buf (read-write allow 0) with a service. */
struct sysret ipc_share(uint32_t service, void *buf, size_t len);

/*
 * The handle of the service name: at once if it is registered, else when it
 * registers (yielding until then, at most ms milliseconds). 0 if it did not
 * appear in time or can never appear.
 */
uint32_t ipc_find(const char *name, uint32_t ms);

/* A received notification. */
struct ipc_note {
	uint32_t from;    /* the sender's handle */
	uint32_t value;
};

/*
 * Queue notifications of one kind (IPC_UPCALL_SERVICE: from clients, or
 * IPC_UPCALL_CLIENT: from services) from now on. Up to 4 wait; the kernel
 * holds further ones back (their senders get ERR_BUSY) until there is room.
 */
void ipc_listen(uint32_t upcall);
/*
 * The next queued notification of that kind, yielding up to ms for one
 * (IPC_FOREVER: no limit, and no alarm); false on timeout.
 */
bool ipc_next(uint32_t upcall, struct ipc_note *out, uint32_t ms);
#define IPC_FOREVER 0xffffffffu

/* ipc_notify_client(), retried every millisecond while the client has not taken the last one. */
struct sysret ipc_reply(uint32_t client, uint32_t value);

#endif
