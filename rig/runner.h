/*
 * runner: runs the cases of a suite on a target and gives each one verdict.
 *
 * A case is one boot (suites/README.md): flash the image composed for it,
 * open the console, reset, and read the console until the case is decided:
 *  pass   banner, the plan the suite expects, every point ok, every `expect`
 *         line seen, the driver's end line (or the whole plan) before the deadline;
 *  fail   the code under test misbehaved: no banner although the target ran,
 *         a not ok, a wrong or short plan, a kernel panic, the driver faulting,
 *         a missing expected line;
 *  error  the rig or the target misbehaved: flash or start failed, the console
 *         vanished, or no banner because the host starved the emulator;
 *  skip   the case is not for this target, or its plan says SKIP;
 *  xfail  it failed, and the suite's quarantine covers it on this target.
 * An error is retried once, and so is a fail: a fail that then passes is a
 * pass marked flaky. Every console line and step goes to the sink as it comes.
 */
#ifndef RIG_RUNNER_H
#define RIG_RUNNER_H

#include <stdbool.h>

#include "config.h"
#include "tap.h"
#include "target.h"

/* The kernel's boot banner, its first console line (suites/README.md). */
#define RUNNER_BANNER_RE "^rig-kernel [^ ]+ board=[^ ]+ arch=[^ ]+"

enum verdict { VERDICT_PASS, VERDICT_FAIL, VERDICT_ERROR, VERDICT_SKIP, VERDICT_XFAIL };

const char *verdict_name(enum verdict v);

struct runner_sink {
	/* stream: "console" for the target's output, "rig" for the runner's steps. */
	void (*line)(void *user, const char *stream, const char *line, long long t_ms);
	void *user;
};

struct runner_opts {
	const char *today;	/* YYYY-MM-DD, for quarantine expiry */
	double time_scale;	/* stretches every deadline (slow hosts); 0 means 1 */
	bool no_retry;		/* one attempt only (tests of the retry itself) */
	/*
	 * An error is not retried here: the caller retries it on another
	 * device of the same board type (a fail is still retried in place).
	 */
	bool no_error_retry;
};

struct case_outcome {
	enum verdict verdict;
	char reason[512];
	long duration_ms;	/* of the deciding attempt */
	long boot_ms;		/* reset to banner, -1 when no banner */
	int attempts;
	bool flaky;		/* failed, then passed on the retry */
	struct tap tap;		/* of the deciding attempt; owned */
};

void case_outcome_release(struct case_outcome *o);

/* Runs case c of suite s on target t; never fails itself: the outcome says what happened. */
void runner_case(struct case_outcome *out, struct target *t, const struct suite *s,
		 const struct suite_case *c, const struct target_image *img,
		 const struct runner_sink *sink, const struct runner_opts *opts);

#endif
