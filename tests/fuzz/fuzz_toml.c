/*
 * libFuzzer target: the TOML reader. Every input either parses or is
 * refused with a position inside the input; a parsed document serializes
 * to JSON, and the tagged and plain results agree on acceptance.
 */
#include "toml.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_error err;
	json_t *a = toml_parse((const char *)data, size, &err);
	if (!a && (err.line < 1 || err.col < 1))
		abort();
	json_t *b = toml_parse_tagged((const char *)data, size, NULL);
	if (!a != !b)
		abort();
	if (a) {
		char *s = json_dumps(a, JSON_COMPACT | JSON_ALLOW_NUL);
		char *t = json_dumps(b, JSON_COMPACT | JSON_ALLOW_NUL);
		if (!s || !t)
			abort();
		free(s);
		free(t);
	}
	json_decref(a);
	json_decref(b);
	return 0;
}
