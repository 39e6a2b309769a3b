/*
 * health: a board type's health check on one device of the rack — does it
 * boot and say so?
 *
 * Power cycle, flash a kernel known to boot with no apps (the kernel prints
 * its banner before it looks for apps), open the console, reset, and wait
 * for the boot banner within the board's boot_timeout. The kernel comes
 * from the newest build of the board that passed a case somewhere
 * (store_build_bootable), never from the change under test, so a change
 * that broke booting cannot make a device look broken.
 *
 * The outcome goes to the store: a pass clears the device's count of
 * consecutive infrastructure errors (and brings it back from offline); a
 * failure is recorded and counts as one more infrastructure error, which at
 * the rack's offline_after takes the device offline with the reason.
 */
#ifndef RIG_HEALTH_H
#define RIG_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct board;
struct store;
struct target;

struct health_result {
	bool ok;
	bool offline;		/* the failure took the device offline */
	char reason[600];	/* "banner in 812 ms", or what went wrong */
	long ms;
};

/* kernel.bin of the newest build of board known to boot, into out; ERR_NOTFOUND when none. */
int health_kernel(char *out, size_t n, struct store *s, const struct board *b);

/*
 * Runs the check on t, a device target whose lease the caller holds, and
 * records it; a failure takes the device offline when it makes
 * offline_after consecutive infrastructure errors. Returns 0 when the check ran, whatever it found (see out);
 * negative only when its outcome could not be recorded.
 */
int health_check(struct health_result *out, struct target *t, struct store *s, const char *kernel_bin,
		 int64_t offline_after, double time_scale);

#endif
