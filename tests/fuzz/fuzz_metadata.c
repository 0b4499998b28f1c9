/*
 * libFuzzer target: core metadata. Everything parses (only the limits
 * fail); the JSON form must always be buildable, i.e. every string valid
 * UTF-8, and the address lists of every field must split cleanly.
 */
#include "metadata.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meta m;
	json_t *j;

	if (meta_parse(&m, (const char *)data, size) == 0) {
		j = meta_to_json(&m);
		if (!j)
			abort();
		json_decref(j);
		for (size_t i = 0; i < m.nfields; i++) {
			struct meta_addr *a;
			size_t n = meta_addresses(m.fields[i].value, &a);

			meta_addrs_free(a, n);
		}
	}
	meta_release(&m);
	return 0;
}
