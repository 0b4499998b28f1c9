/*
 * libFuzzer target for PEP 440 versions (common/pep440.c): any bytes are
 * parsed; a valid version must normalize, its normal form must parse to
 * an equal version with the same normal form, and comparisons with a few
 * fixed versions must be antisymmetric and agree with the key words.
 */
#include "buf.h"
#include "pep440.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sign(int x)
{
	return x < 0 ? -1 : x > 0;
}

static void
check_pair(const struct pep440_version *a, const struct pep440_version *b)
{
	int ab = sign(pep440_compare(a, b)), ba = sign(pep440_compare(b, a));

	if (ab != -ba)
		abort();
	for (size_t i = 0; i < 3; i++) {
		uint64_t x = pep440_key_word(a, i), y = pep440_key_word(b, i);

		if (x != y) {
			if ((x < y ? -1 : 1) != ab)
				abort();
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = {
	    "0", "1.0", "1.0a1", "1.0+x", "1!1", "1.0.post1.dev1", "bogus"};
	struct pep440_version v, w, f;
	struct buf b = BUF_INIT(0), c = BUF_INIT(0);
	const char *text = (const char *)data;

	if (pep440_parse(&v, text, size) == 0) {
		if (pep440_normalize(&v, &b) != 0)
			abort();
		if (pep440_normalize_text(text, size, &c) != 0 ||
		    strcmp(buf_cstr(&b), buf_cstr(&c)))
			abort();
		if (pep440_parse(&w, b.data, b.len) != 0)
			abort();
		if (pep440_compare(&v, &w) != 0)
			abort();
		buf_reset(&c);
		pep440_normalize(&w, &c);
		if (strcmp(buf_cstr(&b), buf_cstr(&c)))
			abort();
		pep440_release(&w);
	} else if (pep440_normalize_text(text, size, &c) != PEP440_INVALID) {
		abort();
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		pep440_parse_str(&f, fixed[i]);
		check_pair(&v, &f);
		pep440_release(&f);
	}
	pep440_release(&v);
	buf_release(&b);
	buf_release(&c);
	return 0;
}
