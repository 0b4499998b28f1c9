/*
 * PEP 440 versions and specifier sets, bug-for-bug with python3-packaging
 * 23.0 (packaging/version.py and specifiers.py are the oracle; the
 * differential tests in tests/t/ hold us to it).
 *
 * A version is parsed once into spans of its text (struct parts) and from
 * those into a byte string, the sort key, whose memcmp order is packaging's
 * _cmpkey order. Normalization re-parses the text (cheap) instead of keeping
 * the spans in every version. The key layout, field by field:
 *
 *	epoch		number
 *	release		number... 0x00		(trailing zeros dropped)
 *	pre		0x01 (dev-only release, sorts first) | 0x02 a number |
 *			0x03 b number | 0x04 rc number | 0x05 (none)
 *	post		0x01 (none) | 0x02 number
 *	dev		0x01 number | 0x02 (none)
 *	local		0x01 (none) | 0x02 part... 0x01
 *			part: 0x02 letters 0x00 (string) | 0x03 number
 *
 * A number is its length in digits without leading zeros, as one byte
 * 1 + n for n <= 200 or 0xff and two big-endian bytes, then the digits, so
 * numbers of any length compare correctly. Every field delimits itself, so
 * no key is a prefix of another and the public version (without local) and
 * the base version (epoch and release) are prefixes of the key.
 */
#include "pep440.h"

#include "buf.h"
#include "xalloc.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

/* A span of the text. len 0 with off 0 means absent where it matters. */
struct span {
	uint32_t off, len;
};

enum pre_kind { PRE_NONE = 0, PRE_A, PRE_B, PRE_RC };
/* How the normal form spells each kind. */
static const char *const pre_text[] = {"", "a", "b", "rc"};

/* The pieces of a valid version, as spans of its text. */
struct parts {
	struct span epoch; /* digits, or len 0 */
	struct span release; /* "1.2.3" */
	enum pre_kind pre;
	struct span pre_n; /* digits, may be empty (0) */
	int has_post;
	struct span post_n;
	int has_dev;
	struct span dev_n;
	struct span local; /* without the "+", len 0 when absent */
};

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_sep(unsigned char c)
{
	return c == '-' || c == '_' || c == '.';
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/*
 * Length of the whitespace character at s[0..n), or 0: what Python's
 * str.isspace() (and so the regex \s and str.strip()) accepts, in UTF-8.
 */
static size_t
space_at(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	if ((s[0] >= 0x09 && s[0] <= 0x0d) || (s[0] >= 0x1c && s[0] <= 0x20))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x80 &&
	    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 ||
	     s[2] == 0xaf))
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3;
	if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

/* Length of a whitespace character ending at s[n-1], or 0. */
static size_t
space_before(const unsigned char *s, size_t n)
{
	for (size_t k = 1; k <= 3 && k <= n; k++)
		if (space_at(s + n - k, k) == k)
			return k;
	return 0;
}

/* Strip Python whitespace from both ends of [*b, *e). */
static void
strip(const unsigned char *s, size_t *b, size_t *e)
{
	size_t k;

	while (*b < *e && (k = space_at(s + *b, *e - *b)) > 0)
		*b += k;
	while (*e > *b && (k = space_before(s + *b, *e - *b)) > 0)
		*e -= k;
}

/* Case-insensitive match of the lowercase word w at s[i..e). */
static int
word_at(const unsigned char *s, size_t i, size_t e, const char *w)
{
	size_t n = strlen(w);

	if (e - i < n)
		return 0;
	for (size_t k = 0; k < n; k++)
		if (lower(s[i + k]) != (unsigned char)w[k])
			return 0;
	return 1;
}

/* Scan a digit run at *i; fails (returns -1) when it passes the limit. */
static int
digits(const unsigned char *s, size_t *i, size_t e, struct span *out)
{
	size_t b = *i;

	while (*i < e && is_digit(s[*i]))
		(*i)++;
	if (*i - b > PEP440_MAX_DIGITS)
		return -1;
	out->off = (uint32_t)b;
	out->len = (uint32_t)(*i - b);
	return 0;
}

/*
 * The optional "[-_.]?(N)?" after a pre, post or dev word: greedy, as the
 * regex is (see the argument in docs/packaging-standards.md: consuming the
 * separator here never loses a match that leaving it would find).
 */
static int
opt_number(const unsigned char *s, size_t *i, size_t e, struct span *out)
{
	if (*i < e && is_sep(s[*i]))
		(*i)++;
	return digits(s, i, e, out);
}

/* Where the text goes on after an optional separator [-_.] at s[i]. */
static size_t
after_sep(const unsigned char *s, size_t i, size_t e)
{
	return i < e && is_sep(s[i]) ? i + 1 : i;
}

/*
 * The pre-release spelling at s[i..e): its length (0: none), and its kind
 * in *kind when there is one. The longest spelling wins (the regex
 * backtracks to it).
 */
static size_t
pre_word(const unsigned char *s, size_t i, size_t e, enum pre_kind *kind)
{
	switch (i < e ? lower(s[i]) : 0) {
	case 'a':
		*kind = PRE_A;
		return word_at(s, i, e, "alpha") ? 5 : 1;
	case 'b':
		*kind = PRE_B;
		return word_at(s, i, e, "beta") ? 4 : 1;
	case 'c':
		*kind = PRE_RC;
		return 1;
	case 'r':
		if (!word_at(s, i, e, "rc"))
			return 0;
		*kind = PRE_RC;
		return 2;
	case 'p':
		if (!word_at(s, i, e, "pre"))
			return 0;
		*kind = PRE_RC;
		return word_at(s, i, e, "preview") ? 7 : 3;
	}
	return 0;
}

