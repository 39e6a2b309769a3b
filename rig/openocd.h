/*
 * openocd: OpenOCD runs for the devices of the rack, and what their output
 * means.
 *
 * openocd_run() runs OpenOCD once for one device, composed as OpenOCD board
 * files are (interface + transport + target):
 *
 *   openocd -s SCRIPTS -c "gdb_port disabled" -c "tcl_port disabled"
 *           -c "telnet_port disabled"            no ports: runs never collide
 *           -f INTERFACE…                        the board's, in order
 *           -c "adapter serial S"                the device's probe, when given
 *           -c "transport select T" -c "adapter speed K"
 *           -c PROBE-COMMAND…                    the device's ("remote_bitbang port N")
 *           -f TARGET…  -c BOARD-COMMAND…        the board's
 *           -c init -c COMMAND…                  what this run is for
 *
 * through proc.h (an argv, its own process group, a deadline), and hands
 * every line it printed to a log callback, so a job's log keeps OpenOCD's
 * own words. Long runs of "N bytes written at address" lines (one per
 * section of an ELF) are folded into one line saying how many there were.
 *
 * openocd_explain() turns a failed run's output into a short reason a
 * person can act on ("verify failed at 0x20400101 (flash contents
 * differ)"), with its class for callers and tests. It ignores what OpenOCD
 * calls an error but recovers from (no working area on a target that has
 * none). It is a pure function of the text: the unit tests feed it output
 * captured from real runs.
 *
 * Nothing here allocates what the caller must free, except openocd_argv's
 * array (one free()).
 */
#ifndef RIG_OPENOCD_H
#define RIG_OPENOCD_H

#include <stdbool.h>
#include <stddef.h>

struct board;

/* Which OpenOCD, for which board, through which probe. */
struct openocd_setup {
	const char *program;			/* NULL: "openocd" from PATH */
	const char *scripts;			/* given with -s (boards/openocd); may be NULL */
	const struct board *board;		/* its openocd section */
	const char *adapter_serial;		/* NULL when the rack gives none */
	const char *const *probe_commands;	/* the device's, before the target configs */
	size_t nprobe_commands;
	const char *name;			/* the device, for messages */
};

enum openocd_fault {
	OPENOCD_OK,
	OPENOCD_NO_PROBE,	/* the adapter is not there (USB) */
	OPENOCD_CONNECT,	/* a network adapter refused or could not be reached */
	OPENOCD_LINK_LOST,	/* the adapter's connection broke mid-run */
	OPENOCD_NOT_EXAMINED,	/* the adapter is there, the target does not answer */
	OPENOCD_VERIFY,		/* what was read back differs from the image */
	OPENOCD_PROGRAM,	/* erasing or writing flash failed */
	OPENOCD_CONFIG,		/* a config file or command OpenOCD rejects */
	OPENOCD_FILE,		/* OpenOCD could not read the image */
	OPENOCD_TIMEOUT,	/* our deadline killed it */
	OPENOCD_OTHER,
};

const char *openocd_fault_name(enum openocd_fault f);

struct openocd_diag {
	enum openocd_fault fault;
	char reason[400];	/* "" when OPENOCD_OK */
};

/*
 * What went wrong in a run that printed output (stdout and stderr as one
 * stream) and exited with exit_code, or was killed by our deadline after
 * timeout_ms. An exit 0 without a verify difference is OPENOCD_OK.
 */
void openocd_explain(struct openocd_diag *out, const char *output, size_t len, int exit_code, bool timed_out,
		     int timeout_ms, const char *adapter_serial);

typedef void (*openocd_log_fn)(void *user, const char *line);

/*
 * The argv of a run of commands (after init) for setup; a NULL-terminated
 * array in one allocation the caller frees with free().
 */
int openocd_argv(char ***out, const struct openocd_setup *s, const char *const *commands, size_t n);

/*
 * Runs commands for setup within timeout_ms. what names the step for the
 * message ("flash", "reset"). Every output line goes to log (may be NULL).
 * 0 when OpenOCD succeeded; else ERR_IO (ERR_TIMEOUT when the deadline
 * killed it, ERR_NOTFOUND when openocd is not installed) with the last error
 * "WHAT NAME: REASON", and *diag (may be NULL) filled either way.
 */
int openocd_run(struct openocd_diag *diag, const struct openocd_setup *s, const char *what,
		const char *const *commands, size_t n, int timeout_ms, openocd_log_fn log, void *log_user);

#endif
