/*
 * For the data-driven unit tests (tests/fixtures/<case>.<ext> beside
 * <case>.<ext>.expected; adding a case needs no C): run a test's case
 * function on every input file of one fixture folder. Header-only, for the
 * test binaries of more than one program (test_crawl_simple,
 * test_guest_trace).
 */
#ifndef PYTI_TEST_FIXTURES_H
#define PYTI_TEST_FIXTURES_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "os.h"

/*
 * Read the case name of the fixture folder dir: the file itself, appended
 * to input, and its name.expected, appended to want. Returns 0, or -1
 * (logged) when either cannot be read.
 */
static inline int
fixtures_read(const char *dir, const char *name, struct buf *input,
              struct buf *want)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (os_read_file(path, input))
		return -1;
	snprintf(path, sizeof(path), "%s/%s.expected", dir, name);
	return os_read_file(path, want);
}

/*
 * Call run(dir, name) for each file of tests/fixtures/<sub>/ below
 * $PYTI_TOP (the current directory when unset) whose name ends in one of
 * the extensions exts (".json"; NULL-terminated) and does not start with a
 * dot; run returns 0 for a case that passed. *cases is set to the number
 * of cases run. Returns the number that failed, or -1 when the folder
 * cannot be opened.
 */
static inline int
fixtures_run(const char *sub, const char *const *exts,
             int (*run)(const char *dir, const char *name), int *cases)
{
	const char *top = getenv("PYTI_TOP");
	char dir[1024];
	struct dirent *de;
	DIR *d;
	int failed = 0;

	*cases = 0;
	snprintf(dir, sizeof(dir), "%s/tests/fixtures/%s", top ? top : ".",
	         sub);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		const char *ext = strrchr(de->d_name, '.');
		int i;

		if (de->d_name[0] == '.' || !ext)
			continue;
		for (i = 0; exts[i] && strcmp(ext, exts[i]); i++)
			;
		if (!exts[i])
			continue;
		(*cases)++;
		if (run(dir, de->d_name))
			failed++;
	}
	closedir(d);
	return failed;
}

#endif