/* The post-release spelling (post, rev, r) at s[i..e): its length, or 0. */
static size_t
post_word(const unsigned char *s, size_t i, size_t e)
{
	return word_at(s, i, e, "post")  ? 4
	       : word_at(s, i, e, "rev") ? 3
	       : word_at(s, i, e, "r")   ? 1
	                                 : 0;
}

/*
 * Parse s[b..e) (already stripped) into p. Returns 0 when all of it is a
 * version, -1 otherwise.
 */
static int
parse_parts(const unsigned char *s, size_t b, size_t e, struct parts *p)
{
	size_t i = b, j, n;
	struct span d;

	memset(p, 0, sizeof(*p));
	if (i < e && (s[i] == 'v' || s[i] == 'V'))
		i++;
	if (i >= e || !is_digit(s[i]))
		return -1;
	if (digits(s, &i, e, &d))
		return -1;
	if (i < e && s[i] == '!') {
		p->epoch = d;
		i++;
		if (i >= e || !is_digit(s[i]))
			return -1;
		if (digits(s, &i, e, &d))
			return -1;
	}
	p->release.off = d.off;
	while (i + 1 < e && s[i] == '.' && is_digit(s[i + 1])) {
		i++;
		if (digits(s, &i, e, &d))
			return -1;
	}
	p->release.len = (uint32_t)(i - p->release.off);

	/* Pre-release: [-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?N?. */
	j = after_sep(s, i, e);
	if ((n = pre_word(s, j, e, &p->pre)) > 0) {
		i = j + n;
		if (opt_number(s, &i, e, &p->pre_n))
			return -1;
	}

	/* Post-release: "-N", or [-_.]?(post|rev|r)[-_.]?N?. */
	if (i + 1 < e && s[i] == '-' && is_digit(s[i + 1])) {
		i++;
		p->has_post = 1;
		if (digits(s, &i, e, &p->post_n))
			return -1;
	} else {
		j = after_sep(s, i, e);
		if ((n = post_word(s, j, e)) > 0) {
			i = j + n;
			p->has_post = 1;
			if (opt_number(s, &i, e, &p->post_n))
				return -1;
		}
	}

	/* Dev release: [-_.]?dev[-_.]?N?. */
	j = after_sep(s, i, e);
	if (word_at(s, j, e, "dev")) {
		i = j + 3;
		p->has_dev = 1;
		if (opt_number(s, &i, e, &p->dev_n))
			return -1;
	}

	/* Local label: "+" [a-z0-9]+ ([-_.][a-z0-9]+)*. */
	if (i < e && s[i] == '+') {
		size_t lb = ++i, run = 0;

		for (; i < e; i++) {
			if (is_alnum(s[i])) {
				run++;
			} else if (is_sep(s[i]) && run > 0) {
				run = 0;
			} else {
				return -1;
			}
		}
		if (run == 0)
			return -1;
		p->local.off = (uint32_t)lb;
		p->local.len = (uint32_t)(i - lb);
	}
	return i == e ? 0 : -1;
}

/* Key writer: inline storage first, the heap once it outgrows it. */
struct keyw {
	struct pep440_version *v;
	unsigned char *p;
	size_t len, cap;
};

static void
kw_grow(struct keyw *w, size_t n)
{
	{
		size_t cap = (w->len + n) * 2;

		if (w->v->key_heap) {
			w->v->key_heap = xreallocarray(w->v->key_heap, cap, 1);
		} else {
			w->v->key_heap = xmalloc(cap);
			memcpy(w->v->key_heap, w->p, w->len);
		}
		w->p = w->v->key_heap;
		w->cap = cap;
	}
}

static inline void
kw_put(struct keyw *w, const void *data, size_t n)
{
	if (w->len + n > w->cap)
		kw_grow(w, n);
	memcpy(w->p + w->len, data, n);
	w->len += n;
}

static inline void
kw_byte(struct keyw *w, unsigned char c)
{
	if (w->len + 1 > w->cap)
		kw_grow(w, 1);
	w->p[w->len++] = c;
}

/* The digits of a span without leading zeros ("" for zero). */
static void
trim_zeros(const unsigned char *s, struct span d, size_t *off, size_t *len)
{
	size_t o = d.off, n = d.len;

	while (n > 0 && s[o] == '0') {
		o++;
		n--;
	}
	*off = o;
	*len = n;
}

static void
kw_number(struct keyw *w, const unsigned char *s, struct span d)
{
	size_t off, n;

	trim_zeros(s, d, &off, &n);
	if (n <= 200) {
		unsigned char *q;

		if (w->len + 1 + n > w->cap)
			kw_grow(w, 1 + n);
		/* Mostly a few digits: not worth a memcpy() call (and a local
		 * pointer, as stores through w->p may alias w->len). */
		q = w->p + w->len;
		*q++ = (unsigned char)(1 + n);
		for (size_t k = 0; k < n; k++)
			q[k] = s[off + k];
		w->len += 1 + n;
	} else {
		unsigned char h[3] = {0xff, (unsigned char)(n >> 8),
		                      (unsigned char)n};

		kw_put(w, h, 3);
		kw_put(w, s + off, n);
	}
}

/* Iterate the dot-separated numbers of a release span. */
static int
next_component(const unsigned char *s, struct span rel, size_t *pos,
               struct span *out)
{
	size_t i = *pos, end = rel.off + rel.len;

