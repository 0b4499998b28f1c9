/*
 * Decisions behind the package outcome (verdict.h). Everything here reads
 * text the package influenced (build logs): bounded searches only.
 */
#include "verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n > k && !strcasecmp(s + n - k, suf);
}

enum guest_dist_kind
guest_dist_kind(const char *name)
{
	static const char *const sdist[] = {
	    ".zip",    ".tar.gz", ".tgz", ".tar",    ".tar.bz2",  ".tbz",
	    ".tar.xz", ".txz",    ".tlz", ".tar.lz", ".tar.lzma", NULL};

	if (ends_with(name, ".whl"))
		return GUEST_DIST_WHEEL;
	for (int i = 0; sdist[i]; i++)
		if (ends_with(name, sdist[i]))
			return GUEST_DIST_SDIST;
	return GUEST_DIST_OTHER;
}

struct guest_pytest_verdict
guest_pytest_verdict(int status)
{
	/* pytest's exit codes 0-5, in order */
	static const struct guest_pytest_verdict known[] = {
	    {"passed", 1, "all tests passed"},
	    {"tests_failed", 1, "some tests failed"},
	    {"tests_interrupted", 1,
	     "pytest was interrupted (errors during collection): "
	     "not every test ran"},
	    {"tests_internal_error", 0,
	     "pytest stopped on an internal error (pytest or a plugin), not "
	     "a test failure"},
	    {"tests_usage_error", 0,
	     "pytest could not use its command line or the project's pytest "
	     "configuration (an option of a plugin that is not installed?)"},
	    {"no_tests", 0, "pytest collected no tests"},
	};
	struct guest_pytest_verdict v = {"tests_failed", 1, NULL};

	if (status >= 0 && status < (int)(sizeof known / sizeof known[0]))
		return known[status];
	v.meaning = status > 128 ? "pytest was killed by a signal"
	                         : "pytest ended with an unknown status";
	return v;
}

/* Copy the token that starts at p (up to a char of stop) into what. */
static void
token(const char *p, const char *stop, char *what, size_t n)
{
	size_t k = strcspn(p, stop);

	if (k >= n)
		k = n - 1;
	memcpy(what, p, k);
	what[k] = '\0';
}

/* The first of pytest's error blocks from p on: a test module that did
 * not import, a conftest that did not load, a plugin it names (the
 * raised error's line: Python 3.13 also quotes pytest's own source,
 * f'Error importing plugin "{modname}": ...', in the traceback). */
static const char *
next_error_block(const char *p, const char *e)
{
	static const char *const marks[] = {
	    "ERROR collecting ", "ImportError while loading conftest",
	    "ImportError: Error importing plugin \""};
	const char *best = NULL;

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		const char *m =
		    p < e ? memmem(p, (size_t)(e - p), marks[i], strlen(marks[i]))
		          : NULL;
		if (m && (!best || m < best))
			best = m;
	}
	return best;
}

int
guest_pytest_missing_modules(const char *log, size_t len,
                             const char *const *own, int nown, char *what,
                             size_t n)
{
	static const char nomod[] = "No module named '";
	const char *e = log + len, *p, *next;
	int blocks = 0, names = 0;

	what[0] = '\0';
	p = next_error_block(log, e);
	while (p) {
		const char *m, *q;
		char mod[128];
		size_t k;

		next = next_error_block(p + 1, e);
		q = next ? next : e;
		m = memmem(p, (size_t)(q - p), nomod, sizeof(nomod) - 1);
		if (!m)
			return 0; /* an error of another kind */
		m += sizeof(nomod) - 1;
		k = strcspn(m, "'.\n");
		if (!k || k >= sizeof(mod) || m + k >= q)
			return 0;
		memcpy(mod, m, k);
		mod[k] = '\0';
		for (int i = 0; i < nown; i++)
			if (!strcmp(mod, own[i]))
				return 0; /* the package's own module */
		blocks++;
		if (!strstr(what, mod) && names < 5) {
			size_t l = strlen(what);
			snprintf(what + l, n - l, "%s%s", names ? ", " : "", mod);
			names++;
		}
		p = next;
	}
	return blocks > 0;
}

/* The value of "key=N" in the status line [p, e), 0 when absent. */
static long
status_count(const char *p, const char *e, const char *key)
{
	size_t k = strlen(key);

	for (; p + k < e; p++)
		if (!strncmp(p, key, k) && p[k] == '=' &&
		    (p[-1] == '(' || p[-1] == ' '))
			return strtol(p + k + 1, NULL, 10);
	return 0;
}

