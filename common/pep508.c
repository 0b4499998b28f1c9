/*
 * PEP 508 requirements and markers: a recursive-descent parser whose
 * token rules are packaging 23.0's _tokenizer.py regexes written out by
 * hand (the \b word boundaries included, because they decide whether
 * 'python_version>"3"and os_name=="nt"' parses), a small tree for markers,
 * and an evaluator that leaves version comparisons to pep440.c.
 */
#include "pep508.h"
#include "buf.h"
#include "log.h"
#include "pep440.h"
#include "pep503.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op {
	OP_LT,
	OP_LE,
	OP_EQ,
	OP_NE,
	OP_GE,
	OP_GT,
	OP_COMPAT, /* ~= */
	OP_ARBITRARY, /* === */
	OP_IN,
	OP_NOT_IN,
};

static const char *const op_text[] = {
    "<", "<=", "==", "!=", ">=", ">", "~=", "===", "in", "not in",
};

enum node_kind { NODE_CMP, NODE_GROUP };

struct node {
	enum node_kind kind;
	/* NODE_CMP: each side a variable (var >= 0) or a literal. */
	int lvar, rvar;
	char *lval, *rval; /* owned literals, NULL for variables */
	enum op op;
	/* NODE_GROUP: items joined by and/or; is_or[i] joins i and i+1. */
	struct node **items;
	unsigned char *is_or;
	size_t n, alloc, or_alloc;
};

struct pep508_marker {
	struct node *root; /* always a NODE_GROUP */
};

static const char *const var_names[PEP508_NVARS] = {
    "python_version",
    "python_full_version",
    "os_name",
    "sys_platform",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform_machine",
    "platform_python_implementation",
    "implementation_name",
    "implementation_version",
    "extra",
};

/* Every spelling the tokenizer's VARIABLE rule accepts. */
static const struct {
	const char *spelling;
	enum pep508_var var;
} var_spellings[] = {
    {"python_version", PEP508_PYTHON_VERSION},
    {"python_full_version", PEP508_PYTHON_FULL_VERSION},
    {"os_name", PEP508_OS_NAME},
    {"os.name", PEP508_OS_NAME},
    {"sys_platform", PEP508_SYS_PLATFORM},
    {"sys.platform", PEP508_SYS_PLATFORM},
    {"platform_release", PEP508_PLATFORM_RELEASE},
    {"platform_system", PEP508_PLATFORM_SYSTEM},
    {"platform_version", PEP508_PLATFORM_VERSION},
    {"platform.version", PEP508_PLATFORM_VERSION},
    {"platform_machine", PEP508_PLATFORM_MACHINE},
    {"platform.machine", PEP508_PLATFORM_MACHINE},
    {"platform_python_implementation", PEP508_PLATFORM_PYTHON_IMPLEMENTATION},
    {"platform.python_implementation", PEP508_PLATFORM_PYTHON_IMPLEMENTATION},
    {"python_implementation", PEP508_PLATFORM_PYTHON_IMPLEMENTATION},
    {"implementation_name", PEP508_IMPLEMENTATION_NAME},
    {"implementation_version", PEP508_IMPLEMENTATION_VERSION},
    {"extra", PEP508_EXTRA},
};

const char *
pep508_var_name(enum pep508_var var)
{
	return (unsigned)var < PEP508_NVARS ? var_names[var] : "?";
}