	if (i >= end)
		return 0;
	out->off = (uint32_t)i;
	while (i < end && s[i] != '.')
		i++;
	out->len = (uint32_t)(i - out->off);
	*pos = i < end ? i + 1 : i;
	return 1;
}

/*
 * Iterate the parts of a local label span, split at [-_.]; *numeric says
 * whether the part is all digits.
 */
static int
next_local_part(const unsigned char *s, struct span local, size_t *pos,
                struct span *out, int *numeric)
{
	size_t i = *pos, end = local.off + local.len;

	if (i >= end)
		return 0;
	out->off = (uint32_t)i;
	*numeric = 1;
	for (; i < end && !is_sep(s[i]); i++)
		if (!is_digit(s[i]))
			*numeric = 0;
	out->len = (uint32_t)(i - out->off);
	*pos = i < end ? i + 1 : i;
	return 1;
}

static int
is_zero(const unsigned char *s, struct span d)
{
	for (size_t k = 0; k < d.len; k++)
		if (s[d.off + k] != '0')
			return 0;
	return 1;
}

static void
build_key(struct pep440_version *v, const unsigned char *s,
          const struct parts *p)
{
	struct keyw w = {v, v->key_inline, 0, PEP440_KEY_INLINE};
	struct span c;
	size_t pos, last_nonzero;

	kw_number(&w, s, p->epoch);

	/* One pass: a zero component writes the single byte 0x01, and the
	 * trailing ones are cut off afterwards. */
	last_nonzero = w.len;
	pos = p->release.off;
	while (next_component(s, p->release, &pos, &c)) {
		kw_number(&w, s, c);
		if (w.p[w.len - 1] != 0x01)
			last_nonzero = w.len;
	}
	w.len = last_nonzero;
	kw_byte(&w, 0x00);
	v->key_base = (uint32_t)w.len;

	if (p->pre == PRE_NONE && !p->has_post && p->has_dev) {
		kw_byte(&w, 0x01);
	} else if (p->pre == PRE_NONE) {
		kw_byte(&w, 0x05);
	} else {
		kw_byte(&w, (unsigned char)(0x01 + p->pre));
		kw_number(&w, s, p->pre_n);
	}
	if (p->has_post) {
		kw_byte(&w, 0x02);
		kw_number(&w, s, p->post_n);
	} else {
		kw_byte(&w, 0x01);
	}
	if (p->has_dev) {
		kw_byte(&w, 0x01);
		kw_number(&w, s, p->dev_n);
	} else {
		kw_byte(&w, 0x02);
	}
	v->key_public = (uint32_t)w.len;

	if (p->local.len == 0) {
		kw_byte(&w, 0x01);
	} else {
		struct span d;
		int numeric;

		kw_byte(&w, 0x02);
		pos = p->local.off;
		while (next_local_part(s, p->local, &pos, &d, &numeric)) {
			if (numeric) {
				kw_byte(&w, 0x03);
				kw_number(&w, s, d);
			} else {
				kw_byte(&w, 0x02);
				for (size_t k = d.off; k < d.off + d.len; k++)
					kw_byte(&w, lower(s[k]));
				kw_byte(&w, 0x00);
			}
		}
		kw_byte(&w, 0x01);
	}
	v->key_len = (uint32_t)w.len;
}

/* The local label's numeric parts go through int() too: bound them. */
static int
local_digits_ok(const unsigned char *s, struct span l)
{
	size_t run = 0;
	int numeric = 1;

	for (size_t i = l.off; i <= l.off + l.len; i++) {
		if (i == l.off + l.len || is_sep(s[i])) {
			if (numeric && run > PEP440_MAX_DIGITS)
				return 0;
			run = 0;
			numeric = 1;
		} else {
			run++;
			if (!is_digit(s[i]))
				numeric = 0;
		}
	}
	return 1;
}

/* Parse text into parts, stripping whitespace. Returns 0 or -1. */
static int
parse_text(const char *text, size_t len, struct parts *p)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t b = 0, e = len;

	if (len > PEP440_MAX_LEN)
		return -1;
	/* No whitespace starts or ends with an ASCII letter or digit. */
	if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		strip(s, &b, &e);
	if (parse_parts(s, b, e, p))
		return -1;
	if (p->local.len && !local_digits_ok(s, p->local))
		return -1;
	return 0;
}

int
pep440_parse(struct pep440_version *v, const char *text, size_t len)
{
	struct parts p;

	v->text = text;
	v->len = len;
	v->flags = 0;
	v->key_len = v->key_public = v->key_base = 0;
	v->key_heap = NULL;
	if (parse_text(text, len, &p))
		return PEP440_INVALID;
	v->flags = PEP440_VALID;
	if (p.epoch.len && !is_zero((const unsigned char *)text, p.epoch))
		v->flags |= PEP440_HAS_EPOCH;
	if (p.pre != PRE_NONE)
		v->flags |= PEP440_HAS_PRE;
	if (p.has_post)
		v->flags |= PEP440_HAS_POST;
	if (p.has_dev)
		v->flags |= PEP440_HAS_DEV;
	if (p.local.len)
		v->flags |= PEP440_HAS_LOCAL;
	build_key(v, (const unsigned char *)text, &p);
	return 0;
}

int
pep440_parse_str(struct pep440_version *v, const char *text)
{
	return pep440_parse(v, text, strlen(text));
}

