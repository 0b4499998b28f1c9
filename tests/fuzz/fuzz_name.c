/*
 * libFuzzer target for PEP 503 names (common/pep503.c): normalization is
 * idempotent, equal to the input under pep503_equal(), never longer, and
 * the buffer and in-place forms agree.
 */
#include "buf.h"
#include "pep503.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *name = (const char *)data;
	char *a = malloc(size + 1), *again = malloc(size + 1);
	struct buf b = BUF_INIT(0);
	size_t n;

	if (!a || !again)
		abort();
	n = pep503_normalize_to(a, name, size);
	if (n > size || pep503_normalize(name, size, &b) != 0 || b.len != n ||
	    (n && memcmp(b.data, a, n)))
		abort();
	if (!pep503_equal(name, size, a, n))
		abort();
	if (pep503_normalize_to(again, a, n) != n || memcmp(again, a, n))
		abort();
	if (pep503_valid(name, size) && !pep503_valid(a, n))
		abort();
	buf_release(&b);
	free(a);
	free(again);
	return 0;
}
