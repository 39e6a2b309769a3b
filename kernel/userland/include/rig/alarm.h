/*
 * Time and alarms for apps.
 *
 * The kernel gives each process one alarm; this library keeps any number of
 * them in a list sorted by deadline and keeps the kernel's alarm set to the
 * earliest. Callbacks run from an upcall, so only while the app yields.
 */
#ifndef RIG_ALARM_H
#define RIG_ALARM_H

#include <stdbool.h>
#include <stdint.h>

struct alarm;
typedef void alarm_fn(struct alarm *a, void *userdata);

struct alarm {
	uint64_t deadline;
	alarm_fn *fn;
	void *userdata;
	struct alarm *next;
	bool armed;
};

uint32_t alarm_frequency(void);
uint64_t alarm_now(void);
uint64_t alarm_ticks_from_ms(uint32_t ms);

/* Arm a (re-arming it if it was armed) to call fn at or after deadline. */
void alarm_at(struct alarm *a, uint64_t deadline, alarm_fn *fn, void *userdata);
void alarm_in_ms(struct alarm *a, uint32_t ms, alarm_fn *fn, void *userdata);
/* false if a was not armed. */
bool alarm_cancel(struct alarm *a);

/* Sleep (yielding) for at least ms milliseconds. */
void delay_ms(uint32_t ms);

#endif
