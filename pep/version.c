/*
 * pyti-pep version normalize|sort|compare: PEP 440 versions per line, for
 * differential tests against python3-packaging and for people wondering
 * why pyti thinks 1.0.post1 is newer than 1.0-1 (it is not: they are equal).
 */
#include "buf.h"
#include "log.h"
#include "pep.h"
#include "pep440.h"
#include "slurp.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
usage(void)
{
	fprintf(stderr, "usage: pyti-pep version normalize|sort|compare "
			"< lines\n");
	return 2;
}

/*
 * What the sort moves: the first 16 bytes of the sort key as integers and
 * where the text is, 32 bytes in all, rather than whole struct
 * pep440_versions; two longer keys that tie on those bytes are parsed
 * again.
 */
struct slot {
	uint64_t w0, w1;
	uint32_t off;
	uint32_t len; /* bit 31: the key fits in w0 and w1 */
	uint32_t id;  /* its struct distinct */
};

#define SLOT_SHORT (UINT32_C(1) << 31)

static int
slot_cmp_slow(const char *base, const struct slot *a, const struct slot *b)
{
	struct pep440_version x, y;
	int r;

	pep440_parse(&x, base + a->off, a->len & ~SLOT_SHORT);
	pep440_parse(&y, base + b->off, b->len & ~SLOT_SHORT);
	r = pep440_compare(&x, &y);
	pep440_release(&x);
	pep440_release(&y);
	return r;
}

static inline int
slot_less(const char *base, const struct slot *a, const struct slot *b)
{
	if (a->w0 != b->w0)
		return a->w0 < b->w0;
	if (a->w1 != b->w1)
		return a->w1 < b->w1;
	if (a->len & b->len & SLOT_SHORT)
		return 0;
	return slot_cmp_slow(base, a, b) < 0;
}

/*
 * Stable merge sort (equal versions keep their input order) with the
 * comparison inlined.
 */
static void
merge_sort(const char *base, struct slot *a, struct slot *tmp, size_t n)
{
	size_t h, i, j, k;

	if (n < 2)
		return;
	if (n <= 16) {
		for (i = 1; i < n; i++) {
			struct slot x = a[i];

			for (j = i; j > 0 && slot_less(base, &x, &a[j - 1]); j--)
				a[j] = a[j - 1];
			a[j] = x;
		}
		return;
	}
	h = n / 2;
	merge_sort(base, a, tmp, h);
	merge_sort(base, a + h, tmp, n - h);
	if (!slot_less(base, &a[h], &a[h - 1]))
		return;
	memcpy(tmp, a, h * sizeof(*a));
	for (i = 0, j = h, k = 0; i < h && j < n;)
		a[k++] = slot_less(base, &a[j], &tmp[i]) ? a[j++] : tmp[i++];
	while (i < h)
		a[k++] = tmp[i++];
}

/*
 * The distinct lines of the input. PyPI's 886k versions are 32k distinct
 * strings ("0.1.0" alone is thousands of them), so each distinct text is
 * parsed and sorted once and its lines are written out in input order.
 */
struct distinct {
	uint32_t off, len;
	int valid;
	uint32_t group;		 /* sort: rank among the sorted versions */
	uint32_t norm_off, norm_len; /* normalize: its normal form */
};

struct dtable {
	struct distinct *d;
	size_t n, alloc;
	uint32_t *slot; /* open addressing: index + 1, 0 empty */
	size_t mask;
};

static uint64_t
hash_text(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
	return h;
}

static void
dtable_grow(struct dtable *t, const char *base)
{
	size_t size = t->mask ? (t->mask + 1) * 2 : 1 << 16;

	free(t->slot);
	t->slot = xcalloc(size, sizeof(*t->slot));
	t->mask = size - 1;
	for (size_t i = 0; i < t->n; i++) {
		size_t h = hash_text(base + t->d[i].off, t->d[i].len) & t->mask;

		while (t->slot[h])
			h = (h + 1) & t->mask;
		t->slot[h] = (uint32_t)(i + 1);
	}
}

