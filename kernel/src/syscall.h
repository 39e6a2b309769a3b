/*
 * System-call dispatch: decodes the class and arguments of the call p just
 * made and carries it out (doc/abi.md is the contract).
 */
#ifndef SYSCALL_H
#define SYSCALL_H

#include "kernel.h"

void syscall_handle(struct kernel *k, struct process *p);

#endif
