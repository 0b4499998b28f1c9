/*
 * Parsing the simple index. The root listing can be 40 MB holding 886k
 * projects, too much for a DOM (jansson would need several hundred MB),
 * so the JSON root goes through a small streaming scanner that keeps only
 * names and serials, and the HTML root through libxml2's SAX parser.
 * Project pages are bounded by the body cap and parsed with jansson
 * (duplicate keys rejected) or libxml2's SAX parser.
 *
 * libxml2's HTML parser recovers from almost anything and still returns a
 * document, so errors are collected through the structured error hook and
 * any error (not warning) fails the page. Unknown tags are the exception:
 * libxml2 2.9 calls every HTML5 element unknown, and index pages may carry
 * any markup around their anchors.
 */
#include "simple.h"
#include "buf.h"
#include "jx.h"
#include "log.h"
#include "num.h"
#include "pep503.h"
#include "sha256.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Nesting deeper than this in a root listing is hostile, not data. */
#define SCAN_MAX_DEPTH 64
/* Longest string (name, attribute) kept from a root listing. */
#define SCAN_MAX_STRING 4096
#define ARENA_CHUNK (1 << 20)
/* Longest HTML attribute value (a URL, a yank reason) a page may carry. */
#define MAX_ATTRIBUTE 65536

int
simple_check_text(const char *body, size_t len, const char *what)
{
	const unsigned char *p = (const unsigned char *)body;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n, j;
		uint32_t cp;

		if (c == 0)
			return log_error("%s: NUL byte at byte %zu", what, i);
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return log_error("%s: invalid UTF-8 at byte %zu", what,
			                 i);
		if (len - i <= n)
			return log_error("%s: truncated UTF-8 at byte %zu",
			                 what, i);
		for (j = 1; j <= n; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return log_error("%s: invalid UTF-8 at byte "
				                 "%zu",
				                 what, i);
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return log_error("%s: invalid UTF-8 at byte %zu", what,
			                 i);
		i += n + 1;
	}
	return 0;
}

int
simple_content_kind(const char *ct)
{
	size_t n;

	if (!ct)
		return -1;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; \t");
	if ((n == strlen(SIMPLE_JSON_TYPE) &&
	     !strncasecmp(ct, SIMPLE_JSON_TYPE, n)) ||
	    (n == 16 && !strncasecmp(ct, "application/json", n)))
		return 1;
	if ((n == 9 && !strncasecmp(ct, "text/html", n)) ||
	    (n == 35 &&
	     !strncasecmp(ct, "application/vnd.pypi.simple.v1+html", n)))
		return 0;
	return -1;
}

/* The api-version must be 1.x: a new major version must fail (PEP 629). */
static int
check_api_version(const char *v, const char *url)
{
	if (v && strncmp(v, "1.", 2) && strcmp(v, "1"))
		return log_error("page '%s': unsupported api-version '%s'", url,
		                 v);
	return 0;
}

/* ---- the root listing ---- */

static const char *
arena_put(struct simple_root *r, const char *s, size_t n)
{
	char *dst;

	if (!r->nchunks || r->chunk_used + n + 1 > ARENA_CHUNK) {
		size_t size = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;

		r->chunks = xreallocarray(r->chunks, r->nchunks + 1,
		                          sizeof(*r->chunks));
		r->chunks[r->nchunks++] = xmalloc(size);
		r->chunk_used = 0;
	}
	dst = r->chunks[r->nchunks - 1] + r->chunk_used;
	memcpy(dst, s, n);
	dst[n] = '\0';
	r->chunk_used += n + 1;
	return dst;
}

static void
root_add(struct simple_root *r, const char *name, size_t len, int64_t serial)
{
	struct simple_project *p;
	char norm[PEP503_MAX_LEN + 1];
	size_t nlen;

	if (!pep503_valid(name, len)) {
		if (r->skipped++ < 10)
			log_warn("root listing: skipping invalid project name "
			         "'%.*s'",
			         (int)(len > 200 ? 200 : len), name);
		return;
	}
	nlen = pep503_normalize_to(norm, name, len);
	XGROW(r->projects, r->n + 1, r->alloc);
	p = &r->projects[r->n++];
	p->display = arena_put(r, name, len);
	p->norm = nlen == len && !memcmp(norm, name, len)
	              ? p->display
	              : arena_put(r, norm, nlen);
	p->serial = serial;
}

static int
cmp_project(const void *a, const void *b)
{
	return strcmp(((const struct simple_project *)a)->norm,
	              ((const struct simple_project *)b)->norm);
}

static int
root_finish(struct simple_root *r, const char *url)
{
	size_t i;

	if (r->n)
		qsort(r->projects, r->n, sizeof(*r->projects), cmp_project);
	for (i = 1; i < r->n; i++)
		if (!strcmp(r->projects[i - 1].norm, r->projects[i].norm))
			return log_error("root listing '%s': project '%s' is "
			                 "listed twice",
			                 url, r->projects[i].norm);
	return 0;
}

