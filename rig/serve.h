/*
 * serve: the daemon (`rig serve`, and `rig demo` after it made its forge).
 *
 * It polls each forge and receives webhooks, queues changes, builds them,
 * runs their jobs on the targets, reports statuses to the forges, and serves
 * HTTP (/hooks, /healthz, and what modules mounted on the server add: the
 * dashboard). Everything it is doing lives in the store (store.h, "serve"),
 * so that a daemon killed at any moment and started again loses nothing and
 * does every job exactly once.
 *
 * Threads, each with its own store connection:
 *   main       signals (SIGTERM/SIGINT stop, SIGHUP reload), start-up and shutdown
 *   poller     fetches each forge at its poll_interval (at least every
 *              reconcile) and queues the refs that moved (intake.h)
 *   intake     webhook events, handed over by the HTTP threads, into the store
 *   reporter   commit statuses in the order they were decided, and the
 *              periodic sweep that turns stale pendings into errors
 *   builders   build_parallelism of them: claim a queued change, fetch,
 *              check out, build every board, plan its jobs
 *   targets    one per QEMU target: claim its jobs, run them, and decide
 *              the change's gate when its last job ends
 *   devices    one per device of the rack: claim the jobs that name it,
 *              then those of its board, and run them on a device the rack
 *              leases (a lease a killed daemon holds expires)
 * Work moves between them through the store; condition variables only wake
 * threads sooner than their periodic look (every two seconds).
 *
 * SIGHUP loads the configuration again and, when it is valid, swaps it in
 * whole (with new tokens, secrets and build images): work started holds the
 * configuration it started with until it ends; target workers come and go
 * with the targets. The data folder, the store and the listening address
 * stay those the daemon started with. SIGTERM stops taking work, lets each
 * job end at its current case and re-queues it (resumed later), re-queues
 * changes being built, and returns; what is still running at the deadline is
 * put back in the store and the process ends at once.
 *
 * One daemon per data folder: a second one is refused (flock on
 * <data_dir>/serve.lock), since a starting daemon takes back everything the
 * store says was running.
 */
#ifndef RIG_SERVE_H
#define RIG_SERVE_H

#include <signal.h>
#include <stdbool.h>

struct config;
struct http_server;
struct serve;
struct webhook;

/*
 * A module that serves pages on the daemon's HTTP server (the dashboard):
 * mount registers its routes (http_route) and keeps what it needs in
 * *state; reload (may be NULL) takes a new configuration after SIGHUP
 * swapped it in; unmount frees the state, after the server has stopped.
 * cmd_serve.c lists the modules.
 */
struct serve_mount {
	const char *name;
	int (*mount)(void **state, struct http_server *srv, struct serve *sv);
	int (*reload)(void *state, const struct config *cfg);
	void (*unmount)(void *state);
};

struct serve_opts {
	const char *config_path;	/* NULL: the built-in configuration */
	const char *listen;		/* overrides the configuration's; NULL: its */
	int shutdown_ms;		/* SIGTERM: how long running work may take; 0: 30 s */
	int reconcile_ms;		/* every forge is fetched at least this often; 0: 10 min */
	int sweep_after_ms;		/* a pending status older than this turns error; 0: 2 h */
	bool queue_first;		/* a forge's first poll queues its changes (the demo) */
	const struct serve_mount *mounts;	/* NULL-named entry ends it; may be NULL */
	/* Set by main.c's signal handlers; hangup is cleared here once handled. */
	volatile sig_atomic_t *terminate, *hangup;
	/* Called once the server listens, with its address ("http://127.0.0.1:8080/"). */
	void (*listening)(void *user, const char *url);
	void *user;
};

/*
 * Runs the daemon until *terminate. Returns the process's exit code: 0 after
 * a shutdown, 2 for a configuration that does not load, 3 when the daemon
 * could not start (store, lock, listening address).
 */
int serve_run(const struct serve_opts *opts);

/* ---- for mounted modules, from any thread ---- */

/*
 * The configuration in force, held until serve_config_put: a reload swaps in
 * another but frees this one only when nobody holds it.
 */
const struct config *serve_config_get(struct serve *sv, void **hold);
void serve_config_put(struct serve *sv, void *hold);
/* The store every thread opens its own connection to (store_open). */
const char *serve_store_url(const struct serve *sv);
/* The webhook receiver, for its counters (webhook_counters). */
struct webhook *serve_webhooks(struct serve *sv);
/* Wakes the builders and target workers, after something was queued (a job retried). */
void serve_wake(struct serve *sv);

#endif
