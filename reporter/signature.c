/*
 * Error signatures (signature.h): a line scanner over the tail of a log.
 * No regular expressions: each pattern is a fixed marker plus a token
 * rule, so a hostile log costs one pass per pattern and nothing more.
 */
#include "signature.h"

#include <stdio.h>
#include <string.h>

struct line {
	const char *p;
	size_t n;
};

/* Lines of the scanned tail, up to MAX_LINES (the last ones win). */
#define MAX_LINES 4096

struct lines {
	struct line v[MAX_LINES];
	size_t n;
};

static void
split_lines(const char *s, size_t len, struct lines *ls)
{
	const char *end = s + len, *p = s;

	ls->n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (ls->n == MAX_LINES) {
			memmove(ls->v, ls->v + 1,
			        (MAX_LINES - 1) * sizeof(ls->v[0]));
			ls->n--;
		}
		ls->v[ls->n].p = p;
		ls->v[ls->n].n = n;
		ls->n++;
		p = nl ? nl + 1 : end;
	}
}

static const char *
find(struct line l, const char *needle)
{
	size_t k = strlen(needle);

	if (k > l.n)
		return NULL;
	return memmem(l.p, l.n, needle, k);
}

static int
is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static int
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

/* Append to out (bounded, always NUL-terminated). */
struct out {
	char *s;
	size_t n, cap;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->n + 1 >= o->cap)
		return;
	if (n > o->cap - 1 - o->n)
		n = o->cap - 1 - o->n;
	memcpy(o->s + o->n, s, n);
	o->n += n;
	o->s[o->n] = '\0';
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Cut back to a UTF-8 boundary and trailing space. */
static void
finish(struct out *o)
{
	while (o->n > 0 && ((unsigned char)o->s[o->n - 1] & 0xC0) == 0x80)
		o->n--;
	if (o->n > 0 && ((unsigned char)o->s[o->n - 1] & 0xC0) == 0xC0)
		o->n--;
	while (o->n > 0 && o->s[o->n - 1] == ' ')
		o->n--;
	o->s[o->n] = '\0';
}

size_t
report_sig_normalize(const char *t, size_t len, char *outbuf, size_t outsz)
{
	struct out o = {outbuf, 0, outsz};
	size_t i = 0;
	int space = 0;

	if (outsz == 0)
		return 0;
	outbuf[0] = '\0';
	while (i < len && o.n + 1 < o.cap) {
		unsigned char c = (unsigned char)t[i];
		unsigned char prev = i ? (unsigned char)t[i - 1] : ' ';

		if (is_space(c) || c < 0x20 || c == 0x7f) {
			space = 1;
			i++;
			continue;
		}
		if (space && o.n > 0)
			put(&o, " ", 1);
		space = 0;
		/* an absolute path: '/' after a space, quote or bracket */
		if (c == '/' && !is_word(prev) && prev != '/' && prev != '.' &&
		    i + 1 < len && !is_space((unsigned char)t[i + 1])) {
			size_t j = i;
			int slashes = 0;

			while (j < len && !is_space((unsigned char)t[j]) &&
			       !strchr("'\"`:,;)]}>", t[j])) {
				slashes += t[j] == '/';
				j++;
			}
			if (slashes >= 2) {
				puts_(&o, "<path>");
				i = j;
				continue;
			}
		}
		if (c == '0' && i + 2 < len && (t[i + 1] == 'x' || t[i + 1] == 'X') &&
		    is_hex((unsigned char)t[i + 2]) && !is_word(prev)) {
			i += 2;
			while (i < len && is_hex((unsigned char)t[i]))
				i++;
			puts_(&o, "<addr>");
			continue;
		}
		if (is_hex(c) && !is_word(prev)) {
			size_t j = i;
			int digit = 0;

			while (j < len && is_hex((unsigned char)t[j])) {
				digit |= t[j] >= '0' && t[j] <= '9';
				j++;
			}
			if (j - i >= 16 && digit &&
			    (j == len || !is_word((unsigned char)t[j]))) {
				puts_(&o, "<hex>");
				i = j;
				continue;
			}
		}
		if (c >= '0' && c <= '9' && !is_word(prev)) {
			size_t j = i;

			while (j < len && ((t[j] >= '0' && t[j] <= '9') ||
			                   ((t[j] == '.' || t[j] == '_' ||
			                     t[j] == '-') &&
			                    j + 1 < len && t[j + 1] >= '0' &&
			                    t[j + 1] <= '9')))
				j++;
			/* versions with a suffix: 1.2.3rc1, 2.0.post1 */
			while (j < len && is_word((unsigned char)t[j]))
				j++;
			puts_(&o, "<n>");
			i = j;
			continue;
		}
		put(&o, t + i, 1);
		i++;
	}
	finish(&o);
	return o.n;
}