void
simple_root_release(struct simple_root *r)
{
	size_t i;

	for (i = 0; i < r->nchunks; i++)
		free(r->chunks[i]);
	free(r->chunks);
	free(r->projects);
	memset(r, 0, sizeof(*r));
	r->serial = SIMPLE_NO_SERIAL;
}

const struct simple_project *
simple_root_find(const struct simple_root *r, const char *norm)
{
	struct simple_project key = {norm, NULL, 0};

	if (!r->n)
		return NULL;
	return bsearch(&key, r->projects, r->n, sizeof(*r->projects),
	               cmp_project);
}

/*
 * The streaming JSON scanner for the root: a strict recursive descent over
 * the body that validates everything and keeps only meta._last-serial,
 * meta.api-version and projects[].{name,_last-serial}.
 */
struct scan {
	const char *p, *start, *end;
	const char *err;
	struct buf str;
	int depth;
};

static int
scan_fail(struct scan *s, const char *why)
{
	if (!s->err)
		s->err = why;
	return -1;
}

static void
scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	                         *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
scan_lit(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
		return scan_fail(s, "invalid literal");
	s->p += n;
	return 0;
}

static int
hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void
put_utf8(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	buf_add(b, u, n);
}

/* A string into s->str (when keep) or just validated. The body's UTF-8
 * was checked beforehand. */
static int
scan_string(struct scan *s, int keep)
{
	buf_reset(&s->str);
	if (s->p >= s->end || *s->p != '"')
		return scan_fail(s, "expected a string");
	s->p++;
	for (;;) {
		const char *q = s->p;
		uint32_t cp, lo;

		while (q < s->end && *q != '"' && *q != '\\' &&
		       (unsigned char)*q >= 0x20)
			q++;
		if (keep && buf_add(&s->str, s->p, (size_t)(q - s->p)))
			return scan_fail(s, "string too long");
		s->p = q;
		if (q >= s->end)
			return scan_fail(s, "unterminated string");
		if (*q == '"') {
			s->p++;
			return 0;
		}
		if ((unsigned char)*q < 0x20)
			return scan_fail(s, "control character in string");
		if (s->end - q < 2)
			return scan_fail(s, "unterminated string");
		s->p = q + 2;
		switch (q[1]) {
		case '"':
		case '\\':
		case '/':
			cp = (unsigned char)q[1];
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (s->end - s->p < 4 || hex4(s->p, &cp))
				return scan_fail(s, "invalid \\u escape");
			s->p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return scan_fail(s, "lone surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (s->end - s->p < 6 || s->p[0] != '\\' ||
				    s->p[1] != 'u' || hex4(s->p + 2, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return scan_fail(s, "lone surrogate");
				s->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			if (cp == 0)
				return scan_fail(s, "\\u0000 in string");
			break;
		default:
			return scan_fail(s, "invalid escape");
		}
		if (keep) {
			if (s->str.len > SCAN_MAX_STRING)
				return scan_fail(s, "string too long");
			put_utf8(&s->str, cp);
		}
	}
}

/* A number; *out gets it when it is a non-negative integer that fits
 * (*is_int says so). */
static int
scan_number(struct scan *s, int64_t *out, int *is_int)
{
	const char *q = s->p;
	char tmp[32];
	int integer = 1;

	if (q < s->end && *q == '-')
		q++;
	if (q >= s->end || *q < '0' || *q > '9')
		return scan_fail(s, "invalid number");
	if (*q == '0' && q + 1 < s->end && q[1] >= '0' && q[1] <= '9')
		return scan_fail(s, "invalid number (leading zero)");
	while (q < s->end && *q >= '0' && *q <= '9')
		q++;
	if (q < s->end && *q == '.') {
		integer = 0;
		q++;
		if (q >= s->end || *q < '0' || *q > '9')
			return scan_fail(s, "invalid number");
		while (q < s->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < s->end && (*q == 'e' || *q == 'E')) {
		integer = 0;
		q++;
		if (q < s->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= s->end || *q < '0' || *q > '9')
			return scan_fail(s, "invalid number");
		while (q < s->end && *q >= '0' && *q <= '9')
			q++;
	}
	*is_int = 0;
	if (integer && *s->p != '-' && (size_t)(q - s->p) < sizeof(tmp)) {
		memcpy(tmp, s->p, (size_t)(q - s->p));
		tmp[q - s->p] = '\0';
		if (!num_parse_i64(tmp, 0, INT64_MAX, out))
			*is_int = 1;
	}
	s->p = q;
	return 0;
}

static int scan_skip(struct scan *s);

/* Walk an object, calling fn(s, key, arg) positioned at each value; fn
 * must consume the value. */
static int
scan_object(struct scan *s, int (*fn)(struct scan *, const char *, void *),
            void *arg)
{
	if (++s->depth > SCAN_MAX_DEPTH)
		return scan_fail(s, "nested too deeply");
	if (s->p >= s->end || *s->p != '{')
		return scan_fail(s, "expected an object");
	s->p++;
	scan_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		char key[64];

		scan_ws(s);
		if (scan_string(s, 1))
			return -1;
		snprintf(key, sizeof(key), "%s", buf_cstr(&s->str));
		if (s->str.len >= sizeof(key))
			key[0] = '\0'; /* no key we want is that long */
		scan_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return scan_fail(s, "expected ':'");
		s->p++;
		scan_ws(s);
		if (fn ? fn(s, key, arg) : scan_skip(s))
			return -1;
		scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			s->depth--;
			return 0;
		}
		return scan_fail(s, "expected ',' or '}'");
	}
}

static int
scan_array(struct scan *s, int (*fn)(struct scan *, void *), void *arg)
{
	if (++s->depth > SCAN_MAX_DEPTH)
		return scan_fail(s, "nested too deeply");
	if (s->p >= s->end || *s->p != '[')
		return scan_fail(s, "expected an array");
	s->p++;
	scan_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		scan_ws(s);
		if (fn ? fn(s, arg) : scan_skip(s))
			return -1;
		scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			s->depth--;
			return 0;
		}
		return scan_fail(s, "expected ',' or ']'");
	}
}