int
pep508_env_cpython(struct pep508_env *env, const char *python_version,
                   const char *python_full_version, const char *sys_platform,
                   const char *machine)
{
	static const struct {
		const char *sys_platform, *os_name, *system, *machine;
	} platforms[] = {
	    {"linux", "posix", "Linux", "x86_64"},
	    {"darwin", "posix", "Darwin", "arm64"},
	    {"win32", "nt", "Windows", "AMD64"},
	};
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
		if (strcmp(sys_platform, platforms[i].sys_platform))
			continue;
		memset(env, 0, sizeof(*env));
		if (!python_full_version) {
			if (strlen(python_version) + 3 > sizeof(env->full))
				return log_error("python version '%s' too "
				                 "long",
				                 python_version);
			snprintf(env->full, sizeof(env->full), "%s.0",
			         python_version);
			python_full_version = env->full;
		}
		env->v[PEP508_PYTHON_VERSION] = python_version;
		env->v[PEP508_PYTHON_FULL_VERSION] = python_full_version;
		env->v[PEP508_OS_NAME] = platforms[i].os_name;
		env->v[PEP508_SYS_PLATFORM] = platforms[i].sys_platform;
		env->v[PEP508_PLATFORM_RELEASE] = "";
		env->v[PEP508_PLATFORM_SYSTEM] = platforms[i].system;
		env->v[PEP508_PLATFORM_VERSION] = "";
		env->v[PEP508_PLATFORM_MACHINE] =
		    machine ? machine : platforms[i].machine;
		env->v[PEP508_PLATFORM_PYTHON_IMPLEMENTATION] = "CPython";
		env->v[PEP508_IMPLEMENTATION_NAME] = "cpython";
		env->v[PEP508_IMPLEMENTATION_VERSION] = python_full_version;
		env->v[PEP508_EXTRA] = "";
		return 0;
	}
	return log_error("unknown sys_platform '%s': want linux, darwin or "
	                 "win32",
	                 sys_platform);
}

/* The parser's state: the input and the first error. */
struct parser {
	const char *s;
	size_t len, pos;
	int depth;
	const char *msg;
	size_t err_pos;
};

static int
fail(struct parser *p, const char *msg)
{
	if (!p->msg) {
		p->msg = msg;
		p->err_pos = p->pos;
	}
	return -1;
}

static int
is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Python's \b at offset i of the input. */
static int
boundary(const struct parser *p, size_t i)
{
	int before = i > 0 && is_word((unsigned char)p->s[i - 1]);
	int after = i < p->len && is_word((unsigned char)p->s[i]);

	return before != after;
}

/* WS: [ \t]+ -- returns how many were skipped. */
static size_t
skip_ws(struct parser *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
	return p->pos - start;
}

/* END: Python's "$", which also matches before a final newline. */
static int
at_end(const struct parser *p)
{
	return p->pos == p->len ||
	       (p->pos + 1 == p->len && p->s[p->pos] == '\n');
}

static int
peek_char(const struct parser *p, char c)
{
	return p->pos < p->len && p->s[p->pos] == c;
}

/* \bword\b at the current position. */
static int
peek_word(const struct parser *p, const char *word)
{
	size_t n = strlen(word);

	return p->len - p->pos >= n && !memcmp(p->s + p->pos, word, n) &&
	       boundary(p, p->pos) && boundary(p, p->pos + n);
}

static void
node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->is_or);
	free(n->lval);
	free(n->rval);
	free(n);
}

static struct node *
group_new(void)
{
	struct node *g = xcalloc(1, sizeof(*g));

	g->kind = NODE_GROUP;
	return g;
}

static void
group_add(struct node *g, struct node *item, int is_or)
{
	if (g->n) {
		XGROW(g->is_or, g->n, g->or_alloc);
		g->is_or[g->n - 1] = (unsigned char)is_or;
	}
	XGROW(g->items, g->n + 1, g->alloc);
	g->items[g->n++] = item;
}

/* marker_var = VARIABLE | QUOTED_STRING: sets *var or *val. */
static int
parse_marker_var(struct parser *p, int *var, char **val)
{
	char q;
	const char *close;

	for (size_t i = 0; i < sizeof(var_spellings) / sizeof(var_spellings[0]);
	     i++) {
		if (peek_word(p, var_spellings[i].spelling)) {
			p->pos += strlen(var_spellings[i].spelling);
			*var = (int)var_spellings[i].var;
			*val = NULL;
			return 0;
		}
	}
	if (p->pos < p->len && (p->s[p->pos] == '"' || p->s[p->pos] == '\'')) {
		q = p->s[p->pos];
		close = memchr(p->s + p->pos + 1, q, p->len - p->pos - 1);
		if (close) {
			*var = -1;
			*val = xmemdup0(p->s + p->pos + 1,
			                (size_t)(close - p->s - p->pos - 1));
			p->pos = (size_t)(close - p->s) + 1;
			return 0;
		}
	}
	return fail(p, "Expected a marker variable or quoted string");
}

