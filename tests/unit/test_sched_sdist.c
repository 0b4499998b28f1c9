/*
 * Unit tests of the sdist reader (scheduler/sdist.h) on archives Python's
 * tarfile and zipfile write: every format pip accepts for an sdist gives
 * the same pyproject.toml, members below the top directory are not taken,
 * and hostile archives (a member claiming gigabytes, a corrupt or cut
 * stream) are refused with a reason; which requirements files are kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdist.h"

static char dir[] = "/tmp/pyti-test-sdist.XXXXXX";

/* Python writes the archives: one per format, a bomb, a cut stream. */
static const char maker[] =
    "import io, lzma, bz2, gzip, os, sys, tarfile, zipfile\n"
    "d = sys.argv[1]\n"
    "files = {'pkg-1.0/pyproject.toml': b'[build-system]\\nrequires = "
    "[\"flit_core\"]\\n',\n"
    "         'pkg-1.0/sub/pyproject.toml': b'[build-system]\\nrequires = "
    "[\"wrong\"]\\n',\n"
    "         'pkg-1.0/tox.ini': b'[testenv]\\ndeps = pytest\\n'}\n"
    "def tar(mode, name):\n"
    "    with tarfile.open(os.path.join(d, name), mode) as t:\n"
    "        for n, b in files.items():\n"
    "            i = tarfile.TarInfo(n); i.size = len(b)\n"
    "            t.addfile(i, io.BytesIO(b))\n"
    "for mode, name in [('w:gz', 'a.tar.gz'), ('w:gz', 'a.tgz'), ('w', "
    "'a.tar'),\n"
    "                   ('w:bz2', 'a.tar.bz2'), ('w:bz2', 'a.tbz'),\n"
    "                   ('w:xz', 'a.tar.xz'), ('w:xz', 'a.txz')]:\n"
    "    tar(mode, name)\n"
    "with zipfile.ZipFile(os.path.join(d, 'a.zip'), 'w', "
    "zipfile.ZIP_DEFLATED) as z:\n"
    "    for n, b in files.items(): z.writestr(n, b)\n"
    "i = tarfile.TarInfo('pkg-1.0/big.bin'); i.size = 1 << 33\n"
    "bomb = i.tobuf(format=tarfile.GNU_FORMAT)\n"
    "open(os.path.join(d, 'bomb.tar.xz'), 'wb').write(lzma.compress(bomb))\n"
    "open(os.path.join(d, 'bomb.tar.bz2'), 'wb').write(bz2.compress(bomb))\n"
    "x = open(os.path.join(d, 'a.tar.xz'), 'rb').read()\n"
    "open(os.path.join(d, 'cut.tar.xz'), 'wb').write(x[:len(x) // 2])\n"
    "b = open(os.path.join(d, 'a.tar.bz2'), 'rb').read()\n"
    "open(os.path.join(d, 'bad.tar.bz2'), 'wb').write(b[:20] + b'\\0' * 64 "
    "+ b[84:])\n";

static int
setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "python3 - %s", dir);
	FILE *p = popen(cmd, "w");
	if (!p)
		return -1;
	fputs(maker, p);
	return pclose(p) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
read_one(const char *name, struct sched_sdist *s)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return sched_sdist_read(path, name, s);
}

static void
test_sched_sdist_formats(void **state)
{
	(void)state;
	static const char *const names[] = {
	    "a.tar.gz", "a.tgz",    "a.tar", "a.tar.bz2",
	    "a.tbz",    "a.tar.xz", "a.txz", "a.zip",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sched_sdist s;
		int rc = read_one(names[i], &s);
		if (rc)
			fprintf(stderr, "%s: %s\n", names[i], s.why);
		assert_int_equal(rc, 0);
		assert_non_null(s.pyproject.name);
		assert_string_equal(s.pyproject.name, "pyproject.toml");
		assert_string_equal(
		    s.pyproject.data,
		    "[build-system]\nrequires = [\"flit_core\"]\n");
		assert_non_null(s.tox.name);
		sched_sdist_release(&s);
	}
}

static void
test_sched_sdist_hostile(void **state)
{
	(void)state;
	static const char *const names[] = {
	    "bomb.tar.xz",
	    "bomb.tar.bz2",
	    "cut.tar.xz",
	    "bad.tar.bz2",
	};
	static const char *const why[] = {
	    "larger than",
	    "larger than",
	    "truncated",
	    "corrupt",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sched_sdist s;
		assert_int_equal(read_one(names[i], &s), -1);
		if (!strstr(s.why, why[i]))
			fprintf(stderr, "%s: '%s'\n", names[i], s.why);
		assert_non_null(strstr(s.why, why[i]));
		sched_sdist_release(&s);
	}
	/* a format pip would not take as an sdist is named */
	struct sched_sdist s;
	assert_int_equal(sched_sdist_read("/dev/null", "x.rar", &s), -1);
	assert_non_null(strstr(s.why, "x.rar"));
	sched_sdist_release(&s);
}

/* Which requirements files are kept, and which are test requirements
 * by their own name. */
static void
test_sched_sdist_reqs_files(void **state)
{
	(void)state;
	static const struct {
		const char *path;
		int want;
	} cases[] = {
	    {"requirements-test.txt", 2},
	    {"requirements_tests.txt", 2},
	    {"requirements.txt", 1},
	    {"requirements-dev.txt", 1},
	    {"requirements/test.txt", 2},
	    {"requirements/docs.txt", 1},
	    {"tests/requirements.txt", 2},
	    {"test/requirements-ci.txt", 2},
	    {"testing/requirements.txt", 2},
	    {"ci/requirements.txt", 1},
	    {"ci/requirements-tests.txt", 2},
	    {"tests/data/requirements.txt", 0},
	    {"requirements/sub/test.txt", 0},
	    {"docs/requirements.txt", 0},
	    {"tests/other.txt", 0},
	    {"requirements-test.in", 0},
	    {"test.txt", 0},
	    {"requirements/.txt", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got =
		    sched_sdist_reqs_file(cases[i].path, strlen(cases[i].path));
		if (got != cases[i].want)
			fprintf(stderr, "%s: %d\n", cases[i].path, got);
		assert_int_equal(got, cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sched_sdist_formats),
	    cmocka_unit_test(test_sched_sdist_hostile),
	    cmocka_unit_test(test_sched_sdist_reqs_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
