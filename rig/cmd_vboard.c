#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "err.h"
#include "vboard.h"

static const char vboard_usage[] =
	"usage: rig vboard [-c FILE] --jtag-port PORT --console-link PATH\n"
	"                  [--board NAME] [--control PATH] [--jtag-socket PATH]\n"
	"\n"
	"Runs a virtual RISC-V board: OpenOCD's remote_bitbang protocol on\n"
	"127.0.0.1:PORT in front of a RISC-V debug module and the board's flash and\n"
	"RAM; after a reset the flashed bytes run in the board's QEMU, its UART on a\n"
	"pseudo-terminal that PATH links to. SIGTERM powers it off and ends it.\n"
	"\n"
	"  -c, --config FILE     rig.yaml whose boards folder holds the board\n"
	"      --board NAME      board file to model (default: qemu-sifive-e)\n"
	"      --jtag-port PORT  TCP port for remote_bitbang; 0 picks a free one\n"
	"      --console-link PATH  symlink to create to the console's pty\n"
	"      --control PATH    unix socket for power and faults (see rig vboard-ctl)\n"
	"      --jtag-socket PATH  remote_bitbang on this unix socket too (faster);\n"
	"                        OpenOCD: remote_bitbang port 0, remote_bitbang host PATH\n"
	"\n"
	"Prints \"vboard ready jtag=127.0.0.1:PORT console=PATH\" once it listens.\n";

static const char ctl_usage[] =
	"usage: rig vboard-ctl [-t SECONDS] CONTROL-PATH REQUEST...\n"
	"\n"
	"Sends one request to the virtual board listening on CONTROL-PATH and prints\n"
	"its answer. Requests:\n"
	"  on | off | cycle             power\n"
	"  status                       power, hart, QEMU, flash, debugger, console, faults\n"
	"  fault refuse [on|off]        the debug port refuses connections\n"
	"  fault drop-after [BYTES]     drop the debug connection once BYTES more bytes\n"
	"                               are written over the system bus (default 16384)\n"
	"  fault corrupt [ADDRESS]      flip a bit of the next word written at ADDRESS,\n"
	"                               or of the 64th word written from now\n"
	"  fault serial-vanish [LINES]  the console vanishes now, or after LINES lines\n"
	"  fault clear                  no faults; a vanished console comes back\n"
	"\n"
	"Exit: 0 the board said ok, 1 it said error, 2 usage, 3 no board answered.\n";

int cmd_vboard(int argc, char **argv)
{
	enum { OPT_BOARD = 256, OPT_PORT, OPT_SOCKET, OPT_LINK, OPT_CONTROL };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "board", required_argument, NULL, OPT_BOARD },
		{ "jtag-port", required_argument, NULL, OPT_PORT },
		{ "jtag-socket", required_argument, NULL, OPT_SOCKET },
		{ "console-link", required_argument, NULL, OPT_LINK },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vboard_opts vo = { .jtag_port = -1 };
	const char *path = NULL, *board = "qemu-sifive-e";
	struct config *cfg;
	char *end;
	long port;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case OPT_BOARD:
			board = optarg;
			break;
		case OPT_PORT:
			port = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || port < 0 || port > 65535) {
				fprintf(stderr, "rig vboard: --jtag-port wants 0..65535, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			vo.jtag_port = (int)port;
			break;
		case OPT_SOCKET:
			vo.jtag_socket = optarg;
			break;
		case OPT_LINK:
			vo.console_link = optarg;
			break;
		case OPT_CONTROL:
			vo.control_path = optarg;
			break;
		case 'h':
			fputs(vboard_usage, stdout);
			return 0;
		default:
			fputs(vboard_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || (vo.jtag_port < 0 && !vo.jtag_socket) || !vo.console_link) {
		if (optind < argc)
			fprintf(stderr, "rig vboard: unexpected argument '%s'\n", argv[optind]);
		else
			fprintf(stderr, "rig vboard: --jtag-port (or --jtag-socket) and --console-link "
				"are required\n");
		fputs(vboard_usage, stderr);
		return EXIT_USAGE;
	}

	if (cmd_load_config(&cfg, path, "rig vboard") != 0)
		return EXIT_USAGE;
	vo.board = config_board(cfg, board);
	if (!vo.board) {
		fprintf(stderr, "rig vboard: no board '%s' in %s; boards:", board, cfg->boards_dir);
		for (size_t i = 0; i < cfg->boards.n; i++)
			fprintf(stderr, " %s", cfg->boards.v[i].name);
		fputc('\n', stderr);
		config_free(cfg);
		return EXIT_USAGE;
	}
	rc = vboard_run(&vo);
	if (rc)
		fprintf(stderr, "rig vboard: %s\n", err_msg());
	config_free(cfg);
	if (rc == ERR_INVALID || rc == ERR_UNSUPPORTED)
		return EXIT_USAGE;
	return rc ? EXIT_INFRA : 0;
}

int cmd_vboard_ctl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double timeout = 5;
	struct buf request, reply;
	char *end;
	int c, rc;

	optind = 1;
	/* "+": stop at the socket path, so that "fault refuse off" is not read as options. */
	while ((c = getopt_long(argc, argv, "+c:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;	/* taken like every command's; the board's socket is all this needs */
		case 't':
			timeout = strtod(optarg, &end);
			if (*end || !(timeout > 0 && timeout <= 3600)) {
				fprintf(stderr, "rig vboard-ctl: -t wants seconds, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(ctl_usage, stdout);
			return 0;
		default:
			fputs(ctl_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		fputs(ctl_usage, stderr);
		return EXIT_USAGE;
	}
	buf_init(&request, 512);
	for (int i = optind + 1; i < argc; i++) {
		if (i > optind + 1)
			buf_addch(&request, ' ');
		buf_addstr(&request, argv[i]);
	}
	if (request.truncated || memchr(request.data, '\n', request.len)) {
		fprintf(stderr, "rig vboard-ctl: a request is one short line\n");
		buf_release(&request);
		return EXIT_USAGE;
	}
	buf_init(&reply, 4096);
	rc = vboard_ctl(&reply, argv[optind], request.data, (int)(timeout * 1000));
	buf_release(&request);
	if (rc) {
		fprintf(stderr, "rig vboard-ctl: %s\n", err_msg());
		buf_release(&reply);
		return EXIT_INFRA;
	}
	puts(reply.data);
	rc = strncmp(reply.data, "ok", 2) == 0 ? 0 : EXIT_GATE_FAIL;
	buf_release(&reply);
	return rc;
}
