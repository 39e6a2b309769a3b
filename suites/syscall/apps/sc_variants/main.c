/* Each return variant the ABI names, from a call documented to return it. */
#include <rig/memop.h>
#include <rig/tap.h>

static void upcall(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
}

int main(void)
{
	tap_plan(6);
	tap_succeeds(command(DRV_CONSOLE, CMD_EXISTS, 0, 0), RET_SUCCESS, "success");
	tap_succeeds(command(DRV_ALARM, ALARM_CMD_FREQUENCY, 0, 0), RET_SUCCESS_U32, "success with u32");
	tap_succeeds(subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, upcall, NULL), RET_SUCCESS_2U32,
		     "success with two u32");
	tap_succeeds(command(DRV_ALARM, ALARM_CMD_NOW, 0, 0), RET_SUCCESS_U64, "success with u64");
	struct sysret r = command(0x9999, 0, 0, 0);
	tap_check(r.variant == RET_FAILURE && r.r1 == ERR_NODEVICE, "failure",
		  "variant %lu r1 %lu", (unsigned long)r.variant, (unsigned long)r.r1);
	r = memop_sbrk(0x7fffffff);
	tap_check(r.variant == RET_FAILURE_U32 && r.r1 == ERR_NOMEM && r.r2 == memop_break(),
		  "failure with u32 (the break, when sbrk cannot grow)", "variant %lu r1 %lu r2 0x%lx",
		  (unsigned long)r.variant, (unsigned long)r.r1, (unsigned long)r.r2);
	tap_end();
	return 0;
}
