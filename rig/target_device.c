#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "image.h"
#include "openocd.h"
#include "proc.h"
#include "serial.h"
#include "target.h"
#include "tmpl.h"

/* Deadlines before time_scale: a real board's flash of a few hundred KiB takes seconds. */
#define FLASH_TIMEOUT_MS 180000
#define RESET_TIMEOUT_MS 30000
#define POWER_TIMEOUT_MS 30000
#define FPGA_TIMEOUT_MS 300000
#define MAX_SEQUENCE 64

struct device_target {
	struct target base;
	struct target_device_opts o;
	struct openocd_setup setup;
	struct serial *console;
	struct buf line, pending;	/* serial lines, and what console_read has not handed out yet */
	char full[PATH_MAX], full_elf[PATH_MAX], sparse[PATH_MAX], address[32];
	/* The board's program sequence, split: flash runs head, reset runs tail. */
	char *head[MAX_SEQUENCE], *tail[MAX_SEQUENCE];
	size_t nhead, ntail;
	struct target_device_times times;
};

static struct device_target *dt(struct target *t)
{
	return (struct device_target *)t;
}

static void say(struct device_target *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct device_target *d, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!d->base.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	d->base.log(d->base.log_user, "%s", line);
}

static void openocd_line(void *user, const char *line)
{
	say(user, "openocd: %s", line);
}

static int still_ours(struct device_target *d)
{
	return d->o.still_ours ? d->o.still_ours(d->o.still_ours_user) : 0;
}

static int scaled(const struct device_target *d, int ms)
{
	double s = d->o.time_scale > 0 ? d->o.time_scale : 1;

	return (int)(ms * s);
}

/* ---- the program sequence, split at its trailing reset ---- */

static bool word_is(const char *cmd, const char *word)
{
	size_t n = strlen(word);

	return strncmp(cmd, word, n) == 0 && (cmd[n] == '\0' || cmd[n] == ' ' || cmd[n] == '\t');
}

/* "program FILE [ADDRESS] [preverify] [verify] [reset] [exit]" without its reset and exit words. */
static char *program_without_reset(const char *cmd)
{
	struct buf out;
	const char *p = cmd;
	int word = 0;

	buf_init(&out, 4096);
	while (*p) {
		const char *start;
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		n = (size_t)(p - start);
		/* Past the command and its file: options. */
		if (word >= 2 && ((n == 5 && strncmp(start, "reset", 5) == 0) || (n == 4 && strncmp(start, "exit", 4) == 0))) {
			word++;
			continue;
		}
		if (out.len)
			buf_addch(&out, ' ');
		buf_add(&out, start, n);
		word++;
	}
	return buf_detach(&out, NULL);
}

static void free_sequence(struct device_target *d)
{
	for (size_t i = 0; i < d->nhead; i++)
		free(d->head[i]);
	for (size_t i = 0; i < d->ntail; i++)
		free(d->tail[i]);
	d->nhead = d->ntail = 0;
}

static const char *const default_program[] = { "program {image} {address} verify reset exit" };

