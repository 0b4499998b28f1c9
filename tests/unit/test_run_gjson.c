/* Unit tests for runner/gjson.c: the bounds pass counts values and depth
 * without allocating, and the bounded parse refuses what a guest could use
 * to make the host allocate without bound (issue 13: an 8 MiB RSLT of
 * "{},{},..." was ~650 MiB of jansson nodes, parsed twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "gjson.h"
#include "limits.h"

static void
test_run_gjson_measure_counts(void **state)
{
	size_t n, d;
	const char *s = "{\"a\":[1,2.5e3,true,null,\"x,[{\"],\"b\":{}}";

	run_gjson_measure(s, strlen(s), &n, &d);
	/* object, key a, array, 4 scalars, a string, key b, object */
	assert_int_equal(n, 10);
	assert_int_equal(d, 2);
	run_gjson_measure("\"\\\"[[[\"", 7, &n, &d);
	assert_int_equal(n, 1);
	assert_int_equal(d, 0);
}

static void
test_run_gjson_giant_shallow_refused(void **state)
{
	size_t k = ((8u << 20) - 4) / 3, len = 1 + 3 * k + 3, i;
	char *s = malloc(len), why[256];

	s[0] = '[';
	for (i = 0; i < k; i++)
		memcpy(s + 1 + 3 * i, "{},", 3);
	memcpy(s + 1 + 3 * k, "{}]", 3);
	assert_null(run_gjson_parse(s, len, "agent results", RUN_JSON_NODES_MAX,
	                            RUN_JSON_DEPTH_MAX, why, sizeof(why)));
	assert_non_null(strstr(why, "JSON values"));
	free(s);
}

static void
test_run_gjson_deep_refused(void **state)
{
	char s[4200], why[256];
	size_t i;
	json_t *j;

	for (i = 0; i < 2047; i++)
		s[i] = '[';
	for (i = 0; i < 2047; i++)
		s[2047 + i] = ']';
	assert_null(run_gjson_parse(s, 4094, "agent results",
	                            RUN_JSON_NODES_MAX, RUN_JSON_DEPTH_MAX, why,
	                            sizeof(why)));
	assert_non_null(strstr(why, "levels deep"));
	/* at the bound: accepted */
	for (i = 0; i < RUN_JSON_DEPTH_MAX; i++)
		s[i] = '[';
	for (i = 0; i < RUN_JSON_DEPTH_MAX; i++)
		s[RUN_JSON_DEPTH_MAX + i] = ']';
	j = run_gjson_parse(s, 2 * RUN_JSON_DEPTH_MAX, "agent results",
	                    RUN_JSON_NODES_MAX, RUN_JSON_DEPTH_MAX, why,
	                    sizeof(why));
	assert_non_null(j);
	json_decref(j);
}

static void
test_run_gjson_invalid_is_refused(void **state)
{
	char why[256];

	assert_null(run_gjson_parse("{\"a\":1,\"a\":2}", 13, "agent results",
	                            100, 10, why, sizeof(why)));
	assert_non_null(strstr(why, "not valid JSON"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_gjson_measure_counts),
	    cmocka_unit_test(test_run_gjson_giant_shallow_refused),
	    cmocka_unit_test(test_run_gjson_deep_refused),
	    cmocka_unit_test(test_run_gjson_invalid_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
