#include "openocd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "proc.h"

#define OUTPUT_CAP ((size_t)4 << 20)
#define FIXED_ARGS 9		/* openocd -s DIR -c gdb… -c tcl… -c telnet…, NULL */

const char *openocd_fault_name(enum openocd_fault f)
{
	static const char *const names[] = {
		"ok", "no probe", "connect", "link lost", "not examined", "verify", "program", "config",
		"file", "timeout", "other",
	};

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

/* ---- reading the output ---- */

/* What OpenOCD prints as an error but recovers from, or says nothing by itself. */
static bool benign(const char *line)
{
	static const char *const noise[] = {
		"No working memory available",		/* verify_image checksums on the host instead */
		"not enough working area",
		"checksum mismatch - attempting binary compare",	/* the diffs say more */
		"Error: failed: -",			/* a command failed: the line before says why */
	};

	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		if (strstr(line, noise[i]))
			return true;
	return false;
}

static bool any(const char *line, const char *const *needles, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(line, needles[i]))
			return true;
	return false;
}

#define ANY(line, ...) any((line), (const char *const[]){ __VA_ARGS__ }, \
			   sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

/* The line without OpenOCD's "Error: " or "Info : " prefix and trailing blanks. */
static void clean(char *out, size_t n, const char *line)
{
	static const char *const prefixes[] = { "Error: ", "Warn : ", "Info : ", "Debug: " };
	size_t len;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t p = strlen(prefixes[i]);

		if (strncmp(line, prefixes[i], p) == 0) {
			line += p;
			break;
		}
	}
	snprintf(out, n, "%s", line);
	len = strlen(out);
	while (len && (out[len - 1] == ' ' || out[len - 1] == '.' || out[len - 1] == '\t'))
		out[--len] = '\0';
}

struct scan {
	char no_probe[200], connect[200], link_lost[200], not_examined[200], program[200], config[200],
		file[200], first_error[200], last_line[200];
	char connecting_to[100];	/* "127.0.0.1:5555" from "Connecting to …" */
	char write_addr[40];		/* "0x20400000" from "Failed to write memory (addr=…)" */
	char first_diff[40];		/* "0x20400101" */
	size_t diffs;
	bool verify_failed, downloaded;
};

static void keep(char *slot, size_t n, const char *line)
{
	if (!slot[0])
		clean(slot, n, line);
}

