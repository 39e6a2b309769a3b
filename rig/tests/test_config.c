#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "diag.h"
#include "err.h"
#include "yaml.h"

#define BASE TEST_DATA "/check/base"

static struct config *load_base(void)
{
	struct config *cfg = NULL;
	struct diags d;

	diags_init(&d);
	if (config_load(&cfg, BASE "/rig.yaml", &d) != 0) {
		diags_print(&d, stderr);
		fail_msg("the base tree must load");
	}
	diags_release(&d);
	return cfg;
}

static void test_base_values(void **state)
{
	struct config *cfg = load_base();
	const struct board *arm, *rv;
	const struct suite *s;
	const struct forge *f;

	(void)state;
	assert_int_equal(cfg->boards.n, 2);
	arm = config_board(cfg, "vm-arm");
	rv = config_board(cfg, "vm-rv");
	assert_non_null(arm);
	assert_non_null(rv);
	assert_string_equal(arm->arch, "arm");
	assert_int_equal(arm->memory.app_flash.origin, 0x40000);
	assert_int_equal(arm->memory.app_ram.length, 0x38000);
	assert_true(arm->has_qemu);
	assert_false(arm->has_openocd);
	assert_int_equal(arm->qemu.command.n, 6);
	assert_string_equal(arm->qemu.command.v[5], "loader,file={image},addr=0x0");
	assert_int_equal(arm->build.timeout, 300);
	assert_int_equal((int)(arm->boot_timeout), 5);
	assert_int_equal(arm->baud, 115200);
	/* Defaults where the file is silent. */
	assert_int_equal(rv->build.timeout, 600);
	assert_int_equal(rv->boot_timeout, 10);
	assert_true(rv->has_openocd);
	assert_int_equal(rv->openocd.speed, 4000);
	assert_true(rv->settle > 0.49 && rv->settle < 0.51);

	assert_true(cfg->has_rack);
	assert_int_equal(cfg->rack.devices.n, 2);
	assert_int_equal((int)cfg->rack.lease_seconds, 30);
	assert_string_equal(config_device(cfg, "rv-1")->probe_serial, "A1");
	assert_string_equal(config_device(cfg, "rv-2")->console_path, "/dev/ttyUSB1");
	assert_int_equal(config_device(cfg, "rv-1")->power_on.n, 1);

	s = config_suite(cfg, "basic");
	assert_non_null(s);
	assert_int_equal(s->cases.n, 2);
	assert_int_equal(s->cases.v[1].plan, 3);
	assert_int_equal(s->cases.v[1].apps.n, 3);
	assert_int_equal(s->cases.v[1].apps_pos[2].line, 9);
	assert_int_equal(s->cases.v[1].apps_pos[2].col, 27);
	assert_false(suite_case_runs_on(&s->cases.v[1], "vm-arm"));
	assert_true(suite_case_runs_on(&s->cases.v[1], "vm-rv"));
	assert_true(suite_case_runs_on(&s->cases.v[0], "vm-arm"));
	assert_non_null(suite_quarantined(s, "with-service", "vm-rv", "2099-12-31"));
	assert_null(suite_quarantined(s, "with-service", "vm-rv", "2100-01-01"));
	assert_null(suite_quarantined(s, "with-service", "vm-arm", "2026-01-01"));
	assert_null(suite_quarantined(s, "hello", "vm-rv", "2026-01-01"));

	assert_int_equal(cfg->forges.n, 1);
	f = &cfg->forges.v[0];
	assert_string_equal(f->kind, "github");
	assert_string_equal(f->gate, "merge-queue");
	assert_string_equal(f->base, "main");
	assert_int_equal(f->refspecs.n, 2);
	assert_string_equal(f->refspecs.v[1], "+refs/pull/*/head:refs/pull/*/head");
	assert_true(f->has_status);
	assert_string_equal(f->status.context, "rig");
	assert_non_null(strstr(f->status.token_file, "/check/base/token"));

	/* Relative paths start at the folder of rig.yaml. */
	assert_non_null(strstr(cfg->data_dir, "/check/base/data"));
	assert_non_null(strstr(cfg->sqlite, "/check/base/data/rig.db"));
	assert_string_equal(cfg->containers.memory, "1g");
	assert_int_equal(cfg->containers.pids, 1024);
	assert_int_equal(cfg->build_parallelism, 2);
	assert_true(cfg->build_merge);
	assert_int_equal(cfg->size_default.flash.n, 2);
	assert_int_equal(cfg->size_default.flash.v[1].bytes, 3072);
	assert_string_equal(cfg->size_default.flash.v[1].action, "fail");
	assert_int_equal(cfg->size_boards.n, 1);
	assert_string_equal(cfg->size_boards.v[0].board, "vm-rv");
	assert_int_equal(cfg->size_boards.v[0].ram.v[0].bytes, 256);
	assert_int_equal(cfg->targets.n, 2);
	config_free(cfg);
}

