/*
 * More clients share with one service than it has protection regions: as
 * many shares as regions succeed and are all mapped at once (the service
 * writes every one), the rest are refused with their own code (NOREGION),
 * and a region one client gives back goes to the next that asks.
 */
#include <rig/ipc.h>
#include <rig/tap.h>

#define CLIENTS 7

static struct ipc_note reports[CLIENTS];

int main(void)
{
	tap_plan(5);
	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	uint32_t regions = ipc_share_rules().r2;
	uint32_t n = 0;
	while (n < CLIENTS && ipc_next(IPC_UPCALL_SERVICE, &reports[n], 2000))
		n++;
	tap_eq(n, CLIENTS, "all seven clients report how their share went");

	uint32_t shared = 0, refused = 0, first_shared = 0, first_refused = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t err = reports[i].value & 0xff;
		if (err == 0 && shared++ == 0)
			first_shared = reports[i].from;
		if (err == ERR_NOREGION && refused++ == 0)
			first_refused = reports[i].from;
	}
	uint32_t want = regions < CLIENTS ? regions : CLIENTS;
	tap_check(shared == want, "as many shares as the service has regions", "%lu shared, %lu regions",
		  (unsigned long)shared, (unsigned long)regions);

	bool written = true;
	for (uint32_t i = 0; i < n; i++) {
		if ((reports[i].value & 0xff) != 0)
			continue;
		struct sysret r = ipc_share_get(reports[i].from);
		if (sysret_ok(r))
			*(volatile uint8_t *)(uintptr_t)r.r1 = (uint8_t)i;
		written &= sysret_ok(r) && sysret_ok(ipc_share_put(reports[i].from));
	}
	tap_ok(written, "every share is mapped at once: the service writes each of them");

	if (regions >= CLIENTS) {
		tap_skip("the rest refused: NOREGION", "a region for every possible client here");
		tap_skip("a freed region goes to the next share", "a region for every possible client here");
		tap_end();
		return 0;
	}
	tap_check(refused == CLIENTS - want, "the rest are refused: NOREGION", "%lu refused",
		  (unsigned long)refused);

	struct ipc_note a = { 0, 0 }, b = { 0, 0 };
	ipc_reply(first_shared, 1);
	bool unshared = ipc_next(IPC_UPCALL_SERVICE, &a, 1000);
	ipc_reply(first_refused, 2);
	bool reshared = ipc_next(IPC_UPCALL_SERVICE, &b, 1000);
	tap_check(unshared && reshared && a.value == 0x200 && b.value == 0x200,
		  "a region one client gives back goes to the next share", "unshare 0x%lx, share 0x%lx",
		  (unsigned long)a.value, (unsigned long)b.value);
	tap_end();
	return 0;
}
