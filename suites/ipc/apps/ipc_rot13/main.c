/*
 * Helper: the rot13 service. A client shares a buffer holding a string and
 * notifies; the service takes hold of the buffer, rotates the letters in
 * place, puts it back and answers with how many bytes it went over, or with
 * 0x80000000 | the error its access attempt got.
 */
#include <rig/ipc.h>

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
	ipc_listen(IPC_UPCALL_SERVICE);
	ipc_register();
	for (;;) {
		struct ipc_note n;
		if (!ipc_next(IPC_UPCALL_SERVICE, &n, IPC_FOREVER))
			continue;
		struct sysret r = ipc_share_get(n.from);
		if (!sysret_ok(r)) {
			ipc_reply(n.from, 0x80000000u | sysret_error(r));
			continue;
		}
		char *s = (char *)(uintptr_t)r.r1;
		uint32_t len = 0;
		while (len < r.r2 && s[len] != '\0') {
			s[len] = rot13(s[len]);
			len++;
		}
		r = ipc_share_put(n.from);
		ipc_reply(n.from, sysret_ok(r) ? len : 0x80000000u | sysret_error(r));
	}
}
