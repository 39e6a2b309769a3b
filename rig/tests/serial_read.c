/*
 * serial-read: reads a console through rig's serial module (libserialport)
 * and checks what it says, for the console tests.
 *
 *   serial-read (--path PATH | --usb-serial SERIAL) [--baud N] [--timeout SECONDS]
 *               [--expect REGEX]... [--until-vanish] [--ready FILE]
 *
 * Prints every line read. Once the port is open it writes "open <name>" into
 * the --ready file, so a test can reset the board only when someone listens.
 * Exit: 0 every --expect matched, in order (and with --until-vanish the port
 * then vanished); 1 the deadline passed first; 2 usage; 3 the port could not
 * be opened or vanished before the expectations were met.
 */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "proc.h"
#include "serial.h"

#define MAX_EXPECT 16

static int announce(const char *ready, const char *name)
{
	FILE *f;

	if (!ready)
		return 0;
	f = fopen(ready, "w");
	if (!f || fprintf(f, "open %s\n", name) < 0 || fclose(f) != 0) {
		fprintf(stderr, "serial-read: cannot write %s\n", ready);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "usb-serial", required_argument, NULL, 'u' },
		{ "baud", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 't' },
		{ "expect", required_argument, NULL, 'e' },
		{ "until-vanish", no_argument, NULL, 'v' },
		{ "ready", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *usb = NULL, *ready = NULL;
	const char *expect_src[MAX_EXPECT];
	regex_t expect[MAX_EXPECT];
	int n_expect = 0, matched = 0, baud = 115200, c, rc, status;
	bool until_vanish = false;
	double timeout = 10;
	long long deadline;
	struct serial *s;
	struct buf line;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': path = optarg; break;
		case 'u': usb = optarg; break;
		case 'b': baud = atoi(optarg); break;
		case 't': timeout = atof(optarg); break;
		case 'r': ready = optarg; break;
		case 'v': until_vanish = true; break;
		case 'e':
			if (n_expect == MAX_EXPECT ||
			    regcomp(&expect[n_expect], optarg, REG_EXTENDED | REG_NOSUB) != 0) {
				fprintf(stderr, "serial-read: bad or too many --expect: %s\n", optarg);
				return 2;
			}
			expect_src[n_expect++] = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!path == !usb || timeout <= 0 || baud <= 0) {
		fprintf(stderr, "usage: serial-read (--path PATH | --usb-serial SERIAL) [--baud N] "
			"[--timeout SECONDS] [--expect REGEX]... [--until-vanish] [--ready FILE]\n");
		return 2;
	}
	deadline = proc_now_ms() + (long long)(timeout * 1000);
	rc = path ? serial_open(&s, path, baud) : serial_open_usb(&s, usb, baud);
	if (rc) {
		fprintf(stderr, "serial-read: %s\n", err_msg());
		status = 3;
		goto out_regex;
	}
	fprintf(stderr, "serial-read: open %s\n", serial_name(s));
	if (announce(ready, serial_name(s)) != 0) {
		status = 3;
		goto out_close;
	}

	buf_init(&line, 0);
	status = 1;
	for (;;) {
		if (matched == n_expect && !until_vanish) {
			status = 0;
			break;
		}
		rc = serial_read_line(s, &line, deadline);
		if (rc == ERR_TIMEOUT) {
			if (matched < n_expect)
				fprintf(stderr, "serial-read: timeout waiting for /%s/\n", expect_src[matched]);
			else
				fprintf(stderr, "serial-read: timeout waiting for the port to vanish\n");
			break;
		}
		if (rc) {
			fprintf(stderr, "serial-read: %s\n", err_msg());
			status = matched == n_expect && until_vanish && strstr(err_msg(), "vanished") ? 0 : 3;
			break;
		}
		printf("%s\n", line.data);
		fflush(stdout);
		if (matched < n_expect && regexec(&expect[matched], line.data, 0, NULL, 0) == 0)
			matched++;
	}
	buf_release(&line);
out_close:
	serial_close(s);
out_regex:
	for (int i = 0; i < n_expect; i++)
		regfree(&expect[i]);
	return status;
}
