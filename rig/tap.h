/*
 * tap: a streaming parser of the Test Anything Protocol as the kernel's apps
 * print it on the console, one line at a time, between kernel messages.
 *
 * Lines that are not TAP (kernel messages, app chatter) are ignored, so the
 * parser can be fed the whole console. Recognised: the plan "1..N" (with an
 * optional "# SKIP reason"), "ok N - desc # SKIP|TODO reason", "not ok N -
 * desc # reason", "Bail out! reason", diagnostics "# …", and the driver's end
 * line "# tap-end". The struct owns every string in it; tap_release frees them.
 */
#ifndef RIG_TAP_H
#define RIG_TAP_H

#include <stdbool.h>
#include <stddef.h>

enum tap_directive { TAP_NONE, TAP_SKIP, TAP_TODO };

struct tap_point {
	int number;
	bool ok;
	enum tap_directive directive;
	char *description;
	char *reason;		/* after the '#': the directive's reason or a failure's */
	long long t_ms;		/* when the line arrived */
};

enum tap_line {
	TAP_LINE_OTHER,		/* not TAP */
	TAP_LINE_PLAN,
	TAP_LINE_POINT,
	TAP_LINE_DIAG,
	TAP_LINE_END,
	TAP_LINE_BAIL,
};

struct tap {
	int plan;		/* -1 until the plan line */
	bool plan_skip;		/* "1..0 # SKIP" */
	bool ended;		/* the end line arrived */
	bool bailed;
	char *bail_reason;
	int out_of_order;	/* points whose number was not the next one */
	int duplicate_plans;
	struct tap_point *points;
	size_t n, alloc;
	size_t max_points;	/* a runaway app cannot grow this without bound */
};

void tap_init(struct tap *t);
void tap_release(struct tap *t);
enum tap_line tap_feed(struct tap *t, const char *line, long long t_ms);

/* Whether the stream is finished: the end line, a bail out, or the whole plan seen. */
bool tap_done(const struct tap *t);
/* Points that failed (not ok without TODO). */
size_t tap_failures(const struct tap *t);
/*
 * Why the stream does not pass, in a short sentence into out (size n), or
 * empty when it does: no plan, a plan other than expected_plan, a failure
 * (the first one named), missing points, a bail out.
 */
bool tap_verdict(const struct tap *t, int expected_plan, char *out, size_t n);

#endif
