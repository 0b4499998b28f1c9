/*
 * The record scanner (scan.h): a recursive-descent JSON reader that
 * unescapes the strings it keeps into the arena and only checks the
 * rest.
 */
#include "scan.h"

#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sc {
	const char *p, *e;
	char *out; /* next free byte of the arena */
	char *err;
	size_t errlen;
	int failed;
};

static int
fail(struct sc *s, const char *fmt, ...)
{
	if (!s->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->err, s->errlen, fmt, ap);
		va_end(ap);
		s->failed = 1;
	}
	return -1;
}

static void
ws(struct sc *s)
{
	while (s->p < s->e && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' ||
	                       *s->p == '\r'))
		s->p++;
}

static int
hex4(struct sc *s, unsigned *v)
{
	*v = 0;
	if (s->e - s->p < 4)
		return fail(s, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = *s->p++;
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return fail(s, "bad \\u escape");
		*v = *v << 4 | d;
	}
	return 0;
}

/*
 * A string at s->p (the opening quote). keep: unescape it into the arena
 * and set *out to it; else only check it. The arena never overflows: the
 * unescaped text plus its NUL is no longer than the quoted text.
 */
static int
string(struct sc *s, int keep, const char **out)
{
	char *o = s->out;
	s->p++; /* the quote */
	for (;;) {
		const char *run = s->p;
		while (s->p < s->e && *s->p != '"' && *s->p != '\\' &&
		       (unsigned char)*s->p >= 0x20)
			s->p++;
		if (keep) {
			memcpy(o, run, (size_t)(s->p - run));
			o += s->p - run;
		}
		if (s->p >= s->e)
			return fail(s, "unterminated string");
		char c = *s->p++;
		if (c == '"')
			break;
		if (c != '\\')
			return fail(s, "control character in a string");
		if (s->p >= s->e)
			return fail(s, "unterminated string");
		c = *s->p++;
		unsigned u;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (hex4(s, &u) < 0)
				return -1;
			if (u >= 0xdc00 && u <= 0xdfff)
				return fail(s, "lone low surrogate");
			if (u >= 0xd800 && u <= 0xdbff) {
				unsigned lo;
				if (s->e - s->p < 2 || s->p[0] != '\\' ||
				    s->p[1] != 'u')
					return fail(s, "lone high surrogate");
				s->p += 2;
				if (hex4(s, &lo) < 0)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(s, "bad surrogate pair");
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			if (u == 0)
				return fail(s, "\\u0000 in a string");
			if (!keep)
				continue;
			if (u < 0x80) {
				*o++ = (char)u;
			} else if (u < 0x800) {
				*o++ = (char)(0xc0 | u >> 6);
				*o++ = (char)(0x80 | (u & 0x3f));
			} else if (u < 0x10000) {
				*o++ = (char)(0xe0 | u >> 12);
				*o++ = (char)(0x80 | (u >> 6 & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			} else {
				*o++ = (char)(0xf0 | u >> 18);
				*o++ = (char)(0x80 | (u >> 12 & 0x3f));
				*o++ = (char)(0x80 | (u >> 6 & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			}
			continue;
		default:
			return fail(s, "bad escape '\\%c'", c);
		}
		if (keep)
			*o++ = c;
	}
	if (keep) {
		*o++ = 0;
		*out = s->out;
		s->out = o;
	}
	return 0;
}

static int
digits(struct sc *s)
{
	const char *b = s->p;
	while (s->p < s->e && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > b ? 0 : fail(s, "malformed number");
}

/* A number; *is_int and *v when it is an integer that fits. */
static int
number(struct sc *s, int *is_int, int64_t *v)
{
	const char *b = s->p;
	int neg = 0;
	*is_int = 1;
	if (*s->p == '-') {
		neg = 1;
		s->p++;
	}
	if (s->p < s->e && *s->p == '0')
		s->p++;
	else if (digits(s) < 0)
		return -1;
	if (s->p < s->e && *s->p == '.') {
		s->p++;
		*is_int = 0;
		if (digits(s) < 0)
			return -1;
	}
	if (s->p < s->e && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		*is_int = 0;
		if (s->p < s->e && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (digits(s) < 0)
			return -1;
	}
	if (*is_int) {
		/* an integer that does not fit is an error, as in jansson */
		uint64_t n = 0, lim = (uint64_t)INT64_MAX + (uint64_t)neg;
		for (const char *c = b + neg; c < s->p; c++) {
			uint64_t d = (uint64_t)(*c - '0');
			if (n > (lim - d) / 10)
				return fail(s, "integer too big");
			n = n * 10 + d;
		}
		*v = neg ? (int64_t)(0 - n) : (int64_t)n;
	}
	return 0;
}

static int
literal(struct sc *s, const char *w, size_t n)
{
	if ((size_t)(s->e - s->p) < n || memcmp(s->p, w, n))
		return fail(s, "unexpected character '%c'", *s->p);
	s->p += n;
	return 0;
}

/* What a value was, for the fields that look at it. */
enum kind { K_STRING, K_INT, K_NUM, K_TRUE, K_FALSE, K_NULL, K_OBJ, K_ARR };

struct val {
	enum kind k;
	const char *str; /* K_STRING when kept */
	int64_t i; /* K_INT */
};

static int value(struct sc *s, int depth, int keep, struct val *v);

/* After a member of an object or array: ',' (1: another follows) or the
 * closing byte (0: done), else -1 (logged). */
static int
next_member(struct sc *s, char close)
{
	ws(s);
	if (s->p < s->e && *s->p == ',') {
		s->p++;
		return 1;
	}
	if (s->p < s->e && *s->p == close) {
		s->p++;
		return 0;
	}
	return fail(s, "expected ',' or '%c'", close);
}

/*
 * An object's members: for each key, fn (when given) reads the value
 * itself and returns 1, or returns 0 to have it checked and skipped.
 */
typedef int (*member_fn)(struct sc *s, const char *key, size_t klen, int depth,
                         void *arg);

static int
object(struct sc *s, int depth, member_fn fn, void *arg)
{
	if (depth > SCHED_SCAN_MAX_DEPTH)
		return fail(s, "nested deeper than %d", SCHED_SCAN_MAX_DEPTH);
	s->p++; /* { */
	ws(s);
	if (s->p < s->e && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		ws(s);
		if (s->p >= s->e || *s->p != '"')
			return fail(s, "expected a key");
		/* keys are short and plain in our records: compare the raw
		 * text; a key with escapes never matches a field name */
		const char *kb = s->p + 1;
		if (string(s, 0, NULL) < 0)
			return -1;
		size_t klen = (size_t)(s->p - 1 - kb);
		ws(s);
		if (s->p >= s->e || *s->p != ':')
			return fail(s, "expected ':'");
		s->p++;
		ws(s);
		int r = 0;
		if (fn && !memchr(kb, '\\', klen))
			r = fn(s, kb, klen, depth + 1, arg);
		if (r < 0)
			return -1;
		if (r == 0) {
			struct val v;
			if (value(s, depth + 1, 0, &v) < 0)
				return -1;
		}
		int more = next_member(s, '}');
		if (more <= 0)
			return more;
	}
}

/* An array: fn reads each element (or NULL: checked and skipped). */
typedef int (*elem_fn)(struct sc *s, int depth, void *arg);

static int
array(struct sc *s, int depth, elem_fn fn, void *arg)
{
	if (depth > SCHED_SCAN_MAX_DEPTH)
		return fail(s, "nested deeper than %d", SCHED_SCAN_MAX_DEPTH);
	s->p++; /* [ */
	ws(s);
	if (s->p < s->e && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		ws(s);
		if (fn) {
			if (fn(s, depth + 1, arg) < 0)
				return -1;
		} else {
			struct val v;
			if (value(s, depth + 1, 0, &v) < 0)
				return -1;
		}
		int more = next_member(s, ']');
		if (more <= 0)
			return more;
	}
}

static int
value(struct sc *s, int depth, int keep, struct val *v)
{
	int is_int;
	v->str = NULL;
	if (s->p >= s->e)
		return fail(s, "truncated");
	switch (*s->p) {
	case '"':
		v->k = K_STRING;
		return string(s, keep, &v->str);
	case '{':
		v->k = K_OBJ;
		return object(s, depth, NULL, NULL);
	case '[':
		v->k = K_ARR;
		return array(s, depth, NULL, NULL);
	case 't':
		v->k = K_TRUE;
		return literal(s, "true", 4);
	case 'f':
		v->k = K_FALSE;
		return literal(s, "false", 5);
	case 'n':
		v->k = K_NULL;
		return literal(s, "null", 4);
	default:
		if (*s->p != '-' && (*s->p < '0' || *s->p > '9'))
			return fail(s, "unexpected character '%c'", *s->p);
		if (number(s, &is_int, &v->i) < 0)
			return -1;
		v->k = is_int ? K_INT : K_NUM;
		return 0;
	}
}

#define KEY(lit) (klen == sizeof(lit) - 1 && !memcmp(key, lit, klen))

/* A kept string field: the string, or NULL for any other value. */
static int
str_field(struct sc *s, int depth, const char **out)
{
	struct val v;
	if (value(s, depth, 1, &v) < 0)
		return -1;
	*out = v.k == K_STRING ? v.str : NULL;
	return 1;
}

struct file_acc {
	struct sched_rec_file *f;
	int cm; /* 0: other, 1: object, 2: true */
	const char *cm_obj_sha, *cm_alt_sha;
};

static int
cm_member(struct sc *s, const char *key, size_t klen, int depth, void *arg)
{
	struct file_acc *a = arg;
	if (KEY("sha256"))
		return str_field(s, depth, &a->cm_obj_sha);
	return 0;
}

static int
file_member(struct sc *s, const char *key, size_t klen, int depth, void *arg)
{
	struct file_acc *a = arg;
	struct sched_rec_file *f = a->f;
	struct val v;
	if (KEY("filename"))
		return str_field(s, depth, &f->filename);
	if (KEY("sha256"))
		return str_field(s, depth, &f->sha256);
	if (KEY("url"))
		return str_field(s, depth, &f->url);
	if (KEY("requires_python"))
		return str_field(s, depth, &f->requires_python);
	if (KEY("core_metadata_sha256"))
		return str_field(s, depth, &a->cm_alt_sha);
	if (KEY("core_metadata")) {
		a->cm = 0;
		a->cm_obj_sha = NULL;
		if (s->p < s->e && *s->p == '{') {
			a->cm = 1;
			return object(s, depth, cm_member, a) < 0 ? -1 : 1;
		}
		if (value(s, depth, 0, &v) < 0)
			return -1;
		a->cm = v.k == K_TRUE ? 2 : 0;
		return 1;
	}
	if (KEY("yanked")) {
		if (value(s, depth, 0, &v) < 0)
			return -1;
		f->yanked = v.k != K_FALSE && v.k != K_NULL;
		return 1;
	}
	if (KEY("size")) {
		if (value(s, depth, 0, &v) < 0)
			return -1;
		f->size = v.k == K_INT && v.i >= 0 ? v.i : -1;
		return 1;
	}
	return 0;
}

struct files_acc {
	struct sched_rec *r;
	size_t alloc;
};

static int
file_elem(struct sc *s, int depth, void *arg)
{
	struct files_acc *fa = arg;
	struct sched_rec *r = fa->r;
	if (r->nfiles >= SCHED_SCAN_MAX_FILES)
		return fail(s, "more than %d files", SCHED_SCAN_MAX_FILES);
	XGROW(r->files, r->nfiles + 1, fa->alloc);
	struct sched_rec_file *f = &r->files[r->nfiles++];
	memset(f, 0, sizeof(*f));
	f->size = -1;
	if (s->p >= s->e || *s->p != '{') {
		struct val v;
		return value(s, depth, 0, &v);
	}
	struct file_acc a = {.f = f};
	f->is_object = 1;
	if (object(s, depth, file_member, &a) < 0)
		return -1;
	if (a.cm == 1)
		f->metadata_sha256 = a.cm_obj_sha;
	else if (a.cm == 2)
		f->metadata_sha256 = a.cm_alt_sha;
	return 0;
}

static int
rec_member(struct sc *s, const char *key, size_t klen, int depth, void *arg)
{
	struct files_acc *fa = arg;
	struct sched_rec *r = fa->r;
	if (KEY("name"))
		return str_field(s, depth, &r->name);
	if (KEY("display_name"))
		return str_field(s, depth, &r->display_name);
	if (KEY("status"))
		return str_field(s, depth, &r->status);
	if (KEY("project_status"))
		return str_field(s, depth, &r->project_status);
	if (KEY("serial")) {
		struct val v;
		if (value(s, depth, 0, &v) < 0)
			return -1;
		r->serial = v.k == K_INT ? v.i : -1;
		return 1;
	}
	if (KEY("files")) {
		r->nfiles = 0; /* a later "files" replaces an earlier one */
		r->has_files = 0;
		if (s->p < s->e && *s->p == '[') {
			r->has_files = 1;
			return array(s, depth, file_elem, fa) < 0 ? -1 : 1;
		}
		return 0;
	}
	return 0;
}

int
sched_rec_scan(struct sched_rec *r, const char *text, size_t len, char *err,
               size_t errlen)
{
	struct sc s = {
	    .p = text, .e = text + len, .err = err, .errlen = errlen};
	struct files_acc fa = {.r = r};
	memset(r, 0, sizeof(*r));
	r->serial = -1;
	r->arena = xmalloc(len + 1);
	s.out = r->arena;
	ws(&s);
	if (s.p >= s.e || *s.p != '{') {
		fail(&s, "not a JSON object");
		goto bad;
	}
	if (object(&s, 1, rec_member, &fa) < 0)
		goto bad;
	ws(&s);
	if (s.p != s.e) {
		fail(&s, "text after the record");
		goto bad;
	}
	return 0;
bad:
	snprintf(err + strlen(err), errlen - strlen(err), " at byte %zu",
	         (size_t)(s.p - text));
	sched_rec_release(r);
	return -1;
}

void
sched_rec_release(struct sched_rec *r)
{
	free(r->arena);
	free(r->files);
	memset(r, 0, sizeof(*r));
}
