/*
 * Unit tests for common/pep440.c: parsing, normalization, ordering, keys
 * that outgrow the struct, limits, and specifier sets. The differential
 * tests against python3-packaging are tests/t/t0110 and t0130; these pin
 * the API and the cases worth reading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pep440.h"

static char *
norm(const char *s)
{
	static char out[512];
	struct buf b = BUF_INIT(0);
	struct pep440_version v;
	int r = pep440_parse_str(&v, s);

	if (r == 0)
		r = pep440_normalize(&v, &b);
	snprintf(out, sizeof(out), "%s", r ? "invalid" : buf_cstr(&b));
	pep440_release(&v);
	buf_release(&b);
	return out;
}

static int
cmp(const char *a, const char *b)
{
	struct pep440_version x, y;
	int r;

	pep440_parse_str(&x, a);
	pep440_parse_str(&y, b);
	r = pep440_compare(&x, &y);
	pep440_release(&x);
	pep440_release(&y);
	return r < 0 ? -1 : r > 0;
}

static int
contains(const char *spec, const char *version, enum pep440_prerelease pre)
{
	struct pep440_spec *s;
	struct pep440_version v;
	int r;

	if (pep440_spec_parse(spec, SIZE_MAX, 0, &s))
		return -1;
	pep440_parse_str(&v, version);
	r = pep440_spec_contains(s, &v, pre);
	pep440_release(&v);
	pep440_spec_free(s);
	return r;
}

/* A specifier, a version, the pre-release policy, and contains()'s answer. */
struct contains_case {
	const char *spec, *version;
	enum pep440_prerelease pre;
	int want;
};

static void
check_contains(const struct contains_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int got = contains(c[i].spec, c[i].version, c[i].pre);

		if (got != c[i].want)
			fail_msg("'%s' contains '%s' (prereleases %d): %d, not %d",
			         c[i].spec, c[i].version, (int)c[i].pre, got,
			         c[i].want);
	}
}

static void
test_pep440_normalize_spellings(void **state)
{
	assert_string_equal(norm("v1.0-ALPHA1-2"), "1.0a1.post2");
	assert_string_equal(norm("1.0-1"), "1.0.post1");
	assert_string_equal(norm("1.0c1"), "1.0rc1");
	assert_string_equal(norm("1.0.preview.3"), "1.0rc3");
	assert_string_equal(norm("1.0-rev"), "1.0.post0");
	assert_string_equal(norm("1.0_dev"), "1.0.dev0");
	assert_string_equal(norm("00!01.002+ABC.007"), "1.2+abc.7");
	assert_string_equal(norm(" \t1.0\n"), "1.0");
	assert_string_equal(norm("1.0a."), "1.0a0");
}

static void
test_pep440_parse_invalid_kept(void **state)
{
	struct pep440_version v;

	assert_int_equal(pep440_parse_str(&v, "2.0.0-SNAPSHOT"),
	                 PEP440_INVALID);
	assert_false(pep440_valid(&v));
	assert_string_equal(v.text, "2.0.0-SNAPSHOT");
	assert_int_equal(v.len, 14);
	pep440_release(&v);
	assert_string_equal(norm("1.0-"), "invalid");
	assert_string_equal(norm("1..0"), "invalid");
	assert_string_equal(norm("1.0+"), "invalid");
	assert_string_equal(norm(""), "invalid");
	/* Non-ASCII letters that Python's IGNORECASE would fold. */
	assert_string_equal(norm("1.0+\xe2\x84\xaa"), "invalid");
}

static void
test_pep440_parse_embedded_nul(void **state)
{
	struct pep440_version v;

	assert_int_equal(pep440_parse(&v, "1.0\0", 4), PEP440_INVALID);
	pep440_release(&v);
}

static void
test_pep440_compare_order(void **state)
{
	static const char *const order[] = {
	    "0.9",         "1.0.dev0",  "1.0a1.dev1", "1.0a1",
	    "1.0a2.post1", "1.0b1",     "1.0rc1",     "1.0",
	    "1.0+abc",     "1.0+abc.1", "1.0+1",      "1.0.post1.dev1",
	    "1.0.post1",   "1.0.1",     "1.1",        "1!0.1",
	};
	size_t n = sizeof(order) / sizeof(order[0]);

	for (size_t i = 0; i + 1 < n; i++) {
		assert_int_equal(cmp(order[i], order[i + 1]), -1);
		assert_int_equal(cmp(order[i + 1], order[i]), 1);
	}
	assert_int_equal(cmp("1.0", "1.0.0.0"), 0);
	assert_int_equal(cmp("1.0-1", "1.0.post1"), 0);
	assert_int_equal(cmp("1.0+01", "1.0+1"), 0);
}