/* The index of the distinct text base[off..off+len), added if new. */
static size_t
dtable_find(struct dtable *t, const char *base, uint32_t off, uint32_t len,
	    int *added)
{
	size_t h;

	if ((t->n + 1) * 2 > t->mask)
		dtable_grow(t, base);
	h = hash_text(base + off, len) & t->mask;
	*added = 0;
	for (; t->slot[h]; h = (h + 1) & t->mask) {
		const struct distinct *d = &t->d[t->slot[h] - 1];

		if (d->len == len && !memcmp(base + d->off, base + off, len))
			return t->slot[h] - 1;
	}
	XGROW(t->d, t->n + 1, t->alloc);
	t->d[t->n] = (struct distinct){ off, len, 0, 0, 0, 0 };
	t->slot[h] = (uint32_t)(t->n + 1);
	*added = 1;
	return t->n++;
}

static int
cmd_sort(const struct buf *in)
{
	struct dtable t = { 0 };
	struct slot *order = NULL, *tmp = NULL;
	uint32_t *line_ids, *out_ids, *start;
	struct buf out = BUF_INIT(0);
	size_t lines = 1, nlines = 0, m = 0, groups = 0;
	size_t pos = 0, len;
	const char *line;
	int status = 0;

	for (const char *p = in->data; p && (p = memchr(p, '\n',
			in->len - (size_t)(p - in->data))); p++)
		lines++;
	/* Offsets are 32-bit; 1 GiB of input (PEP_SLURP_MAX) fits. */
	line_ids = xmalloc(lines * sizeof(*line_ids));
	while (pep_next_line(in, &pos, &line, &len)) {
		int added;
		size_t id = dtable_find(&t, in->data,
					(uint32_t)(line - in->data),
					(uint32_t)len, &added);

		if (added) {
			struct pep440_version v;

			t.d[id].valid = pep440_parse(&v, line, len) == 0;
			pep440_release(&v);
		}
		if (!t.d[id].valid) {
			log_error("invalid version '%.*s'",
				  (int)(len > 200 ? 200 : len), line);
			status = 1;
			continue;
		}
		line_ids[nlines++] = (uint32_t)id;
	}

	/* Sort the valid distinct texts (first-occurrence order on ties). */
	order = xcalloc(t.n + 1, sizeof(*order));
	tmp = xcalloc(t.n / 2 + 1, sizeof(*tmp));
	for (size_t i = 0; i < t.n; i++) {
		struct pep440_version v;
		struct slot *e;

		if (!t.d[i].valid)
			continue;
		e = &order[m++];
		pep440_parse(&v, in->data + t.d[i].off, t.d[i].len);
		e->w0 = pep440_key_word(&v, 0);
		e->w1 = pep440_key_word(&v, 1);
		e->off = t.d[i].off;
		e->len = t.d[i].len | (pep440_key_len(&v) <= 16 ? SLOT_SHORT : 0);
		e->id = (uint32_t)i;
		pep440_release(&v);
	}
	merge_sort(in->data, order, tmp, m);
	for (size_t i = 0; i < m; i++) {
		if (i > 0 && (slot_less(in->data, &order[i - 1], &order[i]) ||
			      slot_less(in->data, &order[i], &order[i - 1])))
			groups++;
		t.d[order[i].id].group = (uint32_t)groups;
	}
	if (m)
		groups++;

	/* Lines by group, in input order within each: a counting sort. */
	start = xcalloc(groups + 1, sizeof(*start));
	out_ids = xmalloc((nlines ? nlines : 1) * sizeof(*out_ids));
	for (size_t i = 0; i < nlines; i++)
		start[t.d[line_ids[i]].group + 1]++;
	for (size_t g = 0; g < groups; g++)
		start[g + 1] += start[g];
	for (size_t i = 0; i < nlines; i++)
		out_ids[start[t.d[line_ids[i]].group]++] = line_ids[i];
	for (size_t i = 0; i < nlines; i++) {
		const struct distinct *d = &t.d[out_ids[i]];

		buf_add(&out, in->data + d->off, d->len);
		buf_addc(&out, '\n');
		if (out.len >= (1 << 16)) {
			fwrite(out.data, 1, out.len, stdout);
			buf_reset(&out);
		}
	}
	fwrite(buf_cstr(&out), 1, out.len, stdout);
	buf_release(&out);
	free(start);
	free(out_ids);
	free(line_ids);
	free(tmp);
	free(order);
	free(t.d);
	free(t.slot);
	return status;
}

