#include "rack.h"

#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "health.h"
#include "heartbeat.h"
#include "proc.h"
#include "store.h"

#define WAIT_SLICE_MS 500

struct rack_hold {
	struct rack_env env;
	const struct board *board;
	char scripts[PATH_MAX];
	int64_t ttl_ms;
	struct heartbeat *hb;
	const struct device *dev;	/* held, or NULL */
	struct target *t;
	bool powered;
	struct target_device_times health_part;	/* of t's times, spent in health checks */
	struct rack_times times;
};

static void say(struct rack_hold *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct rack_hold *h, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!h->env.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->env.log(h->env.log_user, "%s", line);
}

static int still_ours(void *user)
{
	struct rack_hold *h = user;

	return heartbeat_check(h->hb);
}

int rack_hold_open(struct rack_hold **out, const struct rack_env *env, const struct board *board)
{
	const struct config *cfg = env->cfg;
	struct rack_hold *h;
	int rc;

	*out = NULL;
	if (!cfg->has_rack)
		return err_set(ERR_INVALID, "no rack configured");
	h = calloc(1, sizeof(*h));
	if (!h)
		return err_set(ERR_NOMEM, "out of memory");
	h->env = *env;
	h->board = board;
	h->ttl_ms = (int64_t)(cfg->rack.lease_seconds * 1000);
	snprintf(h->scripts, sizeof(h->scripts), "%s/openocd", cfg->boards_dir);
	/* The rack file says which devices exist; the store keeps their state. */
	for (size_t i = 0; i < cfg->rack.devices.n; i++) {
		const struct device *d = &cfg->rack.devices.v[i];

		if (strcmp(d->board, board->name) == 0 && (rc = store_device_sync(env->store, d->id, d->board)) != 0)
			goto fail;
	}
	if ((rc = heartbeat_start(&h->hb, cfg->sqlite, env->job, h->ttl_ms)) != 0)
		goto fail;
	*out = h;
	return 0;
fail:
	free(h);
	return rc;
}

const char *rack_hold_device(const struct rack_hold *h)
{
	return h->dev ? h->dev->id : NULL;
}

static void add_times(struct target_device_times *to, const struct target_device_times *a,
		      const struct target_device_times *minus)
{
	to->power_ms += a->power_ms - minus->power_ms;
	to->flash_ms += a->flash_ms - minus->flash_ms;
	to->console_ms += a->console_ms - minus->console_ms;
	to->reset_ms += a->reset_ms - minus->reset_ms;
	to->flashes += a->flashes - minus->flashes;
}

/* Lets go of the device held; powers it off first when it is still ours to touch. */
static void let_go(struct rack_hold *h, bool power_off)
{
	struct target_device_times t;

	if (!h->dev)
		return;
	if (h->t) {
		h->t->log = h->env.log;
		h->t->log_user = h->env.log_user;
		if (power_off && h->powered && h->t->ops->power(h->t, false) != 0)
			say(h, "%s", err_msg());
		target_device_times(h->t, &t);
		add_times(&h->times.cases, &t, &h->health_part);
		target_release(h->t);
		h->t = NULL;
	}
	heartbeat_hold(h->hb, NULL);
	if (store_device_unlease(h->env.store, h->dev->id, h->env.job) != 0)
		say(h, "releasing %s: %s", h->dev->id, err_msg());
	else
		say(h, "released %s", h->dev->id);
	h->dev = NULL;
	h->powered = false;
	memset(&h->health_part, 0, sizeof(h->health_part));
}

/* Makes the target of device id, whose lease the job has just taken. */
static int adopt(struct rack_hold *h, const char *id)
{
	const struct device *dev = config_device(h->env.cfg, id);
	struct target_device_opts o = {
		.board = h->board, .device = dev, .openocd = h->env.openocd, .openocd_scripts = h->scripts,
		.workdir = h->env.workdir, .time_scale = h->env.time_scale, .still_ours = still_ours,
		.still_ours_user = h,
	};
	int rc;

	if (!dev) {
		/* In the store but no longer in the rack file: not ours to use. */
		store_device_unlease(h->env.store, id, h->env.job);
		return err_set(ERR_NOTFOUND, "device %s is not in %s", id, h->env.cfg->rack.file);
	}
	h->dev = dev;
	heartbeat_hold(h->hb, id);
	/* A job's row says where it runs; a health check's pseudo-job has none. */
	if (h->env.job > 0 && store_job_set_device(h->env.store, h->env.job, id) != 0)
		say(h, "recording the device of job %lld: %s", (long long)h->env.job, err_msg());
	say(h, "leased %s (%s) for job %lld as %s, renewed every %lld s", id, h->board->name, (long long)h->env.job,
	    h->env.holder, (long long)(h->ttl_ms / 3000));
	if ((rc = target_device_new(&h->t, &o)) != 0) {
		let_go(h, false);
		return rc;
	}
	return 0;
}

