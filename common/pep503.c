/*
 * PEP 503 name normalization and validation: small, allocation-free, and
 * used on every name the crawler sees, so it works on byte spans.
 */
#include "pep503.h"

#include "buf.h"

static int
is_sep(unsigned char c)
{
	return c == '-' || c == '_' || c == '.';
}

static int
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

int
pep503_valid(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;

	if (len == 0 || len > PEP503_MAX_LEN)
		return 0;
	if (!is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return 0;
	for (size_t i = 1; i + 1 < len; i++)
		if (!is_alnum(s[i]) && !is_sep(s[i]))
			return 0;
	return 1;
}

size_t
pep503_normalize_to(char *dst, const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = 0;

	/* n <= i at every step, so writing in place is safe. */
	for (size_t i = 0; i < len; i++) {
		if (is_sep(s[i])) {
			while (i + 1 < len && is_sep(s[i + 1]))
				i++;
			dst[n++] = '-';
		} else {
			dst[n++] = (char)lower(s[i]);
		}
	}
	dst[n] = '\0';
	return n;
}

int
pep503_normalize(const char *name, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t start = out->len;

	for (size_t i = 0; i < len; i++) {
		char c;

		if (is_sep(s[i])) {
			while (i + 1 < len && is_sep(s[i + 1]))
				i++;
			c = '-';
		} else {
			c = (char)lower(s[i]);
		}
		if (buf_addc(out, c) == BUF_FULL) {
			buf_truncate(out, start);
			return BUF_FULL;
		}
	}
	return 0;
}

/* The next normalized byte of a name at *i, or -1 at its end. */
static int
next_norm(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c;

	if (*i >= len)
		return -1;
	c = s[(*i)++];
	if (!is_sep(c))
		return lower(c);
	while (*i < len && is_sep(s[*i]))
		(*i)++;
	return '-';
}

int
pep503_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j = 0;

	for (;;) {
		int ca = next_norm((const unsigned char *)a, alen, &i);
		int cb = next_norm((const unsigned char *)b, blen, &j);

		if (ca != cb)
			return 0;
		if (ca < 0)
			return 1;
	}
}
