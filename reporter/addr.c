/*
 * Address validation and header parsing (addr.h). The parser splits on
 * commas outside quotes and angle brackets, takes the <...> part when
 * there is one, else the whole entry, and keeps what report_addr_valid()
 * accepts.
 */
#include "addr.h"

#include <string.h>

#define HEADER_SCAN 4096

static int
atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

static int
valid_domain(const char *d, size_t n)
{
	size_t i, label = 0, labels = 1, last = 0;
	int alpha_tld = 1;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return 0;
			label = 0;
			labels++;
			last = i + 1;
			alpha_tld = 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			alpha_tld = 0;
		if (++label > 63)
			return 0;
	}
	return labels >= 2 && label > 0 && d[n - 1] != '-' && alpha_tld &&
	       n - last >= 2;
}

int
report_addr_valid(const char *a)
{
	const char *at = strrchr(a, '@');
	size_t n = strlen(a), local, i;

	if (!at || n > REPORT_ADDR_MAX)
		return 0;
	local = (size_t)(at - a);
	if (local == 0 || local > 64 || a[0] == '.' || a[local - 1] == '.')
		return 0;
	for (i = 0; i < local; i++) {
		if (a[i] == '.') {
			if (a[i + 1] == '.')
				return 0;
			continue;
		}
		if (!atext((unsigned char)a[i]))
			return 0;
	}
	return valid_domain(at + 1, n - local - 1);
}

const char *
report_addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : addr;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* One entry [s, e): the <...> part or the whole, trimmed. */
static int
take(const char *s, const char *e, char *out)
{
	const char *lt = NULL, *gt = NULL, *p;
	int quoted = 0;
	size_t n;
	char *at;

	for (p = s; p < e; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '<' && !lt)
			lt = p;
		else if (!quoted && *p == '>' && lt && !gt)
			gt = p;
	}
	if (lt) {
		if (!gt)
			return 0;
		s = lt + 1;
		e = gt;
	}
	while (s < e && is_ws(*s))
		s++;
	while (e > s && is_ws(e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n == 0 || n > REPORT_ADDR_MAX)
		return 0;
	memcpy(out, s, n);
	out[n] = '\0';
	if (!report_addr_valid(out))
		return 0;
	/* one recipient however the metadata spells it */
	for (at = out; *at; at++)
		if (*at >= 'A' && *at <= 'Z')
			*at = (char)(*at - 'A' + 'a');
	return 1;
}

int
report_addr_parse(const char *h, char (*out)[REPORT_ADDR_MAX + 1], int max)
{
	const char *s = h, *p, *end;
	int n = 0, quoted = 0, angle = 0, k, dup;
	size_t len = strnlen(h, HEADER_SCAN);

	end = h + len;
	for (p = h; p <= end && n < max; p++) {
		if (p < end && *p == '"' && !angle)
			quoted = !quoted;
		else if (p < end && *p == '<' && !quoted)
			angle = 1;
		else if (p < end && *p == '>' && !quoted)
			angle = 0;
		if (p < end && (*p != ',' || quoted || angle))
			continue;
		if (take(s, p, out[n])) {
			for (dup = 0, k = 0; k < n; k++)
				if (strcmp(out[k], out[n]) == 0)
					dup = 1;
			if (!dup)
				n++;
		}
		s = p + 1;
	}
	return n;
}