/* Why no device of the board can be had: each one's state, as a sentence. */
static int none_available(struct rack_hold *h, bool *any_in_service, const char *exclude)
{
	struct store_device *v;
	struct buf why;
	size_t n;
	int rc;

	*any_in_service = false;
	if ((rc = store_devices_list(h->env.store, &v, &n)) != 0)
		return rc;
	buf_init(&why, 2048);
	for (size_t i = 0; i < n; i++) {
		const struct store_device *d = &v[i];

		if (strcmp(d->board, h->board->name) != 0 || !config_device(h->env.cfg, d->id))
			continue;
		if (exclude && strcmp(d->id, exclude) == 0)
			continue;
		buf_addstr(&why, why.len ? "; " : "");
		if (strcmp(d->state, "offline") == 0)
			buf_addf(&why, "%s offline (%s)", d->id, d->offline_reason ? d->offline_reason : "");
		else if (strcmp(d->state, "locked") == 0)
			buf_addf(&why, "%s locked (%s)", d->id, d->locked_reason ? d->locked_reason : "");
		else if (d->lease_job)
			buf_addf(&why, "%s leased by job %lld (%s)", d->id, (long long)d->lease_job,
				 d->lease_holder ? d->lease_holder : "?");
		else
			buf_addf(&why, "%s idle", d->id);
		if (strcmp(d->state, "offline") != 0 && strcmp(d->state, "locked") != 0)
			*any_in_service = true;
	}
	store_devices_free(v, n);
	rc = err_set(ERR_NOTFOUND, "no device of board %s %s: %s", h->board->name,
		     *any_in_service ? "is free" : "is in service", why.len ? why.data : "none in the rack");
	buf_release(&why);
	return rc;
}

/* Takes the lease of the pinned device: ERR_NOTFOUND when busy, ERR_CONFLICT (with why) when out of service. */
static int lease_pinned(struct rack_hold *h, char *id, size_t n)
{
	struct store_device d;
	int rc = store_device_lease(h->env.store, h->env.device, h->env.job, h->env.holder, h->ttl_ms);

	if (rc == 0) {
		snprintf(id, n, "%s", h->env.device);
		return 0;
	}
	if (rc != ERR_CONFLICT || store_device_get(h->env.store, h->env.device, &d) != 0)
		return rc;
	if (strcmp(d.state, "idle") == 0)
		rc = ERR_NOTFOUND;	/* leased by another: worth waiting for */
	else
		err_set(ERR_CONFLICT, "device %s is %s: %s", d.id, d.state,
			strcmp(d.state, "locked") == 0 ? (d.locked_reason ? d.locked_reason : "")
						       : (d.offline_reason ? d.offline_reason : ""));
	store_device_release(&d);
	return rc;
}

/* Leases a device of the board other than exclude; waits up to wait_ms while all are busy. */
static int lease(struct rack_hold *h, const char *exclude, int wait_ms)
{
	long long deadline = proc_now_ms() + wait_ms;
	bool told = false;

	for (;;) {
		char id[128];
		bool in_service;
		int rc = h->env.device ? lease_pinned(h, id, sizeof(id))
				       : store_device_lease_any(h->env.store, h->board->name, exclude, h->env.job,
								h->env.holder, h->ttl_ms, id, sizeof(id));

		if (rc == 0)
			return adopt(h, id);
		if (rc == ERR_CONFLICT && h->env.device)
			return err_set(ERR_NOTFOUND, "%s", err_msg());
		if (rc != ERR_NOTFOUND)
			return rc;
		if (h->env.device) {
			if (proc_now_ms() >= deadline)
				return err_set(ERR_NOTFOUND, "device %s stayed busy for %d s", h->env.device, wait_ms / 1000);
			if (!told) {
				say(h, "waiting up to %d s for %s", wait_ms / 1000, h->env.device);
				told = true;
			}
			poll(NULL, 0, WAIT_SLICE_MS);
			continue;
		}
		rc = none_available(h, &in_service, exclude);
		if (!in_service || proc_now_ms() >= deadline)
			return rc;
		if (!told) {
			say(h, "waiting up to %d s: %s", wait_ms / 1000, err_msg());
			told = true;
		}
		poll(NULL, 0, WAIT_SLICE_MS);
	}
}

int rack_hold_target(struct rack_hold *h, struct target **out)
{
	int rc;

	*out = NULL;
	if (!h->dev && (rc = lease(h, NULL, h->env.wait_ms)) != 0)
		return rc;
	h->t->log = h->env.log;
	h->t->log_user = h->env.log_user;
	*out = h->t;
	if (!h->powered) {
		if ((rc = h->t->ops->power(h->t, true)) != 0)
			return rc;
		h->powered = true;
	}
	return 0;
}

