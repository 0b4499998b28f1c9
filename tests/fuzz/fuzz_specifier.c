/*
 * libFuzzer target for PEP 440 specifier sets (common/pep440.c): the
 * input is "SPEC\nVERSION"; the spec is parsed as a set and as a single
 * specifier, and a valid one is asked about the version under each
 * pre-release policy. Answers must be 0, 1 or PEP440_INVALID, and
 * PEP440_INVALID exactly when the version is not PEP 440.
 */
#include "pep440.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t slen = nl ? (size_t)(nl - text) : size;
	const char *vt = nl ? nl + 1 : "1.0";
	size_t vlen = nl ? size - slen - 1 : 3;
	struct pep440_version v;
	char *spec;

	/* pep440_spec_parse() takes SIZE_MAX for NUL-terminated text. */
	spec = malloc(slen + 1);
	if (!spec)
		return 0;
	memcpy(spec, text, slen);
	spec[slen] = '\0';
	pep440_parse(&v, vt, vlen);
	for (unsigned flags = 0; flags <= PEP440_SPEC_SINGLE; flags++) {
		struct pep440_spec *s = NULL;

		if (pep440_spec_parse(spec, slen, flags, &s) != 0)
			continue;
		for (int pre = 0; pre <= 2; pre++) {
			int r = pep440_spec_contains(s, &v, pre);

			if (r != 0 && r != 1 && r != PEP440_INVALID)
				abort();
			if ((r == PEP440_INVALID) != !pep440_valid(&v))
				abort();
		}
		(void)pep440_spec_prereleases(s);
		pep440_spec_free(s);
	}
	pep440_release(&v);
	free(spec);
	return 0;
}
