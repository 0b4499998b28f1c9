/*
 * pyti-pep sdist [--project NAME]: each sdist filename on stdin becomes
 * one line of JSON, {"format":"tar.gz","name":..,"pep625":true,
 * "version":..}, or "invalid" (with the reason on stderr). With --project
 * the name/version split is pip's (first dash after the project's name),
 * else packaging's (last dash).
 */
#include "buf.h"
#include "distfile.h"
#include "jx.h"
#include "lines.h"
#include "log.h"
#include "pep.h"

#include <stdio.h>
#include <string.h>

static int
usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: pyti-pep sdist [--project NAME] < filenames\n");
	return status;
}

int
pep_cmd_sdist(struct cli *cli, int argc, char **argv)
{
	struct buf line = BUF_INIT(0);
	const char *project = NULL;
	int r, status = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help"))
			return usage(0);
		if (strcmp(argv[i], "--project") || i + 1 >= argc)
			return usage(2);
		project = argv[++i];
	}
	while ((r = pep_read_line(stdin, &line)) != 0) {
		struct distfile_sdist s;
		const char *why = "line too long";
		json_t *o;

		if (r > 0 && distfile_sdist_parse(line.data, line.len, project,
		                                  &s, &why) == 0) {
			o = json_object();
			jx_set(o, "name", json_string(s.name));
			jx_set(o, "version", json_string(s.version));
			jx_set(o, "format",
			       json_string(distfile_format_name(s.format)));
			jx_set(o, "pep625", json_boolean(s.pep625));
			jx_write_line(stdout, o);
			json_decref(o);
			distfile_sdist_release(&s);
			continue;
		}
		if (r > 0)
			log_error("invalid sdist filename '%.200s': %s",
			          buf_cstr(&line), why);
		puts("invalid");
		status = 1;
	}
	buf_release(&line);
	return fflush(stdout) ? 1 : status;
}