void
pep440_release(struct pep440_version *v)
{
	free(v->key_heap);
	v->key_heap = NULL;
	v->key_len = 0;
	v->flags = 0;
}

int
pep440_valid(const struct pep440_version *v)
{
	return (v->flags & PEP440_VALID) != 0;
}

int
pep440_is_prerelease(const struct pep440_version *v)
{
	return (v->flags & (PEP440_HAS_PRE | PEP440_HAS_DEV)) != 0;
}

int
pep440_is_postrelease(const struct pep440_version *v)
{
	return (v->flags & PEP440_HAS_POST) != 0;
}

static const unsigned char *
key_of(const struct pep440_version *v)
{
	return v->key_heap ? v->key_heap : v->key_inline;
}

static int
cmp_bytes(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	if (r)
		return r;
	return an < bn ? -1 : an > bn;
}

/* Invalid versions first, by their bytes; then the key prefixes. */
static int
compare_prefix(const struct pep440_version *a, const struct pep440_version *b,
               int public)
{
	int va = pep440_valid(a), vb = pep440_valid(b);

	if (!va || !vb) {
		if (va != vb)
			return va - vb;
		return cmp_bytes((const unsigned char *)a->text, a->len,
		                 (const unsigned char *)b->text, b->len);
	}
	return cmp_bytes(key_of(a), public ? a->key_public : a->key_len,
	                 key_of(b), public ? b->key_public : b->key_len);
}

int
pep440_compare(const struct pep440_version *a, const struct pep440_version *b)
{
	return compare_prefix(a, b, 0);
}

int
pep440_compare_public(const struct pep440_version *a,
                      const struct pep440_version *b)
{
	return compare_prefix(a, b, 1);
}

int
pep440_same_base(const struct pep440_version *a, const struct pep440_version *b)
{
	if (!pep440_valid(a) || !pep440_valid(b))
		return 0;
	return a->key_base == b->key_base &&
	       !memcmp(key_of(a), key_of(b), a->key_base);
}

int
pep440_qsort_cmp(const void *a, const void *b)
{
	return pep440_compare(a, b);
}

/*
 * Output of normalized text: into a struct buf, or a fixed array that
 * reports overflow (the allocation-free path of specifier checks).
 */
struct sink {
	struct buf *b;
	char *p;
	size_t len, cap;
	int full;
};

static void
sink_put(struct sink *k, const void *data, size_t n)
{
	if (k->full)
		return;
	if (k->b) {
		if (buf_add(k->b, data, n) == BUF_FULL)
			k->full = 1;
		return;
	}
	if (k->len + n > k->cap) {
		k->full = 1;
		return;
	}
	memcpy(k->p + k->len, data, n);
	k->len += n;
}

static void
sink_number(struct sink *k, const unsigned char *s, struct span d)
{
	size_t off, n;

	trim_zeros(s, d, &off, &n);
	if (n == 0)
		sink_put(k, "0", 1);
	else
		sink_put(k, s + off, n);
}

enum emit_flag {
	EMIT_STRIP_ZEROS = 1 << 0, /* canonicalize_version's release */
	EMIT_NO_LOCAL = 1 << 1, /* the public version */
};

/* str(Version) from the parts (canonicalize_version with the flags). */
static void
emit(struct sink *k, const unsigned char *s, const struct parts *p,
     unsigned flags)
{
	struct span c;
	size_t pos = p->release.off, end = p->release.off + p->release.len;
	int first = 1;

	if (p->epoch.len && !is_zero(s, p->epoch)) {
		sink_number(k, s, p->epoch);
		sink_put(k, "!", 1);
	}
	if (flags & EMIT_STRIP_ZEROS) {
		size_t last = 0, idx = 0;

		/* Keep up to the last nonzero component, and always one. */
		while (next_component(s, p->release, &pos, &c)) {
			if (!is_zero(s, c))
				last = c.off + c.len;
			if (idx++ == 0 && last == 0)
				last = c.off + c.len;
		}
		end = last;
		pos = p->release.off;
	}
	while (pos < end && next_component(s, p->release, &pos, &c)) {
		if (!first)
			sink_put(k, ".", 1);
		first = 0;
		sink_number(k, s, c);
	}
	if (p->pre != PRE_NONE) {
		sink_put(k, pre_text[p->pre], strlen(pre_text[p->pre]));
		sink_number(k, s, p->pre_n);
	}
	if (p->has_post) {
		sink_put(k, ".post", 5);
		sink_number(k, s, p->post_n);
	}
	if (p->has_dev) {
		sink_put(k, ".dev", 4);
		sink_number(k, s, p->dev_n);
	}
	if (p->local.len && !(flags & EMIT_NO_LOCAL)) {
		struct span d;
		int numeric;

		sink_put(k, "+", 1);
		pos = p->local.off;
		while (next_local_part(s, p->local, &pos, &d, &numeric)) {
			if (d.off > p->local.off)
				sink_put(k, ".", 1);
			if (numeric) {
				sink_number(k, s, d);
			} else {
				for (size_t j = d.off; j < d.off + d.len; j++) {
					unsigned char ch = lower(s[j]);

					sink_put(k, &ch, 1);
				}
			}
		}
	}
}

/*
 * The fast path: parse_parts() and emit() fused into one pass that writes
 * as it reads, for text without whitespace. Each step below mirrors its
 * counterpart in parse_parts() (the fuzz target holds the two to the same
 * output through pep440_normalize_text()); whatever they do not cover,
 * and every invalid text, goes back to the full parser.
 */

