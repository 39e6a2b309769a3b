#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifact.h"
#include "err.h"

static void test_known_digests(void **state)
{
	char hex[65];

	(void)state;
	assert_int_equal(artifact_sha256_mem(hex, "", 0), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(artifact_sha256_mem(hex, "abc", 3), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_put_dedups_and_is_read_only(void **state)
{
	char dir[] = "/tmp/rig-art-XXXXXX", file[128], other[128], store[128];
	char hex[65], hex2[65], *p1, *p2;
	int64_t size;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/kernel.bin", dir);
	snprintf(other, sizeof(other), "%s/same.bin", dir);
	snprintf(store, sizeof(store), "%s/store", dir);
	f = fopen(file, "w");
	fputs("abc", f);
	fclose(f);
	f = fopen(other, "w");
	fputs("abc", f);
	fclose(f);
	assert_int_equal(artifact_put(hex, &size, &p1, store, file), 0);
	assert_int_equal(size, 3);
	assert_non_null(strstr(p1, "/store/ba/ba7816bf"));
	assert_int_equal(stat(p1, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	assert_int_equal(artifact_put(hex2, &size, &p2, store, other), 0);
	assert_string_equal(hex, hex2);
	assert_string_equal(p1, p2);
	free(p1);
	free(p2);
	assert_int_equal(artifact_put(hex, &size, &p1, store, "/no/such/file"), ERR_IO);
	assert_null(p1);
	assert_non_null(strstr(err_msg(), "/no/such/file"));
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_digests),
		cmocka_unit_test(test_put_dedups_and_is_read_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
