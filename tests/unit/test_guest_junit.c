/* Unit tests for guest/junit.c: pytest's JUnit XML subset, outcomes,
 * entities, caps, and input that is not JUnit at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../guest/junit.h"
#include "jx.h"
#include "log.h"

static const char pytest_xml[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites>"
    "<testsuite name=\"pytest\" errors=\"1\" failures=\"1\" skipped=\"1\" "
    "tests=\"4\" time=\"0.523\" timestamp=\"2026-11-22T03:00:00\">"
    "<testcase classname=\"tests.test_a\" name=\"test_ok\" time=\"0.001\" />"
    "<testcase classname=\"tests.test_a\" name=\"test_bad[x&lt;1]\" "
    "time=\"0.250\">"
    "<failure message=\"assert 1 == 2\">def test_bad():\n&gt; assert 1 == 2"
    "</failure></testcase>"
    "<testcase classname=\"tests.test_b\" name=\"test_skip\" time=\"0.000\">"
    "<skipped type=\"pytest.skip\" message=\"no "
    "network\">x</skipped></testcase>"
    "<testcase classname=\"tests.test_b\" name=\"test_err\" time=\"0.1\">"
    "<error message=\"fixture &apos;db&apos; not found\"/></testcase>"
    "</testsuite></testsuites>";

static void
test_guest_junit_pytest_outcomes(void **state)
{
	json_t *j = guest_junit_parse(pytest_xml, strlen(pytest_xml));
	json_t *t, *c;
	int64_t v;

	assert_non_null(j);
	t = json_object_get(j, "totals");
	assert_int_equal(jx_int(t, "tests", &v), 0);
	assert_int_equal(v, 4);
	jx_int(t, "passed", &v);
	assert_int_equal(v, 1);
	jx_int(t, "failed", &v);
	assert_int_equal(v, 1);
	jx_int(t, "errors", &v);
	assert_int_equal(v, 1);
	jx_int(t, "skipped", &v);
	assert_int_equal(v, 1);
	jx_int(t, "duration_ms", &v);
	assert_int_equal(v, 523);
	c = json_array_get(json_object_get(j, "cases"), 1);
	assert_string_equal(jx_str(c, "name"), "test_bad[x<1]");
	assert_string_equal(jx_str(c, "outcome"), "failed");
	assert_string_equal(jx_str(c, "message"), "assert 1 == 2");
	jx_int(c, "duration_ms", &v);
	assert_int_equal(v, 250);
	c = json_array_get(json_object_get(j, "cases"), 0);
	assert_string_equal(jx_str(c, "outcome"), "passed");
	c = json_array_get(json_object_get(j, "cases"), 3);
	assert_string_equal(jx_str(c, "outcome"), "error");
	assert_string_equal(jx_str(c, "message"), "fixture 'db' not found");
	json_decref(j);
}

static void
test_guest_junit_rejects_non_junit(void **state)
{
	assert_null(guest_junit_parse("hello", 5));
	assert_null(guest_junit_parse("", 0));
	assert_null(guest_junit_parse("<testsuit", 9));
}

static void
test_guest_junit_hostile(void **state)
{
	/* unterminated tag, invalid UTF-8, huge attribute */
	char big[20000];
	json_t *j;
	char *dump;

	j = guest_junit_parse("<testcase name=\"x", 17);
	assert_null(j);
	{
		static const char x[] =
		    "<testsuite><testcase name=\"\xff\xfe\"/>";

		j = guest_junit_parse(x, strlen(x));
	}
	assert_non_null(j);
	dump = json_dumps(j, 0);
	assert_non_null(dump);
	free(dump);
	json_decref(j);
	memcpy(big, "<testcase name=\"", 16);
	memset(big + 16, 'a', sizeof(big) - 20);
	memcpy(big + sizeof(big) - 4, "\"/>", 3);
	big[sizeof(big) - 1] = '\0';
	j = guest_junit_parse(big, strlen(big));
	assert_non_null(j);
	assert_true(
	    strlen(jx_str(json_array_get(json_object_get(j, "cases"), 0),
	                  "name")) <= 512);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_guest_junit_pytest_outcomes),
	    cmocka_unit_test(test_guest_junit_rejects_non_junit),
	    cmocka_unit_test(test_guest_junit_hostile),
	};

	log_set_prog("test_guest_junit");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
