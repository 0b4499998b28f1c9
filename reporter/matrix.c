/*
 * pyti-matrix's query and its three formats (matrix.h). One indexed
 * query, REPORT_MATRIX_CELLS: the release (the newest package result of
 * the project, unless given) and the result that decides each platform
 * and Python of it, in one round trip.
 */
#include "matrix.h"

#include "jx.h"
#include "log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum {
	M_PLATFORM,
	M_PYTHON,
	M_OUTCOME,
	M_PASSED,
	M_FAILED,
	M_ERRORS,
	M_SKIPPED,
	M_COVERAGE,
	M_HOSTILE,
	M_FINDINGS,
	M_DURATION,
	M_JOB,
	M_CLASS,
	M_VERSION,
};

static const char cells_sql[] =
    "SELECT platform, python, outcome,"
    " tests_passed, tests_failed, tests_errors, tests_skipped,"
    " coverage_percent, hostile, findings, duration_ms, job_id, class,"
    " version FROM " REPORT_MATRIX_CELLS;

static const char history_sql[] =
    "SELECT h.platform, h.python, h.version, h.outcome, h.job_id,"
    " h.sweep_id, h.finished_at"
    " FROM (SELECT DISTINCT platform, python FROM report_results"
    "  WHERE project = $1) k,"
    " LATERAL (SELECT * FROM report_results r WHERE r.project = $1"
    "  AND r.platform = k.platform AND r.python = k.python"
    "  ORDER BY r.job_id DESC LIMIT $2) h"
    " ORDER BY h.platform, h.python, h.job_id DESC";

static json_t *
int_or_null(PGresult *r, int i, int col)
{
	if (PQgetisnull(r, i, col))
		return json_null();
	return json_integer(strtoll(PQgetvalue(r, i, col), NULL, 10));
}

