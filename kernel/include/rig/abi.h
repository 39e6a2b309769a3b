/*
 * The system-call ABI shared by the kernel and the userland library.
 *
 * This header is the single source of the numbers in doc/abi.md: the kernel
 * dispatches on them and the userland wrappers emit them, so a number changed
 * here changes both sides at once. Everything is plain integer constants so
 * that it can be included from C and from assembly.
 */
#ifndef RIG_ABI_H
#define RIG_ABI_H

/* System-call classes. Cortex-M: the immediate of `svc`. RISC-V: register a4. */
#define SYS_YIELD      0
#define SYS_SUBSCRIBE  1
#define SYS_COMMAND    2
#define SYS_ALLOW_RW   3
#define SYS_ALLOW_RO   4
#define SYS_MEMOP      5
#define SYS_EXIT       6

/* First argument of SYS_YIELD. */
#define YIELD_NO_WAIT  0
#define YIELD_WAIT     1

/* First argument of SYS_EXIT. */
#define EXIT_TERMINATE 0
#define EXIT_RESTART   1

/* Return variants, in r0/a0 after every class except yield and exit. */
#define RET_FAILURE       0   /* r1: error code */
#define RET_FAILURE_U32   1   /* r1: error code, r2: value */
#define RET_SUCCESS       128
#define RET_SUCCESS_U32   129 /* r1 */
#define RET_SUCCESS_2U32  130 /* r1, r2 */
#define RET_SUCCESS_U64   131 /* r1: low word, r2: high word */

/* Error codes, carried by the failure variants. */
#define ERR_FAIL       1
#define ERR_BUSY       2
#define ERR_ALREADY    3
#define ERR_OFF        4
#define ERR_RESERVE    5
#define ERR_INVAL      6
#define ERR_SIZE       7
#define ERR_CANCEL     8
#define ERR_NOMEM      9
#define ERR_NOSUPPORT  10
#define ERR_NODEVICE   11
#define ERR_NOTFOUND   12   /* IPC: no such service, or the process does not use IPC */
#define ERR_STALE      13   /* IPC: the handle's process restarted or stopped */
#define ERR_ALIGN      14   /* IPC: a share the MPU/PMP cannot map as one region */
#define ERR_NOREGION   15   /* IPC: no protection region left for another share */
#define ERR_REVOKED    16   /* IPC: the share ended (client stopped, restarted, unshared) */

/* Driver numbers. */
#define DRV_ALARM      0x00000
#define DRV_CONSOLE    0x00001
#define DRV_PROCESS    0x00002
#define DRV_IPC        0x10000

/* Every driver answers command 0 with RET_SUCCESS: "this driver exists". */
#define CMD_EXISTS     0

/* Alarm driver. Time is a 64-bit tick count that never wraps. */
#define ALARM_CMD_FREQUENCY    1  /* -> SUCCESS_U32 ticks per second */
#define ALARM_CMD_NOW          2  /* -> SUCCESS_U64 now */
#define ALARM_CMD_CANCEL       3  /* -> SUCCESS, or FAILURE ALREADY if none set */
#define ALARM_CMD_SET_RELATIVE 4  /* arg1 = ticks from now -> SUCCESS_U64 deadline */
#define ALARM_CMD_SET_ABSOLUTE 5  /* arg1 = low, arg2 = high -> SUCCESS_U64 deadline */
#define ALARM_UPCALL_EXPIRED   0  /* (deadline low, deadline high, 0) */

/* Console driver. */
#define CONSOLE_CMD_WRITE      1  /* arg1 = length, from read-only allow 1 */
#define CONSOLE_CMD_READ       2  /* arg1 = length, into read-write allow 1 */
#define CONSOLE_CMD_ABORT_READ 3
#define CONSOLE_ALLOW_RO_WRITE 1
#define CONSOLE_ALLOW_RW_READ  1
#define CONSOLE_UPCALL_WRITTEN 1  /* (bytes written, 0, 0) */
#define CONSOLE_UPCALL_READ    2  /* (0 or ERR_CANCEL, bytes read, 0) */

