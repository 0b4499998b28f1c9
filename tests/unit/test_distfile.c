/* Unit tests for common/distfile.c: wheel and sdist filenames, the valid
 * shapes and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "distfile.h"

static int
wheel(const char *name, struct distfile_wheel *w)
{
	const char *why = NULL;
	int r = distfile_wheel_parse(name, strlen(name), w, &why);

	if (r < 0)
		assert_non_null(why);
	return r;
}

static void
test_distfile_wheel_plain(void **state)
{
	struct distfile_wheel w;

	assert_int_equal(wheel("Foo.Bar-1.0-py2.py3-none-any.whl", &w), 0);
	assert_string_equal(w.name, "foo-bar");
	assert_string_equal(w.version, "1.0");
	assert_int_equal(w.has_build, 0);
	assert_null(w.build_suffix);
	assert_int_equal(w.tags.n, 2);
	distfile_wheel_release(&w);
}

static void
test_distfile_wheel_build_and_version_normalized(void **state)
{
	struct distfile_wheel w;

	assert_int_equal(wheel("foo_bar-V1.0-RC1-012abc-cp39-abi3-"
	                       "manylinux_2_17_x86_64.whl",
	                       &w),
	                 -1);
	assert_int_equal(wheel("foo_bar-1.0.RC1-012abc-cp39-abi3-"
	                       "manylinux_2_17_x86_64.whl",
	                       &w),
	                 0);
	assert_string_equal(w.version, "1.0rc1");
	assert_int_equal(w.has_build, 1);
	assert_int_equal(w.build_number, 12);
	assert_string_equal(w.build_suffix, "abc");
	distfile_wheel_release(&w);
}

static void
test_distfile_wheel_refusals(void **state)
{
	static const char *const bad[] = {
	    "foo-1.0-py3-none-any.zip",
	    "foo-1.0-none-any.whl",
	    "foo-1.0-1-2-py3-none-any.whl",
	    "foo__bar-1.0-py3-none-any.whl",
	    "-1.0-py3-none-any.whl",
	    "foo-bar-1.0-py3-none-any.whl",
	    "foo-1.0-a1-py3-none-any.whl",
	    "foo-1.0--py3-none-any.whl",
	    "foo-1.0-99999999999999999999-py3-none-any.whl",
	    "foo-1.0-py3-none-.whl",
	    "f\xc3\xa9-1.0-py3-none-any.whl",
	    ".whl",
	};
	struct distfile_wheel w;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wheel(bad[i], &w), -1);
}

static void
test_distfile_wheel_too_long(void **state)
{
	char name[DISTFILE_MAX_LEN + 64];
	struct distfile_wheel w;

	memset(name, 'a', sizeof(name));
	memcpy(name + sizeof(name) - 21, "-1.0-py3-none-any.whl", 21);
	assert_int_equal(distfile_wheel_parse(name, sizeof(name), &w, NULL),
	                 -1);
}

static void
test_distfile_sdist_forms(void **state)
{
	struct distfile_sdist s;

	assert_int_equal(
	    distfile_sdist_parse("foo_bar-1.0.tar.gz", 18, NULL, &s, NULL), 0);
	assert_string_equal(s.name, "foo-bar");
	assert_int_equal(s.pep625, 1);
	assert_int_equal(s.format, DISTFILE_TAR_GZ);
	distfile_sdist_release(&s);
	assert_int_equal(
	    distfile_sdist_parse("Foo.Bar-1.0.tar.bz2", 19, NULL, &s, NULL), 0);
	assert_int_equal(s.pep625, 0);
	assert_string_equal(distfile_format_name(s.format), "tar.bz2");
	distfile_sdist_release(&s);
}

static void
test_distfile_sdist_project_split(void **state)
{
	struct distfile_sdist s;
	const char *f = "foo-bar-1.0-1.tar.gz";

	assert_int_equal(distfile_sdist_parse(f, strlen(f), NULL, &s, NULL), 0);
	assert_string_equal(s.name, "foo-bar-1-0");
	distfile_sdist_release(&s);
	assert_int_equal(
	    distfile_sdist_parse(f, strlen(f), "Foo_Bar", &s, NULL), 0);
	assert_string_equal(s.name, "foo-bar");
	assert_string_equal(s.version, "1.0.post1");
	distfile_sdist_release(&s);
	assert_int_equal(distfile_sdist_parse(f, strlen(f), "baz", &s, NULL),
	                 -1);
}

static void
test_distfile_sdist_refusals(void **state)
{
	static const char *const bad[] = {
	    "foo-1.0.tgz",
	    "foo.tar.gz",
	    "-1.0.tar.gz",
	    "foo bar-1.0.zip",
	    "foo-1.0.linux-x86_64.tar.gz",
	    "foo-.tar.gz",
	};
	struct distfile_sdist s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(distfile_sdist_parse(bad[i], strlen(bad[i]),
		                                      NULL, &s, NULL),
		                 -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_distfile_wheel_plain),
	    cmocka_unit_test(test_distfile_wheel_build_and_version_normalized),
	    cmocka_unit_test(test_distfile_wheel_refusals),
	    cmocka_unit_test(test_distfile_wheel_too_long),
	    cmocka_unit_test(test_distfile_sdist_forms),
	    cmocka_unit_test(test_distfile_sdist_project_split),
	    cmocka_unit_test(test_distfile_sdist_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
