#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "health.h"
#include "log.h"
#include "rack.h"
#include "store.h"

static const char usage[] =
	"usage: rig boards [-c FILE]                    the rack: devices, state, lease, health\n"
	"       rig boards [-c FILE] lock ID --reason TEXT   take a device out of service\n"
	"       rig boards [-c FILE] unlock ID              put it back in service\n";

/* "41 s", "3 min", "2 h": how long ago or how long left, for people. */
static void human_ms(char *out, size_t n, int64_t ms)
{
	int64_t s = ms / 1000;

	if (s < 120)
		snprintf(out, n, "%" PRId64 " s", s);
	else if (s < 7200)
		snprintf(out, n, "%" PRId64 " min", s / 60);
	else
		snprintf(out, n, "%" PRId64 " h", s / 3600);
}

static int list(struct store *st, const struct config *cfg)
{
	struct store_device *v;
	size_t n;
	int64_t now = store_now_ms();

	if (store_devices_list(st, &v, &n) != 0) {
		fprintf(stderr, "rig boards: %s\n", err_msg());
		return EXIT_INFRA;
	}
	printf("%-16s %-18s %-8s %-30s %s\n", "DEVICE", "BOARD", "STATE", "LEASE / REASON", "LAST HEALTH CHECK");
	for (size_t i = 0; i < n; i++) {
		const struct store_device *d = &v[i];
		char what[256] = "-", health[128] = "never", t[32];

		if (!config_device(cfg, d->id))
			continue;
		if (d->lease_job) {
			human_ms(t, sizeof(t), d->lease_expires - now);
			/* rack: a negative job is `rig boards unlock` checking the device's health */
			if (d->lease_job < 0)
				snprintf(what, sizeof(what), "health check (%s), %s left",
					 d->lease_holder ? d->lease_holder : "?", t);
			else
				snprintf(what, sizeof(what), "job %" PRId64 " (%s), %s left", d->lease_job,
					 d->lease_holder ? d->lease_holder : "?", t);
		} else if (strcmp(d->state, "locked") == 0) {
			snprintf(what, sizeof(what), "%s", d->locked_reason ? d->locked_reason : "");
		} else if (strcmp(d->state, "offline") == 0) {
			snprintf(what, sizeof(what), "%s", d->offline_reason ? d->offline_reason : "");
		} else if (d->infra_errors > 0) {
			snprintf(what, sizeof(what), "%" PRId64 " infrastructure error%s in a row", d->infra_errors,
				 d->infra_errors == 1 ? "" : "s");
		}
		if (d->health_status) {
			human_ms(t, sizeof(t), now - d->health_at);
			snprintf(health, sizeof(health), "%s, %s ago%s%s", d->health_status, t,
				 d->health_reason ? ": " : "", d->health_reason ? d->health_reason : "");
		}
		printf("%-16s %-18s %-8s %-30s %s\n", d->id, d->board, d->state, what, health);
	}
	store_devices_free(v, n);
	return 0;
}

/* ---- rack: a device back in service gets its health check ---- */

static void check_log(void *user, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check_log(void *user, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	(void)user;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("%s", line);
}

static int unlock_check(struct store *st, const struct config *cfg, const char *id)
{
	char holder[160], host[64] = "localhost", dir[PATH_MAX];
	struct health_result res;
	struct rack_env env = { .cfg = cfg, .store = st, .job = -(int64_t)getpid(), .holder = holder,
				.workdir = dir, .log = check_log };
	int rc;

	gethostname(host, sizeof(host) - 1);
	snprintf(holder, sizeof(holder), "rig boards unlock@%s:%d", host, (int)getpid());
	snprintf(dir, sizeof(dir), "%s/tmp/check-%s-%d", cfg->data_dir, id, (int)getpid());
	if (fs_mkdirs(dir) != 0) {
		fprintf(stderr, "rig boards unlock: %s\n", err_msg());
		return EXIT_INFRA;
	}
	rc = rack_check(&res, &env, id);
	fs_rmtree(dir);
	if (rc == ERR_NOTFOUND) {
		printf("%s back in service; no health check: %s\n", id, err_msg());
		return 0;
	}
	if (rc == ERR_CONFLICT) {
		printf("%s back in service; no health check now: %s\n", id, err_msg());
		return 0;
	}
	if (rc) {
		fprintf(stderr, "rig boards unlock: %s\n", err_msg());
		return EXIT_INFRA;
	}
	if (!res.ok) {
		printf("%s failed its health check and stays out of service: %s\n", id, res.reason);
		return EXIT_INFRA;
	}
	printf("%s back in service: health check ok, %s\n", id, res.reason);
	return 0;
}

/* ---- end rack ---- */

int cmd_boards(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *reason = NULL;
	struct config *cfg = NULL;
	struct store *st = NULL;
	int c, rc = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (cmd_load_config(&cfg, path, "rig boards") != 0)
		return EXIT_USAGE;
	if (!cfg->has_rack) {
		printf("no rack configured (no %s/rack.yaml): QEMU targets only\n", cfg->boards_dir);
		rc = 0;
		goto out;
	}
	if (fs_mkdirs(cfg->data_dir) != 0 || store_open(&st, cfg->sqlite) != 0) {
		fprintf(stderr, "rig boards: %s\n", err_msg());
		rc = EXIT_INFRA;
		goto out;
	}
	/* The rack file is the truth about which devices exist; the store keeps their state. */
	for (size_t i = 0; i < cfg->rack.devices.n; i++) {
		if (store_device_sync(st, cfg->rack.devices.v[i].id, cfg->rack.devices.v[i].board) != 0) {
			fprintf(stderr, "rig boards: %s\n", err_msg());
			rc = EXIT_INFRA;
			goto out;
		}
	}
	if (optind == argc) {
		rc = list(st, cfg);
	} else if (strcmp(argv[optind], "lock") == 0 && optind + 2 == argc) {
		if (!reason) {
			fprintf(stderr, "rig boards lock: say why with --reason\n");
			goto out;
		}
		if (!config_device(cfg, argv[optind + 1]) || store_device_lock(st, argv[optind + 1], reason) != 0) {
			fprintf(stderr, "rig boards lock: no device '%s' in %s\n", argv[optind + 1], cfg->rack.file);
			goto out;
		}
		printf("%s locked: %s\n", argv[optind + 1], reason);
		rc = 0;
	} else if (strcmp(argv[optind], "unlock") == 0 && optind + 2 == argc) {
		if (!config_device(cfg, argv[optind + 1]) || store_device_unlock(st, argv[optind + 1]) != 0) {
			fprintf(stderr, "rig boards unlock: no device '%s' in %s\n", argv[optind + 1], cfg->rack.file);
			goto out;
		}
		rc = unlock_check(st, cfg, argv[optind + 1]);
	} else {
		fputs(usage, stderr);
	}
out:
	store_close(st);
	config_free(cfg);
	return rc;
}
