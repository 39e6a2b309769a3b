/*
 * Helper of ipc/rot13-several-clients: one more client of ipc_rot13, ten
 * rounds with texts of its own. Exits 0 if every round came back right,
 * else the number of the step that went wrong.
 */
#include <rig/ipc.h>
#include <rig/process.h>

#include "fmt.h"
#include "rigstr.h"

static char rot13(char c)
{
	if ((c >= 'a' && c <= 'm') || (c >= 'A' && c <= 'M'))
		return (char)(c + 13);
	if ((c >= 'n' && c <= 'z') || (c >= 'N' && c <= 'Z'))
		return (char)(c - 13);
	return c;
}

int main(void)
{
	static char buf[32] __attribute__((aligned(32)));
	char want[32];
	uint32_t h = ipc_find("ipc_rot13", 1000);

	ipc_listen(IPC_UPCALL_CLIENT);
	if (h == 0)
		return 1;
	if (!sysret_ok(ipc_share(h, buf, sizeof(buf))))
		return 2;
	for (int round = 0; round < 10; round++) {
		uint32_t len = fmt_format(buf, sizeof(buf), "p%lu r%d: Hello, World",
					  (unsigned long)process_self(), round);
		for (uint32_t i = 0; i <= len; i++)
			want[i] = rot13(buf[i]);
		struct ipc_note n;
		if (!sysret_ok(ipc_notify_service(h, (uint32_t)round)))
			return 3;
		if (!ipc_next(IPC_UPCALL_CLIENT, &n, 1000) || n.value != len)
			return 4;
		if (memcmp(buf, want, len + 1) != 0)
			return 5;
	}
	return 0;
}
