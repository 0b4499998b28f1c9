/*
 * bench/gjson-bench: what the runner's bound on guest JSON costs, next to
 * what it saves. For three RSLT-sized inputs -- a realistic result (nested
 * objects, strings, numbers), the hostile "[{},{},...]" and a deep
 * nesting -- it times run_gjson_measure() (the bounds pass) against
 * jansson's parse of the same text (what the runner did before, twice),
 * and reports jansson's peak allocation for it. Prints a table.
 *
 *	build/bench/gjson-bench [MIB]        (default 8)
 */
#include "gjson.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t live, peak;

static void *
count_malloc(size_t n)
{
	size_t *p = malloc(n + sizeof(size_t));

	if (!p)
		return NULL;
	*p = n;
	live += n;
	if (live > peak)
		peak = live;
	return p + 1;
}

static void
count_free(void *q)
{
	size_t *p = q;

	if (!p)
		return;
	live -= p[-1];
	free(p - 1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *
realistic(size_t size, size_t *len)
{
	char *s = malloc(size + 4096);
	size_t n = 0;
	int i = 0;

	n += (size_t)sprintf(s + n, "{\"schema_version\":1,\"findings\":[");
	while (n < size) {
		n += (size_t)sprintf(
		    s + n,
		    "%s{\"kind\":\"file.write_outside\",\"severity\":"
		    "\"warning\",\"task\":\"install\",\"evidence\":{\"path\":"
		    "\"/usr/lib/python3/dist-packages/pkg%d/mod.py\",\"pid\":"
		    "%d,\"bytes\":%d,\"attempted\":false}}",
		    i ? "," : "", i, 1000 + i, i * 7);
		i++;
	}
	n += (size_t)sprintf(s + n, "],\"outcome\":\"passed\"}");
	*len = n;
	return s;
}

static char *
shallow(size_t size, size_t *len)
{
	size_t k = (size - 4) / 3, i;
	char *s = malloc(size + 8);

	s[0] = '[';
	for (i = 0; i < k; i++)
		memcpy(s + 1 + 3 * i, "{},", 3);
	memcpy(s + 1 + 3 * k, "{}]", 3);
	*len = 3 * k + 4;
	return s;
}

static char *
deep(size_t levels, size_t *len)
{
	char *s = malloc(2 * levels + 1);

	memset(s, '[', levels);
	memset(s + levels, ']', levels);
	*len = 2 * levels;
	return s;
}

static void
row(const char *name, const char *s, size_t len)
{
	double t0, t1, t2;
	size_t nodes, depth;
	json_error_t e;
	json_t *j;

	t0 = now_s();
	run_gjson_measure(s, len, &nodes, &depth);
	t1 = now_s();
	peak = live = 0;
	j = json_loadb(s, len, JSON_REJECT_DUPLICATES, &e);
	t2 = now_s();
	json_decref(j);
	printf("| %s | %.1f MiB | %zu | %zu | %.1f ms | %.1f ms | %.0fx | "
	       "%.0f MiB%s |\n",
	       name, len / 1048576.0, nodes, depth, (t1 - t0) * 1e3,
	       (t2 - t1) * 1e3, (t2 - t1) / (t1 - t0), peak / 1048576.0,
	       j ? "" : " (refused)");
}

int
main(int argc, char **argv)
{
	size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 8, len;
	char *s;

	json_set_alloc_funcs(count_malloc, count_free);
	printf("| input | size | values | depth | bounds pass | jansson "
	       "parse | ratio | jansson peak |\n| --- | --- | --- | --- | "
	       "--- | --- | --- | --- |\n");
	s = realistic(mib << 20, &len);
	row("realistic RSLT", s, len);
	free(s);
	s = shallow(mib << 20, &len);
	row("[{},{},...]", s, len);
	free(s);
	s = deep(100000, &len);
	row("100000-deep", s, len);
	free(s);
	return 0;
}