static void
test_pep440_compare_beyond_64_bits(void **state)
{
	assert_int_equal(cmp("18446744073709551616", "18446744073709551615"),
	                 1);
	assert_int_equal(cmp("1.000099999999999999999999999", "1.99999999999"
	                                                      "999999999999"),
	                 0);
	assert_int_equal(
	    cmp("1.0a99999999999999999999999", "1.0a100000000000000000000000"),
	    -1);
}

static void
test_pep440_compare_invalid_first(void **state)
{
	assert_int_equal(cmp("foo", "0"), -1);
	assert_int_equal(cmp("bar", "foo"), -1);
}

static void
test_pep440_long_key_on_heap(void **state)
{
	char s[2048 + 3];
	struct pep440_version a, b;
	size_t n = 0;

	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%d.", i % 97 + 1);
	s[n - 1] = '\0';
	assert_int_equal(pep440_parse_str(&a, s), 0);
	assert_non_null(a.key_heap);
	memcpy(s + n - 1, ".1", 3);
	assert_int_equal(pep440_parse_str(&b, s), 0);
	assert_true(pep440_compare(&a, &b) < 0);
	pep440_release(&a);
	pep440_release(&b);
}

static void
test_pep440_digit_limit(void **state)
{
	char *s = malloc(PEP440_MAX_DIGITS + 8);

	memset(s, '7', PEP440_MAX_DIGITS);
	s[PEP440_MAX_DIGITS] = '\0';
	assert_string_not_equal(norm(s), "invalid");
	memset(s, '7', PEP440_MAX_DIGITS + 1);
	s[PEP440_MAX_DIGITS + 1] = '\0';
	assert_string_equal(norm(s), "invalid");
	free(s);
}

static void
test_pep440_normalize_buf_full(void **state)
{
	struct buf b = BUF_INIT(3);
	struct pep440_version v;

	pep440_parse_str(&v, "1.0.post1");
	assert_int_equal(pep440_normalize(&v, &b), BUF_FULL);
	pep440_release(&v);
	buf_release(&b);
}

static void
test_pep440_spec_operators(void **state)
{
	static const struct contains_case cases[] = {
	    {">=1.0,<2", "1.5", PEP440_PRE_DEFAULT, 1},
	    {">=1.0,<2", "2.0", PEP440_PRE_DEFAULT, 0},
	    {"~=2.2", "2.9", PEP440_PRE_DEFAULT, 1},
	    {"~=2.2", "3.0", PEP440_PRE_DEFAULT, 0},
	    {"~=2.2.0", "2.3", PEP440_PRE_DEFAULT, 0},
	    {"==1.0.*", "1.0.5+local", PEP440_PRE_DEFAULT, 1},
	    {"==1.0.*", "1", PEP440_PRE_DEFAULT, 1},
	    {"==1.0", "1.0+anything", PEP440_PRE_DEFAULT, 1},
	    {"==1.0+a", "1.0+b", PEP440_PRE_DEFAULT, 0},
	    {"!=1.0.*", "1.0.1", PEP440_PRE_DEFAULT, 0},
	    {"===1.0", "1.0", PEP440_PRE_DEFAULT, 1},
	    {"===1.0", "1.0.0", PEP440_PRE_DEFAULT, 0},
	    {">=1.0", "not-a-version", PEP440_PRE_DEFAULT, PEP440_INVALID},
	};

	check_contains(cases, sizeof(cases) / sizeof(*cases));
}