/* Copy the digit run at s[*i..e) without leading zeros ("0" for zero or no
 * digits) to *o. -1 when it passes PEP440_MAX_DIGITS. */
static inline int
fast_number(const unsigned char *s, size_t *i, size_t e, char **o)
{
	/* Locals, not *i and *o: stores through w may alias them. */
	size_t j = *i, b = j, nz;
	char *w = *o;

	while (j < e && s[j] == '0')
		j++;
	nz = j;
	while (j < e && is_digit(s[j]))
		*w++ = (char)s[j++];
	if (j - b > PEP440_MAX_DIGITS)
		return -1;
	if (j == nz)
		*w++ = '0';
	*i = j;
	*o = w;
	return 0;
}

/* The "[-_.]?N?" after a pre, post or dev word (see opt_number()). */
static inline int
fast_opt_number(const unsigned char *s, size_t *i, size_t e, char **o)
{
	if (*i < e && is_sep(s[*i]))
		(*i)++;
	return fast_number(s, i, e, o);
}

static inline void
fast_put(char **o, const char *w, size_t n)
{
	memcpy(*o, w, n);
	*o += n;
}

long
pep440_normalize_fast(const char *text, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, e = len, j, n;
	enum pre_kind pre;
	char *o = out;

	if (len > PEP440_MAX_LEN)
		return -1;
	if (i < e && (s[i] == 'v' || s[i] == 'V'))
		i++;
	if (i >= e || !is_digit(s[i]))
		return -1;
	if (fast_number(s, &i, e, &o))
		return -1;
	if (i < e && s[i] == '!') {
		/* That was the epoch: shown unless zero. */
		if (o - out == 1 && out[0] == '0')
			o = out;
		else
			*o++ = '!';
		i++;
		if (i >= e || !is_digit(s[i]))
			return -1;
		if (fast_number(s, &i, e, &o))
			return -1;
	}
	while (i + 1 < e && s[i] == '.' && is_digit(s[i + 1])) {
		i++;
		*o++ = '.';
		if (fast_number(s, &i, e, &o))
			return -1;
	}
	if (i == e)
		return o - out;

	j = after_sep(s, i, e);
	if ((n = pre_word(s, j, e, &pre)) > 0) {
		i = j + n;
		fast_put(&o, pre_text[pre], strlen(pre_text[pre]));
		if (fast_opt_number(s, &i, e, &o))
			return -1;
	}

	if (i + 1 < e && s[i] == '-' && is_digit(s[i + 1])) {
		i++;
		fast_put(&o, ".post", 5);
		if (fast_number(s, &i, e, &o))
			return -1;
	} else {
		j = after_sep(s, i, e);
		if ((n = post_word(s, j, e)) > 0) {
			i = j + n;
			fast_put(&o, ".post", 5);
			if (fast_opt_number(s, &i, e, &o))
				return -1;
		}
	}

	j = after_sep(s, i, e);
	if (word_at(s, j, e, "dev")) {
		i = j + 3;
		fast_put(&o, ".dev", 4);
		if (fast_opt_number(s, &i, e, &o))
			return -1;
	}

	if (i < e && s[i] == '+') {
		*o++ = '+';
		i++;
		for (;;) {
			size_t b = i;
			int numeric = 1;

			while (i < e && is_alnum(s[i])) {
				if (!is_digit(s[i]))
					numeric = 0;
				i++;
			}
			if (i == b)
				return -1;
			if (numeric) {
				i = b;
				if (fast_number(s, &i, e, &o))
					return -1;
			} else {
				for (size_t k = b; k < i; k++)
					*o++ = (char)lower(s[k]);
			}
			if (i >= e || !is_sep(s[i]))
				break;
			*o++ = '.';
			i++;
		}
	}
	return i == e ? o - out : -1;
}

int
pep440_normalize_text(const char *text, size_t len, struct buf *out)
{
	char stack[256];
	struct sink k = {NULL, stack, 0, sizeof(stack), 0};
	struct parts p;

	if (parse_text(text, len, &p))
		return PEP440_INVALID;

	if (len + PEP440_FAST_SLACK <= sizeof(stack)) {
		long n = pep440_normalize_fast(text, len, stack);

		if (n >= 0)
			return buf_add(out, stack, (size_t)n) == BUF_FULL
			           ? BUF_FULL
			           : 0;
	}
	emit(&k, (const unsigned char *)text, &p, 0);
	if (!k.full)
		return buf_add(out, stack, k.len) == BUF_FULL ? BUF_FULL : 0;
	k = (struct sink){out, NULL, 0, 0, 0};
	emit(&k, (const unsigned char *)text, &p, 0);
	return k.full ? BUF_FULL : 0;
}

uint64_t
pep440_key_word(const struct pep440_version *v, size_t i)
{
	const unsigned char *k = key_of(v);
	uint64_t x = 0;

	if (!pep440_valid(v))
		return 0;
	if (i * 8 + 8 <= v->key_len) {
		memcpy(&x, k + i * 8, 8);
		return be64toh(x);
	}
	for (size_t j = i * 8; j < i * 8 + 8; j++)
		x = x << 8 | (j < v->key_len ? k[j] : 0);
	return x;
}

size_t
pep440_key_len(const struct pep440_version *v)
{
	return pep440_valid(v) ? v->key_len : 0;
}

int
pep440_normalize(const struct pep440_version *v, struct buf *out)
{
	struct sink k = {out, NULL, 0, 0, 0};
	struct parts p;

	if (!pep440_valid(v) || parse_text(v->text, v->len, &p))
		return PEP440_INVALID;
	emit(&k, (const unsigned char *)v->text, &p, 0);
	return k.full ? BUF_FULL : 0;
}