/* OP: (===|==|~=|!=|<=|>=|<|>), the alternation's longest-first order. */
static int
read_op(struct parser *p, enum op *op)
{
	static const struct {
		const char *text;
		enum op op;
	} ops[] = {
	    {"===", OP_ARBITRARY}, {"==", OP_EQ}, {"~=", OP_COMPAT},
	    {"!=", OP_NE},         {"<=", OP_LE}, {">=", OP_GE},
	    {"<", OP_LT},          {">", OP_GT},
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].text);

		if (p->len - p->pos >= n &&
		    !memcmp(p->s + p->pos, ops[i].text, n)) {
			p->pos += n;
			*op = ops[i].op;
			return 0;
		}
	}
	return -1;
}

static int
parse_marker_op(struct parser *p, enum op *op)
{
	if (peek_word(p, "in")) {
		p->pos += 2;
		*op = OP_IN;
		return 0;
	}
	if (peek_word(p, "not")) {
		p->pos += 3;
		if (!skip_ws(p))
			return fail(p, "Expected whitespace after 'not'");
		if (!peek_word(p, "in"))
			return fail(p, "Expected 'in' after 'not'");
		p->pos += 2;
		*op = OP_NOT_IN;
		return 0;
	}
	if (read_op(p, op) == 0)
		return 0;
	return fail(p, "Expected marker operator, one of <=, <, !=, ==, >=, "
	               ">, ~=, ===, in, not in");
}

/* The PEP 503 normalized copy of s (owned). */
static char *
normalized(const char *s)
{
	size_t n = strlen(s);
	char *d = xmalloc(n + 1);

	pep503_normalize_to(d, s, n);
	return d;
}

