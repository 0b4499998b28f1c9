/*
 * pyti-pep wheel: each wheel filename on stdin becomes one line of JSON,
 * {"build":null|[N,"rest"],"name":..,"tags":[sorted],"version":..}, or
 * "invalid" (with the reason on stderr). See pep/README.md.
 */
#include "buf.h"
#include "distfile.h"
#include "jx.h"
#include "lines.h"
#include "log.h"
#include "pep.h"

#include <stdio.h>
#include <string.h>

static json_t *
wheel_json(struct distfile_wheel *w)
{
	json_t *o = json_object(), *tags = json_array();

	jx_set(o, "name", json_string(w->name));
	jx_set(o, "version", json_string(w->version));
	if (w->has_build) {
		json_t *b = json_array();

		jx_append(b, json_integer(w->build_number));
		jx_append(b, json_string(w->build_suffix));
		jx_set(o, "build", b);
	} else {
		jx_set(o, "build", json_null());
	}
	tags_list_sort(&w->tags);
	for (size_t i = 0; i < w->tags.n; i++)
		jx_append(tags, json_string(w->tags.v[i]));
	jx_set(o, "tags", tags);
	return o;
}

int
pep_cmd_wheel(struct cli *cli, int argc, char **argv)
{
	struct buf line = BUF_INIT(0);
	int r, status = 0;

	if (argc) {
		fprintf(argc == 1 && !strcmp(argv[0], "--help") ? stdout
		                                                : stderr,
		        "usage: pyti-pep wheel < filenames\n");
		return argc == 1 && !strcmp(argv[0], "--help") ? 0 : 2;
	}
	while ((r = pep_read_line(stdin, &line)) != 0) {
		struct distfile_wheel w;
		const char *why = "line too long";
		json_t *j;

		if (r > 0 &&
		    distfile_wheel_parse(line.data, line.len, &w, &why) == 0) {
			j = wheel_json(&w);
			jx_write_line(stdout, j);
			json_decref(j);
			distfile_wheel_release(&w);
			continue;
		}
		if (r > 0)
			log_error("invalid wheel filename '%.200s': %s",
			          buf_cstr(&line), why);
		puts("invalid");
		status = 1;
	}
	buf_release(&line);
	return fflush(stdout) ? 1 : status;
}
