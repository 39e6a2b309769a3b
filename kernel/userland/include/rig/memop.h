/* Memory operations, for apps (doc/abi.md). */
#ifndef RIG_MEMOP_H
#define RIG_MEMOP_H

#include <stdint.h>

#include <rig/syscall.h>

static inline struct sysret memop_brk(uintptr_t addr)
{
	return memop(MEMOP_BRK, addr);
}
static inline struct sysret memop_sbrk(int32_t incr)
{
	return memop(MEMOP_SBRK, (uint32_t)incr);
}
static inline uintptr_t memop_ram_start(void)
{
	return memop(MEMOP_RAM_START, 0).r1;
}
static inline uintptr_t memop_break(void)
{
	return memop(MEMOP_BREAK, 0).r1;
}
static inline uintptr_t memop_ram_end(void)
{
	return memop(MEMOP_RAM_END, 0).r1;
}
static inline uintptr_t memop_flash_start(void)
{
	return memop(MEMOP_FLASH_START, 0).r1;
}
static inline uintptr_t memop_flash_end(void)
{
	return memop(MEMOP_FLASH_END, 0).r1;
}

#endif
