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

static int
cmd_normalize(const struct buf *in)
{
	struct buf out = BUF_INIT(0);
	const char *line;
	size_t pos = 0, len;
	int status = 0;

	while (pep_next_line(in, &pos, &line, &len)) {
		if (pep440_normalize_text(line, len, &out) != 0) {
			buf_adds(&out, "invalid");
			status = 1;
		}
		buf_addc(&out, '\n');
		if (out.len >= (1 << 16)) {
			fwrite(out.data, 1, out.len, stdout);
			buf_reset(&out);
		}
	}
	fwrite(buf_cstr(&out), 1, out.len, stdout);
	buf_release(&out);
	return status;
}

/*
 * What the sort moves: the first 16 bytes of the sort key as integers and
 * where the line is, 24 bytes in all. Keeping whole struct pep440_versions
 * for 886k lines costs more in copies and page faults than the sort
 * itself; two longer keys that tie on those bytes are parsed again.
 */
struct slot {
	uint64_t w0, w1;
	uint32_t off;
	uint32_t len; /* bit 31: the key fits in w0 and w1 */
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

static int
cmd_sort(const struct buf *in)
{
	struct slot *order, *tmp;
	struct buf out = BUF_INIT(0);
	size_t n = 0, lines = 1, pos = 0, len;
	const char *line;
	int status = 0;

	for (const char *p = in->data; p && (p = memchr(p, '\n',
			in->len - (size_t)(p - in->data))); p++)
		lines++;
	order = xcalloc(lines, sizeof(*order));
	tmp = xcalloc(lines / 2 + 1, sizeof(*tmp));
	while (pep_next_line(in, &pos, &line, &len)) {
		struct pep440_version v;

		/* Valid versions are far shorter than 2^31 (PEP440_MAX_LEN). */
		if (pep440_parse(&v, line, len) != 0) {
			log_error("invalid version '%.*s'",
				  (int)(len > 200 ? 200 : len), line);
			status = 1;
		} else {
			struct slot *e = &order[n++];

			e->w0 = pep440_key_word(&v, 0);
			e->w1 = pep440_key_word(&v, 1);
			e->off = (uint32_t)(line - in->data);
			e->len = (uint32_t)len;
			if (pep440_key_len(&v) <= 16)
				e->len |= SLOT_SHORT;
		}
		pep440_release(&v);
	}
	merge_sort(in->data, order, tmp, n);
	for (size_t i = 0; i < n; i++) {
		buf_add(&out, in->data + order[i].off,
			order[i].len & ~SLOT_SHORT);
		buf_addc(&out, '\n');
		if (out.len >= (1 << 16)) {
			fwrite(out.data, 1, out.len, stdout);
			buf_reset(&out);
		}
	}
	fwrite(buf_cstr(&out), 1, out.len, stdout);
	buf_release(&out);
	free(tmp);
	free(order);
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