/* Process-information driver. */
#define PROCESS_CMD_SELF       1  /* -> SUCCESS_U32 own process id */
#define PROCESS_CMD_COUNT      2  /* -> SUCCESS_U32 number of processes */
#define PROCESS_CMD_STATE      3  /* arg1 = id -> SUCCESS_U32 PROCESS_STATE_* */
#define PROCESS_CMD_RESTARTS   4  /* arg1 = id -> SUCCESS_U32 restart count */
#define PROCESS_CMD_NAME       5  /* arg1 = id, into read-write allow 0 -> SUCCESS_U32 length */
#define PROCESS_CMD_EXIT_CODE  6  /* arg1 = id -> SUCCESS_U32 code of a terminated process */
#define PROCESS_ALLOW_RW_NAME  0

#define PROCESS_STATE_RUNNING    0  /* runnable or running */
#define PROCESS_STATE_YIELDED    1  /* waiting in yield-wait for an upcall */
#define PROCESS_STATE_TERMINATED 2  /* exited */
#define PROCESS_STATE_FAULTED    3
#define PROCESS_STATE_RESTARTING 4  /* exited to restart; waits for a service to put back its buffer */

/*
 * IPC driver. A handle names one run of a process: bits 0-7 its id, bits
 * 8-31 its generation (1 at boot, +1 at each restart).
 */
#define IPC_CMD_REGISTER       1  /* serve under the app's own name */
#define IPC_CMD_DISCOVER       2  /* arg1 = name length, from read-only allow 0 -> SUCCESS_U32 handle */
#define IPC_CMD_AWAIT          3  /* arg1 = name length: upcall DISCOVERED when it registers */
#define IPC_CMD_NOTIFY_SERVICE 4  /* arg1 = service handle, arg2 = value */
#define IPC_CMD_NOTIFY_CLIENT  5  /* arg1 = client handle, arg2 = value */
#define IPC_CMD_SHARE          6  /* arg1 = service handle; the buffer of read-write allow 0 */
#define IPC_CMD_UNSHARE        7  /* arg1 = service handle */
#define IPC_CMD_SHARE_GET      8  /* arg1 = client handle -> SUCCESS_2U32 address, length */
#define IPC_CMD_SHARE_PUT      9  /* arg1 = client handle */
#define IPC_CMD_SHARE_RULES    10 /* -> SUCCESS_2U32 smallest share, shares per service */
#define IPC_CMD_SELF           11 /* -> SUCCESS_U32 own handle */
#define IPC_ALLOW_RO_NAME      0
#define IPC_ALLOW_RW_SHARE     0
#define IPC_UPCALL_SERVICE     0  /* (client handle, value, 0): a client notified */
#define IPC_UPCALL_CLIENT      1  /* (service handle, value, 0): a service notified */
#define IPC_UPCALL_DISCOVERED  2  /* (service handle, 0, 0): an awaited service registered */

/* Memop operations (first argument of SYS_MEMOP). */
#define MEMOP_BRK         0  /* arg = new break -> SUCCESS / FAILURE_U32(err, break) */
#define MEMOP_SBRK        1  /* arg = signed increment -> SUCCESS_U32 old break / FAILURE_U32(err, break) */
#define MEMOP_RAM_START   2  /* -> SUCCESS_U32 */
#define MEMOP_BREAK       3  /* -> SUCCESS_U32 current break */
#define MEMOP_FLASH_START 4  /* -> SUCCESS_U32 first byte of the app image */
#define MEMOP_FLASH_END   5  /* -> SUCCESS_U32 one past the app image */
#define MEMOP_RAM_END     6  /* -> SUCCESS_U32 one past the RAM block: the highest break */

#endif
