#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "container.h"
#include "err.h"
#include "fsutil.h"
#include "run.h"
#include "store.h"

static const char usage[] =
	"usage: rig run [-c FILE] --repo URL|PATH --ref REF [--base REF] [--merge]\n"
	"               [--target BOARD|DEVICE]... [--suite SUITE]... [--json]\n"
	"\n"
	"Takes one change from the forge to a verdict in the foreground: fetch,\n"
	"build every target board in its container, run the suites, record\n"
	"everything, decide the gate.\n"
	"\n"
	"  --repo URL|PATH   the repository (a path, file://, git:// or https://)\n"
	"  --ref REF         the change: a branch, pull/N, refs/... or a sha\n"
	"  --base REF        its base branch: the merge-base is recorded\n"
	"  --merge           test the change merged onto --base\n"
	"  --target BOARD    a board to test, in QEMU and on any of its devices in the\n"
	"                    rack (repeatable; default: the configuration's)\n"
	"  --target DEVICE   a device of the rack: its board's suites on it alone\n"
	"  --suite SUITE     a suite to run (repeatable; default: the configuration's)\n"
	"  --json            print the result as JSON (DESIGN.md's contract)\n"
	"\n"
	"Exit: 0 the gate passes, 1 it fails, 2 usage or configuration error,\n"
	"3 infrastructure error.\n";

#define MAX_LIST 64

static void print_human(const struct run_report *r)
{
	printf("%s %s at %.12s", r->repo, r->ref, r->sha);
	if (r->base_sha[0])
		printf(" (base %.12s, merge-base %.12s)", r->base_sha, r->merge_base[0] ? r->merge_base : "none");
	printf("\n\n");
	for (size_t i = 0; i < r->nbuilds; i++) {
		const struct build_result *b = &r->builds[i].result;

		const struct size_report *sz = &r->builds[i].size;

		printf("build  %-20s %-5s %6ld ms%s%s%s\n", r->builds[i].board, build_status_name(b->status),
		       b->duration_ms, b->cached ? "  cached" : "", b->reason[0] ? "  " : "", b->reason);
		if (sz->has_sizes && sz->has_delta)
			printf("       kernel flash %llu (%+lld) ram %llu (%+lld) bytes\n",
			       (unsigned long long)sz->kernel.flash, (long long)sz->delta.flash,
			       (unsigned long long)sz->kernel.ram, (long long)sz->delta.ram);
		else if (sz->has_sizes)
			printf("       kernel flash %llu ram %llu bytes\n", (unsigned long long)sz->kernel.flash,
			       (unsigned long long)sz->kernel.ram);
		for (size_t j = 0; j < sz->ntop && j < 5; j++)
			printf("       %-8s %+6lld  %s\n", elfsize_change_name(sz->top[j].change),
			       (long long)sz->top[j].delta, sz->top[j].name);
		for (size_t j = 0; j < sz->nfindings; j++)
			printf("       size %s: %s\n", sz->findings[j].fail ? "FAIL" : "warning", sz->findings[j].text);
		if (r->builds[i].size_note[0])
			printf("       no size delta: %s\n", r->builds[i].size_note);
	}
	if (r->nbuilds)
		putchar('\n');
	for (size_t i = 0; i < r->ncases; i++) {
		const struct run_case *c = &r->cases[i];

		printf("%-5s  %-8s %-28s %-18s %6ld ms%s%s%s\n", verdict_name(c->verdict), c->suite, c->name,
		       c->target, c->duration_ms, c->attempts > 1 ? "  (retried)" : "", c->reason[0] ? "  " : "",
		       c->reason);
	}
	printf("\ngate: %s: %s\n", gate_name(r->gate), r->reason);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "repo", required_argument, NULL, 'r' },
		{ "ref", required_argument, NULL, 'f' },
		{ "base", required_argument, NULL, 'b' },
		{ "target", required_argument, NULL, 't' },
		{ "suite", required_argument, NULL, 's' },
		{ "merge", no_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	const char *targets[MAX_LIST], *suites[MAX_LIST];
	struct run_opts ro = { 0 };
	struct run_report report;
	struct container ctr;
	struct container_opts copts;
	struct config *cfg = NULL;
	struct store *st = NULL;
	bool json = false, have_ctr = false;
	int c, rc = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'r': ro.repo = optarg; break;
		case 'f': ro.ref = optarg; break;
		case 'b': ro.base = optarg; break;
		case 'm': ro.merge = true; break;
		case 'j': json = true; break;
		case 't':
			if (ro.ntargets == MAX_LIST)
				goto bad;
			targets[ro.ntargets++] = optarg;
			break;
		case 's':
			if (ro.nsuites == MAX_LIST)
				goto bad;
			suites[ro.nsuites++] = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || !ro.repo || !ro.ref)
		goto bad;
	if (ro.merge && !ro.base) {
		fprintf(stderr, "rig run: --merge needs --base\n");
		return EXIT_USAGE;
	}
	if (ro.ntargets)
		ro.targets = targets;
	if (ro.nsuites)
		ro.suites = suites;

	if (cmd_load_config(&cfg, path, "rig run") != 0)
		return EXIT_USAGE;
	if (!ro.merge)
		ro.merge = cfg->build_merge && ro.base;

	rc = EXIT_INFRA;
	if (fs_mkdirs(cfg->data_dir) != 0 || store_open(&st, cfg->sqlite) != 0) {
		fprintf(stderr, "rig run: %s\n", err_msg());
		goto out;
	}
	container_opts_from_config(&copts, cfg);
	if (container_init(&ctr, &copts) != 0) {
		fprintf(stderr, "rig run: %s\n", err_msg());
		goto out;
	}
	have_ctr = true;
	{
		struct run_env env = { .cfg = cfg, .store = st, .containers = &ctr };

		if (run_change(&report, &env, &ro) != 0) {
			fprintf(stderr, "rig run: %s\n", err_msg());
			run_report_release(&report);
			goto out;
		}
	}
	if (json) {
		struct buf out;

		buf_init(&out, 0);
		run_report_json(&out, &report);
		puts(out.data);
		buf_release(&out);
	} else {
		print_human(&report);
	}
	if (report.usage_error) {
		fprintf(stderr, "rig run: %s\n", report.reason);
		rc = EXIT_USAGE;
	} else {
		rc = report.gate == GATE_PASS ? EXIT_GATE_PASS : report.gate == GATE_FAIL ? EXIT_GATE_FAIL : EXIT_INFRA;
	}
	run_report_release(&report);
out:
	if (have_ctr)
		container_release(&ctr);
	store_close(st);
	config_free(cfg);
	return rc;
bad:
	fputs(usage, stderr);
	return EXIT_USAGE;
}