static int split_sequence(struct device_target *d)
{
	const struct board_openocd *o = &d->o.board->openocd;
	const char *const *v = o->program.n ? o->program.v : default_program;
	size_t n = o->program.n ? o->program.n : 1, end = n;
	bool has_reset = false;

	if (n + 2 > MAX_SEQUENCE)
		return err_set(ERR_INVALID, "board %s: a program sequence of %zu commands is too long", d->o.board->name,
			       n);
	while (end > 0 && (word_is(v[end - 1], "reset") || word_is(v[end - 1], "resume") ||
			   word_is(v[end - 1], "shutdown") || word_is(v[end - 1], "exit")))
		end--;
	for (size_t i = 0; i < end; i++) {
		d->head[d->nhead] = word_is(v[i], "program") ? program_without_reset(v[i]) : strdup(v[i]);
		if (!d->head[d->nhead++])
			return err_set(ERR_NOMEM, "out of memory");
	}
	for (size_t i = end; i < n; i++) {
		if (word_is(v[i], "shutdown") || word_is(v[i], "exit"))
			continue;
		if (word_is(v[i], "reset") || word_is(v[i], "resume"))
			has_reset = true;
		if (!(d->tail[d->ntail++] = strdup(v[i])))
			return err_set(ERR_NOMEM, "out of memory");
	}
	/* A sequence that never starts the board (or whose `program` did) is started with reset run. */
	if (!has_reset && !(d->tail[d->ntail++] = strdup("reset run")))
		return err_set(ERR_NOMEM, "out of memory");
	if (!(d->head[d->nhead++] = strdup("shutdown")) || !(d->tail[d->ntail++] = strdup("shutdown")))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* ---- power ---- */

static const char *device_serial(const struct device *dev)
{
	return dev->probe_serial ? dev->probe_serial : dev->console_usb_serial;
}

static int run_template(struct device_target *d, const char *what, const cfg_strlist *cmd)
{
	const struct device *dev = d->o.device;
	struct tmpl_var vars[] = {
		{ "id", dev->id }, { "board", dev->board }, { "serial", device_serial(dev) },
		{ "path", dev->console_path },
	};
	struct proc_opts po = { 0 };
	struct proc_result res;
	long long t0 = proc_now_ms();
	char **argv = NULL;
	int rc;

	if ((rc = tmpl_argv(&argv, cmd->v, cmd->n, vars, sizeof(vars) / sizeof(vars[0]))) != 0)
		return err_prefix("%s %s", what, dev->id);
	proc_result_init(&res);
	po.argv = (const char *const *)argv;
	po.timeout_ms = POWER_TIMEOUT_MS;
	po.err_to_out = true;
	po.out_cap = 64 * 1024;
	rc = proc_run(&res, &po);
	if (rc) {
		err_prefix("%s %s", what, dev->id);
	} else if (res.exit_code != 0 || res.signal) {
		char *last = res.out.data;

		/* The command's last line says why, as uhubctl and pdudaemon's client do. */
		while (res.out.len && res.out.data[res.out.len - 1] == '\n')
			res.out.data[--res.out.len] = '\0';
		if (strrchr(res.out.data, '\n'))
			last = strrchr(res.out.data, '\n') + 1;
		rc = err_set(ERR_IO, "%s %s: %s exited %d%s%s", what, dev->id, argv[0],
			     res.signal ? 128 + res.signal : res.exit_code, last[0] ? ": " : "", last);
	} else {
		while (res.out.len && res.out.data[res.out.len - 1] == '\n')
			res.out.data[--res.out.len] = '\0';
		say(d, "%s: %s ok%s%s", what, argv[0], res.out.len ? ": " : "", res.out.data);
	}
	d->times.power_ms += (long)(proc_now_ms() - t0);
	proc_result_release(&res);
	free(argv);
	return rc;
}

static void settle(struct device_target *d)
{
	if (d->o.board->settle > 0) {
		long long t0 = proc_now_ms();

		poll(NULL, 0, (int)(d->o.board->settle * 1000));
		d->times.power_ms += (long)(proc_now_ms() - t0);
	}
}

static int device_power(struct target *t, bool on)
{
	struct device_target *d = dt(t);
	const cfg_strlist *cmd = on ? &d->o.device->power_on : &d->o.device->power_off;
	int rc;

	if (!on && d->console) {
		serial_close(d->console);
		d->console = NULL;
	}
	if (!cmd->n) {
		say(d, "power %s: %s has no power command (always on)", on ? "on" : "off", d->o.device->id);
		return 0;
	}
	if (on && (rc = still_ours(d)) != 0)
		return rc;
	if ((rc = run_template(d, on ? "power on" : "power off", cmd)) != 0)
		return rc;
	if (on)
		settle(d);
	return 0;
}

int target_device_cycle(struct target *t)
{
	struct device_target *d = dt(t);
	const struct device *dev = d->o.device;
	int rc;

	if ((rc = still_ours(d)) != 0)
		return rc;
	if (d->console) {
		serial_close(d->console);
		d->console = NULL;
	}
	if (dev->power_cycle.n)
		rc = run_template(d, "power cycle", &dev->power_cycle);
	else if (dev->power_off.n && dev->power_on.n)
	{
		rc = run_template(d, "power off", &dev->power_off);
		if (rc == 0)
			rc = run_template(d, "power on", &dev->power_on);
	}
	else
		say(d, "power cycle: %s has no power commands to cycle it with", dev->id);
	if (rc == 0)
		settle(d);
	return rc;
}

void target_device_times(const struct target *t, struct target_device_times *out)
{
	*out = ((const struct device_target *)t)->times;
}

/* ---- flash and reset ---- */

static int fpga_step(struct device_target *d, const struct target_image *img)
{
	const struct board *b = d->o.board;
	const struct device *dev = d->o.device;
	struct tmpl_var vars[] = {
		{ "bitstream", img->bitstream }, { "id", dev->id }, { "serial", device_serial(dev) },
		{ "board", b->name },
	};
	struct proc_opts po = { 0 };
	struct proc_result res;
	char **argv = NULL;
	int rc;

	if (!img->bitstream)
		return err_set(ERR_INVALID, "fpga %s: board %s loads a bitstream, but the build gave none", dev->id,
			       b->name);
	if ((rc = tmpl_argv(&argv, b->fpga.command.v, b->fpga.command.n, vars, sizeof(vars) / sizeof(vars[0]))) != 0)
		return err_prefix("fpga %s: the command of board %s", dev->id, b->name);
	proc_result_init(&res);
	po.argv = (const char *const *)argv;
	po.timeout_ms = scaled(d, FPGA_TIMEOUT_MS);
	po.err_to_out = true;
	rc = proc_run(&res, &po);
	if (rc == 0 && (res.exit_code != 0 || res.signal))
		rc = err_set(ERR_IO, "fpga %s: %s exited %d", dev->id, argv[0],
			     res.signal ? 128 + res.signal : res.exit_code);
	else if (rc)
		err_prefix("fpga %s", dev->id);
	{
		/* Its output, line by line, into the job's log. */
		char *p = res.out.data, *nl;

		while (*p) {
			nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			if (*p)
				say(d, "fpga: %s", p);
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	proc_result_release(&res);
	free(argv);
	return rc;
}

static int expand_all(char ***out, char *const *v, size_t n, const struct tmpl_var *vars, size_t nvars)
{
	return tmpl_argv(out, (const char *const *)v, n, vars, nvars);
}

static int device_flash(struct target *t, const struct target_image *img)
{
	struct device_target *d = dt(t);
	const struct device *dev = d->o.device;
	const char *kernel_bin = img->kernel_bin;
	struct tmpl_var vars[] = {
		{ "image", d->full }, { "image_elf", d->full_elf }, { "image_sparse", d->sparse },
		{ "address", d->address }, { "kernel", img->kernel }, { "id", dev->id },
		{ "serial", device_serial(dev) },
	};
	long long t0 = proc_now_ms();
	char **cmds = NULL;
	int rc;

	if ((rc = still_ours(d)) != 0)
		return rc;
	/* The console of the previous case must not hear this one's boot. */
	if (d->console) {
		serial_close(d->console);
		d->console = NULL;
	}
	snprintf(d->address, sizeof(d->address), "0x%08" PRIx64, img->address);
	if (kernel_bin) {
		rc = image_compose_device(d->full, d->full_elf, d->sparse, t->board, kernel_bin, img->apps, img->napps);
	} else {
		/* Given as is: the caller composed it whole. */
		snprintf(d->full, sizeof(d->full), "%s", img->image);
		snprintf(d->full_elf, sizeof(d->full_elf), "%s", img->image_elf ? img->image_elf : img->image);
		snprintf(d->sparse, sizeof(d->sparse), "%s", d->full_elf);
	}
	if (rc)
		return err_prefix("flash %s", dev->id);
	if (t->board->has_fpga && (rc = fpga_step(d, img)) != 0)
		return rc;
	if ((rc = expand_all(&cmds, d->head, d->nhead, vars, sizeof(vars) / sizeof(vars[0]))) != 0)
		return err_prefix("flash %s: the program sequence of board %s", dev->id, t->board->name);
	say(d, "flash: %s through openocd", dev->id);
	rc = openocd_run(NULL, &d->setup, "flash", (const char *const *)cmds, d->nhead, scaled(d, FLASH_TIMEOUT_MS),
			 openocd_line, d);
	free(cmds);
	d->times.flash_ms += (long)(proc_now_ms() - t0);
	d->times.flashes++;
	if (rc == 0)
		say(d, "flash: %s programmed and verified in %lld ms", dev->id, proc_now_ms() - t0);
	return rc;
}

static int device_reset(struct target *t)
{
	struct device_target *d = dt(t);
	long long t0 = proc_now_ms();
	struct tmpl_var vars[] = { { "id", d->o.device->id }, { "address", d->address } };
	char **cmds = NULL;
	int rc;

	if ((rc = still_ours(d)) != 0)
		return rc;
	if ((rc = expand_all(&cmds, d->tail, d->ntail, vars, sizeof(vars) / sizeof(vars[0]))) != 0)
		return err_prefix("reset %s: the program sequence of board %s", d->o.device->id, t->board->name);
	rc = openocd_run(NULL, &d->setup, "reset", (const char *const *)cmds, d->ntail, scaled(d, RESET_TIMEOUT_MS),
			 openocd_line, d);
	free(cmds);
	d->times.reset_ms += (long)(proc_now_ms() - t0);
	return rc;
}

/* ---- console ---- */

static int device_console_open(struct target *t)
{
	struct device_target *d = dt(t);
	const struct device *dev = d->o.device;
	long long t0 = proc_now_ms();
	int rc;

	if ((rc = still_ours(d)) != 0)
		return rc;
	if (d->console) {
		serial_close(d->console);
		d->console = NULL;
	}
	buf_reset(&d->pending);
	if (dev->console_usb_serial)
		rc = serial_open_usb(&d->console, dev->console_usb_serial, (int)t->board->baud);
	else
		rc = serial_open(&d->console, dev->console_path, (int)t->board->baud);
	d->times.console_ms += (long)(proc_now_ms() - t0);
	if (rc)
		return err_prefix("console of %s", dev->id);
	say(d, "console: %s open at %" PRId64 " baud", serial_name(d->console), t->board->baud);
	return 0;
}

static ssize_t device_console_read(struct target *t, char *buf, size_t n, int timeout_ms)
{
	struct device_target *d = dt(t);
	size_t take;
	int rc;

	if ((rc = still_ours(d)) != 0)
		return rc;
	if (!d->console)
		return err_set(ERR_IO, "console of %s: not open", d->o.device->id);
	if (!d->pending.len) {
		rc = serial_read_line(d->console, &d->line, proc_now_ms() + timeout_ms);
		if (rc == ERR_TIMEOUT)
			return 0;
		if (rc)
			return err_prefix("%s", d->o.device->id);
		buf_add(&d->pending, d->line.data, d->line.len);
		buf_addch(&d->pending, '\n');
	}
	take = d->pending.len < n ? d->pending.len : n;
	memcpy(buf, d->pending.data, take);
	buf_consume(&d->pending, take);
	return (ssize_t)take;
}

static void device_release(struct target *t)
{
	struct device_target *d = dt(t);

	serial_close(d->console);
	buf_release(&d->line);
	buf_release(&d->pending);
	free_sequence(d);
	free(d);
}

static const struct target_ops device_ops = {
	.kind = "device",
	.power = device_power,
	.flash = device_flash,
	.console_open = device_console_open,
	.reset = device_reset,
	.console_read = device_console_read,
	.host_cpu_ms = NULL,	/* a board runs on its own clock: a missing banner is the kernel's */
	.release = device_release,
};

int target_device_new(struct target **out, const struct target_device_opts *o)
{
	struct device_target *d;
	int rc;

	*out = NULL;
	if (!o->board->has_openocd)
		return err_set(ERR_INVALID, "device %s: board %s has no openocd section", o->device->id, o->board->name);
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_set(ERR_NOMEM, "out of memory");
	d->o = *o;
	d->base.ops = &device_ops;
	d->base.board = o->board;
	snprintf(d->base.name, sizeof(d->base.name), "%s", o->device->id);
	buf_init(&d->line, 2 * SERIAL_LINE_MAX);
	buf_init(&d->pending, 2 * SERIAL_LINE_MAX);
	snprintf(d->full, sizeof(d->full), "%s/flash-%s.bin", o->workdir, o->device->id);
	snprintf(d->full_elf, sizeof(d->full_elf), "%s/flash-%s.elf", o->workdir, o->device->id);
	snprintf(d->sparse, sizeof(d->sparse), "%s/flash-%s-sparse.elf", o->workdir, o->device->id);
	d->setup = (struct openocd_setup){
		.program = o->openocd,
		.scripts = o->openocd_scripts,
		.board = o->board,
		.adapter_serial = o->device->probe_serial,
		.probe_commands = o->device->probe_commands.v,
		.nprobe_commands = o->device->probe_commands.n,
		.name = o->device->id,
	};
	if ((rc = split_sequence(d)) != 0) {
		device_release(&d->base);
		return rc;
	}
	*out = &d->base;
	return 0;
}
