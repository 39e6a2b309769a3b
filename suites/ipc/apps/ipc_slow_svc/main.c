/*
 * Helper of ipc/notify-busy-not-dropped: registers, but subscribes only 40
 * ms later, and twice in a row (the second subscription replaces the first
 * before anything runs), so notifications wait in the kernel and must
 * survive the change of function. Once it has two, it answers each with
 * value + 100 x the number it got; then it echoes value + 1.
 */
#include <rig/alarm.h>
#include <rig/ipc.h>

static void first_function(uint32_t a, uint32_t b, uint32_t c, void *d)
{
	(void)a, (void)b, (void)c, (void)d;
}

int main(void)
{
	struct ipc_note got[2];
	unsigned n = 0;

	ipc_register();
	delay_ms(40);
	subscribe(DRV_IPC, IPC_UPCALL_SERVICE, first_function, NULL);
	ipc_listen(IPC_UPCALL_SERVICE);
	while (n < 2 && ipc_next(IPC_UPCALL_SERVICE, &got[n], 1000))
		n++;
	for (unsigned i = 0; i < n; i++)
		ipc_reply(got[i].from, got[i].value + 100 * n);
	for (;;) {
		struct ipc_note note;
		if (ipc_next(IPC_UPCALL_SERVICE, &note, IPC_FOREVER))
			ipc_reply(note.from, note.value + 1);
	}
}