/*
 * Specifiers.
 */

enum op { OP_COMPAT, OP_EQ, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT, OP_ARB };

/* An item of packaging's _version_split(): a span of a string. */
struct item {
	size_t off, len;
};

struct clause {
	enum op op;
	int prefix; /* ==V.* / !=V.* (and the == half of ~=) */
	int names_pre; /* Specifier.prereleases under the default */
	int has_version; /* ver is parsed (every operator but ===) */
	struct pep440_version ver;
	char *canon; /* prefix match: the canonical spec, owned */
	struct item *items; /* its _version_split() items, owned */
	size_t nitems, ndigit_items;
	char *arb; /* ===: the text, ASCII-lowered, owned */
	size_t arb_len;
};

struct pep440_spec {
	struct clause *c;
	size_t n;
	char *text; /* owned copy the clauses' versions borrow */
};

/* packaging's _prefix_regex: ^([0-9]+)((?:a|b|c|rc)[0-9]+)$, exact case. */
static size_t
prefix_split_at(const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	if (i == 0 || i == n)
		return 0;
	j = i;
	if (n - j >= 2 && s[j] == 'r' && s[j + 1] == 'c')
		j += 2;
	else if (s[j] == 'a' || s[j] == 'b' || s[j] == 'c')
		j++;
	else
		return 0;
	if (j == n)
		return 0;
	for (size_t k = j; k < n; k++)
		if (!is_digit((unsigned char)s[k]))
			return 0;
	return i;
}

/*
 * Iterator over _version_split(s): split on ".", each piece split once
 * more by the prefix regex.
 */
struct items_it {
	const char *s;
	size_t n, pos;
	int done;
	struct item pend;
	int has_pend;
};

static void
items_start(struct items_it *it, const char *s, size_t n)
{
	it->s = s;
	it->n = n;
	it->pos = 0;
	it->done = 0;
	it->has_pend = 0;
}

static int
items_next(struct items_it *it, struct item *out)
{
	size_t b, e, cut;

	if (it->has_pend) {
		it->has_pend = 0;
		*out = it->pend;
		return 1;
	}
	if (it->done)
		return 0;
	b = it->pos;
	e = b;
	while (e < it->n && it->s[e] != '.')
		e++;
	if (e >= it->n)
		it->done = 1;
	else
		it->pos = e + 1;
	cut = prefix_split_at(it->s + b, e - b);
	if (cut) {
		out->off = b;
		out->len = cut;
		it->pend.off = b + cut;
		it->pend.len = e - b - cut;
		it->has_pend = 1;
	} else {
		out->off = b;
		out->len = e - b;
	}
	return 1;
}

/* Python's str.isdigit() on an ASCII item: non-empty and all digits. */
static int
item_is_digits(const char *s, struct item it)
{
	if (it.len == 0)
		return 0;
	for (size_t k = 0; k < it.len; k++)
		if (!is_digit((unsigned char)s[it.off + k]))
			return 0;
	return 1;
}

/* canonicalize_version(text): the normalized form, or the text itself
 * when it is not a version. Owned result (free()). */
static char *
canonicalize(const char *text, size_t len, unsigned flags, size_t *out_len)
{
	struct parts p;
	struct buf b = BUF_INIT(0);
	struct sink k = {&b, NULL, 0, 0, 0};

	if (parse_text(text, len, &p)) {
		*out_len = len;
		return xmemdup0(text, len);
	}
	emit(&k, (const unsigned char *)text, &p, flags);
	if (b.len == 0)
		buf_addc(&b, '\0');
	return buf_detach(&b, out_len);
}

/* Set up the prefix match of a clause against the spec text t[0..n). */
static void
clause_prefix(struct clause *c, const char *t, size_t n)
{
	struct items_it it;
	struct item item;
	size_t alloc = 0, cl;
	int leading = 1;

	c->prefix = 1;
	c->canon = canonicalize(t, n, 0, &cl);
	items_start(&it, c->canon, cl);
	while (items_next(&it, &item)) {
		XGROW(c->items, c->nitems + 1, alloc);
		c->items[c->nitems++] = item;
		if (leading && item_is_digits(c->canon, item))
			c->ndigit_items++;
		else
			leading = 0;
	}
}

/* _is_not_suffix(): exact-case startswith of dev, a, b, rc, post. */
static int
is_suffix_item(const char *s, struct item it)
{
	static const char *const sfx[] = {"dev", "a", "b", "rc", "post"};

	for (size_t k = 0; k < 5; k++) {
		size_t n = strlen(sfx[k]);

		if (it.len >= n && !memcmp(s + it.off, sfx[k], n))
			return 1;
	}
	return 0;
}

/*
 * ~=V: the "==P.*" half, P computed from V's text exactly as
 * _compare_compatible does: split, keep items up to the first suffix, drop
 * the last, join with dots.
 */
static void
clause_compat_prefix(struct clause *c, const char *t, size_t n)
{
	struct items_it it;
	struct item item;
	struct buf b = BUF_INIT(0);
	size_t count = 0, kept = 0, lastlen = 0;

	items_start(&it, t, n);
	while (items_next(&it, &item)) {
		if (is_suffix_item(t, item))
			break;
		if (count++)
			buf_addc(&b, '.');
		lastlen = b.len;
		buf_add(&b, t + item.off, item.len);
		kept++;
	}
	/* Drop the last kept item (and the dot before it). */
	if (kept > 0)
		buf_truncate(&b, lastlen > 0 ? lastlen - 1 : 0);
	clause_prefix(c, buf_cstr(&b), b.len);
	buf_release(&b);
}

