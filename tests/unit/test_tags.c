/* Unit tests for common/tags.c: compressed tag sets, the supported-tag
 * list of a CPython target, ranks, and refusals of malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "tags.h"

static void
test_tags_parse_set_expands_compressed(void **state)
{
	struct tags_list l = TAGS_LIST_INIT;
	const char *s =
	    "py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64";

	assert_int_equal(tags_parse_set(s, strlen(s), &l, NULL), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0], "py2-none-manylinux_2_17_x86_64");
	assert_string_equal(l.v[3], "py3-none-manylinux2014_x86_64");
	assert_int_equal(tags_list_rank(&l, "py3-none-manylinux_2_17_x86_64"),
	                 2);
	assert_int_equal(tags_list_rank(&l, "py3-none-any"), -1);
	tags_list_release(&l);
}

static void
test_tags_parse_set_lowercases_and_dedups(void **state)
{
	struct tags_list l = TAGS_LIST_INIT;

	assert_int_equal(tags_parse_set("Py3.py3-NONE-Any", 16, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "py3-none-any");
	tags_list_release(&l);
}

static void
test_tags_parse_set_rejects_malformed(void **state)
{
	static const char *const bad[] = {
	    "py3-none",      "py3-none-any-x", "py3--any", "py3..py2-none-any",
	    "py3-none-any ", "py3-no/ne-any",  "",
	};
	struct tags_list l = TAGS_LIST_INIT;
	const char *why = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    tags_parse_set(bad[i], strlen(bad[i]), &l, &why), -1);
		assert_non_null(why);
		assert_int_equal(l.n, 0);
	}
}

static void
test_tags_parse_set_bounds_expansion(void **state)
{
	/* 20 x 20 x 1 = 400 tags > TAGS_SET_MAX */
	char s[512];
	size_t n = 0;
	struct tags_list l = TAGS_LIST_INIT;

	for (int part = 0; part < 2; part++) {
		for (int i = 0; i < 20; i++)
			n += (size_t)snprintf(s + n, sizeof(s) - n, "%sa%d",
			                      i ? "." : "", i);
		n += (size_t)snprintf(s + n, sizeof(s) - n, "-");
	}
	snprintf(s + n, sizeof(s) - n, "any");
	assert_int_equal(tags_parse_set(s, strlen(s), &l, NULL), -1);
}

static void
test_tags_supported_manylinux_order(void **state)
{
	struct tags_target t = {3, 11, NULL, "manylinux_2_36_x86_64"};
	struct tags_list l = TAGS_LIST_INIT;
	long r17, r2014, r_abi3, r_any;

	assert_int_equal(tags_supported(&t, &l), 0);
	assert_string_equal(l.v[0], "cp311-cp311-manylinux_2_36_x86_64");
	r17 = tags_list_rank(&l, "cp311-cp311-manylinux_2_17_x86_64");
	r2014 = tags_list_rank(&l, "cp311-cp311-manylinux2014_x86_64");
	r_abi3 = tags_list_rank(&l, "cp38-abi3-manylinux_2_17_x86_64");
	r_any = tags_list_rank(&l, "py3-none-any");
	assert_true(r17 >= 0 && r2014 == r17 + 1);
	assert_true(r_abi3 > r2014);
	assert_true(r_any > r_abi3);
	assert_string_equal(l.v[l.n - 1], "py30-none-any");
	assert_int_equal(
	    tags_list_rank(&l, "cp312-cp312-manylinux_2_17_x86_64"), -1);
	assert_int_equal(tags_list_rank(&l, "cp311-cp311-musllinux_1_2_x86_64"),
	                 -1);
	tags_list_release(&l);
}

static void
test_tags_supported_musllinux(void **state)
{
	struct tags_target t = {3, 12, NULL, "musllinux_1_2_aarch64"};
	struct tags_list l = TAGS_LIST_INIT;

	assert_int_equal(tags_supported(&t, &l), 0);
	assert_string_equal(l.v[0], "cp312-cp312-musllinux_1_2_aarch64");
	assert_string_equal(l.v[1], "cp312-cp312-musllinux_1_1_aarch64");
	assert_string_equal(l.v[3], "cp312-cp312-linux_aarch64");
	assert_int_equal(
	    tags_list_rank(&l, "cp312-cp312-manylinux_2_17_aarch64"), -1);
	tags_list_release(&l);
}

static void
test_tags_supported_old_python_abi(void **state)
{
	struct tags_target t = {3, 7, NULL, "win_amd64"};
	struct tags_list l = TAGS_LIST_INIT;

	assert_int_equal(tags_supported(&t, &l), 0);
	assert_string_equal(l.v[0], "cp37-cp37m-win_amd64");
	assert_string_equal(l.v[1], "cp37-abi3-win_amd64");
	tags_list_release(&l);
}

static void
test_tags_supported_abi_list_skips_abi3_none(void **state)
{
	struct tags_target t = {3, 11, "abi3,none", "linux_x86_64"};
	struct tags_list l = TAGS_LIST_INIT;

	assert_int_equal(tags_supported(&t, &l), 0);
	assert_string_equal(l.v[0], "cp311-abi3-linux_x86_64");
	tags_list_release(&l);
}

static void
test_tags_supported_rejects_bad_targets(void **state)
{
	struct tags_target bad[] = {
	    {1, 0, NULL, "any"},
	    {3, 11, NULL, "manylinux_2_x86_64"},
	    {3, 11, NULL, "manylinux_2_1000_x86_64"},
	    {3, 11, NULL, "musllinux_x_1_x86_64"},
	    {3, 11, NULL, "has space"},
	    {3, 11, NULL, ""},
	    {3, 11, ",", "any"},
	    {3, 11, NULL, NULL},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tags_list l = TAGS_LIST_INIT;

		assert_int_equal(tags_supported(&bad[i], &l), -1);
		assert_int_equal(l.n, 0);
		tags_list_release(&l);
	}
}

static void
test_tags_best_rank(void **state)
{
	struct tags_target t = {3, 12, NULL, "manylinux_2_28_x86_64"};
	struct tags_list sup = TAGS_LIST_INIT, w = TAGS_LIST_INIT;
	const char *s =
	    "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64";

	assert_int_equal(tags_supported(&t, &sup), 0);
	assert_int_equal(tags_parse_set(s, strlen(s), &w, NULL), 0);
	assert_int_equal(tags_best_rank(&sup, &w), 11);
	tags_list_release(&w);
	assert_int_equal(tags_parse_set("cp313-cp313-win32", 17, &w, NULL), 0);
	assert_int_equal(tags_best_rank(&sup, &w), -1);
	tags_list_release(&w);
	tags_list_release(&sup);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tags_parse_set_expands_compressed),
	    cmocka_unit_test(test_tags_parse_set_lowercases_and_dedups),
	    cmocka_unit_test(test_tags_parse_set_rejects_malformed),
	    cmocka_unit_test(test_tags_parse_set_bounds_expansion),
	    cmocka_unit_test(test_tags_supported_manylinux_order),
	    cmocka_unit_test(test_tags_supported_musllinux),
	    cmocka_unit_test(test_tags_supported_old_python_abi),
	    cmocka_unit_test(test_tags_supported_abi_list_skips_abi3_none),
	    cmocka_unit_test(test_tags_supported_rejects_bad_targets),
	    cmocka_unit_test(test_tags_best_rank),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
