/*
 * Pure decisions behind the package outcome, kept apart from the tasks so
 * the host unit tests can check each one (tests/unit/test_guest_verdict.c):
 * which file names pip accepts as a distribution, what pytest's exit
 * status means, what a failed build lacked, which delivered dependency a
 * pip run missed, and how the job's deadline is shared among the tasks.
 */
#ifndef PYTI_GUEST_VERDICT_H
#define PYTI_GUEST_VERDICT_H

#include <stddef.h>
#include <stdint.h>

enum guest_dist_kind {
	GUEST_DIST_WHEEL,
	GUEST_DIST_SDIST, /* an archive pip accepts as an sdist */
	GUEST_DIST_OTHER, /* pip refuses it: invalid_dist */
};

/* By file name, as pip's own list of archive extensions: .whl; .zip,
 * .tar.gz, .tgz, .tar, .tar.bz2, .tbz, .tar.xz, .txz, .tlz, .tar.lz,
 * .tar.lzma (case-insensitive). */
enum guest_dist_kind guest_dist_kind(const char *name);

/* What pytest's exit status says, as the package outcome and whether the
 * task failed for the package's reasons. */
struct guest_pytest_verdict {
	const char *outcome; /* passed, tests_failed, tests_interrupted,
				(tests_deps_missing: see below),
				tests_internal_error, tests_usage_error,
				no_tests */
	int package_fault; /* 1: the package's tests failed; 0: pytest or
			      its configuration could not run them */
	const char *meaning; /* one line for the reason */
};
struct guest_pytest_verdict guest_pytest_verdict(int status);

/*
 * Whether pytest's collection errors are all test modules, conftest
 * files or the plugins they name importing a module that is not
 * installed -- "No module named 'X'" in every "ERROR collecting", "ImportError
 * while loading conftest" and "Error importing plugin" block of the log
 * (len bytes and a NUL after
 * them), X's top-level name none of the distribution's own (own[0..nown))
 * -- so the tests could not run for a test dependency the job lacks,
 * not for the package. Returns 1 and the names (", "-separated, at most
 * five) in what; 0 when any error is something else or there is none.
 */
int guest_pytest_missing_modules(const char *log, size_t len,
                                 const char *const *own, int nown,
                                 char *what, size_t n);

/* The counts of a unittest run (`python -m unittest`'s closing lines). */
struct guest_unittest_totals {
	long tests, failed, errors, skipped;
	double seconds;
	/* discovery's import failures of modules that are not test modules
	 * (a package imported to look inside it, its last name not test*):
	 * unittest counts each as a test in error; here they are taken out
	 * of tests and errors and counted apart */
	long not_tests;
};

/*
 * Read the summary unittest writes last, from the run's output (len
 * bytes and a NUL after them): "Ran N tests in X.XXXs", then
 * "OK", "OK (skipped=S)" or "FAILED (failures=F, errors=E, skipped=S)"
 * (expected failures count as passed, unexpected successes as failed).
 * The last "Ran" line counts, so a test printing one cannot fake an
 * earlier total. Discovery's "ERROR: NAME (unittest.loader._FailedTest
 * .NAME)" of a NAME whose last part does not start with "test" is not a
 * test (t->not_tests). Returns 0 and fills *t, or -1 when there is no
 * summary (the run did not get that far).
 */
int guest_unittest_summary(const char *out, size_t len,
                           struct guest_unittest_totals *t);

/*
 * What a failed build needed that no platform has, from its log: a Rust
 * toolchain, a C header or library of a system package, a pkg-config
 * module, a Fortran compiler, a program (cmake, go...). Returns the kind
 * ("rust", "header", "library", "pkg-config", "fortran", "program") with
 * the missing thing in what (e.g. "libxml/parser.h"), or NULL.
 */
const char *guest_build_needs(const char *log, char *what, size_t n);

/*
 * Whether a test run's output (len bytes and a NUL after them) says
 * coverage.py -- pyti's measurement, the platform's version -- refused the
 * project's configuration before any test ran: "Unrecognized option
 * '[report] exclude_also=' in config file .coveragerc" (an option newer
 * than the platform's coverage), "Couldn't read 'x' as a config file",
 * "Can't read 'pyproject.toml' without TOML support". 1 or 0.
 */
int guest_coverage_refused(const char *log, size_t len);

/* The requirement a pip run could not find among the delivered files
 * ("No matching distribution found for X"), in name; 1 if any, else 0. */
int guest_pip_missing(const char *log, char *name, size_t n);

/*
 * Share budget_ms among n tasks: task i keeps its own limit timeout_ms[i]
 * when the enabled tasks' limits fit the budget, else gets the share
 * permille[i] of it (shares of enabled tasks renormalised; at least
 * 1 s), never more than its own limit. Disabled tasks are left alone.
 */
void guest_fit_deadline(int64_t budget_ms, int *timeout_ms, const int *permille,
                        const int *enabled, size_t n);

/*
 * Where pytest is pointed for tests inside the package (<top>/<sub>,
 * installed under site, or copied there from the sdist). pytest loads a
 * conftest.py only from the directories above what it collects, so when
 * the sdist's root conftest.py sits in testrun (the rootdir) the tests
 * are reached through testrun/<top>, a link to the installed package:
 * the root conftest is then on pytest's way down, as in the project's
 * own checkout, and the package's files are still the installed ones.
 * Writes the path to pass to pytest into out and, when a link is
 * needed, its name into link (else link[0] = '\0'). 0, or -1 if a path
 * does not fit or top or sub is not one plain name.
 */
int guest_inpkg_tests(const char *testrun, const char *site, const char *top,
                      const char *sub, int root_conftest, char *out,
                      char *link, size_t n);

/* 1 if the two sha256 hex strings are equal, ignoring case. */
int guest_hex_equal(const char *a, const char *b);

#endif
