/*
 * The store's layout (cas.h): the one place that turns a sha256 into a
 * path.
 */
#include "cas.h"
#include "sha256.h"

int
cas_key(const char *sha256, char out[SHA256_HEX_LEN + 1])
{
	int i;

	if (!sha256 || !sha256_is_hex(sha256))
		return -1;
	for (i = 0; i < SHA256_HEX_LEN; i++)
		out[i] = (sha256[i] >= 'A' && sha256[i] <= 'F')
		             ? (char)(sha256[i] - 'A' + 'a')
		             : sha256[i];
	out[SHA256_HEX_LEN] = '\0';
	return 0;
}

int
cas_path(const char *dir, const char *sha256, struct buf *out)
{
	char h[SHA256_HEX_LEN + 1];

	if (cas_key(sha256, h))
		return -1;
	buf_reset(out);
	buf_addf(out, "%s/%.2s/%s", dir, h, h);
	return 0;
}
