/*
 * sched-fill: a full-size mirror for bench/sched-bench without crawling
 * 886k pages. Reads a crawled mirror's dump (pyti-crawl dump) on stdin
 * and writes one record per name of NAMES (one project name a line) into
 * the mirror DB: the i-th name gets the files of dump record i mod N,
 * each filename's project part replaced by the new name (so the choice
 * reads every file as this project's, as it would on PyPI).
 *
 *	pyti-crawl --db SRC dump | build/bench/sched-fill DST NAMES
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jx.h"
#include "mirror.h"
#include "pep503.h"
#include "xalloc.h"

/* name's project part (the dash after which the rest is the version)
 * replaced by u, the new name with dashes as underscores. */
static char *
rename_file(const char *name, const char *src_norm, const char *u)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < n; i++) {
		if (name[i] != '-')
			continue;
		if (pep503_equal(name, i, src_norm, strlen(src_norm))) {
			struct buf b = BUF_INIT(0);
			buf_addf(&b, "%s%s", u, name + i);
			return buf_detach(&b, NULL);
		}
	}
	return xstrdup(name);
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: sched-fill DST_DB NAMES <dump\n");
		return 2;
	}
	json_t **recs = NULL;
	size_t n = 0, alloc = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		json_t *r = jx_parse(line, (size_t)len, "dump line");
		if (!r)
			return 1;
		XGROW(recs, n + 1, alloc);
		recs[n++] = r;
	}
	if (!n) {
		fprintf(stderr, "sched-fill: empty dump\n");
		return 1;
	}
	FILE *names = fopen(argv[2], "r");
	if (!names) {
		perror(argv[2]);
		return 1;
	}
	struct mirror m;
	if (mirror_open(&m, argv[1], 0, "none") < 0)
		return 1;
	size_t i = 0;
	while ((len = getline(&line, &cap, names)) > 0) {
		line[strcspn(line, "\t\r\n")] = 0;
		if (!*line)
			continue;
		char *norm = xstrdup(line);
		pep503_normalize_to(norm, norm, strlen(norm));
		char *u = xstrdup(norm);
		for (char *c = u; *c; c++)
			if (*c == '-')
				*c = '_';
		json_t *src = recs[i % n];
		char *snorm = xstrdup(jx_str(src, "name"));
		pep503_normalize_to(snorm, snorm, strlen(snorm));
		json_t *files = json_deep_copy(json_object_get(src, "files"));
		size_t k;
		json_t *f;
		json_array_foreach(files, k, f) {
			const char *fn = jx_str(f, "filename");
			if (!fn)
				continue;
			char *nn = rename_file(fn, snorm, u);
			jx_set(f, "filename", json_string(nn));
			free(nn);
		}
		mirror_put_project(&m, norm, line, (int64_t)(i + 1), NULL,
		                   files, NULL, NULL);
		json_decref(files);
		free(snorm);
		free(u);
		free(norm);
		if (++i % 20000 == 0 && mirror_commit(&m) < 0)
			return 1;
	}
	mirror_close(&m);
	fclose(names);
	free(line);
	for (size_t j = 0; j < n; j++)
		json_decref(recs[j]);
	free(recs);
	fprintf(stderr, "sched-fill: %zu projects from %zu records\n", i, n);
	return 0;
}
