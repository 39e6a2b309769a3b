/* view: templates over JSON, escaped by construction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "view.h"

/* Renders one template (plus optional partials) with ctx given as JSON text. */
static char *render(const char *tmpl, const char *json, int *rc)
{
	const char *names[] = { "t", "header" };
	const char *texts[] = { tmpl, "<h>{{title}}</h>" };
	struct view_set *vs;
	json_t *ctx = json_loads(json, 0, NULL);
	struct buf b;

	assert_non_null(ctx);
	buf_init(&b, 1 << 20);
	*rc = view_set_from_strings(&vs, names, texts, 2);
	if (*rc == 0) {
		*rc = view_render(&b, vs, "t", ctx);
		view_set_free(vs);
	}
	json_decref(ctx);
	return buf_detach(&b, NULL);
}

static void expect(const char *tmpl, const char *json, const char *want)
{
	int rc;
	char *got = render(tmpl, json, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_values_are_escaped(void **state)
{
	(void)state;
	expect("<p>{{ref}}</p>", "{\"ref\": \"<script>alert(1)</script>\"}",
	       "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
	expect("<a title=\"{{t}}\">", "{\"t\": \"\\\" onmouseover='x' & <\"}",
	       "<a title=\"&quot; onmouseover=&#39;x&#39; &amp; &lt;\">");
	expect("{{n}} {{r}} {{b}} {{z}} {{missing}}.", "{\"n\": 42, \"r\": 1.5, \"b\": true, \"z\": null}",
	       "42 1.5 true  .");
	/* No triple-brace escape hatch: "{{{x}}}" names "{x", which is nothing, never raw output. */
	expect("{{{x}}}", "{\"x\": \"<b>\"}", "}");
}

static void test_url_encoding(void **state)
{
	(void)state;
	expect("<a href=\"/cases/{{%s}}/{{%c}}\">", "{\"s\": \"ipc\", \"c\": \"a b/<\\\"&?#\"}",
	       "<a href=\"/cases/ipc/a%20b%2F%3C%22%26%3F%23\">");
}

static void test_sections(void **state)
{
	(void)state;
	expect("{{#xs}}[{{name}}]{{/xs}}", "{\"xs\": [{\"name\": \"a\"}, {\"name\": \"<b>\"}]}", "[a][&lt;b&gt;]");
	expect("{{#o}}{{k}}{{/o}}", "{\"o\": {\"k\": \"v\"}}", "v");
	expect("{{#f}}yes{{/f}}{{^f}}no{{/f}}", "{\"f\": false}", "no");
	expect("{{#f}}yes{{/f}}{{^f}}no{{/f}}", "{\"f\": 3}", "yes");
	expect("{{^xs}}empty{{/xs}}", "{\"xs\": []}", "empty");
	expect("{{#s}}{{s}}{{/s}}{{^e}}-{{/e}}", "{\"s\": \"x\", \"e\": \"\"}", "x-");
	/* Inner contexts first, then outwards; dotted names walk in; "." is the element. */
	expect("{{#xs}}{{outer}}{{.}}{{/xs}}", "{\"outer\": \"o\", \"xs\": [1, 2]}", "o1o2");
	expect("{{a.b.c}}{{#a.b}}{{c}}{{/a.b}}", "{\"a\": {\"b\": {\"c\": \"deep\"}}}", "deepdeep");
	/* The same name nested. */
	expect("{{#a}}<{{#a}}in{{/a}}>{{/a}}", "{\"a\": true}", "<in>");
	expect("{{>header}}!{{! a comment }}", "{\"title\": \"<t>\"}", "<h>&lt;t&gt;</h>!");
	expect("a { b } {c} {{x}}}", "{\"x\": 1}", "a { b } {c} 1}");
}

static void test_broken_templates_fail_at_load(void **state)
{
	static const char *const bad[] = {
		"{{#a}}never closed", "{{/a}}", "{{#a}}{{/b}}", "{{unclosed", "{{#a}}{{#b}}{{/a}}{{/b}}", "{{}}",
		"{{>nosuch}}",
	};
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = render(bad[i], "{}", &rc);

		assert_int_equal(rc, ERR_INVALID);
		assert_non_null(strstr(err_msg(), "template t"));
		free(out);
	}
}

static void test_load_folder(void **state)
{
	char dir[] = "/tmp/rig-view-XXXXXX", path[128];
	struct view_set *vs;
	json_t *ctx = json_pack("{s:s}", "x", "<&>");
	struct buf b;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/page.html", dir);
	f = fopen(path, "w");
	fputs("{{>part}}:{{x}}", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/part.html", dir);
	f = fopen(path, "w");
	fputs("P", f);
	fclose(f);
	assert_int_equal(view_set_load(&vs, dir), 0);
	assert_true(view_has(vs, "page"));
	buf_init(&b, 4096);
	assert_int_equal(view_render(&b, vs, "page", ctx), 0);
	assert_string_equal(b.data, "P:&lt;&amp;&gt;");
	buf_reset(&b);
	assert_int_equal(view_render(&b, vs, "nosuch", ctx), ERR_NOTFOUND);
	/* A page past its buffer's cap is an error, not a truncated page. */
	b.cap = 3;
	assert_int_equal(view_render(&b, vs, "page", ctx), ERR_LIMIT);
	buf_release(&b);
	view_set_free(vs);
	/* A broken template names its file. */
	f = fopen(path, "w");
	fputs("{{#open}}", f);
	fclose(f);
	assert_int_equal(view_set_load(&vs, dir), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "part.html"));
	json_decref(ctx);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_are_escaped),
		cmocka_unit_test(test_url_encoding),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_broken_templates_fail_at_load),
		cmocka_unit_test(test_load_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