/*
 * How many of discovery's failed imports in out..e name a module that is
 * not a test module: "ERROR: a.b.c (unittest.loader._FailedTest.a.b.c)"
 * (3.11 on; "(unittest.loader._FailedTest)" before)
 * at the start of a line, c not starting with "test".
 */
static long
discovery_not_tests(const char *out, const char *e)
{
	static const char mark[] = " (unittest.loader._FailedTest";
	long n = 0;

	for (const char *p = out; p < e; p++) {
		const char *name, *end, *last;

		if ((p != out && p[-1] != '\n') || e - p < 7 ||
		    memcmp(p, "ERROR: ", 7))
			continue;
		name = p + 7;
		end = memchr(name, '\n', (size_t)(e - name));
		end = end ? end : e;
		last =
		    memmem(name, (size_t)(end - name), mark, sizeof(mark) - 1);
		if (!last)
			continue;
		end = last;
		for (last = end; last > name && last[-1] != '.'; last--)
			;
		if (end - last < 4 || memcmp(last, "test", 4))
			n++;
	}
	return n;
}

int
guest_unittest_summary(const char *out, size_t len,
                       struct guest_unittest_totals *t)
{
	const char *ran = NULL, *e = out + len, *p, *st, *se;
	char num[32];

	memset(t, 0, sizeof(*t));
	for (p = out; p < e; p++) {
		if ((p == out || p[-1] == '\n') && e - p > 4 &&
		    !memcmp(p, "Ran ", 4))
			ran = p;
	}
	if (!ran)
		return -1;
	/* "Ran N test(s) in X.XXXs" */
	p = ran + 4;
	size_t k = strspn(p, "0123456789");
	if (!k || k >= sizeof(num) || (size_t)(e - p) <= k)
		return -1;
	memcpy(num, p, k);
	num[k] = '\0';
	t->tests = strtol(num, NULL, 10);
	se = memchr(p, '\n', (size_t)(e - p));
	if (!se)
		return -1;
	{
		const char *in = memmem(p, (size_t)(se - p), " in ", 4);
		if (in)
			t->seconds = strtod(in + 4, NULL);
	}
	/* the status line: the next non-empty one */
	for (st = se; st < e && (*st == '\n' || *st == '\r'); st++)
		;
	se = memchr(st, '\n', (size_t)(e - st));
	if (!se)
		se = e;
	if (se - st >= 2 && !memcmp(st, "OK", 2)) {
		t->skipped = status_count(st, se, "skipped");
		return 0;
	}
	if (se - st >= 6 && !memcmp(st, "FAILED", 6)) {
		t->failed = status_count(st, se, "failures") +
		            status_count(st, se, "unexpected successes");
		t->errors = status_count(st, se, "errors");
		t->skipped = status_count(st, se, "skipped");
		t->not_tests = discovery_not_tests(out, ran);
		if (t->not_tests > t->errors)
			t->not_tests = t->errors;
		t->tests -= t->not_tests;
		t->errors -= t->not_tests;
		if (t->tests < 0)
			t->tests = 0;
		return 0;
	}
	if (se - st >= 12 && !memcmp(st, "NO TESTS RAN", 12))
		return 0;
	return -1;
}

