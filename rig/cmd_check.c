#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "err.h"

static const char usage[] =
	"usage: rig check [-c FILE] [-v]\n"
	"\n"
	"Validates the configuration and every board, rack device and suite it\n"
	"names. Problems are printed as file:line:col: message.\n"
	"\n"
	"  -c, --config FILE   rig.yaml to check (default: the built-in configuration)\n"
	"  -v, --verbose       also say what was checked\n";

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool verbose = false;
	struct config *cfg;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rig check: unexpected argument '%s'\n%s", argv[optind], usage);
		return EXIT_USAGE;
	}

	if (cmd_load_config(&cfg, path, "rig check") != 0)
		return EXIT_USAGE;
	puts("configuration OK");
	if (verbose) {
		size_t cases = 0;

		for (size_t i = 0; i < cfg->all_suites.n; i++)
			cases += cfg->all_suites.v[i].cases.n;
		printf("%s: %zu boards, %zu devices, %zu suites with %zu cases, %zu forges, targets:",
		       cfg->file, cfg->boards.n, cfg->has_rack ? cfg->rack.devices.n : 0,
		       cfg->all_suites.n, cases, cfg->forges.n);
		for (size_t i = 0; i < cfg->targets.n; i++)
			printf(" %s", cfg->targets.v[i]);
		putchar('\n');
	}
	config_free(cfg);
	return 0;
}
