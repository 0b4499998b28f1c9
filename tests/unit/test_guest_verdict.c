/* Unit tests for guest/verdict.c: the decisions behind a package outcome
 * that must never blame the package for pyti's gaps -- file names pip
 * accepts, pytest's exit statuses, what a failed build lacked, a
 * dependency that was not delivered, the deadline's shares, and sha256
 * hex compared without regard to case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../guest/verdict.h"

static void
test_guest_dist_kind_as_pip(void **state)
{
	assert_int_equal(guest_dist_kind("a-1.0-py3-none-any.whl"),
	                 GUEST_DIST_WHEEL);
	assert_int_equal(guest_dist_kind("a-1.0.tar.gz"), GUEST_DIST_SDIST);
	/* legacy formats pip accepts were an infrastructure error */
	assert_int_equal(guest_dist_kind("a-1.0.tar.bz2"), GUEST_DIST_SDIST);
	assert_int_equal(guest_dist_kind("a-1.0.tgz"), GUEST_DIST_SDIST);
	assert_int_equal(guest_dist_kind("a-1.0.zip"), GUEST_DIST_SDIST);
	assert_int_equal(guest_dist_kind("a-1.0.tar.xz"), GUEST_DIST_SDIST);
	assert_int_equal(guest_dist_kind("a-1.0.TAR.GZ"), GUEST_DIST_SDIST);
	assert_int_equal(guest_dist_kind("a-1.0.tar"), GUEST_DIST_SDIST);
	/* what pip refuses: invalid_dist, decided by the unpack task */
	assert_int_equal(guest_dist_kind("a-1.0.exe"), GUEST_DIST_OTHER);
	assert_int_equal(guest_dist_kind("a-1.0-py2.7.egg"), GUEST_DIST_OTHER);
	assert_int_equal(guest_dist_kind("a-1.0.rpm"), GUEST_DIST_OTHER);
	assert_int_equal(guest_dist_kind(".whl"), GUEST_DIST_OTHER);
}

/* Collection errors that are only missing test dependencies are told
 * apart from a package whose own modules or tests are broken. */
static void
test_guest_pytest_missing_modules(void **state)
{
	static const char two[] =
	    "==== ERRORS ====\n"
	    "____ ERROR collecting tests/test_a.py ____\n"
	    "tests/test_a.py:12: in <module>\n    import pretend\n"
	    "E   ModuleNotFoundError: No module named 'pretend'\n"
	    "____ ERROR collecting tests/test_b.py ____\n"
	    "E   ModuleNotFoundError: No module named 'hypothesis.strategies'\n"
	    "____ ERROR collecting tests/test_c.py ____\n"
	    "E   ModuleNotFoundError: No module named 'pretend'\n"
	    "=== short test summary info ===\nERROR tests/test_a.py\n";
	static const char own[] =
	    "____ ERROR collecting tests/test_a.py ____\n"
	    "E   ModuleNotFoundError: No module named 'pretend'\n"
	    "____ ERROR collecting tests/test_b.py ____\n"
	    "E   ModuleNotFoundError: No module named 'mypkg._speedups'\n";
	static const char other[] =
	    "____ ERROR collecting tests/test_a.py ____\n"
	    "E   ModuleNotFoundError: No module named 'pretend'\n"
	    "____ ERROR collecting tests/test_b.py ____\n"
	    "E   ImportError: cannot import name 'x' from 'mypkg'\n";
	static const char plugin[] =
	    "  File \".../config/__init__.py\", line 776, in import_plugin\n"
	    "    raise ImportError(\n"
	    "ImportError: Error importing plugin \"mypkg.tests.fixtures\": "
	    "No module named 'path'\n";
	/* Python 3.13 quotes the raising statement whole (setuptools'
	 * fixtures plugin on debian-13) */
	static const char plugin313[] =
	    "  File \".../config/__init__.py\", line 860, in import_plugin\n"
	    "    raise ImportError(\n"
	    "        f'Error importing plugin \"{modname}\": {e.args[0]}'\n"
	    "    ).with_traceback(e.__traceback__) from e\n"
	    "  File \"/t/setuptools/tests/fixtures.py\", line 7, in <module>\n"
	    "    import path\n"
	    "ImportError: Error importing plugin \"setuptools.tests.fixtures\": "
	    "No module named 'path'\n";
	static const char conftest[] =
	    "ImportError while loading conftest '/t/conftest.py'.\n"
	    "conftest.py:3: in <module>\n    import mypkg.missing\n"
	    "E   ModuleNotFoundError: No module named 'mypkg.missing'\n";
	static const char none[] = "1 passed in 0.1s\n";
	const char *tops[] = {"mypkg"};
	char what[64];
	(void)state;
	assert_int_equal(guest_pytest_missing_modules(two, strlen(two), tops, 1,
	                                              what, sizeof(what)),
	                 1);
	assert_string_equal(what, "pretend, hypothesis");
	assert_int_equal(guest_pytest_missing_modules(own, strlen(own), tops, 1,
	                                              what, sizeof(what)),
	                 0);
	assert_int_equal(guest_pytest_missing_modules(
	                     other, strlen(other), tops, 1, what, sizeof(what)),
	                 0);
	assert_int_equal(guest_pytest_missing_modules(plugin, strlen(plugin),
	                                              tops, 1, what, sizeof(what)),
	                 1);
	assert_string_equal(what, "path");
	assert_int_equal(guest_pytest_missing_modules(plugin313,
	                                              strlen(plugin313), tops,
	                                              1, what, sizeof(what)),
	                 1);
	assert_string_equal(what, "path");
	assert_int_equal(guest_pytest_missing_modules(conftest,
	                                              strlen(conftest), tops, 1,
	                                              what, sizeof(what)),
	                 0);
	assert_int_equal(guest_pytest_missing_modules(none, strlen(none), tops,
	                                              1, what, sizeof(what)),
	                 0);
}

