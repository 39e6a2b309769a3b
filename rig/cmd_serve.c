#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "dashboard.h"
#include "err.h"
#include "proc.h"
#include "serve.h"

/* ---- the modules served beside /hooks and /healthz ---- */

static void wake_serve(void *arg)
{
	serve_wake(arg);
}

static int dash_mount(void **state, struct http_server *srv, struct serve *sv)
{
	struct dashboard *d = NULL;
	void *hold;
	const struct config *cfg = serve_config_get(sv, &hold);
	struct dashboard_opts o = { .cfg = cfg, .store_url = serve_store_url(sv), .webhooks = serve_webhooks(sv),
				    .wake = wake_serve, .wake_arg = sv };
	int rc = dashboard_new(&d, &o);

	serve_config_put(sv, hold);
	if (rc == 0 && (rc = dashboard_mount(d, srv)) != 0) {
		dashboard_free(d);
		d = NULL;
	}
	*state = d;
	return rc;
}

static int dash_reload(void *state, const struct config *cfg)
{
	return dashboard_reload(state, cfg);
}

static void dash_unmount(void *state)
{
	dashboard_free(state);
}

static const struct serve_mount mounts[] = {
	{ "dashboard", dash_mount, dash_reload, dash_unmount },
	{ NULL, NULL, NULL, NULL },
};

static const char serve_usage[] =
	"usage: rig serve [-c FILE] [--listen ADDR] [--shutdown-timeout SECONDS]\n"
	"                 [--reconcile SECONDS] [--status-deadline SECONDS]\n"
	"\n"
	"The daemon: polls every forge and takes its webhooks (POST /hooks/github,\n"
	"/hooks/gitlab), queues changes, builds them, runs their jobs on every\n"
	"target, posts commit statuses, and serves HTTP. Runs until SIGTERM (or\n"
	"Ctrl-C); SIGHUP loads the configuration again.\n"
	"\n"
	"  --listen ADDR            HOST:PORT to serve on (default: dashboard.listen)\n"
	"  --shutdown-timeout S     on SIGTERM, how long running jobs may take to reach\n"
	"                           the end of their case (default 30); then they are\n"
	"                           queued again and the daemon exits\n"
	"  --reconcile S            fetch every forge at least this often, webhooks or\n"
	"                           not (default 600)\n"
	"  --status-deadline S      a status pending this long becomes error (default 7200)\n";

/* Seconds as milliseconds, or -1 for anything but a positive number. */
static int seconds_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v <= 0 || v > 1e6)
		return -1;
	return (int)(v * 1000);
}

/* Parses serve's options into o; returns 0, 1 for --help, or -1 for a usage error. */
static int parse(struct serve_opts *o, int argc, char **argv, const char *usage)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "shutdown-timeout", required_argument, NULL, 's' },
		{ "reconcile", required_argument, NULL, 'r' },
		{ "status-deadline", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config_path = optarg; break;
		case 'l': o->listen = optarg; break;
		case 's':
			if ((o->shutdown_ms = seconds_ms(optarg)) < 0)
				goto bad;
			break;
		case 'r':
			if ((o->reconcile_ms = seconds_ms(optarg)) < 0)
				goto bad;
			break;
		case 'd':
			if ((o->sweep_after_ms = seconds_ms(optarg)) < 0)
				goto bad;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	return 0;
bad:
	fputs(usage, stderr);
	return -1;
}

static void say_listening(void *user, const char *url)
{
	(void)user;
	printf("rig serve: listening on %s\n", url);
	fflush(stdout);
}

int cmd_serve(int argc, char **argv, const struct cmd_signals *sig)
{
	struct serve_opts o = { .mounts = mounts, .terminate = sig->terminate, .hangup = sig->hangup,
				.listening = say_listening };
	int rc = parse(&o, argc, argv, serve_usage);

	if (rc)
		return rc > 0 ? 0 : EXIT_USAGE;
	return serve_run(&o);
}

/* ---- rig demo ---- */

static const char demo_usage[] =
	"usage: rig demo [-c FILE] [--listen ADDR] [--shutdown-timeout SECONDS]\n"
	"\n"
	"Makes a local forge under the data folder from this repository's kernel,\n"
	"suites, boards and build images, with sample pull requests (a clean one,\n"
	"one that grows the kernel, one that breaks the boot on RISC-V only, one\n"
	"that breaks IPC, one with a flaky case), and serves it: every pull\n"
	"request is built and tested on the QEMU targets, and the results are on\n"
	"the dashboard. A second run reuses the mirror, the images and the builds.\n"
	"The configuration is scripts/demo/rig.yaml unless -c names another; its\n"
	"forge named \"demo\" is where the forge is made. Runs until Ctrl-C.\n";

/* The forge the demo makes: the one named "demo", a local path. */
static int demo_forge(char *out, size_t n, const char *config_path)
{
	struct config *cfg = NULL;
	int rc = EXIT_USAGE;

	if (cmd_load_config(&cfg, config_path, "rig demo") != 0)
		return EXIT_USAGE;
	for (size_t i = 0; i < cfg->forges.n; i++) {
		const struct forge *f = &cfg->forges.v[i];

		if (strcmp(f->name, "demo") == 0 && f->url[0] == '/') {
			snprintf(out, n, "%s", f->url);
			rc = 0;
		}
	}
	if (rc)
		fprintf(stderr, "rig demo: %s has no forge named \"demo\" at a local path\n", cfg->file);
	config_free(cfg);
	return rc;
}

/* scripts/demo-forge.sh: the bundled kernel and the sample PRs, as a bare repository at path. */
static int make_forge(const char *path)
{
	char script[PATH_MAX];
	const char *argv[] = { script, path, NULL };
	struct proc_opts o = { .argv = argv, .timeout_ms = 300000 };
	struct proc_result r;
	long long t0 = proc_now_ms();
	int rc;

	snprintf(script, sizeof(script), "%s/scripts/demo-forge.sh", config_project_root());
	proc_result_init(&r);
	rc = proc_run(&r, &o);
	if (rc == 0 && (r.signal || r.exit_code)) {
		rc = err_set(ERR_FAIL, "%s exited %d: %s%s", script, r.signal ? -r.signal : r.exit_code, r.err.data,
			     r.out.data);
	}
	if (rc)
		fprintf(stderr, "rig demo: %s\n", err_msg());
	else
		printf("rig demo: forge %s ready (%lld ms)\n%s", path, proc_now_ms() - t0, r.out.data);
	proc_result_release(&r);
	return rc;
}

static void demo_listening(void *user, const char *url)
{
	(void)user;
	printf("\nrig demo: the dashboard is on %s\n"
	       "Every sample pull request is being built and tested on the QEMU targets;\n"
	       "Ctrl-C stops the demo (a second 'rig demo' carries on from there).\n\n", url);
	fflush(stdout);
}

int cmd_demo(int argc, char **argv, const struct cmd_signals *sig)
{
	struct serve_opts o = { .mounts = mounts, .terminate = sig->terminate, .hangup = sig->hangup,
				.listening = demo_listening, .queue_first = true };
	char config_path[PATH_MAX], forge[PATH_MAX];
	int rc = parse(&o, argc, argv, demo_usage);

	if (rc)
		return rc > 0 ? 0 : EXIT_USAGE;
	if (!o.config_path) {
		snprintf(config_path, sizeof(config_path), "%s/scripts/demo/rig.yaml", config_project_root());
		o.config_path = config_path;
	}
	if ((rc = demo_forge(forge, sizeof(forge), o.config_path)) != 0)
		return rc;
	if (make_forge(forge) != 0)
		return EXIT_INFRA;
	return serve_run(&o);
}
