/*
 * pyti-pep metadata FILE: core metadata (METADATA, PKG-INFO, a PEP 658
 * .metadata file) as one line of JSON, keys as common/metadata.h says.
 * FILE "-" reads stdin.
 */
#include "buf.h"
#include "jx.h"
#include "log.h"
#include "metadata.h"
#include "pep.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Read all of f into b (bounded by b's max). Returns 0 or -1 (logged). */
static int
read_all(FILE *f, const char *path, struct buf *b)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n) == BUF_FULL)
			return log_error("'%s' is larger than %zu bytes", path,
			                 b->max);
	if (ferror(f))
		return log_error("cannot read '%s': %s", path, strerror(errno));
	return 0;
}

int
pep_cmd_metadata(struct cli *cli, int argc, char **argv)
{
	struct buf b = BUF_INIT(META_MAX_BYTES);
	struct meta m;
	const char *path;
	json_t *j = NULL;
	FILE *f;
	int ret = 1;

	if (argc == 1 &&
	    (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		printf("usage: pyti-pep metadata FILE\n");
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: pyti-pep metadata FILE\n");
		return 2;
	}
	path = argv[0];
	f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		log_error("cannot open '%s': %s", path, strerror(errno));
		return 1;
	}
	if (read_all(f, path, &b) == 0 &&
	    meta_parse(&m, b.data ? b.data : "", b.len) == 0) {
		j = meta_to_json(&m);
		ret = jx_write_line(stdout, j) < 0 ? 1 : 0;
		json_decref(j);
		meta_release(&m);
	}
	if (f != stdin)
		fclose(f);
	buf_release(&b);
	return ret;
}
