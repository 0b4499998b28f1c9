/* Unit tests for common/pep508.c: requirement parsing, marker parsing,
 * evaluation (versions, strings, extras, precedence), str() forms and the
 * hostile-input bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "pep508.h"

static struct pep508_env env;

static int
setup(void **state)
{
	return pep508_env_cpython(&env, "3.11", NULL, "linux", NULL);
}

/* Evaluate marker text for env; -1 when it does not parse. */
static int
eval(const char *text)
{
	struct pep508_marker *m;
	struct pep508_error err;
	int r;

	if (pep508_marker_parse(text, strlen(text), &m, &err) < 0)
		return -1;
	r = pep508_marker_eval(m, &env);
	pep508_marker_free(m);
	return r;
}

static void
test_pep508_env_defaults(void **state)
{
	assert_string_equal(env.v[PEP508_PYTHON_FULL_VERSION], "3.11.0");
	assert_string_equal(env.v[PEP508_OS_NAME], "posix");
	assert_int_equal(pep508_env_cpython(&(struct pep508_env){0}, "3.11",
	                                    NULL, "plan9", NULL),
	                 -1);
}

static void
test_pep508_marker_versions(void **state)
{
	assert_int_equal(eval("python_version >= \"3.8\""), 1);
	assert_int_equal(eval("python_version < '3.8'"), 0);
	assert_int_equal(eval("python_version == '3.11.*'"), 1);
	assert_int_equal(eval("python_full_version < '3.11.1'"), 1);
	assert_int_equal(eval("'3.12' > python_version"), 1);
	/* Version comparison of a non-version left side is false. */
	assert_int_equal(eval("platform_release >= '5'"), 0);
}

static void
test_pep508_marker_strings_and_undefined(void **state)
{
	assert_int_equal(eval("sys_platform == 'linux'"), 1);
	assert_int_equal(eval("'lin' in sys_platform"), 1);
	assert_int_equal(eval("python_version not in '3.10 3.12'"), 1);
	assert_int_equal(eval("os_name < 'q'"), 1);
	assert_int_equal(eval("os_name ~= 'posix'"), PEP508_UNDEFINED);
	/* Undefined anywhere poisons the result, as packaging raises. */
	assert_int_equal(eval("os_name == 'posix' or os_name ~= 'x'"),
	                 PEP508_UNDEFINED);
}

static void
test_pep508_marker_precedence(void **state)
{
	assert_int_equal(eval("os_name == 'nt' and os_name == 'nt' or "
	                      "os_name == 'posix'"),
	                 1);
	assert_int_equal(eval("os_name == 'posix' or os_name == 'nt' and "
	                      "os_name == 'nt'"),
	                 1);
	assert_int_equal(eval("(os_name == 'posix' or os_name == 'nt') and "
	                      "os_name == 'nt'"),
	                 0);
}

static void
test_pep508_marker_extras(void **state)
{
	const char *extras[] = {"docs", "Tests_No.Zope"};
	struct pep508_marker *m;
	const char *t = "extra == 'tests-no-zope'";

	assert_int_equal(pep508_marker_parse(t, strlen(t), &m, NULL), 0);
	assert_int_equal(pep508_marker_eval_extras(m, &env, NULL, 0), 0);
	assert_int_equal(pep508_marker_eval_extras(m, &env, extras, 1), 0);
	assert_int_equal(pep508_marker_eval_extras(m, &env, extras, 2), 1);
	pep508_marker_free(m);
}

static void
test_pep508_marker_syntax_errors(void **state)
{
	static const char *const bad[] = {
	    "",
	    "python_version",
	    "python_version >=",
	    "python_version = '3'",
	    "python_version >= '3.8' and",
	    "(python_version >= '3.8'",
	    "python_version >= '3.8')",
	    "python_version >= '3.8",
	    "python_versionx == '3'",
	    "python_version>'3'andos_name=='nt'",
	    "os_name not  'x'",
	};
	struct pep508_marker *m;
	struct pep508_error err = {NULL, 0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg = NULL;
		assert_int_equal(
		    pep508_marker_parse(bad[i], strlen(bad[i]), &m, &err), -1);
		assert_non_null(err.msg);
		assert_true(err.pos <= strlen(bad[i]));
	}
}