static int
scan_skip(struct scan *s)
{
	int64_t v;
	int is_int;

	scan_ws(s);
	if (s->p >= s->end)
		return scan_fail(s, "unexpected end");
	switch (*s->p) {
	case '{':
		return scan_object(s, NULL, NULL);
	case '[':
		return scan_array(s, NULL, NULL);
	case '"':
		return scan_string(s, 0);
	case 't':
		return scan_lit(s, "true");
	case 'f':
		return scan_lit(s, "false");
	case 'n':
		return scan_lit(s, "null");
	default:
		return scan_number(s, &v, &is_int);
	}
}

/* A serial: a non-negative integer, or null (none). */
static int
scan_serial(struct scan *s, int64_t *out)
{
	int is_int;

	if (s->p < s->end && *s->p == 'n') {
		*out = SIMPLE_NO_SERIAL;
		return scan_lit(s, "null");
	}
	if (scan_number(s, out, &is_int))
		return -1;
	return is_int ? 0 : scan_fail(s, "_last-serial is not a serial");
}

struct root_scan {
	struct simple_root *root;
	const char *url;
	char *name;
	size_t name_len;
	int64_t serial;
	int have_name, have_serial;
	char api[32];
};

static int
meta_key(struct scan *s, const char *key, void *arg)
{
	struct root_scan *rs = arg;

	if (!strcmp(key, "_last-serial"))
		return scan_serial(s, &rs->root->serial);
	if (!strcmp(key, "api-version")) {
		if (scan_string(s, 1))
			return -1;
		snprintf(rs->api, sizeof(rs->api), "%s", buf_cstr(&s->str));
		return 0;
	}
	return scan_skip(s);
}

static int
project_key(struct scan *s, const char *key, void *arg)
{
	struct root_scan *rs = arg;

	if (!strcmp(key, "name")) {
		if (rs->have_name)
			return scan_fail(s, "duplicate key 'name'");
		if (scan_string(s, 1))
			return -1;
		free(rs->name);
		rs->name = buf_detach(&s->str, &rs->name_len);
		rs->have_name = 1;
		return 0;
	}
	if (!strcmp(key, "_last-serial")) {
		if (rs->have_serial)
			return scan_fail(s, "duplicate key '_last-serial'");
		rs->have_serial = 1;
		return scan_serial(s, &rs->serial);
	}
	return scan_skip(s);
}

static int
project_item(struct scan *s, void *arg)
{
	struct root_scan *rs = arg;

	rs->have_name = rs->have_serial = 0;
	rs->serial = SIMPLE_NO_SERIAL;
	if (scan_object(s, project_key, rs))
		return -1;
	if (!rs->have_name)
		return scan_fail(s, "project without a name");
	root_add(rs->root, rs->name, rs->name_len, rs->serial);
	return 0;
}

static int
root_key(struct scan *s, const char *key, void *arg)
{
	if (!strcmp(key, "meta"))
		return scan_object(s, meta_key, arg);
	if (!strcmp(key, "projects"))
		return scan_array(s, project_item, arg);
	return scan_skip(s);
}

static int
parse_root_json(const char *body, size_t len, const char *url,
                struct simple_root *r)
{
	struct scan s = {body, body, body + len, NULL, BUF_INIT(0), 0};
	struct root_scan rs = {r, url, NULL, 0, 0, 0, 0, ""};
	int ret = 0;

