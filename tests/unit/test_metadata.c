/* Unit tests for common/metadata.c: header scanning, folding, the body,
 * address lists, the JSON form and the limits. The data-driven cases on
 * real files are tests/t/t0158-pep-metadata.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "metadata.h"

static void
test_meta_parse_fields_and_body(void **state)
{
	const char *t = "Name: foo\nRequires-Dist: a\nrequires-dist: b\n"
	                "Summary: one\n two\n\nthe body\n";
	struct meta m;
	size_t pos = 0;

	assert_int_equal(meta_parse(&m, t, strlen(t)), 0);
	assert_string_equal(meta_get(&m, "NAME"), "foo");
	assert_string_equal(meta_get(&m, "Summary"), "one two");
	assert_string_equal(meta_next(&m, "Requires-Dist", &pos), "a");
	assert_string_equal(meta_next(&m, "Requires-Dist", &pos), "b");
	assert_null(meta_next(&m, "Requires-Dist", &pos));
	assert_string_equal(m.body, "the body\n");
	assert_int_equal(m.nerrors, 0);
	meta_release(&m);
}

static void
test_meta_parse_missing_colon_starts_body(void **state)
{
	const char *t = "Name: foo\nno colon here\nVersion: 1\n";
	struct meta m;

	assert_int_equal(meta_parse(&m, t, strlen(t)), 0);
	assert_null(meta_get(&m, "Version"));
	assert_string_equal(m.body, "no colon here\nVersion: 1\n");
	assert_int_equal(m.nerrors, 1);
	meta_release(&m);
}

static void
test_meta_parse_bad_utf8_and_nul(void **state)
{
	const char t[] = "Author: a\xff\x00z\n";
	struct meta m;

	assert_int_equal(meta_parse(&m, t, sizeof(t) - 1), 0);
	assert_string_equal(meta_get(&m, "Author"),
	                    "a\xef\xbf\xbd\xef\xbf\xbdz");
	assert_int_equal(m.nerrors, 1);
	meta_release(&m);
}

static void
test_meta_parse_limits(void **state)
{
	struct buf b = BUF_INIT(0);
	struct meta m;

	for (int i = 0; i <= META_MAX_FIELDS; i++)
		buf_addf(&b, "X: %d\n", i);
	assert_int_equal(meta_parse(&m, b.data, b.len), -1);
	meta_release(&m);
	assert_int_equal(meta_parse(&m, b.data, (size_t)META_MAX_BYTES + 1),
	                 -1);
	meta_release(&m);
	buf_release(&b);
}

static void
test_meta_addresses_forms(void **state)
{
	struct meta_addr *a;
	size_t n = meta_addresses("\"Doe, Jane\" <jane@x.org>, bob@y.org "
	                          "(Bob), , Ann <ann@z.org>, plain@w.org",
	                          &a);

	assert_int_equal(n, 4);
	assert_string_equal(a[0].name, "Doe, Jane");
	assert_string_equal(a[0].email, "jane@x.org");
	assert_string_equal(a[1].name, "Bob");
	assert_string_equal(a[1].email, "bob@y.org");
	assert_string_equal(a[2].name, "Ann");
	assert_string_equal(a[3].name, "");
	assert_string_equal(a[3].email, "plain@w.org");
	meta_addrs_free(a, n);
	assert_int_equal(meta_addresses("  ,  ", &a), 0);
	assert_null(a);
}

static void
test_meta_to_json_keys(void **state)
{
	const char *t = "Metadata-Version: 2.1\nName: foo\nKeywords: a, b\n"
	                "Project-URL: Home, https://x\nDynamic: License\n"
	                "Name: again\nX-Thing: 1\n";
	struct meta m;
	json_t *j;

	assert_int_equal(meta_parse(&m, t, strlen(t)), 0);
	j = meta_to_json(&m);
	assert_string_equal(
	    json_string_value(json_object_get(j, "metadata_version")), "2.1");
	assert_null(json_object_get(j, "name")); /* given twice */
	assert_int_equal(json_array_size(json_object_get(
	                     json_object_get(j, "unparsed"), "Name")),
	                 2);
	assert_int_equal(json_array_size(json_object_get(j, "keywords")), 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "project_urls"), "Home")),
	                    "https://x");
	assert_int_equal(json_array_size(json_object_get(j, "dynamic")), 1);
	json_decref(j);
	meta_release(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_meta_parse_fields_and_body),
	    cmocka_unit_test(test_meta_parse_missing_colon_starts_body),
	    cmocka_unit_test(test_meta_parse_bad_utf8_and_nul),
	    cmocka_unit_test(test_meta_parse_limits),
	    cmocka_unit_test(test_meta_addresses_forms),
	    cmocka_unit_test(test_meta_to_json_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