static void scan_line(struct scan *s, const char *line)
{
	char addr[40];
	const char *p;

	if (!line[0])
		return;
	if (!ANY(line, "bytes written at address", "shutdown command invoked", "interface quit"))
		clean(s->last_line, sizeof(s->last_line), line);
	if ((p = strstr(line, "Connecting to ")) != NULL)
		snprintf(s->connecting_to, sizeof(s->connecting_to), "%s", p + 14);
	if (strncmp(line, "downloaded ", 11) == 0)
		s->downloaded = true;
	if (sscanf(line, "diff %*u address %39[0-9a-fA-Fx]", addr) == 1) {
		if (!s->diffs++)
			snprintf(s->first_diff, sizeof(s->first_diff), "%s", addr);
	}
	if (ANY(line, "** Verify Failed **", "checksum mismatch", "Verify operation failed", "verify failed"))
		s->verify_failed = true;
	if ((p = strstr(line, "Failed to write memory (addr=")) != NULL && !s->write_addr[0])
		sscanf(p, "Failed to write memory (addr=%39[0-9a-fA-Fx])", s->write_addr);
	if (benign(line))
		return;

	if (ANY(line, "unable to find a matching CMSIS-DAP device", "unable to find CMSIS-DAP device",
		"No J-Link device found", "unable to open ftdi device", "ST-LINK open failed", "ft232r not found",
		"USB-Blaster II not found", "Error: no device found", "LIBUSB_ERROR_NOT_FOUND",
		"LIBUSB_ERROR_ACCESS", "could not claim interface"))
		keep(s->no_probe, sizeof(s->no_probe), line);
	else if (strcmp(line, "Error: open failed") == 0)
		keep(s->no_probe, sizeof(s->no_probe), line);
	else if (ANY(line, "'Failed to connect'", "Connection refused", "Can't connect", "couldn't connect",
		     "Failed to connect to"))
		keep(s->connect, sizeof(s->connect), line);
	else if (ANY(line, "Connection reset by peer", "Broken pipe", "LIBUSB_ERROR_NO_DEVICE", "LIBUSB_ERROR_IO",
		     "LIBUSB_ERROR_PIPE", "remote_bitbang_fill_buf", "remote_bitbang_putc", "remote_bitbang_read",
		     "Lost connection", "connection closed"))
		keep(s->link_lost, sizeof(s->link_lost), line);
	else if (ANY(line, "JTAG scan chain interrogation failed", "not examined", "xamination failed",
		     "Error connecting DP", "Could not find MEM-AP", "Debug Module did not become active",
		     "Invalid ACK", "Failed to read misa", "Fatal: Hart", "Unable to reset target",
		     "failed to halt", "Failed to halt", "timed out while waiting for target halted",
		     "target not halted", "Target not halted", "UNEXPECTED: 0x", "IR capture error",
		     "Cannot communicate", "Target voltage may be too low", "Unsupported DTM version",
		     "dtmcontrol is 0"))
		keep(s->not_examined, sizeof(s->not_examined), line);
	else if (ANY(line, "** Programming Failed **", "failed erasing sectors", "rror writing to flash",
		     "Flash write failed", "flash write failed", "no flash bank found for address",
		     "Failed to write memory", "No flash at address", "flash erase error", "Flash operation timed out"))
		keep(s->program, sizeof(s->program), line);
	else if (ANY(line, "Can't find ", "invalid command name", "missing IR length", "doesn't support '",
		     "Invalid serial number", "specified debug interface was not found", "Unknown target type",
		     "unknown target type", "invalid subcommand", "wrong # args", "expected integer"))
		keep(s->config, sizeof(s->config), line);
	else if (ANY(line, "couldn't open ", "Invalid ELF file", "unsupported image type", "Unknown image type"))
		keep(s->file, sizeof(s->file), line);
	if (strncmp(line, "Error: ", 7) == 0 || strstr(line, ": Error: "))
		keep(s->first_error, sizeof(s->first_error), line);
}