static struct node *
parse_marker_item(struct parser *p)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->kind = NODE_CMP;
	skip_ws(p);
	if (parse_marker_var(p, &n->lvar, &n->lval) < 0)
		goto fail;
	skip_ws(p);
	if (parse_marker_op(p, &n->op) < 0)
		goto fail;
	skip_ws(p);
	if (parse_marker_var(p, &n->rvar, &n->rval) < 0)
		goto fail;
	skip_ws(p);
	/* Extras compare normalized: store the literal that way. */
	if (n->lvar == PEP508_EXTRA && n->rval) {
		char *v = normalized(n->rval);

		free(n->rval);
		n->rval = v;
	} else if (n->rvar == PEP508_EXTRA && n->lval) {
		char *v = normalized(n->lval);

		free(n->lval);
		n->lval = v;
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct node *parse_marker_expr(struct parser *p);

static struct node *
parse_marker_atom(struct parser *p)
{
	struct node *n;

	skip_ws(p);
	if (!peek_char(p, '(')) {
		n = parse_marker_item(p);
	} else {
		size_t open = p->pos;

		if (p->depth == PEP508_MAX_DEPTH) {
			fail(p, "markers nested too deeply");
			return NULL;
		}
		p->pos++;
		p->depth++;
		skip_ws(p);
		n = parse_marker_expr(p);
		p->depth--;
		if (!n)
			return NULL;
		skip_ws(p);
		if (!peek_char(p, ')')) {
			if (!p->msg) {
				p->msg = "Expected closing RIGHT_PARENTHESIS";
				p->err_pos = open;
			}
			node_free(n);
			return NULL;
		}
		p->pos++;
	}
	if (n)
		skip_ws(p);
	return n;
}

/* marker = marker_atom (BOOLOP marker_atom)* */
static struct node *
parse_marker_expr(struct parser *p)
{
	struct node *g = group_new(), *item;

	item = parse_marker_atom(p);
	if (!item)
		goto fail;
	group_add(g, item, 0);
	for (;;) {
		int is_or;

		if (peek_word(p, "or"))
			is_or = 1;
		else if (peek_word(p, "and"))
			is_or = 0;
		else
			break;
		p->pos += is_or ? 2 : 3;
		item = parse_marker_atom(p);
		if (!item)
			goto fail;
		group_add(g, item, is_or);
	}
	return g;
fail:
	node_free(g);
	return NULL;
}

static void
set_error(const struct parser *p, struct pep508_error *err)
{
	if (err) {
		err->msg = p->msg ? p->msg : "invalid";
		err->pos = p->err_pos;
	}
}

int
pep508_marker_parse(const char *s, size_t len, struct pep508_marker **out,
                    struct pep508_error *err)
{
	struct parser p = {s, len, 0, 0, NULL, 0};
	struct node *root;

	if (len > PEP508_MAX_LEN) {
		fail(&p, "marker too long");
		set_error(&p, err);
		return -1;
	}
	root = parse_marker_expr(&p);
	if (root && !at_end(&p)) {
		fail(&p, "Expected end or semicolon (after marker)");
		node_free(root);
		root = NULL;
	}
	if (!root) {
		set_error(&p, err);
		return -1;
	}
	*out = xmalloc(sizeof(**out));
	(*out)->root = root;
	return 0;
}

void
pep508_marker_free(struct pep508_marker *m)
{
	if (!m)
		return;
	node_free(m->root);
	free(m);
}

/* Is text, as the version of a specifier after op, a valid Specifier?
 * Then compare as versions (pre-releases allowed). Returns 1/0, or -1
 * when it is not a specifier. */
static int
version_compare(enum op op, const char *lhs, const char *rhs)
{
	struct pep440_spec *spec = NULL;
	struct pep440_version v;
	struct buf b = BUF_INIT(0);
	int r;

	if (op == OP_IN || op == OP_NOT_IN)
		return -1;
	buf_adds(&b, op_text[op]);
	buf_adds(&b, rhs);
	r = pep440_spec_parse(b.data, b.len, PEP440_SPEC_SINGLE, &spec);
	buf_release(&b);
	if (r != 0)
		return -1;
	pep440_parse_str(&v, lhs);
	r = pep440_spec_contains(spec, &v, PEP440_PRE_ALLOW);
	pep440_release(&v);
	pep440_spec_free(spec);
	return r == 1;
}

static int
eval_cmp(const struct node *n, const struct pep508_env *env)
{
	const char *lhs = n->lval, *rhs = n->rval;
	char *lnorm = NULL, *rnorm = NULL;
	int r, c;

	if (n->lvar >= 0)
		lhs = env->v[n->lvar] ? env->v[n->lvar] : "";
	if (n->rvar >= 0)
		rhs = env->v[n->rvar] ? env->v[n->rvar] : "";
	if (n->lvar == PEP508_EXTRA || n->rvar == PEP508_EXTRA) {
		lhs = lnorm = normalized(lhs);
		rhs = rnorm = normalized(rhs);
	}
	r = version_compare(n->op, lhs, rhs);
	if (r >= 0)
		goto out;
	c = strcmp(lhs, rhs);
	switch (n->op) {
	case OP_LT:
		r = c < 0;
		break;
	case OP_LE:
		r = c <= 0;
		break;
	case OP_EQ:
		r = c == 0;
		break;
	case OP_NE:
		r = c != 0;
		break;
	case OP_GE:
		r = c >= 0;
		break;
	case OP_GT:
		r = c > 0;
		break;
	case OP_IN:
		r = strstr(rhs, lhs) != NULL;
		break;
	case OP_NOT_IN:
		r = strstr(rhs, lhs) == NULL;
		break;
	default:
		r = PEP508_UNDEFINED;
		break;
	}
out:
	free(lnorm);
	free(rnorm);
	return r;
}

/* Like packaging, every comparison is evaluated (so an undefined one
 * anywhere is reported), then any(all(and-run) for and-runs). */
static int
eval_group(const struct node *g, const struct pep508_env *env)
{
	int any = 0, all = 1, undefined = 0;

	for (size_t i = 0; i < g->n; i++) {
		const struct node *it = g->items[i];
		int r = it->kind == NODE_GROUP ? eval_group(it, env)
		                               : eval_cmp(it, env);

		if (r == PEP508_UNDEFINED)
			undefined = 1;
		else if (!r)
			all = 0;
		if (i + 1 == g->n || g->is_or[i]) {
			if (all)
				any = 1;
			all = 1;
		}
	}
	return undefined ? PEP508_UNDEFINED : any;
}

int
pep508_marker_eval(const struct pep508_marker *m, const struct pep508_env *env)
{
	return eval_group(m->root, env);
}

int
pep508_marker_eval_extras(const struct pep508_marker *m,
                          const struct pep508_env *env,
                          const char *const *extras, size_t nextras)
{
	struct pep508_env e = *env;
	int undefined = 0;

	if (!nextras) {
		e.v[PEP508_EXTRA] = "";
		return eval_group(m->root, &e);
	}
	for (size_t i = 0; i < nextras; i++) {
		int r;

		e.v[PEP508_EXTRA] = extras[i];
		r = eval_group(m->root, &e);
		if (r == 1)
			return 1;
		if (r == PEP508_UNDEFINED)
			undefined = 1;
	}
	return undefined ? PEP508_UNDEFINED : 0;
}

static void
format_side(struct buf *b, int var, const char *val)
{
	if (var >= 0) {
		buf_adds(b, var_names[var]);
	} else {
		buf_addc(b, '"');
		buf_adds(b, val);
		buf_addc(b, '"');
	}
}

/* packaging's _format_marker(): a one-item group is its item; nested
 * groups of several items get parentheses. */
static void
format_node(struct buf *b, const struct node *n, int top)
{
	if (n->kind == NODE_CMP) {
		format_side(b, n->lvar, n->lval);
		buf_addf(b, " %s ", op_text[n->op]);
		format_side(b, n->rvar, n->rval);
		return;
	}
	if (n->n == 1) {
		format_node(b, n->items[0], top);
		return;
	}
	if (!top)
		buf_addc(b, '(');
	for (size_t i = 0; i < n->n; i++) {
		if (i)
			buf_adds(b, n->is_or[i - 1] ? " or " : " and ");
		format_node(b, n->items[i], 0);
	}
	if (!top)
		buf_addc(b, ')');
}

char *
pep508_marker_str(const struct pep508_marker *m)
{
	struct buf b = BUF_INIT(0);

	format_node(&b, m->root, 1);
	buf_addc(&b, '\0');
	b.len--;
	return buf_detach(&b, NULL);
}

/*
 * IDENTIFIER: \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b -- the longest run that ends
 * on a word boundary. Returns its length, 0 when there is none.
 */
static size_t
peek_identifier(const struct parser *p)
{
	size_t i = p->pos, end;
	const char *s = p->s;

	if (i >= p->len || !is_word((unsigned char)s[i]) || s[i] == '_' ||
	    !boundary(p, i))
		return 0;
	end = i + 1;
	while (end < p->len && (is_word((unsigned char)s[end]) ||
	                        s[end] == '.' || s[end] == '-'))
		end++;
	while (end > i && !boundary(p, end))
		end--;
	return end - i;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* SPECIFIER: an operator, blanks, then the version characters of
 * packaging's specifier regex (anything but blanks, ';' and ')' after
 * "==="). Validity is pep440_spec_parse()'s to decide. Returns the token
 * length, 0 when none. */
