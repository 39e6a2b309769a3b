/*
 * rig dashboard: the dashboard alone on a store, without the daemon's
 * workers — for looking at a store's results, and for the dashboard's own
 * tests and benchmark. Plumbing: left out of --help. `rig serve` mounts the
 * same dashboard on its own server.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "dashboard.h"
#include "err.h"
#include "fsutil.h"
#include "http.h"
#include "store.h"
#include "webhook.h"

static const char usage[] =
	"usage: rig dashboard [-c FILE] [--listen HOST:PORT] [--store URL] [--assets DIR]\n"
	"                     [--threads N] [--sse-seconds N]\n\n"
	"Serves the dashboard and its API on the configuration's store (or URL),\n"
	"without building or testing anything. Prints 'listening on http://…' once\n"
	"ready; SIGTERM or SIGINT stops it.\n";

/* Webhooks are counted but not acted on: there is no daemon behind this server. */
static int refuse(void *arg, const struct webhook_event *ev)
{
	(void)arg;
	(void)ev;
	return err_set(ERR_UNSUPPORTED, "this rig only shows the dashboard; run 'rig serve' to take webhooks");
}

int cmd_dashboard(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "store", required_argument, NULL, 's' },
		{ "assets", required_argument, NULL, 'a' },
		{ "threads", required_argument, NULL, 't' },
		{ "sse-seconds", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = NULL, *listen = NULL, *store_url = NULL, *assets = NULL;
	int threads = 0, sse_seconds = 0, c, sig, rc = EXIT_INFRA;
	struct config *cfg = NULL;
	struct dashboard *dash = NULL;
	struct webhook *hooks = NULL;
	struct http_server *srv = NULL;
	struct store *st = NULL;
	sigset_t stop;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'l': listen = optarg; break;
		case 's': store_url = optarg; break;
		case 'a': assets = optarg; break;
		case 't': threads = atoi(optarg); break;
		case 'e': sse_seconds = atoi(optarg); break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (cmd_load_config(&cfg, path, "rig dashboard") != 0)
		return EXIT_USAGE;
	if (!store_url)
		store_url = cfg->sqlite;
	/* The store is made (and migrated) here, once, before the workers open theirs. */
	if ((!path || fs_mkdirs(cfg->data_dir) == 0) && store_open(&st, store_url) == 0) {
		for (size_t i = 0; cfg->has_rack && i < cfg->rack.devices.n; i++)
			store_device_sync(st, cfg->rack.devices.v[i].id, cfg->rack.devices.v[i].board);
		store_close(st);
	} else {
		fprintf(stderr, "rig dashboard: %s\n", err_msg());
		goto out;
	}
	/* Every thread started from here on inherits the blocked signals; this one waits for them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	{
		struct webhook_opts wo = { .cfg = cfg, .store_url = store_url, .queue = refuse };
		struct dashboard_opts dopts = { .cfg = cfg, .store_url = store_url, .assets_dir = assets,
						.sse_seconds = sse_seconds };
		struct http_opts hopts = { .listen = listen ? listen : cfg->listen, .threads = threads };

		if (webhook_new(&hooks, &wo) != 0)
			goto fail;
		dopts.webhooks = hooks;
		if (dashboard_new(&dash, &dopts) != 0 || http_start(&srv, &hopts) != 0 ||
		    dashboard_mount(dash, srv) != 0 || webhook_mount(hooks, srv) != 0)
			goto fail;
	}
	printf("listening on http://127.0.0.1:%d\n", http_port(srv));
	fflush(stdout);
	sigwait(&stop, &sig);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "rig dashboard: %s\n", err_msg());
out:
	http_stop(srv, 5000);
	dashboard_free(dash);
	webhook_free(hooks);
	config_free(cfg);
	return rc;
}
