/*
 * pyti-pep tags: the tags a CPython interpreter supports, in priority
 * order, one per line -- what packaging.tags.sys_tags() yields on a system
 * with that Python, ABI and platform (see common/tags.h).
 */
#include "log.h"
#include "pep.h"
#include "tags.h"

#include <stdio.h>
#include <string.h>

static int
usage(void)
{
	fprintf(stderr, "usage: pyti-pep tags --python X.Y --platform PLATFORM "
	                "[--abi ABI[,ABI...]]\n");
	return 2;
}

/* "3.11" -> 3, 11. Returns 0 or -1. */
static int
parse_python(const char *s, int *major, int *minor)
{
	int v[2] = {0, 0};

	for (int i = 0; i < 2; i++) {
		int digits = 0;

		while (*s >= '0' && *s <= '9') {
			if (++digits > 3)
				return -1;
			v[i] = v[i] * 10 + (*s++ - '0');
		}
		if (!digits || (i == 0 && *s++ != '.'))
			return -1;
	}
	if (*s)
		return -1;
	*major = v[0];
	*minor = v[1];
	return 0;
}

int
pep_cmd_tags(struct cli *cli, int argc, char **argv)
{
	struct tags_target t = {0, 0, NULL, NULL};
	struct tags_list l = TAGS_LIST_INIT;
	const char *python = NULL;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage();
			return 0;
		}
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--python"))
			python = argv[++i];
		else if (!strcmp(argv[i], "--platform"))
			t.platform = argv[++i];
		else if (!strcmp(argv[i], "--abi"))
			t.abis = argv[++i];
		else
			return usage();
	}
	if (!python || !t.platform)
		return usage();
	if (parse_python(python, &t.py_major, &t.py_minor) < 0) {
		log_error("invalid python version '%s': want X.Y", python);
		return 2;
	}
	if (tags_supported(&t, &l) < 0)
		return 1;
	for (size_t i = 0; i < l.n; i++)
		puts(l.v[i]);
	tags_list_release(&l);
	return fflush(stdout) ? 1 : 0;
}