static size_t
peek_specifier(struct parser *p)
{
	size_t start = p->pos, end;
	enum op op;
	const char *s = p->s;

	if (read_op(p, &op) < 0)
		return 0;
	end = p->pos;
	p->pos = start;
	while (end < p->len && is_space((unsigned char)s[end]))
		end++;
	if (op == OP_ARBITRARY) {
		while (end < p->len && !is_space((unsigned char)s[end]) &&
		       s[end] != ';' && s[end] != ')')
			end++;
		return end - start;
	}
	if (end < p->len && (s[end] == 'v' || s[end] == 'V'))
		end++;
	if (end >= p->len || s[end] < '0' || s[end] > '9')
		return 0;
	while (end < p->len &&
	       (is_word((unsigned char)s[end]) || s[end] == '.' ||
	        s[end] == '!' || s[end] == '*' || s[end] == '+' ||
	        s[end] == '-'))
		end++;
	return end - start;
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and deduplicate an array of owned strings; returns the new count. */
static size_t
sort_unique(char **v, size_t n)
{
	size_t k = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_strp);
	for (size_t i = 1; i < n; i++) {
		if (!strcmp(v[i], v[k]))
			free(v[i]);
		else
			v[++k] = v[i];
	}
	return k + 1;
}

/* str(SpecifierSet(raw)): clauses stripped of blanks, sorted, unique. */
static char *
canonical_specifier(const char *raw)
{
	struct buf b = BUF_INIT(0);
	char **clauses = NULL;
	size_t n = 0, alloc = 0;

	while (*raw) {
		size_t len = strcspn(raw, ","), i = 0, j = len;
		struct buf c = BUF_INIT(0);

		while (i < j && is_space((unsigned char)raw[i]))
			i++;
		while (j > i && is_space((unsigned char)raw[j - 1]))
			j--;
		if (i < j) {
			size_t k = i;

			while (k < j && strchr("~=!<>", raw[k]))
				k++;
			buf_add(&c, raw + i, k - i);
			while (k < j && is_space((unsigned char)raw[k]))
				k++;
			buf_add(&c, raw + k, j - k);
			XGROW(clauses, n + 1, alloc);
			clauses[n++] = buf_detach(&c, NULL);
		}
		raw += len;
		if (*raw)
			raw++;
	}
	n = sort_unique(clauses, n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_adds(&b, clauses[i]);
		free(clauses[i]);
	}
	free(clauses);
	buf_addc(&b, '\0');
	b.len--;
	return buf_detach(&b, NULL);
}