void openocd_explain(struct openocd_diag *out, const char *output, size_t len, int exit_code, bool timed_out,
		     int timeout_ms, const char *adapter_serial)
{
	struct scan s;
	char line[512];
	char serial[160] = "";
	size_t i = 0;

	memset(&s, 0, sizeof(s));
	memset(out, 0, sizeof(*out));
	while (i < len) {
		size_t j = i, n;

		while (j < len && output[j] != '\n')
			j++;
		n = j - i < sizeof(line) - 1 ? j - i : sizeof(line) - 1;
		memcpy(line, output + i, n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		scan_line(&s, line);
		i = j + 1;
	}
	if (adapter_serial && *adapter_serial)
		snprintf(serial, sizeof(serial), " with serial %s", adapter_serial);

	if (timed_out) {
		out->fault = OPENOCD_TIMEOUT;
		snprintf(out->reason, sizeof(out->reason), "OpenOCD did not finish within %g s%s%s%s", timeout_ms / 1000.0,
			 s.last_line[0] ? " (its last words: " : "", s.last_line, s.last_line[0] ? ")" : "");
	} else if (exit_code == 0) {
		out->fault = OPENOCD_OK;
	} else if (s.no_probe[0]) {
		out->fault = OPENOCD_NO_PROBE;
		snprintf(out->reason, sizeof(out->reason),
			 "no debug probe found%s: is it plugged in%s? (openocd: %s)", serial,
			 serial[0] ? " and the serial in the rack right" : "", s.no_probe);
	} else if (s.connect[0]) {
		out->fault = OPENOCD_CONNECT;
		snprintf(out->reason, sizeof(out->reason),
			 "cannot connect to the debug adapter%s%s: is it (or the board serving it) up? (openocd: %s)",
			 s.connecting_to[0] ? " at " : "", s.connecting_to, s.connect);
	} else if (s.config[0]) {
		out->fault = OPENOCD_CONFIG;
		snprintf(out->reason, sizeof(out->reason), "OpenOCD rejects the board's or device's setup: %s",
			 s.config);
	} else if (s.file[0]) {
		out->fault = OPENOCD_FILE;
		snprintf(out->reason, sizeof(out->reason), "OpenOCD cannot read the image: %s", s.file);
	} else if (s.link_lost[0]) {
		out->fault = OPENOCD_LINK_LOST;
		snprintf(out->reason, sizeof(out->reason),
			 "the connection to the probe was lost %s%s: board powered off or probe unplugged? (openocd: %s)",
			 s.write_addr[0] ? "writing at " : s.downloaded ? "after the download" : "mid-run",
			 s.write_addr, s.link_lost);
	} else if (s.diffs) {
		out->fault = OPENOCD_VERIFY;
		if (s.diffs > 1)
			snprintf(out->reason, sizeof(out->reason),
				 "verify failed at %s and %zu more place%s (flash contents differ)", s.first_diff,
				 s.diffs - 1, s.diffs == 2 ? "" : "s");
		else
			snprintf(out->reason, sizeof(out->reason), "verify failed at %s (flash contents differ)",
				 s.first_diff);
	} else if (s.verify_failed) {
		out->fault = OPENOCD_VERIFY;
		snprintf(out->reason, sizeof(out->reason), "verify failed (flash contents differ)");
	} else if (s.not_examined[0]) {
		out->fault = OPENOCD_NOT_EXAMINED;
		snprintf(out->reason, sizeof(out->reason),
			 "the target does not answer the probe: is the board powered and the cable seated? (openocd: %s)",
			 s.not_examined);
	} else if (s.program[0]) {
		out->fault = OPENOCD_PROGRAM;
		snprintf(out->reason, sizeof(out->reason), "programming failed: %s", s.program);
	} else {
		out->fault = OPENOCD_OTHER;
		if (s.first_error[0])
			snprintf(out->reason, sizeof(out->reason), "openocd exited %d: %s", exit_code, s.first_error);
		else
			snprintf(out->reason, sizeof(out->reason), "openocd exited %d%s%s", exit_code,
				 s.last_line[0] ? " after: " : " without a word", s.last_line);
	}
}

/* ---- running it ---- */

int openocd_argv(char ***out, const struct openocd_setup *s, const char *const *commands, size_t n)
{
	const struct board_openocd *o = &s->board->openocd;
	size_t max = FIXED_ARGS + 2 * (o->interface.n + o->target.n + o->commands.n + s->nprobe_commands + n + 4) + 1;
	char serial[256], transport[128], speed[64];
	const char **argv = calloc(max, sizeof(*argv));
	size_t k = 0, total = 0;
	char **res, *p;

	*out = NULL;
	if (!argv)
		return err_set(ERR_NOMEM, "out of memory");
	argv[k++] = s->program ? s->program : "openocd";
	if (s->scripts) {
		argv[k++] = "-s";
		argv[k++] = s->scripts;
	}
	argv[k++] = "-c";
	argv[k++] = "gdb_port disabled";
	argv[k++] = "-c";
	argv[k++] = "tcl_port disabled";
	argv[k++] = "-c";
	argv[k++] = "telnet_port disabled";
	for (size_t i = 0; i < o->interface.n; i++) {
		argv[k++] = "-f";
		argv[k++] = o->interface.v[i];
	}
	if (s->adapter_serial) {
		snprintf(serial, sizeof(serial), "adapter serial %s", s->adapter_serial);
		argv[k++] = "-c";
		argv[k++] = serial;
	}
	if (o->transport) {
		snprintf(transport, sizeof(transport), "transport select %s", o->transport);
		argv[k++] = "-c";
		argv[k++] = transport;
	}
	if (o->speed > 0) {
		snprintf(speed, sizeof(speed), "adapter speed %" PRId64, o->speed);
		argv[k++] = "-c";
		argv[k++] = speed;
	}
	for (size_t i = 0; i < s->nprobe_commands; i++) {
		argv[k++] = "-c";
		argv[k++] = s->probe_commands[i];
	}
	for (size_t i = 0; i < o->target.n; i++) {
		argv[k++] = "-f";
		argv[k++] = o->target.v[i];
	}
	for (size_t i = 0; i < o->commands.n; i++) {
		argv[k++] = "-c";
		argv[k++] = o->commands.v[i];
	}
	argv[k++] = "-c";
	argv[k++] = "init";
	for (size_t i = 0; i < n; i++) {
		argv[k++] = "-c";
		argv[k++] = commands[i];
	}
	/* One allocation: the pointers, then the strings, so the caller frees it with free(). */
	for (size_t i = 0; i < k; i++)
		total += strlen(argv[i]) + 1;
	res = malloc((k + 1) * sizeof(*res) + total);
	if (!res) {
		free(argv);
		return err_set(ERR_NOMEM, "out of memory");
	}
	p = (char *)(res + k + 1);
	for (size_t i = 0; i < k; i++) {
		size_t l = strlen(argv[i]) + 1;

		memcpy(p, argv[i], l);
		res[i] = p;
		p += l;
	}
	res[k] = NULL;
	free(argv);
	*out = res;
	return 0;
}

/* Hands each line to log, folding runs of per-section "N bytes written at address" lines. */
static void log_output(const struct buf *out, openocd_log_fn log, void *user)
{
	size_t i = 0, folded = 0;
	char line[512];

	while (i < out->len) {
		size_t j = i, n;

		while (j < out->len && out->data[j] != '\n')
			j++;
		n = j - i < sizeof(line) - 1 ? j - i : sizeof(line) - 1;
		memcpy(line, out->data + i, n);
		line[n] = '\0';
		i = j + 1;
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		/* Its banner says nothing about this run. */
		if (strncmp(line, "Licensed under GNU GPL", 22) == 0 || strncmp(line, "For bug reports, read", 21) == 0 ||
		    strstr(line, "openocd.org/doc/doxygen/bugs.html"))
			continue;
		if (strstr(line, " bytes written at address ")) {
			if (folded++ < 2)
				log(user, line);
			continue;
		}
		if (folded > 2) {
			char note[96];

			snprintf(note, sizeof(note), "(%zu more lines like that)", folded - 2);
			log(user, note);
		}
		folded = 0;
		if (n)
			log(user, line);
	}
	if (folded > 2) {
		char note[96];

		snprintf(note, sizeof(note), "(%zu more lines like that)", folded - 2);
		log(user, note);
	}
}

int openocd_run(struct openocd_diag *diag, const struct openocd_setup *s, const char *what,
		const char *const *commands, size_t n, int timeout_ms, openocd_log_fn log, void *log_user)
{
	struct openocd_diag local;
	struct proc_result res;
	struct proc_opts o = { 0 };
	char **argv = NULL;
	int rc;

	if (!diag)
		diag = &local;
	memset(diag, 0, sizeof(*diag));
	if (!s->board->has_openocd)
		return err_set(ERR_INVALID, "%s %s: board %s has no openocd section", what, s->name, s->board->name);
	if ((rc = openocd_argv(&argv, s, commands, n)) != 0)
		return err_prefix("%s %s", what, s->name);
	proc_result_init(&res);
	o.argv = (const char *const *)argv;
	o.timeout_ms = timeout_ms;
	o.grace_ms = 1000;
	o.err_to_out = true;
	o.out_cap = OUTPUT_CAP;
	rc = proc_run(&res, &o);
	if (rc == ERR_NOTFOUND) {
		err_prefix("%s %s: OpenOCD is not installed", what, s->name);
		diag->fault = OPENOCD_CONFIG;
		snprintf(diag->reason, sizeof(diag->reason), "%s", err_msg());
		goto cleanup;
	}
	if (rc && rc != ERR_TIMEOUT) {
		err_prefix("%s %s", what, s->name);
		diag->fault = OPENOCD_OTHER;
		snprintf(diag->reason, sizeof(diag->reason), "%s", err_msg());
		goto cleanup;
	}
	if (log)
		log_output(&res.out, log, log_user);
	openocd_explain(diag, res.out.data, res.out.len, res.signal ? 128 + res.signal : res.exit_code,
			res.timed_out, timeout_ms, s->adapter_serial);
	if (diag->fault == OPENOCD_OK)
		rc = 0;
	else
		rc = err_set(diag->fault == OPENOCD_TIMEOUT ? ERR_TIMEOUT : ERR_IO, "%s %s: %s", what, s->name,
			     diag->reason);
cleanup:
	proc_result_release(&res);
	free(argv);
	return rc;
}
