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
#include <unistd.h>

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
	uint32_t id; /* its struct distinct */
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

			for (j = i; j > 0 && slot_less(base, &x, &a[j - 1]);
			     j--)
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
 * Repeated lines. PyPI's 886k versions are only 32k distinct strings, and
 * a few ("0.1.0", "1.0.0") are tens of thousands of lines, so a small
 * direct-mapped cache of recent short texts lets a repeated text reuse its
 * parse: a struct distinct, whose lines the sort writes out in input
 * order. The cache stays in L2 and never grows, so input without repeats
 * pays one hash per line; a text may get several entries after eviction,
 * which the sort handles like any versions that compare equal.
 */
struct distinct {
	uint32_t off, len;
	int valid;
	uint32_t group; /* rank among the sorted versions */
};

#define CACHE_SIZE 4096
#define CACHE_TEXT 19

struct cache_entry {
	uint64_t hash;
	uint32_t id; /* its struct distinct */
	uint8_t len; /* 0: empty */
	char text[CACHE_TEXT];
};

struct dtable {
	struct distinct *d; /* one per line at most, allocated up front */
	size_t n;
	struct cache_entry *cache;
};

static void
dtable_init(struct dtable *t, size_t lines)
{
	t->d = xmalloc(lines * sizeof(*t->d));
	t->n = 0;
	t->cache = xcalloc(CACHE_SIZE, sizeof(*t->cache));
}

static void
dtable_release(struct dtable *t)
{
	free(t->d);
	free(t->cache);
}

static uint64_t
hash_text(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
	/* FNV's low bits mix poorly and the cache uses them: finish with
	 * MurmurHash3's fmix64. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	return h;
}

/*
 * The struct distinct for the line base[off..off+len): a cached one
 * (*added 0) or a new one (*added 1, to be filled in by the caller).
 */
static size_t
dtable_find(struct dtable *t, const char *base, uint32_t off, uint32_t len,
            int *added)
{
	const char *text = base + off;
	struct cache_entry *e = NULL;

	if (len > 0 && len <= CACHE_TEXT) {
		uint64_t h = hash_text(text, len);

		e = &t->cache[h & (CACHE_SIZE - 1)];
		if (e->hash == h && e->len == len &&
		    !memcmp(e->text, text, len)) {
			*added = 0;
			return e->id;
		}
		e->hash = h;
		e->len = (uint8_t)len;
		memcpy(e->text, text, len);
		e->id = (uint32_t)t->n;
	}
	t->d[t->n] = (struct distinct){off, len, 0, 0};
	*added = 1;
	return t->n++;
}

static size_t
count_lines(const struct buf *in)
{
	size_t lines = 1;

	for (const char *p = in->data;
	     p && (p = memchr(p, '\n', in->len - (size_t)(p - in->data))); p++)
		lines++;
	return lines;
}

static int
cmd_sort(const struct buf *in)
{
	struct dtable t;
	struct slot *order = NULL, *tmp = NULL;
	uint32_t *line_ids, *out_ids, *start;
	struct pep_out out;
	size_t lines = count_lines(in), nlines = 0, m = 0, groups = 0;
	size_t pos = 0, len;
	const char *line;
	int status = 0;

	/* Offsets are 32-bit; 1 GiB of input (PEP_SLURP_MAX) fits. */
	pep_out_init(&out, STDOUT_FILENO);
	dtable_init(&t, lines);
	line_ids = xmalloc(lines * sizeof(*line_ids));
	order = xmalloc(lines * sizeof(*order));
	while (pep_next_line(in, &pos, &line, &len)) {
		int added;
		size_t id =
		    dtable_find(&t, in->data, (uint32_t)(line - in->data),
		                (uint32_t)len, &added);

		/* A new text: parse it, and its slot joins the sort. */
		if (added) {
			struct pep440_version v;

			t.d[id].valid = pep440_parse(&v, line, len) == 0;
			if (t.d[id].valid) {
				struct slot *e = &order[m++];

				e->w0 = pep440_key_word(&v, 0);
				e->w1 = pep440_key_word(&v, 1);
				e->off = t.d[id].off;
				e->len = t.d[id].len;
				if (pep440_key_len(&v) <= 16)
					e->len |= SLOT_SHORT;
				e->id = (uint32_t)id;
			}
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

	/* Sort the valid texts (first-occurrence order on ties). */
	tmp = xmalloc((m / 2 + 1) * sizeof(*tmp));
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
		char *w = pep_out_room(&out, (size_t)d->len + 1);

		if (!w) {
			pep_out_add(&out, in->data + d->off, d->len);
			pep_out_add(&out, "\n", 1);
			continue;
		}
		memcpy(w, in->data + d->off, d->len);
		w[d->len] = '\n';
		out.len += (size_t)d->len + 1;
	}
	if (pep_out_finish(&out))
		status = 1;
	free(start);
	free(out_ids);
	free(line_ids);
	free(tmp);
	free(order);
	dtable_release(&t);
	return status;
}

/*
 * Most lines take pep440_normalize_fast() straight into the output
 * buffer; the rest (whitespace, invalid text) the full parser through a
 * scratch buffer that stops growing after the longest line.
 */
static int
cmd_normalize(const struct buf *in)
{
	struct pep_out out;
	struct buf slow = BUF_INIT(0);
	const char *line;
	size_t pos = 0, len;
	int status = 0;

	pep_out_init(&out, STDOUT_FILENO);
	while (pep_next_line(in, &pos, &line, &len)) {
		char *w = pep_out_room(&out, len + PEP440_FAST_SLACK + 1);

		if (w) {
			long n = pep440_normalize_fast(line, len, w);

			if (n >= 0) {
				w[n] = '\n';
				out.len += (size_t)n + 1;
				continue;
			}
		}
		buf_reset(&slow);
		if (pep440_normalize_text(line, len, &slow) != 0) {
			buf_reset(&slow);
			buf_adds(&slow, "invalid");
			status = 1;
		}
		buf_addc(&slow, '\n');
		pep_out_add(&out, slow.data, slow.len);
	}
	buf_release(&slow);
	if (pep_out_finish(&out))
		status = 1;
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
pep_cmd_version(struct cli *cli, int argc, char **argv)
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
