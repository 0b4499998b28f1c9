/*
 * The bounds pass: a byte loop that knows strings (and their escapes)
 * from structure, counts every value start and tracks the nesting depth.
 */
#include "gjson.h"
#include "jx.h"
#include "log.h"

#include <stdio.h>

static int
scalar_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '-' || c == '+' || c == '.';
}

void
run_gjson_measure(const char *data, size_t len, size_t *nodes, size_t *depth)
{
	size_t i, n = 0, d = 0, maxd = 0;
	int in_str = 0, esc = 0, in_scalar = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (scalar_char(c)) {
			if (!in_scalar)
				n++;
			in_scalar = 1;
			continue;
		}
		in_scalar = 0;
		switch (c) {
		case '"':
			in_str = 1;
			n++;
			break;
		case '{':
		case '[':
			n++;
			if (++d > maxd)
				maxd = d;
			break;
		case '}':
		case ']':
			if (d)
				d--;
			break;
		default:
			break;
		}
	}
	*nodes = n;
	*depth = maxd;
}

json_t *
run_gjson_parse(const char *data, size_t len, const char *what,
                size_t max_nodes, size_t max_depth, char *why, size_t whylen)
{
	size_t nodes, depth;
	json_t *j;

	run_gjson_measure(data, len, &nodes, &depth);
	if (nodes > max_nodes) {
		snprintf(why, whylen, "%s has %zu JSON values, more than %zu",
		         what, nodes, max_nodes);
		log_error("%s", why);
		return NULL;
	}
	if (depth > max_depth) {
		snprintf(why, whylen, "%s nests %zu levels deep, more than %zu",
		         what, depth, max_depth);
		log_error("%s", why);
		return NULL;
	}
	j = jx_parse(data, len, what);
	if (!j)
		snprintf(why, whylen, "%s is not valid JSON", what);
	return j;
}
