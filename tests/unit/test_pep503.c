/* Unit tests for common/pep503.c: name normalization and validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "pep503.h"

static void
test_pep503_normalize_to_runs(void **state)
{
	char out[64];
	const char *in = "Foo-_.-Bar__baz.QUX";

	assert_int_equal(pep503_normalize_to(out, in, strlen(in)), 15);
	assert_string_equal(out, "foo-bar-baz-qux");
}

static void
test_pep503_normalize_to_in_place(void **state)
{
	char s[] = "Zope__Interface";

	pep503_normalize_to(s, s, strlen(s));
	assert_string_equal(s, "zope-interface");
}

static void
test_pep503_normalize_buf_full(void **state)
{
	struct buf b = BUF_INIT(4);

	assert_int_equal(pep503_normalize("abcdef", 6, &b), BUF_FULL);
	assert_int_equal(b.len, 0);
	assert_int_equal(pep503_normalize("A.b", 3, &b), 0);
	assert_string_equal(buf_cstr(&b), "a-b");
	buf_release(&b);
}

static void
test_pep503_valid_cases(void **state)
{
	assert_true(pep503_valid("a", 1));
	assert_true(pep503_valid("ruamel.yaml.clib", 16));
	assert_true(pep503_valid("A_B-C.9", 7));
	assert_false(pep503_valid("", 0));
	assert_false(pep503_valid("_foo", 4));
	assert_false(pep503_valid("foo-", 4));
	assert_false(pep503_valid("foo bar", 7));
	assert_false(pep503_valid("f\xc3\xa9", 3));
	assert_false(pep503_valid("a\0b", 3));
}

static void
test_pep503_valid_too_long(void **state)
{
	char name[PEP503_MAX_LEN + 2];

	memset(name, 'a', sizeof(name));
	assert_true(pep503_valid(name, PEP503_MAX_LEN));
	assert_false(pep503_valid(name, PEP503_MAX_LEN + 1));
}

static void
test_pep503_equal_cases(void **state)
{
	assert_true(pep503_equal("Foo_Bar", 7, "foo-bar", 7));
	assert_true(pep503_equal("foo..bar", 8, "FOO_bar", 7));
	assert_false(pep503_equal("foobar", 6, "foo-bar", 7));
	assert_false(pep503_equal("foo", 3, "foo-", 4));
	assert_true(pep503_equal("", 0, "", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pep503_normalize_to_runs),
	    cmocka_unit_test(test_pep503_normalize_to_in_place),
	    cmocka_unit_test(test_pep503_normalize_buf_full),
	    cmocka_unit_test(test_pep503_valid_cases),
	    cmocka_unit_test(test_pep503_valid_too_long),
	    cmocka_unit_test(test_pep503_equal_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
