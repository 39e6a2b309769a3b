/*
 * target: where a case runs, as a table of operations (DESIGN.md): a QEMU
 * machine, or a device of the rack.
 *
 * The runner drives every target the same way, per case:
 *   power(on) once per job → flash(image) → console_open() → reset() →
 *   console_read() until the case is decided → power(off) at the end.
 * For QEMU, flash starts QEMU on the image with its console on a socket and
 * the CPU held until console_open connects, so the first line is never lost;
 * power off kills the process group. For a device, flash programs and
 * verifies through OpenOCD with the board halted, console_open opens the
 * serial port, and reset lets the board run.
 *
 * Every operation returns 0 or a negative ERR_* with the last error set; any
 * error is the rig's or the target's (a job `error`), never the change's.
 * A target is created by its backend's constructor and freed by release().
 */
#ifndef RIG_TARGET_H
#define RIG_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct board;

struct target_image {
	const char *image;	/* the combined flash image: kernel and the case's apps */
	const char *image_elf;	/* the same bytes as an ELF with one segment at address */
	const char *kernel;	/* the kernel ELF (QEMU templates may use it) */
	uint64_t address;	/* where the image starts: kernel_flash.origin */
	/* rack: what a device composes its own forms from (image.h), and an FPGA's bitstream */
	const char *kernel_bin;	/* NULL: a device flashes image as given */
	const char *const *apps;
	size_t napps;
	const char *bitstream;	/* NULL unless the board has an fpga section */
};

/* A step worth a line in the job's log ("flash: …", "power off"). */
typedef void (*target_log_fn)(void *user, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct target;

struct target_ops {
	const char *kind;	/* "qemu" | "device" */
	int (*power)(struct target *t, bool on);
	int (*flash)(struct target *t, const struct target_image *img);
	int (*console_open)(struct target *t);
	int (*reset)(struct target *t);
	/* > 0: bytes read; 0: nothing before timeout_ms; < 0: the console is gone. */
	ssize_t (*console_read)(struct target *t, char *buf, size_t n, int timeout_ms);
	/* CPU time the target's host process has had, or -1: tells a slow host from a dead kernel. */
	long (*host_cpu_ms)(struct target *t);
	void (*release)(struct target *t);
};

struct target {
	const struct target_ops *ops;
	char name[96];			/* board name for QEMU, device id for a device */
	const struct board *board;
	target_log_fn log;
	void *log_user;
};

/*
 * A QEMU target for board (which must have a qemu section). workdir holds
 * QEMU's own output; it must exist.
 */
int target_qemu_new(struct target **out, const struct board *board, const char *workdir);

/* ---- rack: a device of the rack (boards/rack.yaml) ---- */

struct device;

/*
 * The device target: power through the device's command templates ({id},
 * {board}, {serial}, {path}) and the board's settle delay; flash and reset
 * through OpenOCD (openocd.h); the console through libserialport (serial.h),
 * by USB serial number when the rack gives one, else by path, at the board's
 * baud.
 *
 * flash() runs an FPGA board's bitstream step first, then the board's
 * `program` sequence with the board halted: everything but its trailing
 * reset (a `reset …`, `resume`, `shutdown` or `exit` at its end, and the
 * `reset` and `exit` words of a `program` command), which reset() runs in a
 * second OpenOCD run once the console is open, so that the first line is
 * never lost. The sequence's placeholders: {image} (the case's image padded
 * to the end of app_flash), {image_elf} (the same as an ELF), {image_sparse}
 * (only what the kernel reads, image.h), {address}, {kernel}, {id}, {serial}.
 * A console that vanishes makes console_read fail (an error, not a fail).
 */
struct target_device_opts {
	const struct board *board;	/* must have an openocd section */
	const struct device *device;
	const char *openocd;		/* the program; NULL: "openocd" from PATH */
	const char *openocd_scripts;	/* boards/openocd, for -s; may be NULL */
	const char *workdir;		/* for the image's forms; must exist */
	double time_scale;		/* stretches OpenOCD's deadlines; 0 means 1 */
	/*
	 * Asked before every step and between console reads: a negative ERR_*
	 * (last error set) ends the step with that error, as when the job's
	 * lease of the device was lost. May be NULL.
	 */
	int (*still_ours)(void *user);
	void *still_ours_user;
};

/* What a device's steps took so far, for a job's time split. */
struct target_device_times {
	long power_ms, flash_ms, console_ms, reset_ms;
	int flashes;
};

int target_device_new(struct target **out, const struct target_device_opts *o);
/* Power off and on (the cycle template, else off then on), then the settle delay. */
int target_device_cycle(struct target *t);
void target_device_times(const struct target *t, struct target_device_times *out);

static inline void target_release(struct target *t)
{
	if (t)
		t->ops->release(t);
}

#endif