static void test_yaml_positions(void **state)
{
	const char *text = "a: 1\nb:\n  - x\n  - \"y\"\nc: { d: e }\n";
	struct arena *a = arena_new();
	struct ynode *root, *b, *c;
	struct diags d;

	(void)state;
	diags_init(&d);
	assert_int_equal(yaml_parse(&root, a, "t.yaml", text, strlen(text), &d), 0);
	assert_int_equal(root->type, YNODE_MAP);
	assert_int_equal(root->n, 3);
	b = ynode_get(root, "b");
	assert_int_equal(b->type, YNODE_SEQ);
	assert_int_equal(b->items[1]->line, 4);
	/* libfyaml marks a quoted scalar at its first character, inside the quote. */
	assert_int_equal(b->items[1]->col, 6);
	assert_false(b->items[1]->plain);
	assert_true(b->items[0]->plain);
	c = ynode_get(root, "c");
	assert_int_equal(c->line, 5);
	assert_int_equal(c->col, 4);
	assert_string_equal(ynode_get(c, "d")->scalar, "e");
	assert_int_equal(d.n, 0);
	diags_release(&d);
	arena_free(a);
}

static void test_yaml_refuses_aliases_and_duplicates(void **state)
{
	const char *text = "a: &x 1\nb: *x\na: 2\n";
	struct arena *a = arena_new();
	struct ynode *root;
	struct diags d;

	(void)state;
	diags_init(&d);
	assert_int_equal(yaml_parse(&root, a, "t.yaml", text, strlen(text), &d), ERR_INVALID);
	assert_int_equal(d.n, 2);
	assert_non_null(strstr(d.v[0].msg, "aliases"));
	assert_int_equal(d.v[1].line, 3);
	assert_string_equal(d.v[1].msg, "duplicate key 'a' (first at line 1)");
	diags_release(&d);
	arena_free(a);
}

static void test_missing_file(void **state)
{
	struct config *cfg;
	struct diags d;

	(void)state;
	diags_init(&d);
	assert_int_equal(config_load(&cfg, "/no/such/rig.yaml", &d), ERR_INVALID);
	assert_null(cfg);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].msg, "cannot read: No such file or directory");
	diags_release(&d);
}

static void test_builtin_default_loads(void **state)
{
	struct config *cfg;
	struct diags d;

	(void)state;
	diags_init(&d);
	if (config_load(&cfg, NULL, &d) != 0) {
		diags_print(&d, stderr);
		fail_msg("the built-in configuration must load");
	}
	assert_true(cfg->builtin);
	assert_non_null(strstr(cfg->data_dir, "/build/data"));
	assert_string_equal(cfg->containers.runtime, "podman");
	/* Every target of the default needs no hardware. */
	for (size_t i = 0; i < cfg->targets.n; i++)
		assert_true(config_board(cfg, cfg->targets.v[i])->has_qemu);
	diags_release(&d);
	config_free(cfg);
}

/*
 * Every prefix of a valid board file is a file someone could save by
 * accident: none may crash the loader, and each either loads or reports.
 */
static void test_truncated_files_never_crash(void **state)
{
	char tmpl[] = "/tmp/rig-config-XXXXXX";
	char path[512], cmd[1024], *text;
	size_t len;
	FILE *f;
	int loaded = 0, reported = 0;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(cmd, sizeof(cmd), "cp -r " BASE "/. %s/", tmpl);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/boards/vm-rv.yaml", tmpl);
	f = fopen(path, "rb");
	assert_non_null(f);
	text = malloc(65536);
	len = fread(text, 1, 65536, f);
	fclose(f);
	for (size_t cut = 0; cut <= len; cut += 3) {
		struct config *cfg;
		struct diags d;
		char rig[512];

		f = fopen(path, "wb");
		fwrite(text, 1, cut, f);
		fclose(f);
		snprintf(rig, sizeof(rig), "%s/rig.yaml", tmpl);
		diags_init(&d);
		if (config_load(&cfg, rig, &d) == 0) {
			loaded++;
			config_free(cfg);
		} else {
			assert_true(d.n > 0);
			reported++;
		}
		diags_release(&d);
	}
	assert_true(reported > 0);
	assert_true(loaded >= 1);	/* the whole file */
	free(text);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_values),
		cmocka_unit_test(test_yaml_positions),
		cmocka_unit_test(test_yaml_refuses_aliases_and_duplicates),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_builtin_default_loads),
		cmocka_unit_test(test_truncated_files_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
