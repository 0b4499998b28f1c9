/* Unit tests for reporter/signature.c: error signatures from real shapes
 * of Python tracebacks, pytest output, compiler and pip errors. Two runs
 * of the same failure (other paths, versions, addresses, line numbers)
 * must give the same signature; different causes must not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "signature.h"

static char sig[REPORT_SIG_MAX];

static enum report_sig_kind
of(const char *log)
{
	return report_signature(log, strlen(log), sig, sizeof(sig));
}

static void
test_report_signature_import_traceback(void **state)
{
	const char *a =
	    "Successfully installed foo-1.2.3\n"
	    "Traceback (most recent call last):\n"
	    "  File \"<string>\", line 1, in <module>\n"
	    "  File \"/tmp/pyti/venv/lib/python3.11/site-packages/foo/__init__.py\", line 3, in <module>\n"
	    "    from .core import run\n"
	    "  File \"/tmp/pyti/venv/lib/python3.11/site-packages/foo/core.py\", line 17, in <module>\n"
	    "    import numpy\n"
	    "ModuleNotFoundError: No module named 'numpy'\n";
	const char *b =
	    "Traceback (most recent call last):\n"
	    "  File \"<string>\", line 1, in <module>\n"
	    "  File \"/srv/x/venv/lib/python3.13/site-packages/foo/__init__.py\", line 5, in <module>\n"
	    "    from .core import run\n"
	    "  File \"/srv/x/venv/lib/python3.13/site-packages/foo/core.py\", line 99, in <module>\n"
	    "    import numpy\n"
	    "ModuleNotFoundError: No module named 'numpy'\n";
	char first[REPORT_SIG_MAX];

	(void)state;
	assert_int_equal(of(a), REPORT_SIG_PYTHON);
	assert_string_equal(sig, "ModuleNotFoundError: No module named "
	                         "'numpy' [in foo/core.py:<module> < "
	                         "foo/__init__.py:<module> < <string>:<module>]");
	strcpy(first, sig);
	assert_int_equal(of(b), REPORT_SIG_PYTHON);
	assert_string_equal(sig, first);
}

static void
test_report_signature_message_normalized(void **state)
{
	(void)state;
	of("Traceback (most recent call last):\n"
	   "  File \"/usr/lib/python3/dist-packages/x/y.py\", line 12, in f\n"
	   "ValueError: object at 0x7f3a2b1c4d50 has size 4096 in "
	   "/home/u/build/a.txt (version 1.2.3rc1, id "
	   "0123456789abcdef0123)\n");
	assert_string_equal(sig, "ValueError: object at <addr> has size <n> in "
	                         "<path> (version <n>, id <hex>) [in x/y.py:f]");
}

static void
test_report_signature_chained_takes_last(void **state)
{
	(void)state;
	of("Traceback (most recent call last):\n"
	   "  File \"a.py\", line 1, in g\n"
	   "KeyError: 'x'\n"
	   "\n"
	   "During handling of the above exception, another exception occurred:\n"
	   "\n"
	   "Traceback (most recent call last):\n"
	   "  File \"b.py\", line 2, in h\n"
	   "    i()\n"
	   "  File \"c.py\", line 3, in i\n"
	   "    raise RuntimeError('broken')\n"
	   "RuntimeError: broken\n");
	assert_string_equal(sig, "RuntimeError: broken [in c.py:i < b.py:h]");
}

static void
test_report_signature_pytest(void **state)
{
	(void)state;
	assert_int_equal(
	    of("tests/test_x.py::test_y FAILED\n"
	       "    def test_y():\n"
	       ">       assert parse('1.0') == 2\n"
	       "E       AssertionError: assert 1 == 2\n"
	       "E        +  where 1 = parse('1.0')\n"
	       "=== 1 failed, 12 passed in 0.53s ===\n"),
	    REPORT_SIG_PYTHON);
	assert_string_equal(sig, "AssertionError: assert <n> == <n>");
}

static void
test_report_signature_missing_header(void **state)
{
	(void)state;
	assert_int_equal(
	    of("building 'foo._speedups' extension\n"
	       "x86_64-linux-gnu-gcc -Wno-unused-result -fPIC "
	       "-I/usr/include/python3.11 -c foo/_speedups.c -o build/x.o\n"
	       "foo/_speedups.c:1:10: fatal error: libxml/xmlversion.h: No "
	       "such file or directory\n"
	       "    1 | #include <libxml/xmlversion.h>\n"
	       "compilation terminated.\n"
	       "error: command '/usr/bin/x86_64-linux-gnu-gcc' failed with "
	       "exit code 1\n"),
	    REPORT_SIG_BUILD);
	assert_string_equal(sig, "missing header: xmlversion.h");
	of("src/x.c:3:10: fatal error: Python.h: No such file or directory\n");
	assert_string_equal(sig, "missing header: Python.h");
}

static void
test_report_signature_missing_compiler(void **state)
{
	(void)state;
	of("running build_ext\n"
	   "building 'x' extension\n"
	   "x86_64-linux-gnu-gcc -c x.c\n"
	   "error: command 'x86_64-linux-gnu-gcc' failed: No such file or "
	   "directory\n"
	   "[end of output]\n");
	assert_string_equal(sig, "missing compiler: gcc");
	of("unable to execute '/usr/bin/gcc-12': No such file or directory\n");
	assert_string_equal(sig, "missing compiler: gcc");
	of("      error: can't find Rust compiler\n");
	assert_string_equal(sig, "missing compiler: rustc");
	of("error: command '/usr/bin/gcc' failed with exit code 1\n");
	assert_string_equal(sig, "compiler failed: gcc");
}

static void
test_report_signature_missing_library(void **state)
{
	(void)state;
	of("/usr/bin/ld: cannot find -lssl: No such file or directory\n"
	   "collect2: error: ld returned 1 exit status\n");
	assert_string_equal(sig, "missing library: ssl");
	of("Package libffi was not found in the pkg-config search path.\n");
	assert_string_equal(sig, "missing library: libffi");
	of("No package 'cairo' found\n");
	assert_string_equal(sig, "missing library: cairo");
}

static void
test_report_signature_pip(void **state)
{
	(void)state;
	assert_int_equal(
	    of("Looking in links: /tmp/deps\n"
	       "ERROR: Could not find a version that satisfies the requirement "
	       "requests>=2.31 (from versions: none)\n"
	       "ERROR: No matching distribution found for requests>=2.31\n"),
	    REPORT_SIG_PIP);
	assert_string_equal(sig, "pip: no matching distribution: requests");
	of("  error: subprocess-exited-with-error\n"
	   "  × Getting requirements to build wheel did not run successfully.\n"
	   "  │ exit code: 1\n"
	   "error: metadata-generation-failed\n");
	assert_string_equal(sig, "pip: metadata-generation-failed");
}

static void
test_report_signature_nothing(void **state)
{
	(void)state;
	assert_int_equal(of(""), REPORT_SIG_NONE);
	assert_string_equal(sig, "");
	assert_int_equal(of("all good\nreally\n"), REPORT_SIG_NONE);
	assert_string_equal(report_sig_kind_name(REPORT_SIG_NONE), "outcome");
}

static void
test_report_signature_hostile_input(void **state)
{
	size_t n = 1 << 20, i;
	char *big = malloc(n + 1), small[32];

	(void)state;
	/* a megabyte of one line, and of newlines: bounded, no crash */
	for (i = 0; i < n; i++)
		big[i] = (char)('A' + i % 26);
	big[n] = '\0';
	of(big);
	memset(big, '\n', n);
	assert_int_equal(report_signature(big, n, sig, sizeof(sig)),
	                 REPORT_SIG_NONE);
	/* a long exception message is cut at a UTF-8 boundary */
	strcpy(big, "Traceback (most recent call last):\nValueError: ");
	for (i = strlen(big); i < 4000; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	of(big);
	assert_true(strlen(sig) < sizeof(sig));
	assert_false(((unsigned char)sig[strlen(sig) - 1] & 0xC0) == 0xC0);
	report_signature(big, strlen(big), small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
	/* NUL bytes and control characters inside the log */
#define CTRL "Traceback (most recent call last):\nOSError: a\0b\x01" "c\n"
	assert_int_equal(report_signature(CTRL, sizeof(CTRL) - 1, sig,
	                                  sizeof(sig)),
	                 REPORT_SIG_PYTHON);
	assert_string_equal(sig, "OSError: a b c");
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_signature_import_traceback),
	    cmocka_unit_test(test_report_signature_message_normalized),
	    cmocka_unit_test(test_report_signature_chained_takes_last),
	    cmocka_unit_test(test_report_signature_pytest),
	    cmocka_unit_test(test_report_signature_missing_header),
	    cmocka_unit_test(test_report_signature_missing_compiler),
	    cmocka_unit_test(test_report_signature_missing_library),
	    cmocka_unit_test(test_report_signature_pip),
	    cmocka_unit_test(test_report_signature_nothing),
	    cmocka_unit_test(test_report_signature_hostile_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
