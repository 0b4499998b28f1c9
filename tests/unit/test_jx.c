/* Unit tests for common/jx.c: strict parsing and deterministic output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jx.h"
#include "log.h"

static void
test_jx_parse_rejects_duplicate_keys(void **state)
{
	const char *doc = "{\"a\": 1, \"a\": 2}";
	int fd = dup(2);
	FILE *devnull = fopen("/dev/null", "w");

	dup2(fileno(devnull), 2);
	assert_null(jx_parse(doc, strlen(doc), "doc"));
	dup2(fd, 2);
	close(fd);
	fclose(devnull);
}

static void
test_jx_parse_rejects_nul_and_trailing(void **state)
{
	const char nul[] = "{\"a\": \"x\\u0000y\"}";
	const char trailing[] = "{} {}";
	int fd = dup(2);
	FILE *devnull = fopen("/dev/null", "w");

	dup2(fileno(devnull), 2);
	assert_null(jx_parse(nul, strlen(nul), "nul"));
	assert_null(jx_parse(trailing, strlen(trailing), "trailing"));
	assert_null(jx_parse("{\"a\":\xff}", 7, "utf8"));
	dup2(fd, 2);
	close(fd);
	fclose(devnull);
}

static void
test_jx_getters(void **state)
{
	const char *doc = "{\"s\": \"v\", \"i\": 42, \"n\": null, \"f\": 1.5}";
	json_t *j = jx_parse(doc, strlen(doc), "doc");
	int64_t v = 0;

	assert_non_null(j);
	assert_string_equal(jx_str(j, "s"), "v");
	assert_null(jx_str(j, "i"));
	assert_string_equal(jx_str_or(j, "s", "?"), "v");
	assert_string_equal(jx_str_or(j, "i", "?"), "?");
	assert_string_equal(jx_str_or(j, "n", "none"), "none");
	assert_string_equal(jx_str_or(j, "missing", ""), "");
	assert_int_equal(jx_int(j, "i", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(jx_int(j, "n", &v), JX_MISSING);
	assert_int_equal(jx_int(j, "missing", &v), JX_MISSING);
	assert_int_equal(jx_int(j, "f", &v), -1);
	assert_int_equal(jx_int(j, "s", &v), -1);
	json_decref(j);
}

/* A job spec's file entry: "roles" when it serves several, else "role";
 * "roles" is the whole list when present, and a non-string is no role. */
static void
test_jx_dep_has_role(void **state)
{
	static const struct {
		const char *dep, *role;
		int want;
	} cases[] = {
	    {"{\"role\": \"build\"}", "build", 1},
	    {"{\"role\": \"build\"}", "runtime", 0},
	    {"{\"role\": \"build\", \"roles\": [\"build\", \"runtime\"]}",
	     "runtime", 1},
	    {"{\"role\": \"build\", \"roles\": [\"build\", \"runtime\"]}",
	     "test", 0},
	    {"{\"role\": \"test\", \"roles\": [1, \"runtime\"]}", "test", 0},
	    {"{\"role\": \"test\", \"roles\": [1, \"runtime\"]}", "runtime",
	     1},
	    {"{\"name\": \"a.whl\"}", "runtime", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		json_t *d = jx_parse(cases[i].dep, strlen(cases[i].dep), "dep");

		assert_non_null(d);
		assert_int_equal(jx_dep_has_role(d, cases[i].role),
		                 cases[i].want);
		json_decref(d);
	}
	assert_false(jx_dep_has_role(NULL, "build"));
}

static void
test_jx_dumps_sorted_compact(void **state)
{
	json_t *j = json_object();
	char *s;

	jx_set(j, "b", json_integer(2));
	jx_set(j, "a", jx_string_or_null(NULL));
	jx_set(j, "c", json_array());
	jx_append(json_object_get(j, "c"), json_string("x"));
	s = jx_dumps(j);
	assert_string_equal(s, "{\"a\":null,\"b\":2,\"c\":[\"x\"]}");
	free(s);
	json_decref(j);
}

static void
test_jx_load_file_enforces_max(void **state)
{
	char path[] = "/tmp/test_jx.XXXXXX";
	int fd = mkstemp(path), err = dup(2);
	FILE *devnull = fopen("/dev/null", "w");
	json_t *j;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[1,2,3]", 7), 7);
	close(fd);
	j = jx_load_file(path, 100);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 3);
	json_decref(j);
	dup2(fileno(devnull), 2);
	assert_null(jx_load_file(path, 6));
	assert_null(jx_load_file("/nonexistent/x.json", 100));
	dup2(err, 2);
	close(err);
	fclose(devnull);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jx_parse_rejects_duplicate_keys),
	    cmocka_unit_test(test_jx_parse_rejects_nul_and_trailing),
	    cmocka_unit_test(test_jx_getters),
	    cmocka_unit_test(test_jx_dep_has_role),
	    cmocka_unit_test(test_jx_dumps_sorted_compact),
	    cmocka_unit_test(test_jx_load_file_enforces_max),
	};

	log_set_prog("test_jx");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
