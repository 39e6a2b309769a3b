/*
 * dash-fill: fills a store with what the dashboard's tests and benchmark
 * look at, through the store's own interface (as the rig records it).
 *
 *   dash-fill STORE LOGS_DIR [--results N]
 *
 * Boards vm-arm (QEMU only) and vm-rv (QEMU and the rack's devices rv-1 and
 * rv-2), base-branch builds with sizes and symbols, and changes:
 *   a failing PR whose ipc/notify passes on QEMU and fails on rv-1 (a
 *   QEMU/hardware discrepancy) and whose ipc/ping is flaky; a PR from a
 *   branch named <script>alert(1)</script> with markup in its title; a
 *   passing push; and a change still testing, whose job on rv-2 is running
 *   with its log being written. With --results N, more changes follow until
 *   the store holds N results (the benchmark).
 * Prints shell assignments (NAME=value) of the ids the tests need.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "fsutil.h"
#include "store.h"

#define CHECK(x)                                                                      \
	do {                                                                          \
		if ((x) != 0) {                                                       \
			fprintf(stderr, "dash-fill: %s: %s\n", #x, err_msg());        \
			exit(1);                                                      \
		}                                                                     \
	} while (0)

static const char *const cases[][2] = {
	{ "boot", "banner" }, { "boot", "too_many_apps" }, { "boot", "not_enough_ram" },
	{ "syscall", "yield" }, { "syscall", "command" }, { "syscall", "allow_rw" }, { "syscall", "memop" },
	{ "ipc", "discover" }, { "ipc", "notify" }, { "ipc", "ping" },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static int64_t results_added;
static char logs_dir[1024];
static unsigned long long sha_counter;

static void make_sha(char out[41])
{
	unsigned long long v = ++sha_counter * 0x9E3779B97F4A7C15ULL;

	snprintf(out, 41, "%016llx%016llx%08llx", v, v ^ 0xabcdefULL, sha_counter);
}

static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* A build of board at sha with kernel sizes grown by grow bytes; returns its id. */
static int64_t add_build(struct store *st, int64_t change_id, const char *board, const char *sha, int64_t grow,
			 int64_t reuse)
{
	struct store_build b = { .change_id = change_id, .board = (char *)board, .sha = (char *)sha,
				 .tree = (char *)sha, .cache_key = (char *)sha, .status = "running" };
	char log_path[1200], line[200];

	if (reuse) {
		b.cached = true;
		b.source_build_id = reuse;
		b.status = "ok";
	}
	CHECK(store_build_add(st, &b));
	if (reuse)
		return b.id;
	snprintf(log_path, sizeof(log_path), "%s/build-%" PRId64 ".log", logs_dir, b.id);
	snprintf(line, sizeof(line), "make -C /src/kernel BOARD=%s O=/out\n  CC kernel/main.o\n  LD kernel.elf\n", board);
	CHECK(fs_write_file(log_path, line, strlen(line)));
	CHECK(store_build_finish(st, b.id, "ok", 41000 + grow, NULL, "/nonexistent/out", log_path));
	{
		struct store_artifact a = { .name = "kernel.elf", .kind = "kernel", .sha256 = (char *)sha, .size = 90000,
					    .path = "/nonexistent/kernel.elf" };
		struct store_size sizes[] = {
			{ "kernel.elf", ".text", "text", "flash", 30000 + grow },
			{ "kernel.elf", ".rodata", "text", "flash", 4000 },
			{ "kernel.elf", ".data", "data", "ram", 512 + grow / 8 },
			{ "kernel.elf", ".bss", "bss", "ram", 6000 + grow / 4 },
			{ "apps/sc_yield.elf", ".text", "text", "flash", 1200 },
		};
		struct store_symbol syms[] = {
			{ "kernel.elf", "ipc_notify", ".text", "func", NULL, 400 + grow },
			{ "kernel.elf", "sched_next", ".text", "func", NULL, 800 },
			{ "kernel.elf", "console_buf", ".bss", "object", "console.c", 2048 + grow / 4 },
			{ "kernel.elf", "syscall_table", ".rodata", "object", NULL, 256 },
			{ "apps/sc_yield.elf", "main", ".text", "func", NULL, 300 },
		};

		CHECK(store_artifact_add(st, b.id, &a));
		CHECK(store_sizes_add(st, b.id, sizes, sizeof(sizes) / sizeof(sizes[0])));
		CHECK(store_symbols_add(st, b.id, syms, sizeof(syms) / sizeof(syms[0]) - (grow > 0 ? 0 : 1)));
	}
	return b.id;
}

