/*
 * pyti-pep marker --python X.Y [--python-full X.Y.Z] [--platform linux]
 * [--machine M] [--extra E]: evaluate each PEP 508 marker on stdin for a
 * CPython environment, printing "true", "false", "undefined" (packaging
 * would raise UndefinedComparison) or "invalid" (unparsable; reason on
 * stderr).
 */
#include "buf.h"
#include "lines.h"
#include "log.h"
#include "pep.h"
#include "pep508.h"

#include <stdio.h>
#include <string.h>

static int
usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: pyti-pep marker --python X.Y [--python-full X.Y.Z] "
	        "[--platform linux|darwin|win32] [--machine M] [--extra E] "
	        "< markers\n");
	return status;
}

int
pep_cmd_marker(struct cli *cli, int argc, char **argv)
{
	const char *python = NULL, *full = NULL, *platform = "linux";
	const char *machine = NULL, *extra = NULL;
	struct buf line = BUF_INIT(0);
	struct pep508_env env;
	int r, status = 0;

	for (int i = 0; i < argc; i++) {
		const char **dst = NULL;

		if (!strcmp(argv[i], "--help"))
			return usage(0);
		if (!strcmp(argv[i], "--python"))
			dst = &python;
		else if (!strcmp(argv[i], "--python-full"))
			dst = &full;
		else if (!strcmp(argv[i], "--platform"))
			dst = &platform;
		else if (!strcmp(argv[i], "--machine"))
			dst = &machine;
		else if (!strcmp(argv[i], "--extra"))
			dst = &extra;
		if (!dst || i + 1 >= argc)
			return usage(2);
		*dst = argv[++i];
	}
	if (!python)
		return usage(2);
	if (pep508_env_cpython(&env, python, full, platform, machine) < 0)
		return 2;
	if (extra)
		env.v[PEP508_EXTRA] = extra;
	while ((r = pep_read_line(stdin, &line)) != 0) {
		struct pep508_marker *m;
		struct pep508_error err = {"line too long", 0};

		if (r > 0 &&
		    pep508_marker_parse(line.data, line.len, &m, &err) == 0) {
			r = pep508_marker_eval(m, &env);
			puts(r == PEP508_UNDEFINED ? "undefined"
			     : r                   ? "true"
			                           : "false");
			pep508_marker_free(m);
			continue;
		}
		if (r > 0)
			log_error("invalid marker '%.200s': %s at offset %zu",
			          buf_cstr(&line), err.msg, err.pos);
		puts("invalid");
		status = 1;
	}
	buf_release(&line);
	return fflush(stdout) ? 1 : status;
}