/* unittest's closing lines, as Python 3.9-3.13 print them; a test that
 * prints a summary of its own cannot hide the real one (the last wins). */
static void
test_guest_unittest_summary(void **state)
{
	static const struct {
		const char *out;
		int ret;
		long tests, failed, errors, skipped;
	} cases[] = {
	    {"..\n----\nRan 2 tests in 0.003s\n\nOK\n", 0, 2, 0, 0, 0},
	    {"Ran 1 test in 0.000s\n\nOK (skipped=1)\n", 0, 1, 0, 0, 1},
	    {"Ran 9 tests in 1.5s\n\nFAILED (failures=2, errors=1, "
	     "skipped=3)\n",
	     0, 9, 2, 1, 3},
	    {"Ran 4 tests in 0.1s\n\nFAILED (errors=1, unexpected "
	     "successes=1)\n",
	     0, 4, 1, 1, 0},
	    {"Ran 3 tests in 0.1s\n\nOK (expected failures=1)\n", 0, 3, 0, 0,
	     0},
	    {"Ran 0 tests in 0.000s\n\nNO TESTS RAN\n", 0, 0, 0, 0, 0},
	    /* a test printed a fake summary first */
	    {"Ran 100 tests in 1s\n\nOK\n.F\nRan 2 tests in 0.1s\n\n"
	     "FAILED (failures=1)\n",
	     0, 2, 1, 0, 0},
	    /* no summary: killed, or not unittest at all */
	    {"Traceback (most recent call last):\n", -1, 0, 0, 0, 0},
	    {"Ran many tests\n\nOK\n", -1, 0, 0, 0, 0},
	    {"Ran 2 tests in 0.1s\n", -1, 0, 0, 0, 0},
	    {"xRan 2 tests in 0.1s\n\nOK\n", -1, 0, 0, 0, 0},
	    /* discovery imported a package to look in it and the import
	     * failed (docutils without roman): not a test (3.13, 3.9) */
	    {"EE\n====\nERROR: docutils.parsers.rst "
	     "(unittest.loader._FailedTest.docutils.parsers.rst)\n----\n"
	     "ImportError: Failed to import test module\n====\n"
	     "ERROR: docutils.writers (unittest.loader._FailedTest)\n"
	     "----\nRan 2 tests in 0.1s\n\nFAILED (errors=2)\n",
	     0, 0, 0, 0, 0},
	    /* a test module that fails to import stays a test in error */
	    {"EE.\n====\nERROR: tests.test_x "
	     "(unittest.loader._FailedTest.tests.test_x)\n----\n====\n"
	     "ERROR: pkg.sub (unittest.loader._FailedTest.pkg.sub)\n----\n"
	     "Ran 3 tests in 0.1s\n\nFAILED (errors=2)\n",
	     0, 2, 0, 1, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct guest_unittest_totals t;
		int r = guest_unittest_summary(cases[i].out,
		                               strlen(cases[i].out), &t);
		if (r != cases[i].ret)
			print_message("case %zu: %d\n", i, r);
		assert_int_equal(r, cases[i].ret);
		if (r < 0)
			continue;
		assert_int_equal(t.tests, cases[i].tests);
		assert_int_equal(t.failed, cases[i].failed);
		assert_int_equal(t.errors, cases[i].errors);
		assert_int_equal(t.skipped, cases[i].skipped);
	}
}

static void
test_guest_pytest_statuses_are_distinct(void **state)
{
	const char *o[6];

	for (int i = 0; i < 6; i++)
		o[i] = guest_pytest_verdict(i).outcome;
	assert_string_equal(o[0], "passed");
	assert_string_equal(o[1], "tests_failed");
	assert_string_equal(o[2], "tests_interrupted");
	assert_string_equal(o[3], "tests_internal_error");
	assert_string_equal(o[4], "tests_usage_error");
	assert_string_equal(o[5], "no_tests");
	for (int i = 1; i < 6; i++)
		for (int j = 0; j < i; j++)
			assert_string_not_equal(o[i], o[j]);
	/* a usage or internal error is not the package's failure */
	assert_true(guest_pytest_verdict(1).package_fault);
	assert_true(guest_pytest_verdict(2).package_fault);
	assert_false(guest_pytest_verdict(3).package_fault);
	assert_false(guest_pytest_verdict(4).package_fault);
	assert_string_equal(guest_pytest_verdict(139).outcome, "tests_failed");
}

static void
test_guest_build_needs_what_no_platform_has(void **state)
{
	char w[128];

	assert_string_equal(
	    guest_build_needs("running build_rust\nerror: can't find Rust "
	                      "compiler\n\nIf you are using an outdated pip",
	                      w, sizeof(w)),
	    "rust");
	assert_string_equal(
	    guest_build_needs("💥 maturin failed\n  Caused by: Cargo metadata "
	                      "failed. Do you have cargo in your PATH?",
	                      w, sizeof(w)),
	    "rust");
	assert_string_equal(
	    guest_build_needs("src/lxml/etree.c:96:10: fatal error: "
	                      "libxml/xmlversion.h: No such file or "
	                      "directory\n   96 | #include",
	                      w, sizeof(w)),
	    "header");
	assert_string_equal(w, "libxml/xmlversion.h");
	assert_string_equal(guest_build_needs("/usr/bin/ld: cannot find -lpq: "
	                                      "No such file or directory",
	                                      w, sizeof(w)),
	                    "library");
	assert_string_equal(w, "libpq");
	assert_string_equal(
	    guest_build_needs("Package cairo was not found in the pkg-config "
	                      "search path.\nPerhaps you should add",
	                      w, sizeof(w)),
	    "pkg-config");
	assert_string_equal(w, "cairo");
	assert_string_equal(
	    guest_build_needs("sh: 1: cmake: not found\n", w, sizeof(w)),
	    "program");
	assert_string_equal(w, "cmake");
	/* a plain failure of the package's own code is not a platform gap */
	assert_null(guest_build_needs("x.c:3:1: error: expected ';' before "
	                              "'}' token\nerror: command "
	                              "'/usr/bin/gcc' failed",
	                              w, sizeof(w)));
	assert_null(guest_build_needs("fatal error: foo: No such file or "
	                              "directory",
	                              w, sizeof(w)));
	assert_null(
	    guest_build_needs("sh: 1: xcmake: not found", w, sizeof(w)));
}

static void
test_guest_pip_missing_names_the_requirement(void **state)
{
	char n[64];

	assert_int_equal(
	    guest_pip_missing(
	        "Looking in links: /home/pyti/work/in\nERROR: Could not find "
	        "a version that satisfies the requirement hatchling (from "
	        "versions: none)\nERROR: No matching distribution found for "
	        "hatchling\n",
	        n, sizeof(n)),
	    1);
	assert_string_equal(n, "hatchling");
	assert_int_equal(
	    guest_pip_missing("Successfully built x\n", n, sizeof(n)), 0);
	assert_string_equal(n, "");
}

static void
test_guest_fit_deadline_shares(void **state)
{
	int t[4] = {300000, 1200000, 1800000, 10000};
	const int share[4] = {100, 400, 400, 100};
	int on[4] = {1, 1, 1, 1};
	int64_t sum = 0;

	/* everything fits: limits stay */
	guest_fit_deadline(4000000, t, share, on, 4);
	assert_int_equal(t[1], 1200000);
	/* 30 min for 55 min of limits: shares, never above a task's own */
	guest_fit_deadline(1800000, t, share, on, 4);
	assert_int_equal(t[0], 180000);
	assert_int_equal(t[1], 720000);
	assert_int_equal(t[2], 720000);
	assert_int_equal(t[3], 10000);
	for (int i = 0; i < 4; i++)
		sum += t[i];
	assert_true(sum <= 1800000);
	/* a disabled task keeps its limit and takes no share */
	{
		int u[4] = {300000, 1200000, 1800000, 10000};
		int on2[4] = {0, 1, 1, 0};

		guest_fit_deadline(1000000, u, share, on2, 4);
		assert_int_equal(u[0], 300000);
		assert_int_equal(u[1], 500000);
		assert_int_equal(u[2], 500000);
	}
	/* nothing left: a second each, the job deadline does the rest */
	{
		int u[4] = {300000, 1200000, 1800000, 10000};

		guest_fit_deadline(-5, u, share, on, 4);
		assert_int_equal(u[1], 1000);
	}
}

static void
test_guest_hex_equal_ignores_case(void **state)
{
	assert_true(guest_hex_equal("ABCdef0123", "abcDEF0123"));
	assert_false(guest_hex_equal("abc", "abd"));
	assert_false(guest_hex_equal("abc", "abcd"));
	assert_false(guest_hex_equal(NULL, "abc"));
}

/* pytest loads conftest.py files only from the directories above what it
 * collects: with a root conftest, the rootdir must be one of them */
static void
test_guest_inpkg_tests_under_the_root_conftest(void **state)
{
	const char *run = "/w/testrun", *site = "/v/lib/site-packages";
	char out[128], link[128];

	assert_int_equal(guest_inpkg_tests(run, site, "pkg", "tests", 1, out,
	                                   link, sizeof(out)),
	                 0);
	assert_true(!strncmp(out, "/w/testrun/", 11));
	assert_string_equal(out, "/w/testrun/pkg/tests");
	assert_string_equal(link, "/w/testrun/pkg");
	/* no root conftest: straight to the installed package, no link */
	assert_int_equal(guest_inpkg_tests(run, site, "pkg", "test", 0, out,
	                                   link, sizeof(out)),
	                 0);
	assert_string_equal(out, "/v/lib/site-packages/pkg/test");
	assert_string_equal(link, "");
	/* a name that is not one path component, a path too long */
	assert_int_equal(guest_inpkg_tests(run, site, "../etc", "tests", 1, out,
	                                   link, sizeof(out)),
	                 -1);
	assert_int_equal(guest_inpkg_tests(run, site, "pkg", "a/b", 0, out,
	                                   link, sizeof(out)),
	                 -1);
	assert_int_equal(guest_inpkg_tests(run, site, "..", "tests", 1, out,
	                                   link, sizeof(out)),
	                 -1);
	assert_int_equal(
	    guest_inpkg_tests(run, site, "pkg", "tests", 1, out, link, 16), -1);
	assert_string_equal(out, "");
	assert_string_equal(link, "");
}

/* coverage.py (pyti's measurement) refusing the project's config is
 * told apart from the package's own failures. */
static void
test_guest_coverage_refused(void **state)
{
	static const struct {
		const char *log;
		int want;
	} cases[] = {
	    {"Unrecognized option '[report] exclude_also=' in config file "
	     ".coveragerc\n",
	     1},
	    {"x\nCouldn't read 'setup.cfg' as a config file\n", 1},
	    {"Can't read 'pyproject.toml' without TOML support\n", 1},
	    /* the two halves on different lines: not coverage's message */
	    {"E  Unrecognized option '-x'\n' in config file \n", 0},
	    {"FAILED tests/test_a.py::test_x - assert 1 == 2\n", 0},
	    {"", 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_int_equal(
		    guest_coverage_refused(cases[i].log, strlen(cases[i].log)),
		    cases[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_guest_dist_kind_as_pip),
	    cmocka_unit_test(test_guest_pytest_statuses_are_distinct),
	    cmocka_unit_test(test_guest_unittest_summary),
	    cmocka_unit_test(test_guest_coverage_refused),
	    cmocka_unit_test(test_guest_pytest_missing_modules),
	    cmocka_unit_test(test_guest_build_needs_what_no_platform_has),
	    cmocka_unit_test(test_guest_pip_missing_names_the_requirement),
	    cmocka_unit_test(test_guest_fit_deadline_shares),
	    cmocka_unit_test(test_guest_hex_equal_ignores_case),
	    cmocka_unit_test(test_guest_inpkg_tests_under_the_root_conftest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
