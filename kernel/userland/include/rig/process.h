/* The process-information driver, for apps (doc/abi.md). */
#ifndef RIG_PROCESS_H
#define RIG_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include <rig/syscall.h>

uint32_t process_self(void);
uint32_t process_count(void);
/* PROCESS_STATE_*, or -1 for an unknown id. */
int process_state(uint32_t id);
uint32_t process_restarts(uint32_t id);
/* Copies the name of process id into buf: its length, or -error. */
int process_name(uint32_t id, char *buf, size_t len);
/* The id of the process with that name, or -1. */
int process_find(const char *name);
/*
 * Sleep in steps of a millisecond until process id is in one of the states
 * of mask (bit PROCESS_STATE_x), at most ms: its state then.
 */
int process_wait_state(uint32_t id, uint32_t mask, uint32_t ms);
#define PROCESS_STATE_BIT(s) (1u << (s))

#endif
