/*
 * config: rig.yaml, the board files, the rack and the suites, loaded into one
 * immutable object.
 *
 * config_load() reads everything a configuration names, checks types,
 * required and unknown keys, and cross-references (a device naming an unknown
 * board, a case naming a missing app, an expired quarantine), and reports
 * every problem to diags as file:line:col. The object and every string in it
 * live in its own arena: config_free() releases all of it, so the daemon can
 * build a new configuration on SIGHUP and swap it in whole.
 *
 * Relative paths in rig.yaml are taken from the folder of rig.yaml; those of
 * the built-in default configuration from the project's root (RIG_HOME, or the
 * source tree the binary was built from).
 */
#ifndef RIG_CONFIG_H
#define RIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define CFG_LIST(T) struct { T *v; size_t n; }

struct cfg_pos {
	const char *file;
	int line, col;
};

typedef CFG_LIST(const char *) cfg_strlist;

/* ---- boards/<name>.yaml ---- */

struct region {
	uint64_t origin, length;
};

struct board_memory {
	struct region kernel_flash, app_flash, kernel_ram, app_ram;
};

struct board_artifacts {
	const char *kernel, *kernel_bin, *apps, *image;
};

struct board_build {
	const char *image;		/* a folder under containers/ */
	cfg_strlist command;
	double timeout;
	struct board_artifacts artifacts;
	struct cfg_pos image_pos;
};

struct board_qemu {
	cfg_strlist command;		/* with {image} and {kernel} */
};

struct board_openocd {
	cfg_strlist interface, target, commands, program;
	const char *transport;
	int64_t speed;
};

struct board_fpga {
	const char *bitstream;
	cfg_strlist command;
};

struct board {
	struct cfg_pos pos;
	const char *file;
	const char *name, *description, *arch, *cpu;
	struct board_memory memory;
	struct board_build build;
	bool has_qemu, has_openocd, has_fpga;
	struct board_qemu qemu;
	struct board_openocd openocd;
	struct board_fpga fpga;
	int64_t baud;
	double settle;
	double boot_timeout;
	bool broken;			/* its file did not load: judge nothing else on it */
};

/* ---- boards/rack.yaml ---- */

struct device {
	struct cfg_pos pos, board_pos;
	const char *id, *board;
	const char *probe_serial;
	cfg_strlist probe_commands;
	const char *console_usb_serial, *console_path;
	cfg_strlist power_on, power_off, power_cycle;
	cfg_strlist tags;
};

struct rack {
	const char *file;
	double lease_seconds;
	int64_t offline_after;
	CFG_LIST(struct device) devices;
};

/* ---- suites/<suite>/suite.yaml ---- */

struct suite_case {
	struct cfg_pos pos;
	const char *name;
	cfg_strlist apps;
	struct cfg_pos *apps_pos;
	int64_t plan;
	double timeout;			/* 0: the suite's */
	cfg_strlist expect;		/* POSIX extended regexes */
	struct cfg_pos *expect_pos;
	cfg_strlist only, except;	/* board names */
	struct cfg_pos *only_pos, *except_pos;
};

struct quarantine {
	struct cfg_pos pos, expires_pos, case_pos;
	const char *case_name;
	cfg_strlist targets;		/* empty: every target */
	const char *reason;
	const char *expires;		/* YYYY-MM-DD */
};

struct suite {
	struct cfg_pos pos;
	const char *file, *dir, *name, *description;
	double timeout;
	CFG_LIST(struct suite_case) cases;
	CFG_LIST(struct quarantine) quarantine;
};

/* ---- rig.yaml ---- */

struct forge_status {
	const char *api, *repo, *token_file, *context;
};

struct forge {
	struct cfg_pos pos;
	const char *name, *url, *kind, *gate, *base;
	cfg_strlist refspecs, protected_branches;
	double poll_interval;
	const char *webhook_secret_file;
	bool has_status;
	struct forge_status status;
};

struct size_limit {
	struct cfg_pos pos;
	int64_t bytes;			/* growth that crosses it; 0: not set */
	double percent;			/* growth in percent; 0: not set */
	const char *action;		/* warn | fail */
};

struct size_rule {
	struct cfg_pos pos;
	const char *board;		/* NULL for the default */
	CFG_LIST(struct size_limit) flash, ram;
};

struct containers_cfg {
	const char *runtime;		/* podman | docker */
	int64_t cpus, pids;
	const char *memory;		/* as the runtime takes it: 2g, 512m */
	double timeout;
};

struct config {
	struct arena *arena;
	const char *file;		/* rig.yaml, or the default's path */
	const char *root;		/* folder relative paths start from */
	bool builtin;

	const char *data_dir, *boards_dir, *suites_dir, *containers_dir, *kernel_dir, *rack_file;
	cfg_strlist targets, suites;	/* what run and serve test by default */
	struct cfg_pos *targets_pos, *suites_pos;
	CFG_LIST(struct forge) forges;
	const char *sqlite;
	const char *listen, *admin_token_file;
	struct containers_cfg containers;
	int64_t build_parallelism;
	bool build_merge;
	int64_t webhook_max_body;
	struct size_rule size_default;
	CFG_LIST(struct size_rule) size_boards;

	/* loaded from the folders above */
	CFG_LIST(struct board) boards;
	bool has_rack;
	struct rack rack;
	CFG_LIST(struct suite) all_suites;
};

/*
 * Loads the configuration at path, or the built-in default when path is
 * NULL. On success *out is the caller's (config_free). On ERR_INVALID, diags
 * holds every problem and *out is NULL.
 */
int config_load(struct config **out, const char *path, struct diags *diags);
void config_free(struct config *cfg);

/* The built-in default configuration's text, and the root it resolves against. */
const char *config_default_text(void);
const char *config_project_root(void);

const struct board *config_board(const struct config *cfg, const char *name);
const struct suite *config_suite(const struct config *cfg, const char *name);
const struct device *config_device(const struct config *cfg, const char *id);
const struct suite_case *suite_case(const struct suite *s, const char *name);

/* Whether a case runs on a board (its only/except filters). */
bool suite_case_runs_on(const struct suite_case *c, const char *board);
/* The quarantine entry covering (case, board) on date (YYYY-MM-DD), or NULL. */
const struct quarantine *suite_quarantined(const struct suite *s, const char *case_name,
					   const char *board, const char *today);

/* Today's date as YYYY-MM-DD (UTC) into out[11]. */
void config_today(char out[11]);

#endif