static void
clause_release(struct clause *c)
{
	if (c->has_version)
		pep440_release(&c->ver);
	free(c->canon);
	free(c->items);
	free(c->arb);
}

/* Is t[0..n) "v?(N!)?N(.N)*" -- what may precede ".*"? */
static int
is_wild_base(const unsigned char *t, size_t n)
{
	size_t i = 0;

	if (i < n && (t[i] == 'v' || t[i] == 'V'))
		i++;
	if (i >= n || !is_digit(t[i]))
		return 0;
	while (i < n && is_digit(t[i]))
		i++;
	if (i < n && t[i] == '!') {
		i++;
		if (i >= n || !is_digit(t[i]))
			return 0;
		while (i < n && is_digit(t[i]))
			i++;
	}
	while (i < n) {
		if (t[i] != '.' || i + 1 >= n || !is_digit(t[i + 1]))
			return 0;
		i++;
		while (i < n && is_digit(t[i]))
			i++;
	}
	return 1;
}

/* Number of release components of a valid version's text. */
static size_t
release_count(const char *t, size_t n)
{
	struct parts p;
	size_t count = 1;

	if (parse_text(t, n, &p))
		return 0;
	for (size_t i = p.release.off; i < p.release.off + p.release.len; i++)
		if (t[i] == '.')
			count++;
	return count;
}

/*
 * Parse one clause s[b..e) of the owned text. Returns 0 or -1 (invalid).
 */
static int
clause_parse(struct clause *c, char *text, size_t b, size_t e)
{
	const unsigned char *s = (const unsigned char *)text;
	static const struct {
		const char *t;
		enum op op;
	} ops[] = {
	    {"===", OP_ARB}, {"~=", OP_COMPAT}, {"==", OP_EQ}, {"!=", OP_NE},
	    {"<=", OP_LE},   {">=", OP_GE},     {"<", OP_LT},  {">", OP_GT},
	};
	size_t k, vb, ve, vn;
	const char *vt;

	memset(c, 0, sizeof(*c));
	strip(s, &b, &e);
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		size_t n = strlen(ops[k].t);

		if (e - b >= n && !memcmp(s + b, ops[k].t, n))
			break;
	}
	if (k == sizeof(ops) / sizeof(ops[0]))
		return -1;
	c->op = ops[k].op;
	vb = b + strlen(ops[k].t);
	ve = e;
	strip(s, &vb, &ve);
	vt = text + vb;
	vn = ve - vb;

	if (c->op == OP_ARB) {
		for (size_t i = vb; i < ve; i++) {
			if (s[i] == ';' || s[i] == ')' ||
			    space_at(s + i, ve - i))
				return -1;
		}
		c->arb = xmemdup0(vt, vn);
		c->arb_len = vn;
		for (size_t i = 0; i < vn; i++)
			c->arb[i] = (char)lower((unsigned char)c->arb[i]);
		/* Pre-release if it is a version that is one; see pep440.h. */
		{
			struct pep440_version v;

			pep440_parse(&v, vt, vn);
			c->names_pre = pep440_is_prerelease(&v);
			pep440_release(&v);
		}
		return 0;
	}

	if ((c->op == OP_EQ || c->op == OP_NE) && vn >= 2 &&
	    vt[vn - 2] == '.' && vt[vn - 1] == '*') {
		if (!is_wild_base((const unsigned char *)vt, vn - 2))
			return -1;
		if (pep440_parse(&c->ver, vt, vn - 2)) {
			pep440_release(&c->ver);
			return -1;
		}
		c->has_version = 1;
		c->names_pre = c->op == OP_EQ && pep440_is_prerelease(&c->ver);
		clause_prefix(c, vt, vn - 2);
		return 0;
	}

	/* The version must be all of the rest, with nothing to strip (the
	 * parser would strip inner whitespace we already know is there). */
	if (vn == 0 || space_at((const unsigned char *)vt, vn) ||
	    space_before((const unsigned char *)vt, vn))
		return -1;
	if (pep440_parse(&c->ver, vt, vn)) {
		pep440_release(&c->ver);
		return -1;
	}
	c->has_version = 1;
	if (c->op != OP_EQ && c->op != OP_NE &&
	    (c->ver.flags & PEP440_HAS_LOCAL))
		return -1;
	if (c->op == OP_COMPAT) {
		if (release_count(vt, vn) < 2)
			return -1;
		clause_compat_prefix(c, vt, vn);
	}
	if (c->op == OP_EQ || c->op == OP_GE || c->op == OP_LE ||
	    c->op == OP_COMPAT)
		c->names_pre = pep440_is_prerelease(&c->ver);
	return 0;
}

int
pep440_spec_parse(const char *text, size_t len, unsigned flags,
                  struct pep440_spec **out)
{
	struct pep440_spec *spec;
	size_t alloc = 0, i = 0;

	if (len == SIZE_MAX)
		len = strlen(text);
	if (len > PEP440_SPEC_MAX_LEN)
		return PEP440_INVALID;
	spec = xcalloc(1, sizeof(*spec));
	spec->text = xmemdup0(text, len);

