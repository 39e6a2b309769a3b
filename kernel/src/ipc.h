/*
 * The IPC driver (doc/abi.md, "IPC"): services registered under their app
 * name, handles that carry a generation, notifications both ways, and
 * buffers a client shares with a service through the MPU/PMP.
 *
 * A process's IPC state is its endpoint, which the kernel takes from the top
 * of the process's own RAM block the first time the process uses IPC, the
 * way Tock takes grants: what a process pays for is visible to it (its
 * highest break, memop MEMOP_RAM_END, drops) and to nobody else. Nothing
 * another process does creates an endpoint in it: a notification or a share
 * aimed at a process without one fails with ERR_NOTFOUND. The endpoint lies
 * above the process's break, so the process cannot touch it; it goes when
 * the process stops or restarts.
 *
 * Everything else IPC keeps is in struct process: the generation, the
 * endpoint's address, and the share regions the arch layer maps.
 */
#ifndef IPC_H
#define IPC_H

#include "kernel.h"

/*
 * p stops or is about to restart: its shares with services end (those a
 * service holds stay mapped there until it puts them back), its endpoint
 * goes, and clients waiting to restart on its account restart.
 */
void ipc_release(struct kernel *k, struct process *p);

/* Whether a service still holds a buffer p shared: p's restart must wait. */
bool ipc_restart_must_wait(const struct kernel *k, const struct process *p);

/*
 * Offer p's queued notifications and discoveries to its IPC upcall slots
 * that are free: after one of them ran, and after p subscribed.
 */
void ipc_kick(struct kernel *k, struct process *p);

/*
 * p is about to subscribe to slot, which drops the call pending there: if
 * it is an IPC notification or discovery, put it back in p's queue first.
 */
void ipc_requeue(struct kernel *k, struct process *p, int slot);

/* Whether slot is one of IPC's upcall slots. */
static inline bool ipc_slot(int slot)
{
	return slot >= UPCALL_IPC_SERVICE && slot <= UPCALL_IPC_DISCOVERED;
}

#endif
