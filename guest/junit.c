/*
 * JUnit XML, the pytest subset. Not a general XML parser: it scans for
 * the start tags it knows, reads their attributes (double or single
 * quoted, the five predefined entities and numeric references decoded),
 * and ignores everything else. Good enough because the writer is pytest,
 * and safe because every scan is bounded by the input length.
 */
#include "junit.h"
#include "buf.h"
#include "findings.h"
#include "jx.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define ATTR_MAX 512

/* Find "<tag" followed by a space, '>' or '/' at or after p. */
static const char *
find_tag(const char *p, const char *end, const char *tag)
{
	size_t n = strlen(tag);

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));

		if (!lt || (size_t)(end - lt) < n + 2)
			return NULL;
		if (!memcmp(lt + 1, tag, n) && strchr(" \t\r\n>/", lt[1 + n]))
			return lt;
		p = lt + 1;
	}
	return NULL;
}

/* End of the start tag beginning at p ('>' position), or NULL. Quotes
 * are honoured so a '>' inside an attribute does not end it. */
static const char *
tag_end(const char *p, const char *end)
{
	char q = 0;

	for (; p < end; p++) {
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '>') {
			return p;
		}
	}
	return NULL;
}

static void
decode_entity(const char **pp, const char *end, struct buf *b)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {{"lt;", '<'},
	            {"gt;", '>'},
	            {"amp;", '&'},
	            {"quot;", '"'},
	            {"apos;", '\''}};
	const char *p = *pp + 1;

	for (size_t i = 0; i < 5; i++) {
		size_t n = strlen(ents[i].name);

		if ((size_t)(end - p) >= n && !memcmp(p, ents[i].name, n)) {
			buf_addc(b, ents[i].c);
			*pp = p + n;
			return;
		}
	}
	if (p < end && *p == '#') {
		char *e;
		long v =
		    p[1] == 'x' ? strtol(p + 2, &e, 16) : strtol(p + 1, &e, 10);

		if (e < end && *e == ';' && v > 0 && v < 0x80) {
			buf_addc(b, (char)v);
			*pp = e + 1;
			return;
		}
	}
	buf_addc(b, '&');
	*pp = p;
}

/* The value of attribute `name` in the start tag [p, e), as a sanitized
 * JSON string, or NULL if absent. */
static json_t *
attr(const char *p, const char *e, const char *name)
{
	size_t n = strlen(name);

	for (; p + n + 2 < e; p++) {
		if ((p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' ||
		     p[-1] == '\r') &&
		    !memcmp(p, name, n) && p[n] == '=' &&
		    (p[n + 1] == '"' || p[n + 1] == '\'')) {
			char q = p[n + 1];
			const char *v = p + n + 2;
			struct buf b = BUF_INIT(ATTR_MAX);
			json_t *j;

			while (v < e && *v != q && b.len < ATTR_MAX) {
				if (*v == '&')
					decode_entity(&v, e, &b);
				else
					buf_addc(&b, *v++);
			}
			j = guest_jstr(buf_cstr(&b), b.len);
			buf_release(&b);
			return j;
		}
	}
	return NULL;
}

static double
attr_num(const char *p, const char *e, const char *name)
{
	json_t *j = attr(p, e, name);
	double v = 0;

	if (j) {
		v = strtod(json_string_value(j), NULL);
		json_decref(j);
	}
	return v < 0 || v > 1e9 ? 0 : v;
}

json_t *
guest_junit_parse(const char *xml, size_t len)
{
	const char *end = xml + len, *p = xml;
	json_t *out, *cases = json_array();
	long tests = 0, failed = 0, errors = 0, skipped = 0, dropped = 0;
	double total_s = 0;
	int suites = 0;

	for (const char *s = find_tag(p, end, "testsuite"); s;
	     s = find_tag(s + 1, end, "testsuite")) {
		const char *e = tag_end(s, end);

		if (!e)
			break;
		suites++;
		total_s += attr_num(s + 10, e, "time");
	}
	while ((p = find_tag(p, end, "testcase")) != NULL) {
		const char *e = tag_end(p, end), *body_end, *next;
		const char *outcome = "passed";
		json_t *c, *msg = NULL;

		if (!e)
			break;
		tests++;
		next = find_tag(e, end, "testcase");
		body_end = e[-1] == '/' ? e : (next ? next : end);
		{
			const char *close = NULL;
			const char *q = e;

			/* the case's body ends at its </testcase> */
			while (q < body_end) {
				const char *lt =
				    memchr(q, '<', (size_t)(body_end - q));

				if (!lt)
					break;
				if (!strncmp(lt, "</testcase>", 11) &&
				    (size_t)(body_end - lt) >= 11) {
					close = lt;
					break;
				}
				q = lt + 1;
			}
			if (close)
				body_end = close;
		}
		{
			const char *f = find_tag(e, body_end, "failure");
			const char *r = find_tag(e, body_end, "error");
			const char *k = find_tag(e, body_end, "skipped");
			const char *hit = f ? f : r ? r : k;

			if (f) {
				outcome = "failed";
				failed++;
			} else if (r) {
				outcome = "error";
				errors++;
			} else if (k) {
				outcome = "skipped";
				skipped++;
			}
			if (hit) {
				const char *he = tag_end(hit, body_end);

				if (he)
					msg = attr(hit + 1, he, "message");
			}
		}
		if (json_array_size(cases) >= GUEST_JUNIT_MAX_CASES) {
			dropped++;
			json_decref(msg);
			p = e;
			continue;
		}
		c = json_object();
		{
			json_t *cn = attr(p + 9, e, "classname");
			json_t *nm = attr(p + 9, e, "name");

			jx_set(c, "classname", cn ? cn : json_string(""));
			jx_set(c, "name", nm ? nm : json_string(""));
		}
		jx_set(c, "outcome", json_string(outcome));
		jx_set(c, "duration_ms",
		       json_integer(
		           (json_int_t)(attr_num(p + 9, e, "time") * 1000)));
		if (msg)
			jx_set(c, "message", msg);
		jx_append(cases, c);
		p = e;
	}
	if (!suites && !tests) {
		json_decref(cases);
		log_error("junit: no <testsuite> or <testcase> in %zu bytes",
		          len);
		return NULL;
	}
	out = json_object();
	{
		json_t *t = json_object();

		jx_set(t, "tests", json_integer(tests));
		jx_set(t, "passed",
		       json_integer(tests - failed - errors - skipped));
		jx_set(t, "failed", json_integer(failed));
		jx_set(t, "errors", json_integer(errors));
		jx_set(t, "skipped", json_integer(skipped));
		jx_set(t, "duration_ms",
		       json_integer((json_int_t)(total_s * 1000)));
		jx_set(out, "totals", t);
	}
	jx_set(out, "cases", cases);
	jx_set(out, "cases_dropped", json_integer(dropped));
	return out;
}