	while (i <= len) {
		size_t b = i, e = i, sb, se;

		if (flags & PEP440_SPEC_SINGLE) {
			e = len;
		} else {
			while (e < len && spec->text[e] != ',')
				e++;
		}
		i = e + 1;
		sb = b;
		se = e;
		strip((const unsigned char *)spec->text, &sb, &se);
		if (sb == se && !(flags & PEP440_SPEC_SINGLE))
			continue;
		XGROW(spec->c, spec->n + 1, alloc);
		if (clause_parse(&spec->c[spec->n], spec->text, b, e)) {
			clause_release(&spec->c[spec->n]);
			pep440_spec_free(spec);
			return PEP440_INVALID;
		}
		spec->n++;
	}
	*out = spec;
	return 0;
}

void
pep440_spec_free(struct pep440_spec *spec)
{
	if (!spec)
		return;
	for (size_t i = 0; i < spec->n; i++)
		clause_release(&spec->c[i]);
	free(spec->c);
	free(spec->text);
	free(spec);
}

size_t
pep440_spec_count(const struct pep440_spec *spec)
{
	return spec->n;
}

int
pep440_spec_prereleases(const struct pep440_spec *spec)
{
	for (size_t i = 0; i < spec->n; i++)
		if (spec->c[i].names_pre)
			return 1;
	return 0;
}

/* The normalized text of v (flags as emit()) into stack storage when it
 * fits, else the heap (*heap set, caller frees). */
static const char *
format_version(const struct pep440_version *v, unsigned flags, char *stack,
               size_t cap, char **heap, size_t *len)
{
	struct parts p;
	struct sink k = {NULL, stack, 0, cap, 0};

	*heap = NULL;
	parse_text(v->text, v->len, &p);
	emit(&k, (const unsigned char *)v->text, &p, flags);
	if (!k.full) {
		*len = k.len;
		return stack;
	}
	*heap = canonicalize(v->text, v->len, flags, len);
	return *heap;
}

/* _compare_equal with a ".*" spec: the padded, shortened split of the
 * public version against the spec's items. */
static int
prefix_match(const struct clause *c, const struct pep440_version *v)
{
	char stack[256], *heap;
	size_t n, lr = 0, rr = c->ndigit_items, idx;
	const char *t = format_version(v, EMIT_STRIP_ZEROS | EMIT_NO_LOCAL,
	                               stack, sizeof(stack), &heap, &n);
	struct items_it it;
	struct item item;
	int match = 1;

	items_start(&it, t, n);
	while (items_next(&it, &item) && item_is_digits(t, item))
		lr++;
	items_start(&it, t, n);
	for (idx = 0; idx < c->nitems && match; idx++) {
		const struct item *want = &c->items[idx];
		const char *got;
		size_t gotlen;

		if (idx >= lr && idx < rr) {
			got = "0";
			gotlen = 1;
		} else if (items_next(&it, &item)) {
			got = t + item.off;
			gotlen = item.len;
		} else {
			match = 0;
			break;
		}
		if (gotlen != want->len ||
		    memcmp(got, c->canon + want->off, gotlen))
			match = 0;
	}
	free(heap);
	return match;
}

static int
arbitrary_match(const struct clause *c, const struct pep440_version *v)
{
	char stack[256], *heap;
	size_t n;
	const char *t = format_version(v, 0, stack, sizeof(stack), &heap, &n);
	int match = n == c->arb_len && !memcmp(t, c->arb, n);

	free(heap);
	return match;
}

static int
equal_match(const struct clause *c, const struct pep440_version *v)
{
	if (c->prefix)
		return prefix_match(c, v);
	if (c->ver.flags & PEP440_HAS_LOCAL)
		return pep440_compare(v, &c->ver) == 0;
	return pep440_compare_public(v, &c->ver) == 0;
}

static int
clause_contains(const struct clause *c, const struct pep440_version *v)
{
	switch (c->op) {
	case OP_EQ:
		return equal_match(c, v);
	case OP_NE:
		return !equal_match(c, v);
	case OP_LE:
		return pep440_compare_public(v, &c->ver) <= 0;
	case OP_GE:
		return pep440_compare_public(v, &c->ver) >= 0;
	case OP_LT:
		if (pep440_compare(v, &c->ver) >= 0)
			return 0;
		if (!pep440_is_prerelease(&c->ver) && pep440_is_prerelease(v) &&
		    pep440_same_base(v, &c->ver))
			return 0;
		return 1;
	case OP_GT:
		if (pep440_compare(v, &c->ver) <= 0)
			return 0;
		if (!pep440_is_postrelease(&c->ver) &&
		    pep440_is_postrelease(v) && pep440_same_base(v, &c->ver))
			return 0;
		if ((v->flags & PEP440_HAS_LOCAL) &&
		    pep440_same_base(v, &c->ver))
			return 0;
		return 1;
	case OP_ARB:
		return arbitrary_match(c, v);
	case OP_COMPAT:
		return pep440_compare_public(v, &c->ver) >= 0 &&
		       prefix_match(c, v);
	}
	return 0;
}

int
pep440_spec_contains(const struct pep440_spec *spec,
                     const struct pep440_version *v, enum pep440_prerelease pre)
{
	int allow;

	if (!pep440_valid(v))
		return PEP440_INVALID;
	if (pre == PEP440_PRE_DEFAULT)
		allow = pep440_spec_prereleases(spec);
	else
		allow = pre == PEP440_PRE_ALLOW;
	if (!allow && pep440_is_prerelease(v))
		return 0;
	for (size_t i = 0; i < spec->n; i++)
		if (!clause_contains(&spec->c[i], v))
			return 0;
	return 1;
}