/* Packaging's URL check, for the common shapes: "file://..." or
 * "scheme://netloc...". */
static int
valid_url(const char *u)
{
	size_t i = 0;

	if (!((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z')))
		return 0;
	while (is_word((unsigned char)u[i]) || u[i] == '+' || u[i] == '-' ||
	       u[i] == '.')
		i++;
	if (u[i] != ':')
		return 0;
	if (i == 4 && !memcmp(u, "file", 4))
		return !strncmp(u + i, "://", 3);
	return !strncmp(u + i, "://", 3) && u[i + 3] &&
	       !strchr("/?#", u[i + 3]);
}

/* requirement_marker = SEMICOLON marker WS? */
static int
parse_req_marker(struct parser *p, struct pep508_req *r, const char *after)
{
	if (!peek_char(p, ';'))
		return fail(p, after);
	p->pos++;
	r->marker = xmalloc(sizeof(*r->marker));
	r->marker->root = parse_marker_expr(p);
	if (!r->marker->root)
		return -1;
	skip_ws(p);
	return 0;
}

static int
parse_extras(struct parser *p, struct pep508_req *r, size_t *alloc)
{
	size_t open = p->pos, n;

	if (!peek_char(p, '['))
		return 0;
	p->pos++;
	skip_ws(p);
	n = peek_identifier(p);
	if (n) {
		for (;;) {
			XGROW(r->extras, r->nextras + 1, *alloc);
			r->extras[r->nextras++] = xmemdup0(p->s + p->pos, n);
			p->pos += n;
			skip_ws(p);
			if (peek_identifier(p))
				return fail(p, "Expected comma between extra "
				               "names");
			if (!peek_char(p, ','))
				break;
			p->pos++;
			skip_ws(p);
			n = peek_identifier(p);
			if (!n)
				return fail(p, "Expected extra name after "
				               "comma");
		}
	}
	skip_ws(p);
	if (!peek_char(p, ']')) {
		if (!p->msg) {
			p->msg = "Expected closing RIGHT_BRACKET";
			p->err_pos = open;
		}
		return -1;
	}
	p->pos++;
	return 0;
}

/* version_many inside optional parentheses; the raw text goes to raw. */
static int
parse_specifier(struct parser *p, struct buf *raw)
{
	size_t open = p->pos, n;
	int paren = peek_char(p, '(');

	if (paren)
		p->pos++;
	skip_ws(p);
	while ((n = peek_specifier(p)) > 0) {
		buf_add(raw, p->s + p->pos, n);
		p->pos += n;
		skip_ws(p);
		if (!peek_char(p, ','))
			break;
		buf_addc(raw, ',');
		p->pos++;
		skip_ws(p);
	}
	skip_ws(p);
	if (paren) {
		if (!peek_char(p, ')')) {
			if (!p->msg) {
				p->msg = "Expected closing RIGHT_PARENTHESIS";
				p->err_pos = open;
			}
			return -1;
		}
		p->pos++;
	}
	return 0;
}

static int
parse_requirement(struct parser *p, struct pep508_req *r)
{
	struct buf raw = BUF_INIT(0);
	struct pep440_spec *spec = NULL;
	size_t n, alloc = 0;
	int ret = -1;

	skip_ws(p);
	n = peek_identifier(p);
	if (!n)
		return fail(p, "Expected package name at the start of "
		               "dependency specifier");
	r->name = xmemdup0(p->s + p->pos, n);
	p->pos += n;
	skip_ws(p);
	if (parse_extras(p, r, &alloc) < 0)
		return -1;
	skip_ws(p);
	if (peek_char(p, '@')) {
		size_t start;

		p->pos++;
		skip_ws(p);
		start = p->pos;
		while (p->pos < p->len && p->s[p->pos] != ' ' &&
		       p->s[p->pos] != '\t')
			p->pos++;
		if (p->pos == start) {
			p->pos = start;
			return fail(p, "Expected URL after @");
		}
		r->url = xmemdup0(p->s + start, p->pos - start);
		if (!at_end(p)) {
			if (!skip_ws(p))
				return fail(p, "Expected whitespace after "
				               "URL");
			if (!at_end(p) &&
			    parse_req_marker(p, r,
			                     "Expected end or semicolon (after "
			                     "URL and whitespace)") < 0)
				return -1;
		}
		if (!valid_url(r->url)) {
			p->pos = start;
			return fail(p, "Invalid URL");
		}
	} else {
		if (parse_specifier(p, &raw) < 0)
			goto out;
		skip_ws(p);
		if (!at_end(p) &&
		    parse_req_marker(p, r,
		                     raw.len ? "Expected end or semicolon "
		                               "(after version specifier)"
		                             : "Expected end or semicolon "
		                               "(after name and no valid "
		                               "version specifier)") < 0)
			goto out;
	}
	if (!at_end(p)) {
		fail(p, "Expected end of dependency specifier");
		goto out;
	}
	if (pep440_spec_parse(buf_cstr(&raw), raw.len, 0, &spec) != 0) {
		fail(p, "Invalid specifier");
		goto out;
	}
	pep440_spec_free(spec);
	r->specifier = canonical_specifier(buf_cstr(&raw));
	r->nextras = sort_unique(r->extras, r->nextras);
	ret = 0;
out:
	buf_release(&raw);
	return ret;
}

int
pep508_req_parse(const char *s, size_t len, struct pep508_req **out,
                 struct pep508_error *err)
{
	struct parser p = {s, len, 0, 0, NULL, 0};
	struct pep508_req *r;

	if (len > PEP508_MAX_LEN) {
		fail(&p, "requirement too long");
		set_error(&p, err);
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	if (parse_requirement(&p, r) < 0) {
		set_error(&p, err);
		pep508_req_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void
pep508_req_free(struct pep508_req *r)
{
	if (!r)
		return;
	free(r->name);
	for (size_t i = 0; i < r->nextras; i++)
		free(r->extras[i]);
	free(r->extras);
	free(r->specifier);
	free(r->url);
	pep508_marker_free(r->marker);
	free(r);
}