/* The token after a marker: up to a space, quote, colon or comma. */
static size_t
token_after(const char *p, const char *end, const char **start)
{
	const char *q;

	while (p < end && (*p == ' ' || *p == '\'' || *p == '"' || *p == '`'))
		p++;
	q = p;
	while (q < end && !is_space((unsigned char)*q) &&
	       !strchr("'\"`:,;()", *q))
		q++;
	*start = p;
	return (size_t)(q - p);
}

/* The last path component of a token (a header, a program). */
static void
put_base(struct out *o, const char *p, size_t n)
{
	const char *slash = NULL, *q;

	for (q = p; q < p + n; q++)
		if (*q == '/')
			slash = q;
	if (slash) {
		n -= (size_t)(slash + 1 - p);
		p = slash + 1;
	}
	if (n > 96)
		n = 96;
	put(o, p, n);
}

/* A compiler name without its target triple: x86_64-linux-gnu-gcc -> gcc */
static void
put_compiler(struct out *o, const char *p, size_t n)
{
	const char *base = p, *q;

	for (q = p; q < p + n; q++)
		if (*q == '/')
			base = q + 1;
	n -= (size_t)(base - p);
	p = base;
	for (q = p + n; q > p; q--)
		if (q[-1] == '-') {
			static const char *const cc[] = {"gcc", "g++", "cc",
			                                 "c++", "clang", "ld"};
			size_t k;

			for (k = 0; k < sizeof(cc) / sizeof(cc[0]); k++)
				if ((size_t)(p + n - q) == strlen(cc[k]) &&
				    memcmp(q, cc[k], strlen(cc[k])) == 0) {
					n = (size_t)(p + n - q);
					p = q;
					break;
				}
			break;
		}
	{
		/* gcc-12 -> gcc */
		size_t k = n;

		while (k > 0 && ((p[k - 1] >= '0' && p[k - 1] <= '9') ||
		                 p[k - 1] == '.'))
			k--;
		if (k > 1 && k < n && p[k - 1] == '-')
			n = k - 1;
	}
	put_base(o, p, n);
}