/* The console log of a job: the rig's steps, then what the board printed. */
static void write_job_log(int64_t job, const char *target, bool device, const char *suite, bool fail_notify)
{
	char path[1200];
	FILE *f;
	long t = 0;

	snprintf(path, sizeof(path), "%s/job-%" PRId64 ".log", logs_dir, job);
	if (!(f = fopen(path, "w"))) {
		perror(path);
		exit(1);
	}
	if (device) {
		fprintf(f, "%8ld %-7s %s\n", t += 3, "rig", "power on rv: uhubctl -l 1-1 -p 2 -a on");
		fprintf(f, "%8ld %-7s %s\n", t += 700, "rig", "flash image.bin (48128 bytes) at 0x20400000: programmed, verified");
	} else {
		fprintf(f, "%8ld %-7s %s qemu-system-riscv32 -M sifive_e\n", t += 2, "rig", "start");
	}
	fprintf(f, "%8ld %-7s %s\n", t += 5, "rig", "reset; console open");
	fprintf(f, "%8ld %-7s rig-kernel 0.1 board=%s arch=riscv32\n", t += 40, "console", target);
	for (size_t i = 0; i < NCASES; i++) {
		bool bad = fail_notify && strcmp(cases[i][1], "notify") == 0;

		if (strcmp(cases[i][0], suite) != 0)
			continue;
		fprintf(f, "%8ld %-7s # case %s\n", t += 10, "console", cases[i][1]);
		fprintf(f, "%8ld %-7s %sok 1 - %s <works> & \"quoted\"\n", t += 30, "console", bad ? "not " : "",
			cases[i][1]);
		if (bad)
			fprintf(f, "%8ld %-7s   ---  timeout waiting for <notify> from server   ...\n", t += 1, "console");
	}
	fprintf(f, "%8ld %-7s %s\n", t += 5, "rig", device ? "power off" : "stop qemu");
	fclose(f);
}

static void add_result(struct store *st, int64_t change, int64_t job, const char *suite, const char *name,
		       const char *target, const char *status, bool flaky, const char *reason)
{
	char log_path[1200];
	struct store_result r = { .job_id = job, .change_id = change, .suite = suite, .case_name = name,
				  .target = target, .status = status, .attempt = flaky ? 2 : 1, .duration_ms = 420,
				  .reason = reason, .flaky = flaky };

	snprintf(log_path, sizeof(log_path), "%s/job-%" PRId64 ".log", logs_dir, job);
	r.log_path = log_path;
	CHECK(store_result_add(st, &r));
	results_added++;
}

/*
 * One change tested everywhere: vm-arm on QEMU, vm-rv on QEMU, rv-1 and
 * rv-2. notify_disagrees makes ipc/notify fail on rv-1 only.
 */
