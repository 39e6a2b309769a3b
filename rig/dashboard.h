/*
 * dashboard: the web pages, the JSON API, live logs, /metrics and the admin
 * actions, served on the daemon's HTTP server (http.h).
 *
 * Pages (plain HTML, complete without JavaScript; dash.js adds live updates
 * and the charts):
 *   /  /changes[?state=&gate=&before=]  changes, newest first, filterable
 *   /changes/{id}                        builds, cases × targets, sizes, logs
 *   /cases/{suite}/{case}                a case's verdicts per target, flake rate
 *   /sizes  /sizes/{board}               kernel flash and RAM over the base branch
 *   /rack                                devices, leases, health, admin actions
 *   /runs/{id}                           a job's console log, live while it runs
 *   /builds/{id}/log                     a build's log
 *   /static/…                            CSS, JS and the chart library (uPlot)
 * API (JSON; errors are {"error": "…"} with 400 for a bad parameter, 404 for
 * an unknown id, 405 for a wrong method):
 *   GET  /api/changes[?state=&gate=&before=&limit=]   GET /api/changes/{id}
 *   GET  /api/devices    GET /api/cases/{suite}/{case}[?limit=]
 *   GET  /api/boards     GET /api/sizes/{board}[?limit=]
 *   GET  /api/runs/{id}  GET /api/runs/{id}/log[?from=&limit=]
 *   GET  /api/runs/{id}/events[?from=]   server-sent events: "line" events
 *        (data {"t","stream","text","step"}, id = the byte offset after the
 *        line, so a reconnecting EventSource resumes by Last-Event-ID), then
 *        "end" (data {"state"}) once the job is over and its log read
 *   GET  /metrics        Prometheus text
 *   POST /api/runs/{id}/retry, /api/devices/{id}/lock, /api/devices/{id}/unlock
 *        need the admin token: "Authorization: Bearer TOKEN" or a form field
 *        token=…; a form post (the pages' forms) is answered with a page.
 *        No token: 401; a wrong one, or no admin_token_file configured: 403;
 *        and nothing changes.
 *
 * Every string from a forge, a board or a person (branch names, titles,
 * console lines, reasons) reaches a page only through view.h, which escapes
 * it; JSON escapes it its own way.
 *
 * Threads: handlers run on the HTTP workers, several at once; each takes a
 * store connection from the dashboard's pool for the request. A live log
 * holds a worker for at most sse_seconds (the browser then reconnects where
 * it left off), at most sse_max of them at once (503 beyond), and ends when
 * the server stops. dashboard_reload may be called from any thread;
 * dashboard_free only after the HTTP server has stopped.
 */
#ifndef RIG_DASHBOARD_H
#define RIG_DASHBOARD_H

#include <stdint.h>

struct config;
struct dashboard;
struct http_server;
struct webhook;

struct dashboard_opts {
	const struct config *cfg;	/* data_dir (logs) and admin_token_file; copied, cfg may go after */
	const char *store_url;		/* store_open URL: one connection per concurrent request, pooled */
	const char *assets_dir;		/* templates/, static/, node_modules/; NULL: <project root>/dashboard */
	struct webhook *webhooks;	/* counts for /metrics; NULL: none shown */
	/*
	 * A retry puts the job back in the store as queued (store_job_retry),
	 * where the daemon's workers claim it; wake, when set, is called then so
	 * they look now rather than at their next periodic look (serve_wake).
	 */
	void (*wake)(void *arg);
	void *wake_arg;
	int sse_max;			/* live logs at once; 0: 4 */
	int sse_seconds;		/* one live log's length before the browser reconnects; 0: 60 */
};

/*
 * The daemon mounts it from its module hook, e.g. for serve.h's serve_mount:
 *   cfg = serve_config_get(sv, &hold);
 *   dashboard_new(&d, &(struct dashboard_opts){ .cfg = cfg, .store_url = serve_store_url(sv),
 *                 .webhooks = serve_webhooks(sv), .wake = wake_serve, .wake_arg = sv });
 *   serve_config_put(sv, hold); dashboard_mount(d, srv); *state = d;
 * and unmounts with dashboard_free(state) after the server stopped; on
 * SIGHUP it calls dashboard_reload with the new configuration.
 */

/* Loads the templates and assets and reads the admin token; a broken template fails here. */
int dashboard_new(struct dashboard **out, const struct dashboard_opts *opts);
/* Registers every route above on srv. */
int dashboard_mount(struct dashboard *d, struct http_server *srv);
/* Takes a new configuration's data_dir and admin token; on error the old ones stay. */
int dashboard_reload(struct dashboard *d, const struct config *cfg);
void dashboard_free(struct dashboard *d);

#endif