static int
build_signature(const struct lines *ls, struct out *o)
{
	size_t i;
	const char *s, *end;
	size_t n;

	for (i = 0; i < ls->n; i++) {
		struct line l = ls->v[i];

		end = l.p + l.n;
		if ((s = find(l, "fatal error: ")) &&
		    find(l, "No such file or directory")) {
			n = token_after(s + 13, end, &s);
			puts_(o, "missing header: ");
			put_base(o, s, n);
			return 1;
		}
	}
	for (i = 0; i < ls->n; i++) {
		struct line l = ls->v[i];

		end = l.p + l.n;
		if ((s = find(l, "was not found in the pkg-config search path"))) {
			const char *pk = find(l, "Package ");

			if (pk && pk < s) {
				n = token_after(pk + 8, s, &s);
				puts_(o, "missing library: ");
				put_base(o, s, n);
				return 1;
			}
		}
		if ((s = find(l, "No package '")) && find(l, "' found")) {
			n = token_after(s + 11, end, &s);
			puts_(o, "missing library: ");
			put_base(o, s, n);
			return 1;
		}
		if ((s = find(l, "cannot find -l"))) {
			n = token_after(s + 14, end, &s);
			puts_(o, "missing library: ");
			put_base(o, s, n);
			return 1;
		}
	}
	for (i = 0; i < ls->n; i++) {
		struct line l = ls->v[i];

		end = l.p + l.n;
		if ((s = find(l, "unable to execute ")) &&
		    find(l, "No such file or directory")) {
			n = token_after(s + 18, end, &s);
			puts_(o, "missing compiler: ");
			put_compiler(o, s, n);
			return 1;
		}
		if ((s = find(l, "command ")) &&
		    find(l, "failed: No such file or directory")) {
			n = token_after(s + 8, end, &s);
			puts_(o, "missing compiler: ");
			put_compiler(o, s, n);
			return 1;
		}
		if (find(l, "can't find Rust compiler") ||
		    find(l, "rustc: command not found")) {
			puts_(o, "missing compiler: rustc");
			return 1;
		}
		if (find(l, "Microsoft Visual C++") && find(l, "is required")) {
			puts_(o, "missing compiler: msvc");
			return 1;
		}
	}
	for (i = 0; i < ls->n; i++) {
		struct line l = ls->v[i];

		end = l.p + l.n;
		if ((s = find(l, "error: command ")) &&
		    (find(l, "failed with exit") || find(l, "exit status"))) {
			n = token_after(s + 15, end, &s);
			puts_(o, "compiler failed: ");
			put_compiler(o, s, n);
			return 1;
		}
	}
	return 0;
}

/* An exception type: a dotted identifier ending in Error, Exception, ... */
static size_t
exception_type(struct line l)
{
	size_t i = 0;

	while (i < l.n && (is_word((unsigned char)l.p[i]) || l.p[i] == '.'))
		i++;
	if (i == 0 || (i < l.n && l.p[i] != ':'))
		return 0;
	if (!(l.p[0] >= 'A' && l.p[0] <= 'Z') &&
	    !memchr(l.p, '.', i)) /* builtins are capitalised */
		return 0;
	return i;
}

/* "File "<p>", line N, in f" -> pkg/mod.py:f */
static void
put_frame(struct out *o, struct line l)
{
	const char *q1 = find(l, "File \""), *q2, *in, *end = l.p + l.n;
	const char *path, *cut;
	size_t n;

	if (!q1)
		return;
	path = q1 + 6;
	q2 = memchr(path, '"', (size_t)(end - path));
	if (!q2)
		return;
	in = find(l, ", in ");
	cut = NULL;
	{
		struct line pl = {path, (size_t)(q2 - path)};
		const char *sp = find(pl, "site-packages/");

		if (!sp)
			sp = find(pl, "dist-packages/");
		if (sp)
			cut = sp + 14;
	}
	if (cut) {
		char tmp[128];

		n = (size_t)(q2 - cut);
		report_sig_normalize(cut, n, tmp, sizeof(tmp));
		puts_(o, tmp);
	} else {
		put_base(o, path, (size_t)(q2 - path));
	}
	if (in) {
		in += 5;
		put(o, ":", 1);
		n = (size_t)(end - in);
		put(o, in, n > 64 ? 64 : n);
	}
}

#define FRAMES 3

