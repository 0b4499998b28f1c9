/*
 * libFuzzer target: distribution filenames and tag sets. Every input is
 * tried as a wheel name, an sdist name (with and without a project) and a
 * compressed tag set; whatever parses is checked for the invariants the
 * scheduler relies on (normalized, bounded, ranks consistent).
 */
#include "distfile.h"
#include "tags.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct distfile_wheel w;
	struct distfile_sdist sd;
	struct tags_list l = TAGS_LIST_INIT;

	if (distfile_wheel_parse(s, size, &w, NULL) == 0) {
		if (!w.tags.n || strlen(w.name) > size)
			abort();
		for (size_t i = 0; i < w.tags.n; i++)
			if (tags_list_rank(&w.tags, w.tags.v[i]) != (long)i)
				abort();
		distfile_wheel_release(&w);
	}
	if (distfile_sdist_parse(s, size, NULL, &sd, NULL) == 0)
		distfile_sdist_release(&sd);
	if (distfile_sdist_parse(s, size, "foo-bar", &sd, NULL) == 0)
		distfile_sdist_release(&sd);
	if (tags_parse_set(s, size, &l, NULL) == 0 && !l.n)
		abort();
	tags_list_release(&l);
	return 0;
}
