/*
 * rack: a device job's hold on the devices of one board type.
 *
 * A job for a board with devices in the rack runs on any healthy device of
 * that type. The hold leases one (the device idle longest, waiting a while
 * when all are busy), keeps the lease alive with a heartbeat thread
 * (heartbeat.h), makes its device target and powers it on. After a case
 * ends in `error` on it, rack_hold_error() counts the error against the
 * device (offline at the rack's offline_after), checks the device's health
 * (health.h) unless it went offline, and moves the job to another device of
 * the type when one can be leased, so the case is retried there; with no
 * other device it stays on the same one, power cycled, while that one is in
 * service. A lease found lost is never the device's fault: the hold lets go
 * of it without touching the board and takes another. A hold pinned to one
 * device (env->device) leases only that one and retries on it.
 *
 * The hold owns its leases, heartbeat and targets; rack_hold_close() powers
 * the device off, releases the lease and frees everything.
 */
#ifndef RIG_RACK_H
#define RIG_RACK_H

#include <stdbool.h>
#include <stdint.h>

#include "target.h"

struct board;
struct config;
struct store;

struct rack_env {
	const struct config *cfg;
	struct store *store;		/* the calling thread's */
	int64_t job;			/* the lease's holder job */
	const char *holder;		/* "host:pid", shown by rig boards */
	const char *workdir;		/* for the targets' files; must exist */
	const char *openocd;		/* NULL: "openocd" from PATH */
	double time_scale;		/* 0 means 1 */
	int wait_ms;			/* how long to wait while every device is busy */
	const char *device;		/* only this device of the board (`rig run --target DEVICE`); NULL: any */
	target_log_fn log;		/* the job's log; may be NULL */
	void *log_user;
};

/* Where a hold's time went, summed over its devices; health checks apart. */
struct rack_times {
	struct target_device_times cases;
	long health_ms;
	int health_checks;
};

struct rack_hold;

/* A hold on the devices of board for env->job; holds no device yet. */
int rack_hold_open(struct rack_hold **out, const struct rack_env *env, const struct board *board);

/*
 * The target of the device held, leasing one and powering it on first when
 * none is. ERR_NOTFOUND (message naming each device's state) when no device
 * of the type is in service or all stayed busy for wait_ms. Any other error
 * is the held device's: report it with rack_hold_error().
 */
int rack_hold_target(struct rack_hold *h, struct target **out);

/* The device held now, or NULL. */
const char *rack_hold_device(const struct rack_hold *h);

/*
 * After a case ended in error on the device held (reason: why): count it,
 * check the device's health, move on. With retry non-NULL, *retry is where
 * to retry the case (another device when one could be leased, else the
 * same one while in service) and 0 is returned; ERR_NOTFOUND when there is
 * nowhere to retry. With retry NULL nothing is retried now, but the next
 * rack_hold_target() still avoids a device that went offline.
 */
int rack_hold_error(struct rack_hold *h, const char *reason, struct target **retry);

void rack_hold_times(const struct rack_hold *h, struct rack_times *out);

/* Powers the device off, releases its lease, stops the heartbeat, frees the hold. */
void rack_hold_close(struct rack_hold *h);

struct health_result;

/*
 * The health check of one device, as `rig boards unlock` runs it when the
 * device comes back into service: lease it for env->job (ERR_CONFLICT when
 * another holds it), check it (health.h), power it off and release it. A
 * failed check takes the device offline at once. ERR_NOTFOUND when no
 * kernel of its board is known to boot yet: nothing was checked.
 */
int rack_check(struct health_result *out, const struct rack_env *env, const char *device);

#endif
