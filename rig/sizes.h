/*
 * sizes: what a build's ELF files weigh, and how much a change grows them.
 *
 * sizes_record stores the sections and symbols of every ELF a build produced
 * (the kernel and each app); sizes_compare takes the delta of the change's
 * kernel against the kernel built at its merge-base, with the symbols that
 * changed most; sizes_judge holds the growth against rig.yaml's thresholds
 * (the board's own, else the default), each a warning or a failure.
 * A struct size_report is plain data: nothing to free.
 */
#ifndef RIG_SIZES_H
#define RIG_SIZES_H

#include <stdbool.h>
#include <stdint.h>

#include "elfsize.h"

struct board;
struct config;
struct store;

#define SIZES_TOP 10

struct size_symbol_change {
	char name[128], section[48];
	uint64_t base, size;
	int64_t delta;
	enum elfsize_change change;
};

struct size_finding {
	char region[8];		/* flash | ram */
	int64_t delta;
	double percent;
	bool fail;		/* a fail limit, else warn */
	char text[256];
};

struct size_report {
	bool has_sizes;
	struct elfsize_totals kernel;
	bool has_delta;
	struct elfsize_totals base;
	struct elfsize_totals_delta delta;
	struct size_symbol_change top[SIZES_TOP];
	size_t ntop;
	struct size_finding findings[8];
	size_t nfindings;
};

/* Reads and stores every ELF under output_dir the board's artifacts name; fills kernel totals. */
int sizes_record(struct size_report *out, struct store *st, int64_t build_id, const struct board *b,
		 const char *output_dir);
/* The kernel's delta from base_output_dir's to output_dir's. */
int sizes_compare(struct size_report *out, const struct board *b, const char *base_output_dir,
		  const char *output_dir);
/* Findings for the delta in out; returns whether a fail limit was crossed. */
bool sizes_judge(struct size_report *out, const struct config *cfg, const struct board *b);

#endif