static void
test_pep440_spec_exclusive_rules(void **state)
{
	static const struct contains_case cases[] = {
	    {"<3.1", "3.1.dev0", PEP440_PRE_ALLOW, 0},
	    {"<3.1", "3.0.dev0", PEP440_PRE_ALLOW, 1},
	    {"<3.1rc1", "3.1a1", PEP440_PRE_ALLOW, 1},
	    {">3.1", "3.1.post1", PEP440_PRE_ALLOW, 0},
	    {">3.1.post1", "3.1.post2", PEP440_PRE_ALLOW, 1},
	    {">3.1", "3.1+local", PEP440_PRE_ALLOW, 0},
	    {">3.1", "3.2.post1", PEP440_PRE_ALLOW, 1},
	};

	check_contains(cases, sizeof(cases) / sizeof(*cases));
}

static void
test_pep440_spec_prerelease_rules(void **state)
{
	static const struct contains_case cases[] = {
	    {">=1.0", "2.0a1", PEP440_PRE_DEFAULT, 0},
	    {">=1.0", "2.0a1", PEP440_PRE_ALLOW, 1},
	    {">=1.0a1", "2.0a1", PEP440_PRE_DEFAULT, 1},
	    {">=1.0a1", "2.0a1", PEP440_PRE_DENY, 0},
	    {"<1.0a1", "0.9b1", PEP440_PRE_DEFAULT, 0},
	    {"", "1.0", PEP440_PRE_DEFAULT, 1},
	    {"", "1.0.dev1", PEP440_PRE_DEFAULT, 0},
	    /* Documented difference: packaging raises InvalidVersion here. */
	    {"===foobar", "1.0", PEP440_PRE_DEFAULT, 0},
	};

	check_contains(cases, sizeof(cases) / sizeof(*cases));
}

static void
test_pep440_spec_compatible_quirks(void **state)
{
	static const struct contains_case cases[] = {
	    /* packaging splits the spec text: "3c1" is not a suffix it knows. */
	    {"~=1.2.3c1", "1.2.4", PEP440_PRE_ALLOW, 0},
	    {"~=1.2.3rc1", "1.2.4", PEP440_PRE_ALLOW, 1},
	    {"~=1!1.2", "1!1.5", PEP440_PRE_ALLOW, 1},
	    {"~=1!1.2", "1.5", PEP440_PRE_ALLOW, 0},
	};

	check_contains(cases, sizeof(cases) / sizeof(*cases));
}

static void
test_pep440_spec_invalid(void **state)
{
	static const char *const bad[] = {
	    "1.0",   "=>1",    ">=1.0+abc", "~=1", "~=1.*", "==1.0a1.*",
	    ">=1.*", ">=1.0;", "===a b",    "==",  "<>1",   ">=1,foo",
	};
	struct pep440_spec *s = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pep440_spec_parse(bad[i], SIZE_MAX, 0, &s),
		                 PEP440_INVALID);
	assert_null(s);
}

static void
test_pep440_spec_single(void **state)
{
	struct pep440_spec *s;

	assert_int_equal(
	    pep440_spec_parse("===1.0,2", SIZE_MAX, PEP440_SPEC_SINGLE, &s), 0);
	assert_int_equal(pep440_spec_count(s), 1);
	pep440_spec_free(s);
	assert_int_equal(
	    pep440_spec_parse("", SIZE_MAX, PEP440_SPEC_SINGLE, &s),
	    PEP440_INVALID);
	assert_int_equal(pep440_spec_parse(" , ,", SIZE_MAX, 0, &s), 0);
	assert_int_equal(pep440_spec_count(s), 0);
	pep440_spec_free(s);
	pep440_spec_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pep440_normalize_spellings),
	    cmocka_unit_test(test_pep440_parse_invalid_kept),
	    cmocka_unit_test(test_pep440_parse_embedded_nul),
	    cmocka_unit_test(test_pep440_compare_order),
	    cmocka_unit_test(test_pep440_compare_beyond_64_bits),
	    cmocka_unit_test(test_pep440_compare_invalid_first),
	    cmocka_unit_test(test_pep440_long_key_on_heap),
	    cmocka_unit_test(test_pep440_digit_limit),
	    cmocka_unit_test(test_pep440_normalize_buf_full),
	    cmocka_unit_test(test_pep440_spec_operators),
	    cmocka_unit_test(test_pep440_spec_exclusive_rules),
	    cmocka_unit_test(test_pep440_spec_prerelease_rules),
	    cmocka_unit_test(test_pep440_spec_compatible_quirks),
	    cmocka_unit_test(test_pep440_spec_invalid),
	    cmocka_unit_test(test_pep440_spec_single),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
