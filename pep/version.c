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
		struct pep440_version v;

		if (pep440_parse(&v, line, len) == 0) {
			pep440_normalize(&v, &out);
		} else {
			buf_adds(&out, "invalid");
			status = 1;
		}
		buf_addc(&out, '\n');
		pep440_release(&v);
		if (out.len >= (1 << 16)) {
			fwrite(out.data, 1, out.len, stdout);
			buf_reset(&out);
		}
	}
	fwrite(buf_cstr(&out), 1, out.len, stdout);
	buf_release(&out);
	return status;
}

/* Stable: equal versions keep their input order. */
static int
cmp_stable(const void *a, const void *b)
{
	const struct pep440_version *const *x = a, *const *y = b;
	int r = pep440_compare(*x, *y);

	if (r)
		return r;
	return *x < *y ? -1 : *x > *y;
}

static int
cmd_sort(const struct buf *in)
{
	struct pep440_version *v = NULL, **order = NULL;
	size_t n = 0, alloc = 0, nvalid = 0, pos = 0, len;
	const char *line;
	int status = 0;

	while (pep_next_line(in, &pos, &line, &len)) {
		XGROW(v, n + 1, alloc);
		if (pep440_parse(&v[n], line, len) != 0) {
			log_error("invalid version '%.*s'", (int)len, line);
			pep440_release(&v[n]);
			status = 1;
			continue;
		}
		n++;
	}
	order = xcalloc(n ? n : 1, sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[nvalid++] = &v[i];
	qsort(order, nvalid, sizeof(*order), cmp_stable);
	for (size_t i = 0; i < nvalid; i++) {
		fwrite(order[i]->text, 1, order[i]->len, stdout);
		putchar('\n');
	}
	for (size_t i = 0; i < n; i++)
		pep440_release(&v[i]);
	free(order);
	free(v);
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
