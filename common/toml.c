/*
 * The TOML reader of toml.h. It follows the structure of Python's tomllib
 * (the reference it is tested against) function for function: one
 * statement at a time, values by their first character, and the same two
 * flags on key paths (EXPLICIT_NEST: a table defined by a header or by
 * dotted keys; FROZEN: inline tables and arrays, recursively) to decide
 * what may be defined again. Values go into a small tree of nodes first
 * (a table must know its keys' order and which of its values are lists
 * of tables), then into JSON.
 */
#include "toml.h"

#include "buf.h"
#include "esc.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ntype {
	N_TABLE,
	N_ARRAY,
	N_STR,
	N_INT,
	N_FLOAT,
	N_BOOL,
	N_DT, /* offset date-time */
	N_DTL, /* local date-time */
	N_DATE,
	N_TIME,
};

struct node {
	enum ntype t;
	char *s; /* N_STR (len sl), datetimes (isoformat) */
	size_t sl;
	int64_t i;
	double f;
	int b;
	/* N_TABLE: keys and values in order; N_ARRAY: values */
	char **k;
	size_t *kl;
	struct node **v;
	size_t n, a;
};

/* A flag tree node (tomllib's Flags). */
struct fnode {
	char **k;
	size_t *kl;
	struct fnode **v;
	size_t n, a;
	unsigned flags, rflags;
};

enum { F_FROZEN = 1, F_EXPLICIT = 2 };

struct key {
	char **p;
	size_t *l;
	size_t n, a;
};

struct pending {
	struct key k;
	unsigned flag;
};

struct parser {
	const char *s; /* the document, CRLF turned into LF */
	size_t len, pos;
	int depth;
	jmp_buf fail;
	struct toml_error *err;
	const char *orig; /* for line/column of errors */
	size_t *map; /* offset in s -> offset in orig */
	struct node *root;
	struct fnode *flags;
	struct pending *pend;
	size_t npend, apend;
	/* everything allocated during a parse: freed at its end (nodes only
	 * on error, when no tree owns them) */
	struct key **keys; /* each allocated alone: pointers stay valid */
	size_t nkeys, akeys;
	struct node **nodes;
	size_t nnodes, anodes;
	struct fnode **ftrees;
	size_t nftrees, aftrees;
	struct buf sb; /* the string being read */
};

static void node_free(struct node *n);

static void
fnode_free(struct fnode *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->k[i]);
		fnode_free(f->v[i]);
	}
	free(f->k);
	free(f->kl);
	free(f->v);
	free(f);
}

/* Free one node but not the nodes it holds (the arena frees those). */
static void
node_free_shallow(struct node *n)
{
	for (size_t i = 0; n->k && i < n->n; i++)
		free(n->k[i]);
	free(n->k);
	free(n->kl);
	free(n->v);
	free(n->s);
	free(n);
}

static void
node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		node_free(n->v[i]);
	node_free_shallow(n);
}

static void
key_clear(struct key *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->p[i]);
	free(k->p);
	free(k->l);
	memset(k, 0, sizeof(*k));
}

static void
key_push(struct key *k, const char *p, size_t l)
{
	if (k->n == k->a) {
		k->a = k->a ? 2 * k->a : 4;
		k->p = xreallocarray(k->p, k->a, sizeof(*k->p));
		k->l = xreallocarray(k->l, k->a, sizeof(*k->l));
	}
	k->p[k->n] = xmemdup0(p, l);
	k->l[k->n] = l;
	k->n++;
}

