/*
 * Driver of boot/too-many-apps: the image holds this driver and eight
 * idles; the kernel runs eight processes and refuses the ninth app.
 */
#include <rig/process.h>
#include <rig/tap.h>

#include "rigstr.h"

int main(void)
{
	char name[24];
	int idles = 0;

	tap_plan(2);
	tap_eq(process_count(), 8, "the kernel runs eight processes, its maximum");
	for (uint32_t id = 1; id < process_count(); id++)
		idles += process_name(id, name, sizeof(name)) > 0 && strcmp(name, "idle") == 0;
	tap_eq((uint32_t)idles, 7, "the first seven idles are among them");
	tap_end();
	return 0;
}
