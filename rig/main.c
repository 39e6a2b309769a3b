#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"

#ifndef RIG_VERSION
#define RIG_VERSION "0.0.0"
#endif

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int not_built(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "rig %s: not built yet\n", argv[0]);
	return EXIT_USAGE;
}

static const struct command commands[] = {
	{ "check", cmd_check, "validate the configuration, boards, rack and suites" },
	{ "run", not_built, "one change, start to finish, in the foreground" },
	{ "serve", not_built, "the daemon: forges, webhooks, builds, jobs, dashboard" },
	{ "size", not_built, "sections and symbols of an ELF, or their delta" },
	{ "boards", not_built, "the rack: devices, state, leases, health" },
	{ "demo", not_built, "a local forge with sample PRs, served with the dashboard" },
	{ "vboard", cmd_vboard, "a virtual board for OpenOCD and the console" },
	{ "vboard-ctl", cmd_vboard_ctl, "power and faults of a running virtual board" },
};

static void usage(FILE *to)
{
	fputs("usage: rig [--version] [--help] [--log-level LEVEL] <command> [<args>]\n\n"
	      "Rig tests every change of an embedded kernel on QEMU and on real boards.\n\n"
	      "Commands:\n", to);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(to, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\nEvery command takes -c FILE (default: the built-in configuration, QEMU\n"
	      "targets only). 'rig <command> --help' tells more.\n", to);
}

/* Children must not inherit a closed stdio slot that a later open() would fill. */
static void ensure_stdio(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) < 0)
			_exit(EXIT_INFRA);
}

int main(int argc, char **argv)
{
	int i = 1;

	ensure_stdio();
	/* A peer closing a socket must be an error return, not a dead daemon. */
	signal(SIGPIPE, SIG_IGN);

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--version") == 0) {
			printf("rig %s\n", RIG_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
			enum log_level level;

			if (log_parse_level(&level, argv[i + 1]) != 0) {
				fprintf(stderr, "rig: unknown log level '%s'\n", argv[i + 1]);
				return EXIT_USAGE;
			}
			log_set_level(level);
			i += 2;
			continue;
		}
		fprintf(stderr, "rig: unknown option '%s'\n", argv[i]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].run(argc - i, argv + i);
	fprintf(stderr, "rig: '%s' is not a rig command; see 'rig --help'\n", argv[i]);
	return EXIT_USAGE;
}