static int
python_signature(const struct lines *ls, struct out *o)
{
	size_t i, tb = ls->n, frames[FRAMES], nframes = 0, k;
	char msg[REPORT_SIG_MAX];

	for (i = ls->n; i-- > 0;)
		if (find(ls->v[i], "Traceback (most recent call last):")) {
			tb = i;
			break;
		}
	if (tb < ls->n) {
		/* frames, then the first unindented line is the exception */
		for (i = tb + 1; i < ls->n; i++) {
			struct line l = ls->v[i];
			size_t t;

			if (l.n >= 7 && memcmp(l.p, "  File ", 7) == 0) {
				if (nframes == FRAMES)
					memmove(frames, frames + 1,
					        (FRAMES - 1) * sizeof(size_t));
				else
					nframes++;
				frames[nframes - 1] = i;
				continue;
			}
			if (l.n == 0 || l.p[0] == ' ' || l.p[0] == '\t')
				continue;
			t = exception_type(l);
			if (!t)
				continue;
			put(o, l.p, t);
			if (t + 1 < l.n) {
				report_sig_normalize(l.p + t + 1, l.n - t - 1, msg,
				                     160);
				if (msg[0]) {
					puts_(o, ": ");
					puts_(o, msg);
				}
			}
			if (nframes) {
				puts_(o, " [in ");
				for (k = nframes; k-- > 0;) {
					put_frame(o, ls->v[frames[k]]);
					if (k)
						puts_(o, " < ");
				}
				puts_(o, "]");
			}
			return 1;
		}
	}
	/* pytest: "E   ValueError: bad", the last one */
	for (i = ls->n; i-- > 0;) {
		struct line l = ls->v[i];
		size_t j = 1, t;

		if (l.n < 3 || l.p[0] != 'E' || l.p[1] != ' ')
			continue;
		while (j < l.n && l.p[j] == ' ')
			j++;
		l.p += j;
		l.n -= j;
		t = exception_type(l);
		if (!t)
			continue;
		put(o, l.p, t);
		if (t + 1 < l.n) {
			report_sig_normalize(l.p + t + 1, l.n - t - 1, msg, 160);
			if (msg[0]) {
				puts_(o, ": ");
				puts_(o, msg);
			}
		}
		return 1;
	}
	return 0;
}

static int
pip_signature(const struct lines *ls, struct out *o)
{
	static const char *const classes[] = {
	    "metadata-generation-failed", "subprocess-exited-with-error",
	    "externally-managed-environment", "invalid-pyproject-build-system-requires",
	};
	size_t i, k, n;
	const char *s;

	for (i = 0; i < ls->n; i++) {
		struct line l = ls->v[i];

		if ((s = find(l, "No matching distribution found for "))) {
			char tmp[128];

			n = token_after(s + 35, l.p + l.n, &s);
			k = 0;
			while (k < n && (is_word((unsigned char)s[k]) ||
			                 s[k] == '-' || s[k] == '.'))
				k++;
			puts_(o, "pip: no matching distribution: ");
			report_sig_normalize(s, k, tmp, sizeof(tmp));
			puts_(o, tmp);
			return 1;
		}
		if (find(l, "ResolutionImpossible")) {
			puts_(o, "pip: resolution-impossible");
			return 1;
		}
		if (find(l, "is not a supported wheel on this platform")) {
			puts_(o, "pip: unsupported wheel");
			return 1;
		}
	}
	for (k = 0; k < sizeof(classes) / sizeof(classes[0]); k++)
		for (i = 0; i < ls->n; i++)
			if (find(ls->v[i], classes[k])) {
				puts_(o, "pip: ");
				puts_(o, classes[k]);
				return 1;
			}
	return 0;
}

enum report_sig_kind
report_signature(const char *log, size_t len, char *outbuf, size_t outsz)
{
	static struct lines ls;
	struct out o = {outbuf, 0, outsz};
	enum report_sig_kind kind = REPORT_SIG_NONE;

	outbuf[0] = '\0';
	if (len > REPORT_SIG_SCAN) {
		log += len - REPORT_SIG_SCAN;
		len = REPORT_SIG_SCAN;
	}
	split_lines(log, len, &ls);
	if (build_signature(&ls, &o))
		kind = REPORT_SIG_BUILD;
	else if (python_signature(&ls, &o))
		kind = REPORT_SIG_PYTHON;
	else if (pip_signature(&ls, &o))
		kind = REPORT_SIG_PIP;
	finish(&o);
	return kind;
}

const char *
report_sig_kind_name(enum report_sig_kind kind)
{
	switch (kind) {
	case REPORT_SIG_BUILD:
		return "build";
	case REPORT_SIG_PYTHON:
		return "python";
	case REPORT_SIG_PIP:
		return "pip";
	case REPORT_SIG_NONE:
		break;
	}
	return "outcome";
}
