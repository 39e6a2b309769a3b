/* An upcall must be code in the process's own image. */
#include <rig/memop.h>
#include <rig/tap.h>

static void good(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
}

static uint32_t not_code[4];

int main(void)
{
	tap_plan(4);
	subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, good, (void *)7);

	tap_fails_with(subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, (upcall_fn *)(uintptr_t)not_code, NULL),
		       ERR_INVAL, "a function in RAM is refused: INVAL");
	tap_fails_with(subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED,
				 (upcall_fn *)(memop_flash_start() - 64), NULL),
		       ERR_INVAL, "a function outside the image is refused: INVAL");
	tap_fails_with(subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED,
				 (upcall_fn *)(memop_flash_start() + 16), NULL),
		       ERR_INVAL, "a function in the image header is refused: INVAL");

	struct sysret r = subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, NULL, NULL);
	tap_check(r.r1 == (uint32_t)(uintptr_t)good && r.r2 == 7,
		  "refused subscribes leave the previous upcall in place", "prev 0x%lx/0x%lx",
		  (unsigned long)r.r1, (unsigned long)r.r2);
	tap_end();
	return 0;
}
