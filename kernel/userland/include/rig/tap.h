/*
 * TAP output for the driver app of a test case (suites/README.md):
 *
 *   1..N
 *   ok 1 - name
 *   not ok 2 - name # reason
 *   # diagnostic
 *   # tap-end
 *
 * Test points are numbered from 1 in the order they are reported.
 */
#ifndef RIG_TAP_H
#define RIG_TAP_H

#include <stdbool.h>
#include <stdint.h>

#include <rig/syscall.h>

void tap_plan(unsigned n);
/* Report a test point: "ok" if cond, else "not ok". Returns cond. */
bool tap_ok(bool cond, const char *name);
/* Like tap_ok(), with a reason after '#' when it fails. */
bool tap_check(bool cond, const char *name, const char *why_fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool tap_eq(uint32_t got, uint32_t want, const char *name);
bool tap_eq64(uint64_t got, uint64_t want, const char *name);
/* A system call failed (either failure variant) with this error code. */
bool tap_fails_with(struct sysret r, uint32_t error, const char *name);
/* A system call returned exactly this success variant. */
bool tap_succeeds(struct sysret r, uint32_t variant, const char *name);
void tap_skip(const char *name, const char *reason);
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Number the next test point n (a restarted process continues its plan). */
void tap_set_next(unsigned n);
/* The driver is done: "# tap-end". */
void tap_end(void);

#endif