/* Text for a terminal: control characters shown as '?'. */
static void
put_safe(FILE *out, const char *s, int width)
{
	int n = 0;

	for (; *s; s++, n++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
	for (; n < width; n++)
		fputc(' ', out);
}

static void
put_csv(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static const char *
color_of(const char *cls, const char *outcome)
{
	if (strcmp(cls, "infra") == 0)
		return "\033[33m";
	if (!strcmp(outcome, "passed") || !strcmp(outcome, "no_tests"))
		return "\033[32m";
	return "\033[31m";
}

static void
print_table(FILE *out, const struct report_matrix_opts *o,
            const char *version, PGresult *r, PGresult *h)
{
	int i, n = PQntuples(r);
	char tests[96], cov[16], dur[32];

	fputs("package ", out);
	put_safe(out, o->project, 0);
	fputs(" ", out);
	put_safe(out, version, 0);
	fputs("\n", out);
	fprintf(out, "%-16s %-6s %-18s %-15s %8s %-8s %8s %9s %s\n", "PLATFORM",
	        "PYTHON", "OUTCOME", "TESTS p/f/e/s", "COVERAGE", "HOSTILE",
	        "FINDINGS", "DURATION", "JOB");
	for (i = 0; i < n; i++) {
		const char *outcome = PQgetvalue(r, i, M_OUTCOME);
		int hostile = PQgetvalue(r, i, M_HOSTILE)[0] == 't';

		if (PQgetisnull(r, i, M_PASSED))
			snprintf(tests, sizeof(tests), "-");
		else
			snprintf(tests, sizeof(tests), "%s/%s/%s/%s",
			         PQgetvalue(r, i, M_PASSED),
			         PQgetvalue(r, i, M_FAILED),
			         PQgetvalue(r, i, M_ERRORS),
			         PQgetvalue(r, i, M_SKIPPED));
		snprintf(cov, sizeof(cov), "%s%s",
		         PQgetisnull(r, i, M_COVERAGE)
		             ? "-"
		             : PQgetvalue(r, i, M_COVERAGE),
		         PQgetisnull(r, i, M_COVERAGE) ? "" : "%");
		if (PQgetisnull(r, i, M_DURATION))
			snprintf(dur, sizeof(dur), "-");
		else
			snprintf(dur, sizeof(dur), "%.1fs",
			         strtod(PQgetvalue(r, i, M_DURATION), NULL) /
			             1000.0);
		put_safe(out, PQgetvalue(r, i, M_PLATFORM), 16);
		fputc(' ', out);
		put_safe(out, PQgetvalue(r, i, M_PYTHON), 6);
		fputc(' ', out);
		if (o->color)
			fputs(color_of(PQgetvalue(r, i, M_CLASS), outcome), out);
		put_safe(out, outcome, 18);
		if (o->color)
			fputs("\033[0m", out);
		fprintf(out, " %-15s %8s ", tests, cov);
		if (o->color && hostile)
			fputs("\033[1;31m", out);
		fprintf(out, "%-8s", hostile ? "HOSTILE" : "no");
		if (o->color && hostile)
			fputs("\033[0m", out);
		fprintf(out, " %8s %9s %s\n", PQgetvalue(r, i, M_FINDINGS), dur,
		        PQgetvalue(r, i, M_JOB));
	}
	if (!h)
		return;
	fputs("\nhistory\n", out);
	for (i = 0; i < PQntuples(h); i++) {
		put_safe(out, PQgetvalue(h, i, 0), 16);
		fputc(' ', out);
		put_safe(out, PQgetvalue(h, i, 1), 6);
		fputc(' ', out);
		put_safe(out, PQgetvalue(h, i, 2), 16);
		fputc(' ', out);
		put_safe(out, PQgetvalue(h, i, 3), 18);
		fprintf(out, " %s\n", PQgetvalue(h, i, 4));
	}
}

static void
print_csv(FILE *out, PGresult *r)
{
	static const char *const head =
	    "platform,python,outcome,passed,failed,errors,skipped,coverage,"
	    "hostile,findings,duration_ms,job_id\n";
	int i, c, n = PQntuples(r);

	fputs(head, out);
	for (i = 0; i < n; i++) {
		for (c = M_PLATFORM; c <= M_JOB; c++) {
			if (c > M_PLATFORM)
				fputc(',', out);
			if (c == M_HOSTILE)
				fputs(PQgetvalue(r, i, c)[0] == 't' ? "true"
				                                    : "false",
				      out);
			else
				put_csv(out, PQgetvalue(r, i, c));
		}
		fputc('\n', out);
	}
}

static void
print_json(FILE *out, const struct report_matrix_opts *o,
           const char *version, PGresult *r, PGresult *h)
{
	json_t *doc = json_object(), *cells = json_array();
	int i, n = PQntuples(r);

	jx_set(doc, "project", json_string(o->project));
	jx_set(doc, "version", json_string(version));
	for (i = 0; i < n; i++) {
		json_t *c = json_object(), *t = json_object();

		jx_set(c, "platform", json_string(PQgetvalue(r, i, M_PLATFORM)));
		jx_set(c, "python", json_string(PQgetvalue(r, i, M_PYTHON)));
		jx_set(c, "outcome", json_string(PQgetvalue(r, i, M_OUTCOME)));
		jx_set(t, "passed", int_or_null(r, i, M_PASSED));
		jx_set(t, "failed", int_or_null(r, i, M_FAILED));
		jx_set(t, "errors", int_or_null(r, i, M_ERRORS));
		jx_set(t, "skipped", int_or_null(r, i, M_SKIPPED));
		jx_set(c, "tests", t);
		jx_set(c, "coverage",
		       PQgetisnull(r, i, M_COVERAGE)
		           ? json_null()
		           : json_real(strtod(PQgetvalue(r, i, M_COVERAGE),
		                              NULL)));
		jx_set(c, "hostile",
		       json_boolean(PQgetvalue(r, i, M_HOSTILE)[0] == 't'));
		jx_set(c, "findings", int_or_null(r, i, M_FINDINGS));
		jx_set(c, "duration_ms", int_or_null(r, i, M_DURATION));
		jx_set(c, "job_id", int_or_null(r, i, M_JOB));
		jx_append(cells, c);
	}
	jx_set(doc, "cells", cells);
	if (h) {
		json_t *hist = json_array();

		for (i = 0; i < PQntuples(h); i++) {
			json_t *e = json_object();

			jx_set(e, "platform", json_string(PQgetvalue(h, i, 0)));
			jx_set(e, "python", json_string(PQgetvalue(h, i, 1)));
			jx_set(e, "version", json_string(PQgetvalue(h, i, 2)));
			jx_set(e, "outcome", json_string(PQgetvalue(h, i, 3)));
			jx_set(e, "job_id", int_or_null(h, i, 4));
			jx_set(e, "sweep_id", int_or_null(h, i, 5));
			jx_append(hist, e);
		}
		jx_set(doc, "history", hist);
	}
	jx_write_line(out, doc);
	json_decref(doc);
}

int
report_matrix(struct db *db, const struct report_matrix_opts *o,
              FILE *out)
{
	const char *p[2] = {o->project, o->version};
	PGresult *r = NULL, *h = NULL;
	const char *version;
	char shist[16];
	int ret = -1;

	r = db_exec(db, "read the matrix", cells_sql, 2, p, PGRES_TUPLES_OK);
	if (!r)
		goto out;
	if (PQntuples(r) == 0) {
		ret = REPORT_MATRIX_UNKNOWN;
		goto out;
	}
	version = PQgetvalue(r, 0, M_VERSION);
	if (o->history > 0) {
		snprintf(shist, sizeof(shist), "%d", o->history);
		p[1] = shist;
		h = db_exec(db, "read the history", history_sql, 2, p, PGRES_TUPLES_OK);
		if (!h)
			goto out;
	}
	switch (o->format) {
	case REPORT_MATRIX_JSON:
		print_json(out, o, version, r, h);
		break;
	case REPORT_MATRIX_CSV:
		print_csv(out, r);
		break;
	case REPORT_MATRIX_TABLE:
		print_table(out, o, version, r, h);
		break;
	}
	ret = fflush(out) == 0 ? 0 : log_error("cannot write the matrix");
out:
	PQclear(r);
	PQclear(h);
	return ret;
}
