/* Markup escaping (esc.h). */
#include "esc.h"

int
esc_markup(struct buf *b, const char *s, size_t n)
{
	size_t i, start = 0;
	int ret = 0;

	for (i = 0; i < n && ret == 0; i++) {
		const char *e;
		char sp[2] = " ";

		switch (s[i]) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&#39;";
			break;
		default:
			if ((unsigned char)s[i] >= 0x20)
				continue;
			e = sp;
		}
		ret = buf_add(b, s + start, i - start);
		if (ret == 0)
			ret = buf_adds(b, e);
		start = i + 1;
	}
	if (ret == 0)
		ret = buf_add(b, s + start, n - start);
	return ret;
}

int
esc_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