/* Each distinct text is normalized once (see struct distinct). */
static int
cmd_normalize(const struct buf *in)
{
	struct dtable t = { 0 };
	struct buf out = BUF_INIT(0), norms = BUF_INIT(0);
	const char *line;
	size_t pos = 0, len;
	int status = 0;

	while (pep_next_line(in, &pos, &line, &len)) {
		int added;
		size_t id = dtable_find(&t, in->data,
					(uint32_t)(line - in->data),
					(uint32_t)len, &added);
		struct distinct *d = &t.d[id];

		if (added) {
			d->norm_off = (uint32_t)norms.len;
			d->valid = pep440_normalize_text(line, len, &norms) == 0;
			if (!d->valid)
				buf_adds(&norms, "invalid");
			d->norm_len = (uint32_t)(norms.len - d->norm_off);
		}
		if (!d->valid)
			status = 1;
		buf_add(&out, norms.data + d->norm_off, d->norm_len);
		buf_addc(&out, '\n');
		if (out.len >= (1 << 16)) {
			fwrite(out.data, 1, out.len, stdout);
			buf_reset(&out);
		}
	}
	fwrite(buf_cstr(&out), 1, out.len, stdout);
	buf_release(&out);
	buf_release(&norms);
	free(t.d);
	free(t.slot);
	return status;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
cmd_compare(const struct buf *in)
{
	const char *line;
	size_t pos = 0, len;
	int status = 0;

	while (pep_next_line(in, &pos, &line, &len)) {
		struct pep440_version a, b;
		size_t i = 0, ab, ae, bb;
		int r;

		while (i < len && is_blank(line[i]))
			i++;
		ab = i;
		while (i < len && !is_blank(line[i]))
			i++;
		ae = i;
		while (i < len && is_blank(line[i]))
			i++;
		bb = i;
		if (ae == ab || bb == len) {
			log_error("line '%.*s' is not 'A B'", (int)len, line);
			puts("invalid");
			status = 1;
			continue;
		}
		pep440_parse(&a, line + ab, ae - ab);
		pep440_parse(&b, line + bb, len - bb);
		if (!pep440_valid(&a) || !pep440_valid(&b)) {
			puts("invalid");
			status = 1;
		} else {
			r = pep440_compare(&a, &b);
			puts(r < 0 ? "<" : r > 0 ? ">" : "=");
		}
		pep440_release(&a);
		pep440_release(&b);
	}
	return status;
}

int
pep_cmd_version(int argc, char **argv)
{
	struct buf in = BUF_INIT(0);
	int status;

	if (argc != 1)
		return usage();
	if (strcmp(argv[0], "normalize") && strcmp(argv[0], "sort") &&
	    strcmp(argv[0], "compare"))
		return usage();
	if (pep_slurp(stdin, &in)) {
		buf_release(&in);
		return 1;
	}
	if (!strcmp(argv[0], "normalize"))
		status = cmd_normalize(&in);
	else if (!strcmp(argv[0], "sort"))
		status = cmd_sort(&in);
	else
		status = cmd_compare(&in);
	buf_release(&in);
	if (fflush(stdout))
		return log_error("cannot write output"), 1;
	return status;
}