	scan_ws(&s);
	if (scan_object(&s, root_key, &rs))
		ret = -1;
	scan_ws(&s);
	if (!ret && s.p != s.end) {
		scan_fail(&s, "text after the document");
		ret = -1;
	}
	if (ret)
		log_error("cannot parse root listing '%s': %s at byte %zu", url,
		          s.err, (size_t)(s.p - s.start));
	else
		ret = check_api_version(rs.api[0] ? rs.api : NULL, url);
	free(rs.name);
	buf_release(&s.str);
	return ret;
}

/* ---- HTML through libxml2's SAX parser ---- */

struct html_file {
	char *href;
	char *requires_python; /* NULL: absent */
	char *yanked; /* NULL: absent */
	char *core_metadata; /* NULL: absent */
	char *dist_info; /* NULL: absent */
	struct buf text;
};

struct html_sax {
	const char *url;
	int failed;
	char *error; /* first parser error, owned */
	int is_root;
	struct simple_root *root;
	json_t *files;
	char *base;
	char *status;
	char *status_reason;
	char *api;
	int64_t serial;
	int in_a;
	struct html_file a;
	size_t nanchors;
};

static const char *
attr(const xmlChar **attrs, const char *name)
{
	size_t i;

	for (i = 0; attrs && attrs[i]; i += 2)
		if (!strcasecmp((const char *)attrs[i], name))
			return attrs[i + 1] ? (const char *)attrs[i + 1] : "";
	return NULL;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
html_file_clear(struct html_file *f)
{
	free(f->href);
	free(f->requires_python);
	free(f->yanked);
	free(f->core_metadata);
	free(f->dist_info);
	buf_release(&f->text);
	memset(f, 0, sizeof(*f));
	buf_init(&f->text, SCAN_MAX_STRING);
}

static void
sax_start(void *ctx, const xmlChar *xname, const xmlChar **attrs)
{
	struct html_sax *h = ctx;
	const char *name = (const char *)xname;
	size_t i;

	if (h->failed)
		return;
	for (i = 0; attrs && attrs[i]; i += 2) {
		if (attrs[i + 1] &&
		    strlen((const char *)attrs[i + 1]) > MAX_ATTRIBUTE) {
			struct buf b = BUF_INIT(0);

			buf_addf(&b, "attribute '%.100s' longer than %d bytes",
			         (const char *)attrs[i], MAX_ATTRIBUTE);
			h->failed = 1;
			if (!h->error)
				h->error = buf_detach(&b, NULL);
			buf_release(&b);
			return;
		}
	}
	if (!strcasecmp(name, "a")) {
		html_file_clear(&h->a);
		h->in_a = 1;
		h->a.href = dup_or_null(attr(attrs, "href"));
		h->a.requires_python =
		    dup_or_null(attr(attrs, "data-requires-python"));
		h->a.yanked = dup_or_null(attr(attrs, "data-yanked"));
		h->a.core_metadata =
		    dup_or_null(attr(attrs, "data-core-metadata"));
		h->a.dist_info =
		    dup_or_null(attr(attrs, "data-dist-info-metadata"));
	} else if (!strcasecmp(name, "base") && !h->base) {
		h->base = dup_or_null(attr(attrs, "href"));
	} else if (!strcasecmp(name, "meta")) {
		const char *n = attr(attrs, "name");
		const char *c = attr(attrs, "content");

		if (n && c && !strcmp(n, "pypi:project-status") && !h->status)
			h->status = xstrdup(c);
		if (n && c && !strcmp(n, "pypi:project-status-reason") &&
		    !h->status_reason)
			h->status_reason = xstrdup(c);
		if (n && c && !strcmp(n, "pypi:repository-version") && !h->api)
			h->api = xstrdup(c);
	}
}

static void
sax_chars(void *ctx, const xmlChar *ch, int len)
{
	struct html_sax *h = ctx;

	if (h->in_a && !h->failed && buf_add(&h->a.text, ch, (size_t)len)) {
		h->failed = 1;
		if (!h->error)
			h->error = xstrdup("anchor text too long");
	}
}

static void
trim(struct buf *b)
{
	size_t start = 0, end = b->len;

	while (start < end && strchr(" \t\r\n", b->data[start]))
		start++;
	while (end > start && strchr(" \t\r\n", b->data[end - 1]))
		end--;
	if (start)
		memmove(b->data, b->data + start, end - start);
	buf_truncate(b, end - start);
}

static int html_file_done(struct html_sax *h);

static void
sax_end(void *ctx, const xmlChar *xname)
{
	struct html_sax *h = ctx;

	if (h->failed || !h->in_a || strcasecmp((const char *)xname, "a"))
		return;
	h->in_a = 0;
	h->nanchors++;
	trim(&h->a.text);
	if (h->is_root) {
		root_add(h->root, buf_cstr(&h->a.text), h->a.text.len,
		         SIMPLE_NO_SERIAL);
		return;
	}
	if (html_file_done(h))
		h->failed = 1;
}

static void
sax_comment(void *ctx, const xmlChar *value)
{
	struct html_sax *h = ctx;
	const char *v = (const char *)value;
	int64_t n;

	if (!strncmp(v, "SERIAL ", 7) &&
	    !num_parse_i64(v + 7, 0, INT64_MAX, &n))
		h->serial = n;
}

static void
sax_error(void *ctx, xmlErrorPtr err)
{
	struct html_sax *h = ctx;

	if (err->level < XML_ERR_ERROR || err->code == XML_HTML_UNKNOWN_TAG)
		return;
	h->failed = 1;
	if (!h->error) {
		char *m = xstrdup(err->message ? err->message : "parse error");
		size_t n = strlen(m);

		while (n && m[n - 1] == '\n')
			m[--n] = '\0';
		h->error = m;
		/* Line numbers help whoever reads the hostile page. */
		if (err->line > 0) {
			struct buf b = BUF_INIT(0);

			buf_addf(&b, "line %d: %s", err->line, m);
			free(m);
			h->error = buf_detach(&b, NULL);
		}
	}
}

static int
parse_html(const char *body, size_t len, struct html_sax *h)
{
	htmlSAXHandler sax;
	htmlParserCtxtPtr ctxt;
	size_t off = 0;

	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElement = sax_start;
	sax.endElement = sax_end;
	sax.characters = sax_chars;
	sax.cdataBlock = sax_chars;
	sax.comment = sax_comment;
	sax.serror = sax_error;
	buf_init(&h->a.text, SCAN_MAX_STRING);
	ctxt = htmlCreatePushParserCtxt(&sax, h, NULL, 0, h->url,
	                                XML_CHAR_ENCODING_UTF8);
	if (!ctxt)
		log_die("out of memory creating an HTML parser");
	htmlCtxtUseOptions(ctxt, HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED |
	                             HTML_PARSE_COMPACT);
	/* In pieces: libxml2 takes an int length. */
	while (!h->failed && len - off > (1 << 20)) {
		htmlParseChunk(ctxt, body + off, 1 << 20, 0);
		off += 1 << 20;
	}
	if (!h->failed)
		htmlParseChunk(ctxt, body + off, (int)(len - off), 1);
	htmlFreeParserCtxt(ctxt);
	html_file_clear(&h->a);
	buf_release(&h->a.text);
	if (h->failed)
		return log_error("cannot parse page '%s': %s", h->url,
		                 h->error ? h->error : "parse error");
	return check_api_version(h->api, h->url);
}

static void
html_sax_init(struct html_sax *h, const char *url)
{
	memset(h, 0, sizeof(*h));
	h->url = url;
	h->serial = SIMPLE_NO_SERIAL;
}

static void
html_sax_release(struct html_sax *h)
{
	free(h->error);
	free(h->base);
	free(h->status);
	free(h->status_reason);
	free(h->api);
}

/*
 * Whether a response is JSON (1) or HTML (0) text a parser may see;
 * -1 logged, naming what, when it is neither or not text.
 */
static int
document_kind(const char *body, size_t len, const char *ct, const char *what)
{
	int kind = simple_content_kind(ct);

	if (kind < 0)
		return log_error("%s: unexpected content type '%s'", what,
		                 ct ? ct : "(none)");
	if (simple_check_text(body, len, what))
		return -1;
	return kind;
}

int
simple_parse_root(const char *body, size_t len, const char *ct, const char *url,
                  struct simple_root *r)
{
	char what[1100];
	int kind;

	memset(r, 0, sizeof(*r));
	r->serial = SIMPLE_NO_SERIAL;
	snprintf(what, sizeof(what), "root listing '%s'", url);
	if ((kind = document_kind(body, len, ct, what)) < 0)
		return -1;
	if (kind == 1) {
		if (parse_root_json(body, len, url, r))
			goto fail;
	} else {
		struct html_sax h;
		int ret;

		html_sax_init(&h, url);
		h.is_root = 1;
		h.root = r;
		ret = parse_html(body, len, &h);
		html_sax_release(&h);
		if (ret)
			goto fail;
	}
	if (root_finish(r, url))
		goto fail;
	return 0;
fail:
	simple_root_release(r);
	return -1;
}

/* ---- project pages ---- */

/* Whether a URL names its scheme ("https:..."), i.e. is absolute. */
static int
has_scheme(const char *u)
{
	const char *p = u;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while (*p && (strchr("+-.", *p) || (*p >= 'a' && *p <= 'z') ||
	              (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
		p++;
	return *p == ':';
}

/*
 * Resolve ref against base into an owned string. Absolute http(s) URLs
 * are kept exactly as the index gave them; other schemes are refused
 * (an index that points at file: or javascript: is hostile). Returns NULL
 * with *why set on failure.
 */
static char *
resolve_url(const char *base, const char *ref, const char **why)
{
	CURLU *u;
	char *out = NULL, *ret = NULL;

	if (has_scheme(ref)) {
		if (strncasecmp(ref, "http://", 7) &&
		    strncasecmp(ref, "https://", 8)) {
			*why = "url scheme is not http or https";
			return NULL;
		}
		return xstrdup(ref);
	}
	u = curl_url();
	if (!u)
		log_die("out of memory resolving a url");
	if (curl_url_set(u, CURLUPART_URL, base, 0) ||
	    curl_url_set(u, CURLUPART_URL, ref, CURLU_URLENCODE) ||
	    curl_url_get(u, CURLUPART_URL, &out, 0)) {
		*why = "cannot resolve relative url";
	} else {
		ret = xstrdup(out);
	}
	curl_free(out);
	curl_url_cleanup(u);
	return ret;
}

static json_t *
new_file(const char *filename, const char *url)
{
	json_t *f = json_object();

	if (!f)
		log_die("out of memory");
	jx_set(f, "filename", json_string(filename));
	jx_set(f, "url", json_string(url));
	return f;
}

/* A "<hash>=<hex>" HTML attribute value or "true" as dump's
 * core_metadata. */
static json_t *
html_core_metadata(const char *v, const char **why)
{
	json_t *o;

	if (!strcmp(v, "true"))
		return json_true();
	if (!strncmp(v, "sha256=", 7)) {
		if (!sha256_is_hex(v + 7)) {
			*why = "core metadata sha256 is not 64 hex digits";
			return NULL;
		}
		o = json_object();
		jx_set(o, "sha256", json_string(v + 7));
		return o;
	}
	if (strchr(v, '='))
		return json_true(); /* another hash: metadata exists */
	*why = "invalid core metadata attribute";
	return NULL;
}

static int
html_file_done(struct html_sax *h)
{
	struct html_file *a = &h->a;
	const char *why = NULL, *frag;
	char *href, *url = NULL;
	json_t *f = NULL, *cm = NULL;
	const char *filename = buf_cstr(&a->text);
	char sha[SHA256_HEX_LEN + 1] = "";

	if (!a->href)
		return 0; /* an anchor that is not a link: not a file */
	href = xstrdup(a->href);
	frag = strchr(href, '#');
	if (frag) {
		href[frag - href] = '\0';
		frag++;
		if (!strncmp(frag, "sha256=", 7)) {
			if (!sha256_is_hex(frag + 7)) {
				why = "sha256 fragment is not 64 hex digits";
				goto out;
			}
			memcpy(sha, frag + 7, SHA256_HEX_LEN + 1);
		}
	}
	if (!*filename) {
		why = "link without text (the filename)";
		goto out;
	}
	url = resolve_url(h->base ? h->base : h->url, href, &why);
	if (!url)
		goto out;
	if (a->core_metadata || a->dist_info) {
		cm = html_core_metadata(
		    a->core_metadata ? a->core_metadata : a->dist_info, &why);
		if (!cm)
			goto out;
	}
	f = new_file(filename, url);
	jx_set(f, "sha256", sha[0] ? json_string(sha) : json_null());
	jx_set(f, "requires_python", jx_string_or_null(a->requires_python));
	if (!a->yanked)
		jx_set(f, "yanked", json_false());
	else if (!*a->yanked)
		jx_set(f, "yanked", json_true());
	else
		jx_set(f, "yanked", json_string(a->yanked));
	jx_set(f, "size", json_null());
	jx_set(f, "upload_time", json_null());
	jx_set(f, "core_metadata", cm ? cm : json_false());
	cm = NULL;
	jx_append(h->files, f);
out:
	json_decref(cm);
	if (why && !h->error) {
		struct buf b = BUF_INIT(0);

		buf_addf(&b, "file '%.200s': %s", filename, why);
		h->error = buf_detach(&b, NULL);
	}
	free(href);
	free(url);
	return why ? -1 : 0;
}

/* One file object of a JSON page, in dump shape, or NULL with *why. */
static json_t *
json_file(const json_t *in, const char *page_url, const char **why)
{
	const char *filename, *url;
	const json_t *hashes, *v, *cm = NULL;
	json_t *f = NULL;
	char *abs = NULL;
	static const char *const cm_keys[] = {
	    "core-metadata", "dist-info-metadata", "data-dist-info-metadata"};
	size_t i;

	if (!json_is_object(in))
		return *why = "file entry is not an object", NULL;
	filename = jx_str(in, "filename");
	if (!filename || !*filename)
		return *why = "file without a filename", NULL;
	url = jx_str(in, "url");
	if (!url || !*url)
		return *why = "file without a url", NULL;
	hashes = json_object_get(in, "hashes");
	if (!json_is_object(hashes))
		return *why = "file without a hashes object", NULL;
	v = json_object_get(hashes, "sha256");
	if (v && (!json_is_string(v) || !sha256_is_hex(json_string_value(v))))
		return *why = "sha256 is not 64 hex digits", NULL;
	abs = resolve_url(page_url, url, why);
	if (!abs)
		return NULL;
	f = new_file(filename, abs);
	free(abs);
	jx_set(f, "sha256",
	       v ? json_incref((json_t *)(uintptr_t)v) : json_null());

	v = json_object_get(in, "requires-python");
	if (v && !json_is_null(v) && !json_is_string(v))
		goto bad_type;
	jx_set(f, "requires_python",
	       v ? json_incref((json_t *)(uintptr_t)v) : json_null());

	v = json_object_get(in, "yanked");
	if (v && !json_is_boolean(v) && !json_is_string(v))
		goto bad_type;
	jx_set(f, "yanked",
	       v ? json_incref((json_t *)(uintptr_t)v) : json_false());

	v = json_object_get(in, "size");
	if (v && !json_is_null(v) &&
	    (!json_is_integer(v) || json_integer_value(v) < 0))
		goto bad_type;
	jx_set(f, "size",
	       v ? json_incref((json_t *)(uintptr_t)v) : json_null());

	v = json_object_get(in, "upload-time");
	if (v && !json_is_null(v) && !json_is_string(v))
		goto bad_type;
	jx_set(f, "upload_time",
	       v ? json_incref((json_t *)(uintptr_t)v) : json_null());

	for (i = 0; i < 3 && !cm; i++)
		cm = json_object_get(in, cm_keys[i]);
	if (!cm || json_is_false(cm) || json_is_null(cm)) {
		jx_set(f, "core_metadata", json_false());
	} else if (json_is_true(cm)) {
		jx_set(f, "core_metadata", json_true());
	} else if (json_is_object(cm)) {
		const json_t *h = json_object_get(cm, "sha256");
		json_t *o;

		if (!h) {
			jx_set(f, "core_metadata", json_true());
		} else if (!json_is_string(h) ||
		           !sha256_is_hex(json_string_value(h))) {
			*why = "core-metadata sha256 is not 64 hex digits";
			json_decref(f);
			return NULL;
		} else {
			o = json_object();
			jx_set(o, "sha256",
			       json_incref((json_t *)(uintptr_t)h));
			jx_set(f, "core_metadata", o);
		}
	} else {
		goto bad_type;
	}
	return f;
bad_type:
	*why = "a field has the wrong type";
	json_decref(f);
	return NULL;
}

static int
parse_page_json(const char *body, size_t len, const char *url,
                struct simple_page *page)
{
	char what[1100];
	json_t *doc, *files, *out = NULL;
	const json_t *meta, *st;
	const char *why = NULL, *fname = "";
	size_t i;
	int64_t serial;
	int ret = -1;

	snprintf(what, sizeof(what), "page '%s'", url);
	doc = jx_parse(body, len, what);
	if (!doc)
		return -1;
	if (!json_is_object(doc)) {
		why = "not a JSON object";
		goto out;
	}
	meta = json_object_get(doc, "meta");
	if (meta && !json_is_object(meta)) {
		why = "meta is not an object";
		goto out;
	}
	if (meta && check_api_version(jx_str(meta, "api-version"), url))
		goto out_logged;
	page->serial = SIMPLE_NO_SERIAL;
	if (meta) {
		int rc = jx_int(meta, "_last-serial", &serial);

		if (rc < 0 || (rc == 0 && serial < 0)) {
			why = "meta._last-serial is not a serial";
			goto out;
		}
		if (rc == 0)
			page->serial = serial;
	}
	files = json_object_get(doc, "files");
	if (!json_is_array(files)) {
		why = "no files array";
		goto out;
	}
	out = json_array();
	for (i = 0; i < json_array_size(files); i++) {
		json_t *f = json_file(json_array_get(files, i), url, &why);

		if (!f) {
			fname = jx_str(json_array_get(files, i), "filename");
			goto out;
		}
		jx_append(out, f);
	}
	if (jx_str(doc, "name"))
		page->name = xstrdup(jx_str(doc, "name"));
	/* PEP 792 as PyPI serves it (top level); the spec's first example
	 * put it in meta, which is read too. */
	st = json_object_get(doc, "project-status");
	if (!json_is_object(st))
		st = json_object_get(json_object_get(doc, "meta"),
		                     "project-status");
	if (json_is_object(st) && jx_str(st, "status"))
		page->status = xstrdup(jx_str(st, "status"));
	if (json_is_object(st) && jx_str(st, "reason"))
		page->status_reason = xstrdup(jx_str(st, "reason"));
	page->files = out;
	out = NULL;
	ret = 0;
out:
	if (why && fname && *fname)
		log_error("page '%s': file '%.200s': %s", url, fname, why);
	else if (why)
		log_error("page '%s': %s", url, why);
out_logged:
	json_decref(out);
	json_decref(doc);
	return ret;
}

/*
 * PyPI puts "<!--SERIAL n-->" after </html>, where libxml2 does not
 * report comments; look for the last one in the raw text.
 */
static int64_t
html_serial_comment(const char *body, size_t len)
{
	static const char tag[] = "<!--SERIAL ";
	const char *p = NULL, *q = body, *end = body + len;
	char digits[24];
	size_t n = 0;
	int64_t v;

	while ((q = memmem(q, (size_t)(end - q), tag, sizeof(tag) - 1))) {
		p = q;
		q += sizeof(tag) - 1;
	}
	if (!p)
		return SIMPLE_NO_SERIAL;
	p += sizeof(tag) - 1;
	while (p + n < end && n < sizeof(digits) - 1 && p[n] >= '0' &&
	       p[n] <= '9')
		n++;
	memcpy(digits, p, n);
	digits[n] = '\0';
	if (end - (p + n) < 3 || memcmp(p + n, "-->", 3) ||
	    num_parse_i64(digits, 0, INT64_MAX, &v))
		return SIMPLE_NO_SERIAL;
	return v;
}

static int
cmp_file(const void *a, const void *b)
{
	const json_t *fa = *(json_t *const *)a, *fb = *(json_t *const *)b;

	return strcmp(jx_str(fa, "filename"), jx_str(fb, "filename"));
}

/*
 * Sort by filename: the dump's order must be a function of the page, and
 * a file is identified by its name. A name listed twice (never on PyPI,
 * possible elsewhere) costs only that name: identical entries are taken
 * once; entries that disagree are all left out, with a warning, and the
 * rest of the page is kept. qsort is not stable, so equal names are
 * compared as whole entries.
 */
static int
sort_files(struct simple_page *page, const char *url)
{
	size_t i, j, n = json_array_size(page->files);
	json_t **v, *sorted;

	if (n < 2)
		return 0;
	v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_array_get(page->files, i);
	qsort(v, n, sizeof(*v), cmp_file);
	sorted = json_array();
	for (i = 0; i < n; i = j) {
		int conflict = 0;

		for (j = i + 1; j < n && !cmp_file(&v[i], &v[j]); j++)
			if (!json_equal(v[i], v[j]))
				conflict = 1;
		if (conflict) {
			log_warn("page '%s': file '%.200s' is listed %zu times "
			         "with different details; left out",
			         url, jx_str(v[i], "filename"), j - i);
			continue;
		}
		if (j - i > 1)
			log_debug("page '%s': file '%.200s' listed %zu times, "
			          "identically; taken once",
			          url, jx_str(v[i], "filename"), j - i);
		jx_append(sorted, json_incref(v[i]));
	}
	free(v);
	json_decref(page->files);
	page->files = sorted;
	return 0;
}

/* PEP 792: one of four markers; an unknown one is kept as "active" with a
 * warning (a newer index, not a broken one); a reason is bounded. */
static int
check_status(struct simple_page *page, const char *url)
{
	static const char *const known[] = {"active", "archived",
	                                    "quarantined", "deprecated"};
	size_t i;

	if (page->status_reason && strlen(page->status_reason) > 4096)
		page->status_reason[4096] = '\0';
	if (!page->status)
		return 0;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(page->status, known[i]))
			return 0;
	log_warn("page '%s': unknown project status '%.64s', taken as active",
	         url, page->status);
	free(page->status);
	page->status = xstrdup("active");
	return 0;
}

int
simple_parse_page(const char *body, size_t len, const char *ct, const char *url,
                  struct simple_page *page)
{
	char what[1100];
	int kind;

	memset(page, 0, sizeof(*page));
	page->serial = SIMPLE_NO_SERIAL;
	snprintf(what, sizeof(what), "page '%s'", url);
	if ((kind = document_kind(body, len, ct, what)) < 0)
		return -1;
	if (kind == 1) {
		if (parse_page_json(body, len, url, page))
			goto fail;
	} else {
		struct html_sax h;
		int ret;

		html_sax_init(&h, url);
		h.files = json_array();
		ret = parse_html(body, len, &h);
		page->files = h.files;
		page->serial = h.serial != SIMPLE_NO_SERIAL
		                   ? h.serial
		                   : html_serial_comment(body, len);
		page->status = h.status;
		page->status_reason = h.status_reason;
		h.status = h.status_reason = NULL;
		html_sax_release(&h);
		if (ret)
			goto fail;
	}
	if (sort_files(page, url) || check_status(page, url))
		goto fail;
	return 0;
fail:
	simple_page_release(page);
	return -1;
}

void
simple_page_release(struct simple_page *page)
{
	json_decref(page->files);
	free(page->name);
	free(page->status);
	free(page->status_reason);
	memset(page, 0, sizeof(*page));
	page->serial = SIMPLE_NO_SERIAL;
}
