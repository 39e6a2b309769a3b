#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "err.h"
#include "forge.h"
#include "http.h"
#include "log.h"
#include "report.h"

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
	{ "run", cmd_run, "one change, start to finish, in the foreground" },
	{ "serve", not_built, "the daemon: forges, webhooks, builds, jobs, dashboard" },
	{ "size", cmd_size, "sections and symbols of an ELF, or their delta" },
	{ "boards", cmd_boards, "the rack: devices, state, leases, health" },
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

static bool needs_git(const char *command)
{
	static const char *const git_commands[] = { "run", "serve", "demo", "forge" };

	for (size_t c = 0; c < sizeof(git_commands) / sizeof(git_commands[0]); c++)
		if (strcmp(command, git_commands[c]) == 0)
			return true;
	return false;
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
	/*
	 * Process-wide library state (civetweb, libcurl) is set up here, before
	 * any thread exists, and nowhere else: see http.h and report.h.
	 */
	if (http_library_init() != 0 || report_library_init() != 0) {
		fprintf(stderr, "rig: %s\n", err_msg());
		return EXIT_INFRA;
	}
	atexit(report_library_cleanup);
	atexit(http_library_cleanup);

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
	/* libgit2 and its socket streams are process-wide: set up once, before
	 * any thread, by the commands that touch git only (its TLS set-up reads
	 * the system's certificates: time `rig check` need not spend). */
	if (needs_git(argv[i]) && forge_global_init() != 0) {
		fprintf(stderr, "rig: %s\n", err_msg());
		return EXIT_INFRA;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].run(argc - i, argv + i);
	/* Plumbing for tests and operators, left out of --help. */
	if (strcmp(argv[i], "forge") == 0)
		return cmd_forge(argc - i, argv + i);
	/* dashboard: the dashboard alone on a store */
	if (strcmp(argv[i], "dashboard") == 0)
		return cmd_dashboard(argc - i, argv + i);
	fprintf(stderr, "rig: '%s' is not a rig command; see 'rig --help'\n", argv[i]);
	return EXIT_USAGE;
}
