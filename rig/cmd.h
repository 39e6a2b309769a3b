/*
 * cmd: the subcommands of `rig`. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit code.
 */
#ifndef RIG_CMD_H
#define RIG_CMD_H

/* Exit codes shared by the subcommands (see DESIGN.md). */
enum {
	EXIT_GATE_PASS = 0,
	EXIT_GATE_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_INFRA = 3,
};

int cmd_check(int argc, char **argv);
int cmd_boards(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_forge(int argc, char **argv);
int cmd_size(int argc, char **argv);
int cmd_vboard(int argc, char **argv);
int cmd_vboard_ctl(int argc, char **argv);
/* dashboard: the dashboard alone, for its tests and benchmark (plumbing) */
int cmd_dashboard(int argc, char **argv);

struct config;

/*
 * Loads the configuration at path (NULL: the built-in one) for the command
 * who; on failure prints every problem as file:line:col and a summary to
 * stderr and returns ERR_INVALID.
 */
int cmd_load_config(struct config **out, const char *path, const char *who);

#endif