static int64_t add_change(struct store *st, const char *kind, int64_t number, const char *ref, const char *title,
			  const char *base_sha, int64_t grow, bool notify_disagrees, bool logs)
{
	static const struct {
		const char *board, *target, *kind;
	} targets[] = { { "vm-arm", "vm-arm", "qemu" }, { "vm-rv", "vm-rv", "qemu" },
			{ "vm-rv", "rv-1", "device" }, { "vm-rv", "rv-2", "device" } };
	char sha[41];
	struct store_change c = { .repo = "file:///srv/git/kernel.git", .forge = "local", .kind = (char *)kind,
				  .number = number, .ref = (char *)ref, .base_ref = "main", .title = (char *)title,
				  .author = "ada", .state = "testing" };
	int64_t builds[2];
	bool failed = false;

	make_sha(sha);
	c.sha = sha;
	c.base_sha = (char *)base_sha;
	c.merge_base = (char *)base_sha;
	CHECK(store_change_add(st, &c));
	builds[0] = add_build(st, c.id, "vm-arm", sha, 250 + grow, 0);
	builds[1] = add_build(st, c.id, "vm-rv", sha, 250 + grow / 2, 0);
	for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
		static const char *const suites[] = { "boot", "syscall", "ipc" };

		for (size_t s = 0; s < 3; s++) {
			struct store_job j = { .change_id = c.id, .build_id = builds[strcmp(targets[t].board, "vm-rv") == 0],
					       .suite = suites[s], .target = targets[t].target,
					       .target_kind = targets[t].kind,
					       .device = strcmp(targets[t].kind, "device") == 0 ? targets[t].target : NULL };

			CHECK(store_job_add(st, &j));
			CHECK(store_job_set_state(st, j.id, "running", NULL));
			if (logs)
				write_job_log(j.id, targets[t].target, j.device != NULL, suites[s],
					      notify_disagrees && strcmp(targets[t].target, "rv-1") == 0);
			for (size_t k = 0; k < NCASES; k++) {
				bool bad = notify_disagrees && strcmp(cases[k][1], "notify") == 0 &&
					   strcmp(targets[t].target, "rv-1") == 0;
				bool flaky = notify_disagrees && strcmp(cases[k][1], "ping") == 0 &&
					     strcmp(targets[t].target, "rv-2") == 0;

				if (strcmp(cases[k][0], suites[s]) != 0)
					continue;
				add_result(st, c.id, j.id, suites[s], cases[k][1], targets[t].target, bad ? "fail" : "pass",
					   flaky, bad ? "TAP: not ok 1 - notify <timeout>" : NULL);
				failed |= bad;
			}
			CHECK(store_job_set_state(st, j.id, "done", NULL));
		}
	}
	CHECK(store_change_set_state(st, c.id, "done", failed ? "fail" : "pass",
				     failed ? "ipc/notify failed on rv-1" : NULL));
	return c.id;
}