const char *
guest_build_needs(const char *log, char *what, size_t n)
{
	static const char *const rust[] = {
	    "can't find Rust compiler", "Cargo, the Rust package manager",
	    "cargo: not found",         "cargo: command not found",
	    "rustc: not found",         "could not find `cargo`",
	    "Unable to find cargo",     "is `cargo` installed",
	    "maturin failed",           NULL};
	const char *p;

	what[0] = '\0';
	for (int i = 0; rust[i]; i++)
		if (strstr(log, rust[i])) {
			snprintf(what, n, "rustc and cargo");
			return "rust";
		}
	/* gcc: "x.c:12:10: fatal error: libxml/parser.h: No such file" */
	if ((p = strstr(log, "fatal error: ")) &&
	    strstr(p, ": No such file or directory")) {
		p += 13;
		token(p, ": \n", what, n);
		if (strstr(what, ".h"))
			return "header";
	}
	if ((p = strstr(log, "cannot find -l"))) {
		snprintf(what, n, "lib");
		token(p + 14, " :\n", what + 3, n > 3 ? n - 3 : 1);
		return "library";
	}
	if ((p = strstr(log, "Package ")) &&
	    strstr(p, "was not found in the pkg-config search path")) {
		token(p + 8, " \n", what, n);
		return "pkg-config";
	}
	if (strstr(log, "No Fortran compiler found") ||
	    strstr(log, "gfortran: not found") ||
	    strstr(log, "Could not find a Fortran compiler")) {
		snprintf(what, n, "gfortran");
		return "fortran";
	}
	{
		static const char *const progs[] = {"cmake", "go",   "swig",
		                                    "ninja", "make", NULL};

		for (int i = 0; progs[i]; i++) {
			char pat[2][48];

			snprintf(pat[0], sizeof(pat[0]), "%s: not found",
			         progs[i]);
			snprintf(pat[1], sizeof(pat[1]),
			         "%s: command not found", progs[i]);
			if ((p = strstr(log, pat[0])) ||
			    (p = strstr(log, pat[1]))) {
				/* "sh: 1: cmake: not found", not
				 * "xcmake: not found" */
				if (p == log || strchr(" /\n:", p[-1])) {
					snprintf(what, n, "%s", progs[i]);
					return "program";
				}
			}
		}
	}
	return NULL;
}

int
guest_pip_missing(const char *log, char *name, size_t n)
{
	static const char *const pats[] = {
	    "No matching distribution found for ",
	    "Could not find a version that satisfies the requirement ", NULL};

	for (int i = 0; pats[i]; i++) {
		const char *p = strstr(log, pats[i]);

		if (p) {
			token(p + strlen(pats[i]), " \n", name, n);
			return 1;
		}
	}
	name[0] = '\0';
	return 0;
}

void
guest_fit_deadline(int64_t budget_ms, int *timeout_ms, const int *permille,
                   const int *enabled, size_t n)
{
	int64_t sum = 0, shares = 0;

	for (size_t i = 0; i < n; i++)
		if (enabled[i]) {
			sum += timeout_ms[i];
			shares += permille[i];
		}
	if (sum <= budget_ms || shares <= 0)
		return;
	if (budget_ms < 0)
		budget_ms = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t t;

		if (!enabled[i])
			continue;
		t = budget_ms * permille[i] / shares;
		if (t < 1000)
			t = 1000;
		if (t < timeout_ms[i])
			timeout_ms[i] = (int)t;
	}
}

int
guest_hex_equal(const char *a, const char *b)
{
	return a && b && strlen(a) == strlen(b) && !strcasecmp(a, b);
}

static int
plain_name(const char *s)
{
	return s && s[0] && strcmp(s, ".") && strcmp(s, "..") &&
	       !strchr(s, '/');
}

/* snprintf into out[n]; 0, or -1 (out emptied) when it does not fit */
static int
path_fits(char *out, size_t n, int k)
{
	if (k >= 0 && (size_t)k < n)
		return 0;
	out[0] = '\0';
	return -1;
}

int
guest_inpkg_tests(const char *testrun, const char *site, const char *top,
                  const char *sub, int root_conftest, char *out, char *link,
                  size_t n)
{
	link[0] = '\0';
	out[0] = '\0';
	if (!plain_name(top) || !plain_name(sub))
		return -1;
	if (!root_conftest)
		return path_fits(out, n,
		                 snprintf(out, n, "%s/%s/%s", site, top, sub));
	if (path_fits(link, n, snprintf(link, n, "%s/%s", testrun, top)) ||
	    path_fits(out, n, snprintf(out, n, "%s/%s", link, sub))) {
		link[0] = '\0';
		return -1;
	}
	return 0;
}

int
guest_coverage_refused(const char *log, size_t len)
{
	static const char *const says[][2] = {
	    {"Unrecognized option '", "' in config file "},
	    {"Couldn't read '", "' as a config file"},
	    {"Can't read '", "' without TOML support"},
	};

	for (size_t i = 0; i < sizeof(says) / sizeof(*says); i++) {
		const char *a =
		    memmem(log, len, says[i][0], strlen(says[i][0]));
		const char *eol;

		if (!a)
			continue;
		eol = memchr(a, '\n', len - (size_t)(a - log));
		if (memmem(a, eol ? (size_t)(eol - a) : len - (size_t)(a - log),
		           says[i][1], strlen(says[i][1])))
			return 1;
	}
	return 0;
}
