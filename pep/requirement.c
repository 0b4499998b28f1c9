/*
 * pyti-pep requirement: each PEP 508 requirement on stdin becomes one line
 * of JSON, {"extras":[..],"marker":null|"..","name":"..","specifier":"..",
 * "url":null|".."} with packaging's str() forms, or "invalid" (reason on
 * stderr).
 */
#include "buf.h"
#include "jx.h"
#include "lines.h"
#include "log.h"
#include "pep.h"
#include "pep508.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *
req_json(const struct pep508_req *r)
{
	json_t *o = json_object(), *extras = json_array(), *url;

	/* Names, extras and specifiers are ASCII by the grammar; URLs and
	 * marker strings are the input's bytes, which json_string() refuses
	 * (NULL) when they are not UTF-8. */
	url = r->url ? json_string(r->url) : json_null();
	if (!url) {
		json_decref(o);
		json_decref(extras);
		return NULL;
	}
	jx_set(o, "url", url);
	jx_set(o, "name", json_string(r->name));
	for (size_t i = 0; i < r->nextras; i++)
		jx_append(extras, json_string(r->extras[i]));
	jx_set(o, "extras", extras);
	jx_set(o, "specifier", json_string(r->specifier));
	if (r->marker) {
		char *s = pep508_marker_str(r->marker);
		json_t *m = json_string(s);

		free(s);
		if (!m) {
			json_decref(o);
			return NULL;
		}
		jx_set(o, "marker", m);
	} else {
		jx_set(o, "marker", json_null());
	}
	return o;
}

int
pep_cmd_requirement(struct cli *cli, int argc, char **argv)
{
	struct buf line = BUF_INIT(0);
	int r, status = 0;

	if (argc) {
		int help = argc == 1 && !strcmp(argv[0], "--help");

		fprintf(help ? stdout : stderr,
		        "usage: pyti-pep requirement < requirements\n");
		return help ? 0 : 2;
	}
	while ((r = pep_read_line(stdin, &line)) != 0) {
		struct pep508_req *req;
		struct pep508_error err = {"line too long", 0};

		if (r > 0 &&
		    pep508_req_parse(line.data, line.len, &req, &err) == 0) {
			json_t *o = req_json(req);

			pep508_req_free(req);
			if (o) {
				jx_write_line(stdout, o);
				json_decref(o);
				continue;
			}
			err.msg = "URL or marker is not valid UTF-8";
		}
		if (r > 0)
			log_error(
			    "invalid requirement '%.200s': %s at offset %zu",
			    buf_cstr(&line), err.msg, err.pos);
		puts("invalid");
		status = 1;
	}
	buf_release(&line);
	return fflush(stdout) ? 1 : status;
}