static void
key_copy(struct key *dst, const struct key *src, size_t n)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < n && i < src->n; i++)
		key_push(dst, src->p[i], src->l[i]);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(struct parser *p, const char *fmt, ...)
{
	if (p->err) {
		va_list ap;
		size_t o = p->pos < p->len ? p->map[p->pos] : p->map[p->len];
		int line = 1, col = 1;
		for (size_t i = 0; i < o; i++) {
			if (p->orig[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		p->err->line = line;
		p->err->col = col;
		va_start(ap, fmt);
		vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
		va_end(ap);
	}
	longjmp(p->fail, 1);
}

static int
at(const struct parser *p, size_t pos)
{
	return pos < p->len ? (unsigned char)p->s[pos] : -1;
}

static int
starts(const struct parser *p, size_t pos, const char *t)
{
	size_t n = strlen(t);
	return pos <= p->len && p->len - pos >= n && !memcmp(p->s + pos, t, n);
}

static int
is_ctrl(int c)
{
	return (c >= 0 && c < 32) || c == 127;
}

static int
is_bare(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void
skip_ws(struct parser *p)
{
	while (at(p, p->pos) == ' ' || at(p, p->pos) == '\t')
		p->pos++;
}

static void
skip_comment(struct parser *p)
{
	if (at(p, p->pos) != '#')
		return;
	p->pos++;
	for (;;) {
		int c = at(p, p->pos);
		if (c < 0 || c == '\n')
			return;
		if (is_ctrl(c) && c != '\t')
			fail(p, "illegal character in a comment");
		p->pos++;
	}
}

static void
skip_array_ws(struct parser *p)
{
	for (;;) {
		size_t o = p->pos;
		while (at(p, p->pos) == ' ' || at(p, p->pos) == '\t' ||
		       at(p, p->pos) == '\n')
			p->pos++;
		skip_comment(p);
		if (p->pos == o)
			return;
	}
}

/* --- strings ------------------------------------------------------------- */

static void
add_utf8(struct buf *b, uint32_t c)
{
	char u[4];
	size_t n;
	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
}

/* One escape at p->pos (the backslash). */
static void
escape(struct parser *p, struct buf *b, int multiline)
{
	int e = at(p, p->pos + 1);
	p->pos += 2;
	if (multiline && (e == ' ' || e == '\t' || e == '\n')) {
		if (e != '\n') {
			skip_ws(p);
			if (at(p, p->pos) < 0)
				return;
			if (at(p, p->pos) != '\n')
				fail(p, "unescaped '\\' in a string");
			p->pos++;
		}
		while (at(p, p->pos) == ' ' || at(p, p->pos) == '\t' ||
		       at(p, p->pos) == '\n')
			p->pos++;
		return;
	}
	if (e == 'u' || e == 'U') {
		int n = e == 'u' ? 4 : 8;
		uint32_t c = 0;
		for (int i = 0; i < n; i++) {
			int h = esc_hex_value(at(p, p->pos + (size_t)i));
			if (h < 0)
				fail(p, "invalid hex value");
			c = (c << 4) | (uint32_t)h;
		}
		p->pos += (size_t)n;
		if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			fail(p, "escaped character is not a Unicode scalar "
			        "value");
		add_utf8(b, c);
		return;
	}
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *f = e > 0 ? strchr(from, e) : NULL;
	if (!f || !*f)
		fail(p, "unescaped '\\' in a string");
	buf_addc(b, to[f - from]);
}

/* A basic string's body from p->pos (after the opening quotes). */
static void
basic_str(struct parser *p, struct buf *b, int multiline)
{
	for (;;) {
		int c = at(p, p->pos);
		if (c < 0)
			fail(p, "unterminated string");
		if (c == '"') {
			if (!multiline) {
				p->pos++;
				return;
			}
			if (starts(p, p->pos, "\"\"\"")) {
				p->pos += 3;
				return;
			}
			buf_addc(b, '"');
			p->pos++;
			continue;
		}
		if (c == '\\') {
			escape(p, b, multiline);
			continue;
		}
		if (is_ctrl(c) && c != '\t' && !(multiline && c == '\n'))
			fail(p, "illegal character in a string");
		buf_addc(b, (char)c);
		p->pos++;
	}
}

static void
literal_str(struct parser *p, struct buf *b)
{
	p->pos++;
	for (;;) {
		int c = at(p, p->pos);
		if (c < 0)
			fail(p, "unterminated string");
		if (c == '\'') {
			p->pos++;
			return;
		}
		if (is_ctrl(c) && c != '\t')
			fail(p, "illegal character in a string");
		buf_addc(b, (char)c);
		p->pos++;
	}
}

static void
multiline_str(struct parser *p, struct buf *b, int literal)
{
	char delim = literal ? '\'' : '"';
	p->pos += 3;
	if (at(p, p->pos) == '\n')
		p->pos++;
	if (literal) {
		for (;;) {
			int c = at(p, p->pos);
			if (c < 0)
				fail(p, "unterminated string");
			if (starts(p, p->pos, "'''"))
				break;
			if (is_ctrl(c) && c != '\t' && c != '\n')
				fail(p, "illegal character in a string");
			buf_addc(b, (char)c);
			p->pos++;
		}
		p->pos += 3;
	} else {
		basic_str(p, b, 1);
	}
	/* up to two quotes more end the string: 4 or 5 in a row */
	for (int i = 0; i < 2 && at(p, p->pos) == delim; i++) {
		buf_addc(b, delim);
		p->pos++;
	}
}

/* --- keys ---------------------------------------------------------------- */

static void
key_part(struct parser *p, struct key *k)
{
	int c = at(p, p->pos);
	struct buf *b = &p->sb;
	buf_reset(b);
	if (c >= 0 && is_bare(c)) {
		size_t s = p->pos;
		while (at(p, p->pos) >= 0 && is_bare(at(p, p->pos)))
			p->pos++;
		key_push(k, p->s + s, p->pos - s);
		return;
	}
	if (c == '\'') {
		literal_str(p, b);
	} else if (c == '"') {
		p->pos++;
		basic_str(p, b, 0);
	} else {
		fail(p, "invalid initial character for a key part");
	}
	key_push(k, buf_cstr(b), b->len);
}

/* Keys are registered with the parser so an error frees them. */
static struct key *
new_key(struct parser *p)
{
	if (p->nkeys == p->akeys) {
		p->akeys = p->akeys ? 2 * p->akeys : 8;
		p->keys = xreallocarray(p->keys, p->akeys, sizeof(*p->keys));
	}
	struct key *k = xcalloc(1, sizeof(*k));
	p->keys[p->nkeys++] = k;
	return k;
}

static struct key *
parse_key(struct parser *p)
{
	struct key *k = new_key(p);
	key_part(p, k);
	skip_ws(p);
	while (at(p, p->pos) == '.') {
		p->pos++;
		skip_ws(p);
		key_part(p, k);
		skip_ws(p);
	}
	return k;
}

/* --- flags --------------------------------------------------------------- */

static long
find(char **ks, size_t *kl, size_t n, const char *k, size_t l)
{
	for (size_t i = 0; i < n; i++)
		if (kl[i] == l && !memcmp(ks[i], k, l))
			return (long)i;
	return -1;
}

static struct fnode *
fchild(struct fnode *f, const char *k, size_t l, int create)
{
	long i = find(f->k, f->kl, f->n, k, l);
	if (i >= 0)
		return f->v[i];
	if (!create)
		return NULL;
	if (f->n == f->a) {
		f->a = f->a ? 2 * f->a : 4;
		f->k = xreallocarray(f->k, f->a, sizeof(*f->k));
		f->kl = xreallocarray(f->kl, f->a, sizeof(*f->kl));
		f->v = xreallocarray(f->v, f->a, sizeof(*f->v));
	}
	f->k[f->n] = xmemdup0(k, l);
	f->kl[f->n] = l;
	f->v[f->n] = xcalloc(1, sizeof(struct fnode));
	return f->v[f->n++];
}

static int
flag_is(struct fnode *root, const struct key *k, size_t n, unsigned flag)
{
	struct fnode *f = root;
	if (!n)
		return 0;
	for (size_t i = 0; i + 1 < n; i++) {
		f = fchild(f, k->p[i], k->l[i], 0);
		if (!f)
			return 0;
		if (f->rflags & flag)
			return 1;
	}
	f = fchild(f, k->p[n - 1], k->l[n - 1], 0);
	return f && ((f->flags | f->rflags) & flag);
}

static void
flag_set(struct fnode *root, const struct key *k, size_t n, unsigned flag,
         int recursive)
{
	struct fnode *f = root;
	for (size_t i = 0; i < n; i++)
		f = fchild(f, k->p[i], k->l[i], 1);
	if (recursive)
		f->rflags |= flag;
	else
		f->flags |= flag;
}

static void
flag_unset_all(struct fnode *root, const struct key *k, size_t n)
{
	struct fnode *f = root;
	for (size_t i = 0; i + 1 < n; i++) {
		f = fchild(f, k->p[i], k->l[i], 0);
		if (!f)
			return;
	}
	long i = find(f->k, f->kl, f->n, k->p[n - 1], k->l[n - 1]);
	if (i < 0)
		return;
	fnode_free(f->v[i]);
	free(f->k[i]);
	memmove(f->k + i, f->k + i + 1, (f->n - (size_t)i - 1) * sizeof(*f->k));
	memmove(f->kl + i, f->kl + i + 1,
	        (f->n - (size_t)i - 1) * sizeof(*f->kl));
	memmove(f->v + i, f->v + i + 1, (f->n - (size_t)i - 1) * sizeof(*f->v));
	f->n--;
}

static void
finalize_pending(struct parser *p)
{
	for (size_t i = 0; i < p->npend; i++) {
		flag_set(p->flags, &p->pend[i].k, p->pend[i].k.n,
		         p->pend[i].flag, 0);
		key_clear(&p->pend[i].k);
	}
	p->npend = 0;
}

/* --- the data tree ------------------------------------------------------- */

static struct node *
new_node(struct parser *p, enum ntype t)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->t = t;
	XGROW(p->nodes, p->nnodes + 1, p->anodes);
	p->nodes[p->nnodes++] = n;
	return n;
}

static void
table_put(struct node *t, const char *k, size_t l, struct node *v)
{
	if (t->n == t->a) {
		t->a = t->a ? 2 * t->a : 4;
		t->k = xreallocarray(t->k, t->a, sizeof(*t->k));
		t->kl = xreallocarray(t->kl, t->a, sizeof(*t->kl));
		t->v = xreallocarray(t->v, t->a, sizeof(*t->v));
	}
	t->k[t->n] = xmemdup0(k, l);
	t->kl[t->n] = l;
	t->v[t->n++] = v;
}

static void
array_push(struct node *a, struct node *v)
{
	if (a->n == a->a) {
		a->a = a->a ? 2 * a->a : 4;
		a->v = xreallocarray(a->v, a->a, sizeof(*a->v));
	}
	a->v[a->n++] = v;
}

static struct node *
table_get(struct node *t, const char *k, size_t l)
{
	long i = find(t->k, t->kl, t->n, k, l);
	return i < 0 ? NULL : t->v[i];
}

/* tomllib's get_or_create_nest(); NULL when a non-table is in the way. */
static struct node *
get_or_create_nest(struct parser *p, struct node *root, const struct key *k,
                   size_t n, int access_lists)
{
	struct node *c = root;
	for (size_t i = 0; i < n; i++) {
		struct node *x = table_get(c, k->p[i], k->l[i]);
		if (!x) {
			x = new_node(p, N_TABLE);
			table_put(c, k->p[i], k->l[i], x);
		}
		c = x;
		if (access_lists && c->t == N_ARRAY) {
			if (!c->n)
				return NULL;
			c = c->v[c->n - 1];
		}
		if (c->t != N_TABLE)
			return NULL;
	}
	return c;
}

/* --- values -------------------------------------------------------------- */

static struct node *parse_value(struct parser *p);

static struct node *
parse_array(struct parser *p)
{
	struct node *a = new_node(p, N_ARRAY);
	p->pos++;
	skip_array_ws(p);
	if (at(p, p->pos) == ']') {
		p->pos++;
		return a;
	}
	for (;;) {
		struct node *v = parse_value(p);
		array_push(a, v);
		skip_array_ws(p);
		int c = at(p, p->pos);
		if (c == ']') {
			p->pos++;
			return a;
		}
		if (c != ',')
			fail(p, "unclosed array");
		p->pos++;
		skip_array_ws(p);
		if (at(p, p->pos) == ']') {
			p->pos++;
			return a;
		}
	}
}

static struct key *parse_kv(struct parser *p, struct node **value);

static struct node *
parse_inline_table(struct parser *p)
{
	struct node *t = new_node(p, N_TABLE);
	struct fnode *flags = xcalloc(1, sizeof(*flags));
	XGROW(p->ftrees, p->nftrees + 1, p->aftrees);
	p->ftrees[p->nftrees++] = flags;
	p->pos++;
	skip_ws(p);
	if (at(p, p->pos) == '}') {
		p->pos++;
		return t;
	}
	for (;;) {
		struct node *v;
		struct key *k = parse_kv(p, &v);
		if (flag_is(flags, k, k->n, F_FROZEN)) {
			fail(p, "cannot mutate an immutable namespace");
		}
		struct node *nest = get_or_create_nest(p, t, k, k->n - 1, 0);
		if (!nest || table_get(nest, k->p[k->n - 1], k->l[k->n - 1]))
			fail(p, nest ? "duplicate inline table key"
			             : "cannot overwrite a value");
		table_put(nest, k->p[k->n - 1], k->l[k->n - 1], v);
		skip_ws(p);
		int c = at(p, p->pos);
		if (c == '}') {
			p->pos++;
			return t;
		}
		if (c != ',')
			fail(p, "unclosed inline table");
		if (v->t == N_TABLE || v->t == N_ARRAY)
			flag_set(flags, k, k->n, F_FROZEN, 1);
		p->pos++;
		skip_ws(p);
	}
}

static int
digits(const struct parser *p, size_t pos, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = at(p, pos + i);
		if (c < '0' || c > '9')
			return 0;
	}
	return 1;
}

static int
num(const struct parser *p, size_t pos, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (p->s[pos + i] - '0');
	return v;
}

/* _TIME_RE_STR at pos: HH:MM:SS(.frac)?; returns the end or 0. */
static size_t
match_time(const struct parser *p, size_t pos, int *h, int *m, int *s, int *us)
{
	if (!digits(p, pos, 2) || at(p, pos + 2) != ':' ||
	    !digits(p, pos + 3, 2) || at(p, pos + 5) != ':' ||
	    !digits(p, pos + 6, 2))
		return 0;
	*h = num(p, pos, 2);
	*m = num(p, pos + 3, 2);
	*s = num(p, pos + 6, 2);
	if (*h > 23 || *m > 59 || *s > 59)
		return 0;
	size_t e = pos + 8;
	*us = 0;
	if (at(p, e) == '.' && digits(p, e + 1, 1)) {
		size_t d = e + 1, nd = 0;
		while (digits(p, d, 1)) {
			if (nd < 6)
				*us = *us * 10 + (p->s[d] - '0');
			nd++;
			d++;
		}
		for (size_t i = nd; i < 6; i++)
			*us *= 10;
		e = d;
	}
	return e;
}

static void
fmt_time(struct buf *b, int h, int m, int s, int us)
{
	buf_addf(b, "%02d:%02d:%02d", h, m, s);
	if (us)
		buf_addf(b, ".%06d", us);
}

static int
days_in(int y, int mo)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[mo - 1];
}

/* RE_DATETIME or RE_LOCALTIME at p->pos; NULL when neither matches. */
static struct node *
parse_datetime(struct parser *p)
{
	size_t pos = p->pos;
	int h, mi, s, us;
	if (digits(p, pos, 4) && at(p, pos + 4) == '-' &&
	    digits(p, pos + 5, 2) && at(p, pos + 7) == '-' &&
	    digits(p, pos + 8, 2)) {
		int y = num(p, pos, 4), mo = num(p, pos + 5, 2),
		    d = num(p, pos + 8, 2);
		if (mo < 1 || mo > 12 || d < 1 || d > 31)
			goto time_only;
		size_t e = pos + 10;
		struct buf b = BUF_INIT(0);
		struct node *n;
		if (y < 1 || d > days_in(y, mo))
			fail(p, "invalid date or datetime");
		int c = at(p, e);
		size_t te = 0;
		if (c == 'T' || c == 't' || c == ' ')
			te = match_time(p, e + 1, &h, &mi, &s, &us);
		buf_addf(&b, "%04d-%02d-%02d", y, mo, d);
		if (!te) {
			n = new_node(p, N_DATE);
		} else {
			buf_addc(&b, 'T');
			fmt_time(&b, h, mi, s, us);
			e = te;
			c = at(p, e);
			if (c == 'Z' || c == 'z') {
				buf_adds(&b, "+00:00");
				e++;
				n = new_node(p, N_DT);
			} else if ((c == '+' || c == '-') &&
			           digits(p, e + 1, 2) && at(p, e + 3) == ':' &&
			           digits(p, e + 4, 2) &&
			           num(p, e + 1, 2) <= 23 &&
			           num(p, e + 4, 2) <= 59) {
				int oh = num(p, e + 1, 2),
				    om = num(p, e + 4, 2);
				if (!oh && !om)
					c = '+';
				buf_addf(&b, "%c%02d:%02d", c, oh, om);
				e += 6;
				n = new_node(p, N_DT);
			} else {
				n = new_node(p, N_DTL);
			}
		}
		n->s = buf_detach(&b, &n->sl);
		p->pos = e;
		return n;
	}
time_only:;
	size_t e = match_time(p, pos, &h, &mi, &s, &us);
	if (!e)
		return NULL;
	struct buf b = BUF_INIT(0);
	fmt_time(&b, h, mi, s, us);
	struct node *n = new_node(p, N_TIME);
	n->s = buf_detach(&b, &n->sl);
	p->pos = e;
	return n;
}

/* Digits of a base with single underscores between them, from pos;
 * returns the end (pos when none). */
static size_t
match_digits(const struct parser *p, size_t pos, int base)
{
	size_t e = pos;
	for (;;) {
		int c = at(p, e);
		int ok = base == 16   ? esc_hex_value(c) >= 0
		         : base == 10 ? (c >= '0' && c <= '9')
		         : base == 8  ? (c >= '0' && c <= '7')
		                      : (c == '0' || c == '1');
		if (!ok)
			return e;
		e++;
		if (at(p, e) == '_') {
			int n = at(p, e + 1);
			int ok2 = base == 16   ? esc_hex_value(n) >= 0
			          : base == 10 ? (n >= '0' && n <= '9')
			          : base == 8  ? (n >= '0' && n <= '7')
			                       : (n == '0' || n == '1');
			if (!ok2)
				return e;
			e++;
		}
	}
}

static struct node *
parse_number(struct parser *p)
{
	size_t pos = p->pos, e;
	int c = at(p, pos), c1 = at(p, pos + 1);
	if (c == '0' && (c1 == 'x' || c1 == 'o' || c1 == 'b')) {
		int base = c1 == 'x' ? 16 : c1 == 'o' ? 8 : 2;
		e = match_digits(p, pos + 2, base);
		if (e > pos + 2) {
			uint64_t v = 0;
			for (size_t i = pos + 2; i < e; i++) {
				if (p->s[i] == '_')
					continue;
				int d = esc_hex_value((unsigned char)p->s[i]);
				if (v > (UINT64_MAX - (uint64_t)d) /
				            (uint64_t)base ||
				    v * (uint64_t)base + (uint64_t)d >
				        INT64_MAX)
					fail(p, "integer out of range");
				v = v * (uint64_t)base + (uint64_t)d;
			}
			struct node *n = new_node(p, N_INT);
			n->i = (int64_t)v;
			p->pos = e;
			return n;
		}
	}
	/* [+-]?(0|[1-9](_?[0-9])*)(\.[0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)? */
	e = pos;
	if (at(p, e) == '+' || at(p, e) == '-')
		e++;
	if (at(p, e) == '0') {
		e++;
	} else if (at(p, e) >= '1' && at(p, e) <= '9') {
		e = match_digits(p, e, 10);
	} else {
		return NULL;
	}
	int is_float = 0;
	if (at(p, e) == '.' && at(p, e + 1) >= '0' && at(p, e + 1) <= '9') {
		e = match_digits(p, e + 1, 10);
		is_float = 1;
	}
	if (at(p, e) == 'e' || at(p, e) == 'E') {
		size_t x = e + 1;
		if (at(p, x) == '+' || at(p, x) == '-')
			x++;
		if (at(p, x) >= '0' && at(p, x) <= '9') {
			e = match_digits(p, x, 10);
			is_float = 1;
		}
	}
	char tmp[512];
	size_t tl = 0;
	for (size_t i = pos; i < e; i++) {
		if (p->s[i] == '_')
			continue;
		if (tl + 1 >= sizeof(tmp))
			fail(p, "number too long");
		tmp[tl++] = p->s[i];
	}
	tmp[tl] = 0;
	struct node *n;
	if (is_float) {
		n = new_node(p, N_FLOAT);
		n->f = strtod(tmp, NULL);
	} else {
		char *end;
		errno = 0;
		long long v = strtoll(tmp, &end, 10);
		if (errno)
			fail(p, "integer out of range");
		n = new_node(p, N_INT);
		n->i = v;
	}
	p->pos = e;
	return n;
}

static struct node *
parse_value(struct parser *p)
{
	int c = at(p, p->pos);
	struct node *n;
	struct buf *b = &p->sb;

	if (c == '"' || c == '\'') {
		buf_reset(b);
		if (c == '"' && starts(p, p->pos, "\"\"\"")) {
			multiline_str(p, b, 0);
		} else if (c == '\'' && starts(p, p->pos, "'''")) {
			multiline_str(p, b, 1);
		} else if (c == '"') {
			p->pos++;
			basic_str(p, b, 0);
		} else {
			literal_str(p, b);
		}
		n = new_node(p, N_STR);
		n->s = xmemdup0(buf_cstr(b), b->len);
		n->sl = b->len;
		return n;
	}
	if (c == 't' && starts(p, p->pos, "true")) {
		p->pos += 4;
		n = new_node(p, N_BOOL);
		n->b = 1;
		return n;
	}
	if (c == 'f' && starts(p, p->pos, "false")) {
		p->pos += 5;
		return new_node(p, N_BOOL);
	}
	if (c == '[' || c == '{') {
		if (++p->depth > TOML_MAX_DEPTH)
			fail(p, "nested deeper than %d", TOML_MAX_DEPTH);
		n = c == '[' ? parse_array(p) : parse_inline_table(p);
		p->depth--;
		return n;
	}
	if ((n = parse_datetime(p)))
		return n;
	if ((n = parse_number(p)))
		return n;
	static const char *const special[] = {"inf",  "nan",  "-inf",
	                                      "+inf", "-nan", "+nan"};
	for (size_t i = 0; i < 6; i++) {
		if (starts(p, p->pos, special[i])) {
			n = new_node(p, N_FLOAT);
			n->f = strtod(special[i], NULL);
			p->pos += strlen(special[i]);
			return n;
		}
	}
	fail(p, "invalid value");
}

/* --- statements ---------------------------------------------------------- */

/* The value under construction, freed if a nested parse fails. */
static struct key *
parse_kv(struct parser *p, struct node **value)
{
	struct key *k = parse_key(p);
	if (at(p, p->pos) != '=')
		fail(p, "expected '=' after a key in a key/value pair");
	p->pos++;
	skip_ws(p);
	*value = parse_value(p);
	return k;
}

static void
key_value_rule(struct parser *p, const struct key *header)
{
	struct node *v = NULL;
	struct key *k = parse_kv(p, &v);
	struct key abs = {0};
	key_copy(&abs, header, header->n);
	for (size_t i = 0; i < k->n; i++)
		key_push(&abs, k->p[i], k->l[i]);
	/* abs = header + key; its parent is abs minus the last part */
	for (size_t i = 1; i < k->n; i++) {
		size_t n = header->n + i;
		if (flag_is(p->flags, &abs, n, F_EXPLICIT)) {
			key_clear(&abs);
			fail(p, "cannot redefine a namespace");
		}
		if (p->npend == p->apend) {
			p->apend = p->apend ? 2 * p->apend : 8;
			p->pend =
			    xreallocarray(p->pend, p->apend, sizeof(*p->pend));
		}
		key_copy(&p->pend[p->npend].k, &abs, n);
		p->pend[p->npend++].flag = F_EXPLICIT;
	}
	if (flag_is(p->flags, &abs, abs.n - 1, F_FROZEN)) {
		key_clear(&abs);
		fail(p, "cannot mutate an immutable namespace");
	}
	struct node *nest = get_or_create_nest(p, p->root, &abs, abs.n - 1, 1);
	if (!nest || table_get(nest, k->p[k->n - 1], k->l[k->n - 1])) {
		key_clear(&abs);
		fail(p, "cannot overwrite a value");
	}
	if (v->t == N_TABLE || v->t == N_ARRAY)
		flag_set(p->flags, &abs, abs.n, F_FROZEN, 1);
	table_put(nest, k->p[k->n - 1], k->l[k->n - 1], v);
	key_clear(&abs);
}

static struct key *
create_dict_rule(struct parser *p)
{
	p->pos++;
	skip_ws(p);
	struct key *k = parse_key(p);
	if (flag_is(p->flags, k, k->n, F_EXPLICIT) ||
	    flag_is(p->flags, k, k->n, F_FROZEN))
		fail(p, "cannot declare a table twice");
	flag_set(p->flags, k, k->n, F_EXPLICIT, 0);
	if (!get_or_create_nest(p, p->root, k, k->n, 1))
		fail(p, "cannot overwrite a value");
	if (at(p, p->pos) != ']')
		fail(p, "expected ']' at the end of a table declaration");
	p->pos++;
	return k;
}

static struct key *
create_list_rule(struct parser *p)
{
	p->pos += 2;
	skip_ws(p);
	struct key *k = parse_key(p);
	if (flag_is(p->flags, k, k->n, F_FROZEN))
		fail(p, "cannot mutate an immutable namespace");
	flag_unset_all(p->flags, k, k->n);
	flag_set(p->flags, k, k->n, F_EXPLICIT, 0);
	struct node *c = get_or_create_nest(p, p->root, k, k->n - 1, 1);
	if (!c)
		fail(p, "cannot overwrite a value");
	struct node *l = table_get(c, k->p[k->n - 1], k->l[k->n - 1]);
	if (l && l->t != N_ARRAY)
		fail(p, "cannot overwrite a value");
	if (!l) {
		l = new_node(p, N_ARRAY);
		table_put(c, k->p[k->n - 1], k->l[k->n - 1], l);
	}
	array_push(l, new_node(p, N_TABLE));
	if (!starts(p, p->pos, "]]"))
		fail(p, "expected ']]' at the end of an array declaration");
	p->pos += 2;
	return k;
}

/* Strict UTF-8 (what Python's decoder accepts). Returns the offset of
 * the first bad byte, or len. */
static size_t
utf8_check(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

static struct node *
parse(const char *data, size_t len, struct toml_error *err)
{
	struct parser p;
	struct node *volatile out = NULL;
	memset(&p, 0, sizeof(p));
	p.err = err;
	p.orig = data;
	/* CRLF -> LF, keeping where each byte came from */
	char *s = xmalloc(len + 1);
	size_t *map = xcalloc(len + 1, sizeof(size_t));
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			continue;
		map[n] = i;
		s[n++] = data[i];
	}
	map[n] = len;
	s[n] = 0;
	p.s = s;
	p.len = n;
	p.map = map;
	p.root = new_node(&p, N_TABLE);
	p.flags = xcalloc(1, sizeof(*p.flags));
	if (setjmp(p.fail) == 0) {
		size_t bad = utf8_check((const unsigned char *)s, n);
		if (bad < n) {
			p.pos = bad;
			fail(&p, "invalid UTF-8");
		}
		if (memchr(s, 0, n)) {
			p.pos = (size_t)((const char *)memchr(s, 0, n) - s);
			fail(&p, "NUL byte");
		}
		struct key empty = {0};
		const struct key *header = &empty;
		for (;;) {
			skip_ws(&p);
			int c = at(&p, p.pos);
			if (c < 0)
				break;
			if (c == '\n') {
				p.pos++;
				continue;
			}
			if (is_bare(c) || c == '"' || c == '\'') {
				key_value_rule(&p, header);
				skip_ws(&p);
			} else if (c == '[') {
				finalize_pending(&p);
				if (at(&p, p.pos + 1) == '[')
					header = create_list_rule(&p);
				else
					header = create_dict_rule(&p);
				skip_ws(&p);
			} else if (c != '#') {
				fail(&p, "invalid statement");
			}
			skip_comment(&p);
			c = at(&p, p.pos);
			if (c < 0)
				break;
			if (c != '\n')
				fail(&p, "expected newline or end of document "
				         "after a statement");
			p.pos++;
		}
		out = p.root;
		p.root = NULL;
	}
	/* on error no tree owns the nodes: free them one by one */
	if (!out)
		for (size_t i = 0; i < p.nnodes; i++)
			node_free_shallow(p.nodes[i]);
	free(p.nodes);
	for (size_t i = 0; i < p.nftrees; i++)
		fnode_free(p.ftrees[i]);
	free(p.ftrees);
	buf_release(&p.sb);
	fnode_free(p.flags);
	for (size_t i = 0; i < p.npend; i++)
		key_clear(&p.pend[i].k);
	free(p.pend);
	for (size_t i = 0; i < p.nkeys; i++) {
		key_clear(p.keys[i]);
		free(p.keys[i]);
	}
	free(p.keys);
	free(s);
	free(map);
	return out;
}

/* --- JSON ---------------------------------------------------------------- */

static json_t *
float_json_text(double f)
{
	char t[64];
	if (isnan(f))
		snprintf(t, sizeof(t), "nan");
	else if (isinf(f))
		snprintf(t, sizeof(t), f > 0 ? "inf" : "-inf");
	else
		snprintf(t, sizeof(t), "%.17g", f);
	return json_string(t);
}

static json_t *
to_json(const struct node *n, int tagged)
{
	json_t *j = NULL;
	const char *type = NULL;
	switch (n->t) {
	case N_TABLE:
		j = json_object();
		for (size_t i = 0; i < n->n; i++)
			json_object_setn_new_nocheck(j, n->k[i], n->kl[i],
			                             to_json(n->v[i], tagged));
		return j;
	case N_ARRAY:
		j = json_array();
		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(j, to_json(n->v[i], tagged));
		return j;
	case N_STR:
		j = json_stringn_nocheck(n->s ? n->s : "", n->sl);
		type = "string";
		break;
	case N_INT:
		if (tagged) {
			char t[32];
			snprintf(t, sizeof(t), "%lld", (long long)n->i);
			j = json_string(t);
		} else {
			j = json_integer(n->i);
		}
		type = "integer";
		break;
	case N_FLOAT:
		j = tagged ? float_json_text(n->f) : json_real(n->f);
		if (!j) /* jansson refuses nan and inf as reals */
			j = float_json_text(n->f);
		type = "float";
		break;
	case N_BOOL:
		j = tagged ? json_string(n->b ? "true" : "false")
		           : json_boolean(n->b);
		type = "bool";
		break;
	case N_DT:
	case N_DTL:
	case N_DATE:
	case N_TIME:
		j = json_string(n->s);
		type = n->t == N_DT     ? "datetime"
		       : n->t == N_DTL  ? "datetime-local"
		       : n->t == N_DATE ? "date-local"
		                        : "time-local";
		break;
	}
	if (!tagged)
		return j;
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "value", j);
	return o;
}

static json_t *
parse_to_json(const char *data, size_t len, struct toml_error *err,
              int tagged)
{
	struct node *n = parse(data, len, err);
	if (!n)
		return NULL;
	json_t *j = to_json(n, tagged);
	node_free(n);
	return j;
}

json_t *
toml_parse(const char *data, size_t len, struct toml_error *err)
{
	return parse_to_json(data, len, err, 0);
}

json_t *
toml_parse_tagged(const char *data, size_t len, struct toml_error *err)
{
	return parse_to_json(data, len, err, 1);
}