int main(int argc, char **argv)
{
	struct store *st;
	char base[41] = "", main_sha[41];
	int64_t want = 0, fail_id, xss_id, push_id, run_change, run_job = 0, arm_base = 0;
	char path[1200];

	if (argc < 3) {
		fprintf(stderr, "usage: dash-fill STORE LOGS_DIR [--results N]\n");
		return 2;
	}
	if (argc == 5 && strcmp(argv[3], "--results") == 0)
		want = strtoll(argv[4], NULL, 10);
	snprintf(logs_dir, sizeof(logs_dir), "%s", argv[2]);
	CHECK(fs_mkdirs(logs_dir));
	CHECK(store_open(&st, argv[1]));

	/* The base branch: ten commits, the kernel growing a little each time. */
	for (int i = 0; i < 10; i++) {
		make_sha(base);
		arm_base = add_build(st, 0, "vm-arm", base, i * 24, 0);
		add_build(st, 0, "vm-rv", base, i * 20, 0);
		pause_ms(3);
	}
	printf("BASE_SHA=%s\n", base);
	(void)arm_base;

	fail_id = add_change(st, "pr", 12, "refs/pull/12/head", "ipc: notify a service by name", base, 180, true, true);
	xss_id = add_change(st, "pr", 13, "<script>alert(1)</script>", "<img src=x onerror=alert(2)> & friends", base,
			    -16, false, true);
	push_id = add_change(st, "push", 0, "refs/heads/main", "Merge pull request #11", base, 40, false, true);
	printf("CHANGE_FAIL=%" PRId64 "\nCHANGE_XSS=%" PRId64 "\nCHANGE_PUSH=%" PRId64 "\n", fail_id, xss_id, push_id);

	/* A change still testing: its job on rv-2 runs, and its log grows (the test appends to it). */
	{
		struct store_change c = { .repo = "file:///srv/git/kernel.git", .forge = "local", .kind = "pr", .number = 14,
					  .ref = "refs/pull/14/head", .base_ref = "main", .title = "alarm: 64-bit time",
					  .author = "grace", .state = "testing" };
		struct store_job j = { .suite = "boot", .target = "rv-2", .target_kind = "device", .device = "rv-2" };
		int64_t b;
		FILE *f;

		make_sha(main_sha);
		c.sha = main_sha;
		c.base_sha = base;
		c.merge_base = base;
		CHECK(store_change_add(st, &c));
		run_change = c.id;
		b = add_build(st, c.id, "vm-rv", main_sha, 8, 0);
		add_build(st, c.id, "vm-arm", main_sha, 8, arm_base);
		j.change_id = c.id;
		j.build_id = b;
		CHECK(store_job_add(st, &j));
		CHECK(store_job_set_state(st, j.id, "running", NULL));
		run_job = j.id;
		CHECK(store_device_sync(st, "rv-2", "vm-rv"));
		CHECK(store_device_lease(st, "rv-2", j.id, "rig@test", 3600 * 1000));
		snprintf(path, sizeof(path), "%s/job-%" PRId64 ".log", logs_dir, j.id);
		if (!(f = fopen(path, "w"))) {
			perror(path);
			return 1;
		}
		fprintf(f, "%8d %-7s %s\n", 3, "rig", "power on rv-2: uhubctl -l 1-1 -p 3 -a on");
		fprintf(f, "%8d %-7s %s\n", 640, "rig", "flash image.bin (48128 bytes) at 0x20400000: programmed, verified");
		fprintf(f, "%8d %-7s %s\n", 650, "rig", "reset; console open");
		fprintf(f, "%8d %-7s %s\n", 700, "console", "rig-kernel 0.1 board=vm-rv arch=riscv32");
		fclose(f);
		printf("CHANGE_RUNNING=%" PRId64 "\nJOB_RUNNING=%" PRId64 "\nJOB_RUNNING_LOG=%s\n", run_change, run_job, path);
	}
	/* The rack: besides rv-1 and rv-2, a locked board and one gone offline. */
	CHECK(store_device_sync(st, "rv-1", "vm-rv"));
	CHECK(store_device_health(st, "rv-1", true, "boot banner in 0.8 s"));
	CHECK(store_device_sync(st, "hifive-3", "vm-rv"));
	CHECK(store_device_lock(st, "hifive-3", "probe swapped <see ticket #42>"));
	CHECK(store_device_sync(st, "nrf-4", "vm-arm"));
	for (int i = 0; i < 3; i++) {
		bool off;

		CHECK(store_device_infra_error(st, "nrf-4", "openocd: Error: unable to find a matching CMSIS-DAP device", 3,
					       &off));
	}
	/* A job to retry from the dashboard: over, on QEMU. */
	{
		struct store_job j = { .change_id = push_id, .suite = "boot", .target = "vm-arm", .target_kind = "qemu" };

		CHECK(store_job_add(st, &j));
		CHECK(store_job_set_state(st, j.id, "running", NULL));
		CHECK(store_job_set_state(st, j.id, "error", "qemu: could not start"));
		printf("JOB_DONE=%" PRId64 "\n", j.id);
	}
	/* The benchmark's bulk: more changes, in transactions, until want results are stored. */
	for (int64_t n = 0; results_added < want; n++) {
		char ref[64];

		CHECK(store_begin(st));
		for (int k = 0; k < 20 && results_added < want; k++, n++) {
			snprintf(ref, sizeof(ref), "refs/pull/%" PRId64 "/head", 100 + n);
			add_change(st, "pr", 100 + n, ref, "bulk change for the benchmark", base, n % 300 - 100, n % 7 == 0,
				   false);
		}
		CHECK(store_commit(st));
	}
	printf("RESULTS=%" PRId64 "\n", results_added);
	store_close(st);
	return 0;
}
