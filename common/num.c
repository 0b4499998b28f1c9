/*
 * Integer parsing with explicit ranges, for configuration values, HTTP
 * headers and anything else that arrives as text.
 */
#include "num.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
num_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
num_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t mag;
	int neg = 0;
	int64_t v;

	if (!s)
		return -1;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (num_parse_u64(s, (uint64_t)INT64_MAX + neg, &mag))
		return -1;
	if (neg)
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		v = (int64_t)mag;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_scaled(const char *s, const char *const *suffixes, const uint64_t *scales,
             int n, uint64_t *out)
{
	size_t len = s ? strlen(s) : 0;
	char digits[32];

	for (int i = 0; i < n; i++) {
		size_t sl = strlen(suffixes[i]);
		uint64_t v;

		if (len <= sl || strcmp(s + len - sl, suffixes[i]))
			continue;
		if (len - sl >= sizeof(digits))
			return -1;
		memcpy(digits, s, len - sl);
		digits[len - sl] = '\0';
		if (num_parse_u64(digits, UINT64_MAX / scales[i], &v))
			return -1;
		*out = v * scales[i];
		return 0;
	}
	return -1;
}

int
num_parse_size(const char *s, uint64_t *out)
{
	static const char *const sfx[] = {"K", "M", "G", ""};
	static const uint64_t sc[] = {1024, 1024 * 1024, 1024 * 1024 * 1024, 1};

	if (s && *s && s[strlen(s) - 1] >= '0' && s[strlen(s) - 1] <= '9')
		return num_parse_u64(s, UINT64_MAX, out);
	return parse_scaled(s, sfx, sc, 3, out);
}

int
num_parse_duration_ms(const char *s, uint64_t *out)
{
	/* "ms" must be tried before "m" and "s". */
	static const char *const sfx[] = {"ms", "s", "m", "h"};
	static const uint64_t sc[] = {1, 1000, 60000, 3600000};

	uint64_t v;

	if (s && *s && s[strlen(s) - 1] >= '0' && s[strlen(s) - 1] <= '9') {
		if (num_parse_u64(s, UINT64_MAX / 1000, &v))
			return -1;
		*out = v * 1000;
		return 0;
	}
	return parse_scaled(s, sfx, sc, 4, out);
}