static void
test_pep508_marker_depth_bound(void **state)
{
	char s[PEP508_MAX_DEPTH * 2 + 64];
	size_t n = 0;
	struct pep508_marker *m;
	struct pep508_error err;

	for (int i = 0; i < PEP508_MAX_DEPTH + 1; i++)
		s[n++] = '(';
	memcpy(s + n, "os_name == 'x'", 14);
	n += 14;
	for (int i = 0; i < PEP508_MAX_DEPTH + 1; i++)
		s[n++] = ')';
	assert_int_equal(pep508_marker_parse(s, n, &m, &err), -1);
	assert_string_equal(err.msg, "markers nested too deeply");
	/* One level less is fine. */
	assert_int_equal(pep508_marker_parse(s + 1, n - 2, &m, &err), 0);
	pep508_marker_free(m);
}

static void
test_pep508_marker_str(void **state)
{
	const char *t = "(os.name=='posix'and extra=='Foo_Bar')or "
	                "python_implementation=='CPython'";
	struct pep508_marker *m;
	char *s;

	assert_int_equal(pep508_marker_parse(t, strlen(t), &m, NULL), 0);
	s = pep508_marker_str(m);
	assert_string_equal(s,
	                    "(os_name == \"posix\" and extra == \"foo-bar\") "
	                    "or platform_python_implementation == "
	                    "\"CPython\"");
	free(s);
	pep508_marker_free(m);
}

static void
test_pep508_req_full(void **state)
{
	const char *t = "requests [ socks , security ] ( >=2.8 , <3 ) ; "
	                "python_version >= '3.8'";
	struct pep508_req *r;

	assert_int_equal(pep508_req_parse(t, strlen(t), &r, NULL), 0);
	assert_string_equal(r->name, "requests");
	assert_int_equal(r->nextras, 2);
	assert_string_equal(r->extras[0], "security");
	assert_string_equal(r->specifier, "<3,>=2.8");
	assert_null(r->url);
	assert_non_null(r->marker);
	pep508_req_free(r);
}

static void
test_pep508_req_url(void **state)
{
	const char *t = "foo @ https://x.org/foo.whl ; os_name == 'nt'";
	struct pep508_req *r;

	assert_int_equal(pep508_req_parse(t, strlen(t), &r, NULL), 0);
	assert_string_equal(r->url, "https://x.org/foo.whl");
	assert_string_equal(r->specifier, "");
	pep508_req_free(r);
	t = "foo @ notaurl";
	assert_int_equal(pep508_req_parse(t, strlen(t), &r, NULL), -1);
	t = "foo @ file:///tmp/x";
	assert_int_equal(pep508_req_parse(t, strlen(t), &r, NULL), 0);
	pep508_req_free(r);
}

static void
test_pep508_req_errors(void **state)
{
	static const char *const bad[] = {
	    "",         "-foo",        "foo-",     "foo[",
	    "foo[a b]", "foo[a,]",     "foo (>=1", "foo>=1.0 bar",
	    "foo~=1",   "foo>=1.0abc", "foo;",     "foo @",
	};
	struct pep508_req *r;
	struct pep508_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg = NULL;
		assert_int_equal(
		    pep508_req_parse(bad[i], strlen(bad[i]), &r, &err), -1);
		assert_non_null(err.msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pep508_env_defaults),
	    cmocka_unit_test(test_pep508_marker_versions),
	    cmocka_unit_test(test_pep508_marker_strings_and_undefined),
	    cmocka_unit_test(test_pep508_marker_precedence),
	    cmocka_unit_test(test_pep508_marker_extras),
	    cmocka_unit_test(test_pep508_marker_syntax_errors),
	    cmocka_unit_test(test_pep508_marker_depth_bound),
	    cmocka_unit_test(test_pep508_marker_str),
	    cmocka_unit_test(test_pep508_req_full),
	    cmocka_unit_test(test_pep508_req_url),
	    cmocka_unit_test(test_pep508_req_errors),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
