/*
 * heartbeat: keeps a job's device lease alive from a thread of its own.
 *
 * A device job holds its lease for as long as it runs, and one step of it
 * (flashing a real board, a health check, a slow case) can outlast a lease,
 * so refreshing between cases would need leases so long that a dead holder
 * kept its board for minutes. Instead a thread refreshes the lease every
 * third of its time to live, through a store connection of its own (a
 * struct store belongs to one thread). A holder that dies takes the thread
 * with it, and its lease expires after one time to live.
 *
 * A refresh refused because the lease was lost (it ran out while the host
 * stalled, or was taken over) is remembered: heartbeat_check() then fails,
 * and the job ends what it was doing on that device as an error. A store
 * that is only busy is retried at the next beat.
 *
 * heartbeat_start() hands back an object heartbeat_stop() joins and frees.
 */
#ifndef RIG_HEARTBEAT_H
#define RIG_HEARTBEAT_H

#include <stdint.h>

struct heartbeat;

/* Starts the thread; it refreshes nothing until heartbeat_hold() names a device. */
int heartbeat_start(struct heartbeat **out, const char *store_url, int64_t job, int64_t ttl_ms);
/* From now on refresh the lease of device (NULL: none), held by the job given at start. */
void heartbeat_hold(struct heartbeat *h, const char *device);
/* 0 while the lease of the held device stands; ERR_CONFLICT with why once it was lost. */
int heartbeat_check(struct heartbeat *h);
void heartbeat_stop(struct heartbeat *h);

#endif
