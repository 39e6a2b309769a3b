#include "heartbeat.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "store.h"

#define MIN_PERIOD_MS 50

struct heartbeat {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct store *store;		/* the thread's own */
	int64_t job, ttl_ms;
	char device[128];		/* "" when none */
	bool stop;
	bool lost;
	char why[512];
	unsigned long beats;		/* refreshes that went through, for tests and logs */
};

static void deadline_in(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *beat(void *arg)
{
	struct heartbeat *h = arg;
	int64_t period = h->ttl_ms / 3 > MIN_PERIOD_MS ? h->ttl_ms / 3 : MIN_PERIOD_MS;

	pthread_mutex_lock(&h->lock);
	while (!h->stop) {
		struct timespec until;
		char device[sizeof(h->device)];

		deadline_in(&until, period);
		while (!h->stop && pthread_cond_timedwait(&h->wake, &h->lock, &until) != ETIMEDOUT)
			;
		if (h->stop)
			break;
		if (!h->device[0] || h->lost)
			continue;
		snprintf(device, sizeof(device), "%s", h->device);
		pthread_mutex_unlock(&h->lock);
		{
			int rc = store_device_refresh(h->store, device, h->job, h->ttl_ms);
			char why[512];

			snprintf(why, sizeof(why), "%s", rc ? err_msg() : "");
			pthread_mutex_lock(&h->lock);
			/* The device may have changed meanwhile: only its own refresh speaks for it. */
			if (strcmp(device, h->device) == 0) {
				if (rc == ERR_CONFLICT) {
					h->lost = true;
					snprintf(h->why, sizeof(h->why), "%s", why);
				} else if (rc) {
					log_warn("heartbeat of job %lld: %s (retrying)", (long long)h->job, why);
				} else {
					h->beats++;
				}
			}
		}
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

int heartbeat_start(struct heartbeat **out, const char *store_url, int64_t job, int64_t ttl_ms)
{
	struct heartbeat *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!h)
		return err_set(ERR_NOMEM, "out of memory");
	h->job = job;
	h->ttl_ms = ttl_ms;
	if ((rc = store_open(&h->store, store_url)) != 0) {
		free(h);
		return err_prefix("heartbeat of job %lld", (long long)job);
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&h->thread, NULL, beat, h)) != 0) {
		store_close(h->store);
		pthread_cond_destroy(&h->wake);
		pthread_mutex_destroy(&h->lock);
		free(h);
		errno = rc;
		return err_errno(ERR_IO, "heartbeat of job %lld: thread", (long long)job);
	}
	*out = h;
	return 0;
}

void heartbeat_hold(struct heartbeat *h, const char *device)
{
	pthread_mutex_lock(&h->lock);
	snprintf(h->device, sizeof(h->device), "%s", device ? device : "");
	h->lost = false;
	h->why[0] = '\0';
	pthread_mutex_unlock(&h->lock);
}

int heartbeat_check(struct heartbeat *h)
{
	int rc = 0;

	pthread_mutex_lock(&h->lock);
	if (h->lost)
		rc = err_set(ERR_CONFLICT, "%s", h->why);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

void heartbeat_stop(struct heartbeat *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	store_close(h->store);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
