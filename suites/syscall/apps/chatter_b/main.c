/*
 * Helper of syscall/console-lines: writes 25 long lines as fast as it can,
 * beside another chatter and the driver. Exits 0 if every write went out whole.
 */
#include <rig/console.h>

#include "rigstr.h"

int main(void)
{
	char line[80];
	int bad = 0;

	for (int i = 0; i < 25; i++) {
		memcpy(line, "chatter_b ", 10);
		line[10] = (char)('0' + i / 10);
		line[11] = (char)('0' + i % 10);
		line[12] = ' ';
		for (int j = 0; j < 60; j++)
			line[13 + j] = (char)('a' + (i + j) % 26);
		line[73] = '\n';
		if (console_write(line, 74) != 74)
			bad++;
	}
	return bad;
}