static void health(struct rack_hold *h)
{
	struct target_device_times before, after;
	struct health_result res;
	char kernel[PATH_MAX];

	if (health_kernel(kernel, sizeof(kernel), h->env.store, h->board) != 0) {
		say(h, "health check of %s skipped: %s", h->dev->id, err_msg());
		h->powered = target_device_cycle(h->t) == 0;
		return;
	}
	target_device_times(h->t, &before);
	if (health_check(&res, h->t, h->env.store, kernel, h->env.cfg->rack.offline_after, h->env.time_scale) != 0)
		say(h, "health check of %s not recorded: %s", h->dev->id, err_msg());
	target_device_times(h->t, &after);
	add_times(&h->health_part, &after, &before);
	h->times.health_ms += res.ms;
	h->times.health_checks++;
	h->powered = true;
	if (res.offline)
		say(h, "%s is now offline", h->dev->id);
}

int rack_hold_error(struct rack_hold *h, const char *reason, struct target **retry)
{
	struct store_device d;
	char failed[128], other[128];
	bool offline = false;
	int rc;

	if (retry)
		*retry = NULL;
	if (!h->dev)
		return err_set(ERR_NOTFOUND, "no device of board %s held", h->board->name);
	snprintf(failed, sizeof(failed), "%s", h->dev->id);
	h->t->log = h->env.log;
	h->t->log_user = h->env.log_user;

	if (heartbeat_check(h->hb) != 0) {
		/* Someone else holds the board now: leave it alone, and blame nobody. */
		say(h, "%s; taking another device", err_msg());
		let_go(h, false);
		return retry ? rack_hold_target(h, retry) : 0;
	}
	if ((rc = store_device_infra_error(h->env.store, failed, reason, h->env.cfg->rack.offline_after,
					   &offline)) != 0)
		return rc;
	if (store_device_get(h->env.store, failed, &d) == 0) {
		say(h, "%s: infrastructure error %lld of %lld before it goes offline: %s", failed,
		    (long long)d.infra_errors, (long long)h->env.cfg->rack.offline_after, reason);
		store_device_release(&d);
	}
	if (!offline)
		health(h);
	if (store_device_get(h->env.store, failed, &d) == 0) {
		offline = strcmp(d.state, "offline") == 0;
		if (offline)
			say(h, "%s offline: %s", failed, d.offline_reason ? d.offline_reason : "");
		store_device_release(&d);
	}

	/* Another device of the type, if one is free now (and the job may move): waiting would only delay it. */
	rc = h->env.device ? ERR_NOTFOUND
			   : store_device_lease_any(h->env.store, h->board->name, failed, h->env.job, h->env.holder,
						    h->ttl_ms, other, sizeof(other));
	if (rc == 0) {
		say(h, "moving job %lld from %s to %s", (long long)h->env.job, failed, other);
		let_go(h, true);
		if ((rc = adopt(h, other)) != 0)
			return rc;
		return retry ? rack_hold_target(h, retry) : 0;
	}
	if (rc != ERR_NOTFOUND)
		return rc;
	if (offline) {
		let_go(h, true);
		return retry ? err_set(ERR_NOTFOUND, "no other device of board %s to retry on, and %s is offline",
				       h->board->name, failed)
			     : 0;
	}
	if (!retry)
		return 0;
	say(h, "no other device of board %s is free: retrying on %s", h->board->name, failed);
	return rack_hold_target(h, retry);
}

void rack_hold_times(const struct rack_hold *h, struct rack_times *out)
{
	*out = h->times;
	if (h->t) {
		struct target_device_times t;

		target_device_times(h->t, &t);
		add_times(&out->cases, &t, &h->health_part);
	}
}

void rack_hold_close(struct rack_hold *h)
{
	if (!h)
		return;
	let_go(h, true);
	heartbeat_stop(h->hb);
	free(h);
}

int rack_check(struct health_result *out, const struct rack_env *env, const char *device)
{
	const struct device *dev = config_device(env->cfg, device);
	const struct board *b = dev ? config_board(env->cfg, dev->board) : NULL;
	struct rack_hold *h = NULL;
	char kernel[PATH_MAX];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!b)
		return err_set(ERR_NOTFOUND, "no device '%s' in %s", device, env->cfg->rack.file);
	if ((rc = rack_hold_open(&h, env, b)) != 0)
		return rc;
	if ((rc = health_kernel(kernel, sizeof(kernel), env->store, b)) != 0)
		goto done;
	if ((rc = store_device_lease(env->store, device, env->job, env->holder, h->ttl_ms)) != 0)
		goto done;
	if ((rc = adopt(h, device)) != 0)
		goto done;
	h->t->log = env->log;
	h->t->log_user = env->log_user;
	/* The check cycles power itself; the device comes back into service powered off. */
	h->powered = true;
	rc = health_check(out, h->t, env->store, kernel, 1, env->time_scale);
done:
	rack_hold_close(h);
	return rc;
}
