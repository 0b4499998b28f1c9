/*
 * The static site (report.h, report_html): index.html for a sweep (counts,
 * a pass-rate chart over sweeps as inline SVG, regressions, fixes,
 * critical findings, error signatures, the slowest packages) and
 * pkg/<project>.html for every project the sweep tested (its matrix,
 * history, findings and failing tests). No script anywhere, a strict
 * Content-Security-Policy, and every text from the database escaped:
 * much of it is the package's own bytes. Each page is written whole and
 * renamed into place.
 */
#include "report.h"

#include "buf.h"
#include "esc.h"
#include "log.h"
#include "matrix.h"
#include "os.h"
#include "xalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX (64 << 20)

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em;max-width:72em;color:#222}\n"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;"
    "vertical-align:top;overflow-wrap:anywhere}\n"
    "th{background:#f0f0f0}\n"
    ".pass{background:#d9f2d9}.fail{background:#f8d0d0}"
    ".infra{background:#fff0c0}.hostile{color:#b00;font-weight:bold}\n"
    "code{font-size:90%;word-break:break-all}\n"
    ".counts span{display:inline-block;margin-right:1.5em}\n";

/* Escaped text (esc.h), cut to max bytes (at a UTF-8 boundary). */
static void
esc(struct buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	esc_markup(b, s, n);
	if (n < strlen(s))
		buf_adds(b, "&hellip;");
}

/* A project name safe as a file name (PEP 503 normalized ones are). */
static int
page_name_ok(const char *p)
{
	size_t i;

	if (!*p || *p == '.' || strlen(p) > 200)
		return 0;
	for (i = 0; p[i]; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		      p[i] == '-' || p[i] == '.' || p[i] == '_'))
			return 0;
	return 1;
}

/* A page's start: its head, then nav (raw markup, or NULL) and title as
 * its heading. */
static void
head(struct buf *b, const char *title, const char *css, const char *nav)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	            "<meta charset=\"utf-8\">"
	            "<meta http-equiv=\"Content-Security-Policy\" "
	            "content=\"default-src 'none'; style-src 'self'; "
	            "img-src 'self' data:\">"
	            "<title>");
	esc(b, title, 200);
	buf_addf(b, "</title><link rel=\"stylesheet\" href=\"%s\"></head>\n"
	            "<body>\n",
	         css);
	if (nav)
		buf_adds(b, nav);
	buf_adds(b, "<h1>");
	esc(b, title, 200);
	buf_adds(b, "</h1>\n");
}

static int
write_page(const char *path, struct buf *b)
{
	buf_adds(b, "</body></html>\n");
	if (b->len >= b->max - 1)
		return log_error("page '%s' is larger than %zu bytes", path,
		                 b->max);
	return os_write_atomic(path, b->data, b->len, 0644);
}

static const char *
cls_of(const char *cls, const char *passed)
{
	if (strcmp(cls, "infra") == 0)
		return "infra";
	return passed[0] == 't' ? "pass" : "fail";
}

/* A table from a result: header names, one row per tuple, every cell
 * escaped; column `link` (or -1) links to the package page. */
static void
table(struct buf *b, PGresult *r, const char *const *names, int link)
{
	int i, c, n = PQntuples(r), nc = PQnfields(r);

	if (n == 0) {
		buf_adds(b, "<p>None.</p>\n");
		return;
	}
	buf_adds(b, "<table><tr>");
	for (c = 0; c < nc; c++) {
		buf_adds(b, "<th>");
		esc(b, names[c], 64);
		buf_adds(b, "</th>");
	}
	buf_adds(b, "</tr>\n");
	for (i = 0; i < n; i++) {
		buf_adds(b, "<tr>");
		for (c = 0; c < nc; c++) {
			const char *v = PQgetvalue(r, i, c);

			buf_adds(b, "<td>");
			if (c == link && page_name_ok(v)) {
				buf_adds(b, "<a href=\"pkg/");
				esc(b, v, 200);
				buf_adds(b, ".html\">");
				esc(b, v, 200);
				buf_adds(b, "</a>");
			} else {
				esc(b, v, 300);
			}
			buf_adds(b, "</td>");
		}
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</table>\n");
}

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c",
                                      "#9467bd", "#ff7f0e", "#8c564b"};

/* The pass rate of each platform x Python over the last sweeps. */
static int
chart(struct db *db, struct buf *b)
{
	PGresult *r = db_exec(db, "read pass rates",
	                      "SELECT sweep_id, platform || ' / ' || python,"
	                      " pass_rate FROM report_v_pass_rate"
	                      " WHERE sweep_id IN (SELECT DISTINCT sweep_id"
	                      "  FROM report_results WHERE sweep_id IS NOT NULL"
	                      "  ORDER BY 1 DESC LIMIT 30)"
	                      " ORDER BY 2, 1",
	                      0, NULL, PGRES_TUPLES_OK);
	int i, n, series = 0;
	int64_t lo = INT64_MAX, hi = 0;
	const char *cur = NULL;
	const int w = 640, h = 240, pad = 40;

	if (!r)
		return -1;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		int64_t s = db_col_i64(r, i, 0);

		lo = s < lo ? s : lo;
		hi = s > hi ? s : hi;
	}
	buf_addf(b,
	         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	         "height=\"%d\" role=\"img\" aria-label=\"pass rate over "
	         "sweeps\">\n<rect x=\"%d\" y=\"10\" width=\"%d\" height=\"%d\" "
	         "fill=\"none\" stroke=\"#999\"/>\n"
	         "<text x=\"4\" y=\"16\" font-size=\"11\">100%%</text>"
	         "<text x=\"4\" y=\"%d\" font-size=\"11\">0%%</text>\n",
	         w + 200, h + 30, pad, w - pad, h - 10, h);
	for (i = 0; i <= n; i++) {
		const char *name = i < n ? PQgetvalue(r, i, 1) : NULL;

		if (!name || !cur || strcmp(name, cur) != 0) {
			if (cur) {
				buf_adds(b, "\"/>\n");
				buf_addf(b,
				         "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
				         "fill=\"%s\">",
				         w + 10, 24 + 16 * (series - 1),
				         palette[(series - 1) % 6]);
				esc(b, cur, 64);
				buf_adds(b, "</text>\n");
			}
			if (!name)
				break;
			cur = name;
			buf_addf(b,
			         "<polyline fill=\"none\" stroke-width=\"2\" "
			         "stroke=\"%s\" points=\"",
			         palette[series % 6]);
			series++;
		}
		{
			int64_t s = db_col_i64(r, i, 0);
			double rate = strtod(PQgetvalue(r, i, 2), NULL);
			double x = pad + (hi > lo ? (double)(s - lo) /
			                                (double)(hi - lo) *
			                                (w - pad - 10)
			                          : (w - pad) / 2.0);
			double y = 10 + (h - 10) * (1 - rate / 100.0);

			buf_addf(b, "%.1f,%.1f ", x, y);
		}
	}
	if (lo <= hi)
		buf_addf(b,
		         "<text x=\"%d\" y=\"%d\" font-size=\"11\">sweep %" PRId64
		         "</text><text x=\"%d\" y=\"%d\" font-size=\"11\">sweep "
		         "%" PRId64 "</text>\n",
		         pad, h + 20, lo, w - 80, h + 20, hi);
	buf_adds(b, "</svg>\n");
	PQclear(r);
	return 0;
}

/* One section: a heading and the table of a query over $1 = sweep. */
static int
section(struct db *db, struct buf *b, const char *title, const char *sql,
        const char *const *names, int link, const char *sweep)
{
	const char *p[1] = {sweep};
	PGresult *r = db_exec(db, title, sql, 1, p, PGRES_TUPLES_OK);

	if (!r)
		return -1;
	buf_adds(b, "<h2>");
	esc(b, title, 100);
	buf_addf(b, " (%d)</h2>\n", PQntuples(r));
	table(b, r, names, link);
	PQclear(r);
	return 0;
}

static int
index_page(struct db *db, const char *dir, const char *sweep)
{
	static const char *const regn[] = {"project", "version", "platform",
	                                   "python", "outcome", "kind",
	                                   "changed", "signature"};
	static const char *const fixn[] = {"project", "version", "platform",
	                                   "python"};
	static const char *const hostn[] = {"project", "version", "platform",
	                                    "kind", "task", "detail"};
	static const char *const sign[] = {"signature", "kind", "results",
	                                   "projects", "example"};
	static const char *const slown[] = {"project", "version", "platform",
	                                    "python", "seconds", "outcome"};
	struct buf b = BUF_INIT(PAGE_MAX);
	char path[4096], title[96];
	const char *p[1] = {sweep};
	PGresult *r;
	int ret = -1, c;

	snprintf(title, sizeof(title), "pyti: sweep %s", sweep);
	head(&b, title, "style.css", NULL);
	r = db_exec(db, "count the sweep",
	            "SELECT count(*), count(*) FILTER (WHERE passed),"
	            " count(*) FILTER (WHERE NOT passed),"
	            " count(*) FILTER (WHERE class = 'infra'),"
	            " count(*) FILTER (WHERE hostile),"
	            " count(DISTINCT project)"
	            " FROM report_results WHERE sweep_id = $1",
	            1, p, PGRES_TUPLES_OK);
	if (!r)
		goto out;
	buf_adds(&b, "<p class=\"counts\">");
	{
		static const char *const what[] = {"results", "passed", "failed",
		                                   "infrastructure", "hostile",
		                                   "projects"};

		for (c = 0; c < 6; c++)
			buf_addf(&b, "<span>%s: <b>%s</b></span>", what[c],
			         PQgetvalue(r, 0, c));
	}
	buf_adds(&b, "</p>\n<h2>Pass rate by platform and Python</h2>\n");
	PQclear(r);
	if (chart(db, &b))
		goto out;
	if (section(db, &b, "Regressions",
	            "SELECT c.project, c.version, c.platform, c.python,"
	            " r.outcome, c.regression, coalesce((SELECT string_agg("
	            "  (d->>'name') || ' ' || coalesce(d->>'from', '-') || '"
	            " -> ' || coalesce(d->>'to', '-'), ', ')"
	            "  FROM jsonb_array_elements(c.changed_deps) d), ''),"
	            " coalesce(s.signature, '')"
	            " FROM report_changes c JOIN report_results r"
	            "  ON r.job_id = c.job_id"
	            " LEFT JOIN report_signatures s ON s.id = r.signature_id"
	            " WHERE c.sweep_id = $1 AND c.change = 'new_failure'"
	            " ORDER BY 1, 3, 4 LIMIT 1000",
	            regn, 0, sweep) ||
	    section(db, &b, "Fixed",
	            "SELECT project, version, platform, python FROM"
	            " report_changes WHERE sweep_id = $1 AND change = 'fixed'"
	            " ORDER BY 1, 3, 4 LIMIT 1000",
	            fixn, 0, sweep) ||
	    section(db, &b, "Critical findings",
	            "SELECT project, version, platform, kind, coalesce(task,"
	            " ''), coalesce(detail, '') FROM report_v_hostile"
	            " WHERE sweep_id = $1 ORDER BY 1, 4 LIMIT 500",
	            hostn, 0, sweep) ||
	    section(db, &b, "Most common error signatures",
	            "SELECT signature, kind, results, projects,"
	            " example_project FROM report_v_signatures"
	            " WHERE sweep_id = $1 ORDER BY results DESC, signature"
	            " LIMIT 50",
	            sign, 4, sweep) ||
	    section(db, &b, "Slowest packages",
	            "SELECT project, version, platform, python,"
	            " round(duration_ms / 1000.0, 1), outcome"
	            " FROM report_results WHERE sweep_id = $1"
	            " AND duration_ms IS NOT NULL"
	            " ORDER BY duration_ms DESC LIMIT 20",
	            slown, 0, sweep))
		goto out;
	snprintf(path, sizeof(path), "%s/index.html", dir);
	ret = write_page(path, &b);
out:
	buf_release(&b);
	return ret;
}

static int
package_page(struct db *db, const char *dir, const char *project)
{
	static const char *const histn[] = {"sweep", "version", "platform",
	                                    "python", "outcome", "job"};
	static const char *const findn[] = {"platform", "severity", "kind",
	                                    "task", "detail"};
	static const char *const casen[] = {"platform", "python", "test",
	                                    "outcome", "message"};
	struct buf b = BUF_INIT(PAGE_MAX);
	const char *p[2] = {project, NULL};
	char path[4096];
	PGresult *r;
	int i, ret = -1;

	head(&b, project, "../style.css",
	     "<p><a href=\"../index.html\">pyti</a></p>\n");
	r = db_exec(db, "read a package's matrix",
	            "SELECT platform, python,"
	            "  outcome, class, coalesce(passed::text, ''),"
	            "  coalesce(tests_passed || '/' || tests_failed || '/' ||"
	            "   tests_errors || '/' || tests_skipped, '-'),"
	            "  coalesce(coverage_percent || '%', '-'), hostile,"
	            "  findings, coalesce(round(duration_ms / 1000.0, 1)"
	            "   || ' s', '-'), version"
	            " FROM " REPORT_MATRIX_CELLS,
	            2, p, PGRES_TUPLES_OK);
	if (!r)
		goto out;
	if (PQntuples(r) > 0) {
		buf_adds(&b, "<h2>Release ");
		esc(&b, PQgetvalue(r, 0, 10), 128);
		buf_adds(&b, "</h2>\n");
	}
	buf_adds(&b, "<table><tr><th>platform</th><th>python</th>"
	             "<th>outcome</th><th>tests p/f/e/s</th><th>coverage</th>"
	             "<th>findings</th><th>duration</th></tr>\n");
	for (i = 0; i < PQntuples(r); i++) {
		buf_adds(&b, "<tr><td>");
		esc(&b, PQgetvalue(r, i, 0), 64);
		buf_adds(&b, "</td><td>");
		esc(&b, PQgetvalue(r, i, 1), 16);
		buf_addf(&b, "</td><td class=\"%s\">",
		         cls_of(PQgetvalue(r, i, 3), PQgetvalue(r, i, 4)));
		esc(&b, PQgetvalue(r, i, 2), 64);
		buf_adds(&b, "</td><td>");
		esc(&b, PQgetvalue(r, i, 5), 64);
		buf_adds(&b, "</td><td>");
		esc(&b, PQgetvalue(r, i, 6), 16);
		buf_addf(&b, "</td><td%s>",
		         PQgetvalue(r, i, 7)[0] == 't' ? " class=\"hostile\"" : "");
		esc(&b, PQgetvalue(r, i, 8), 16);
		buf_adds(&b, PQgetvalue(r, i, 7)[0] == 't' ? " (hostile)" : "");
		buf_adds(&b, "</td><td>");
		esc(&b, PQgetvalue(r, i, 9), 32);
		buf_adds(&b, "</td></tr>\n");
	}
	buf_adds(&b, "</table>\n");
	PQclear(r);
	if (section(db, &b, "History",
	            "SELECT coalesce(sweep_id::text, '-'), version, platform,"
	            " python, outcome, job_id FROM report_results"
	            " WHERE project = $1 ORDER BY job_id DESC LIMIT 50",
	            histn, -1, project) ||
	    section(db, &b, "Findings of the latest results",
	            "SELECT r.platform || ' / ' || r.python, f.severity, f.kind,"
	            " coalesce(f.task, ''), coalesce(f.detail, '')"
	            " FROM report_findings f JOIN (SELECT DISTINCT ON"
	            "  (platform, python) * FROM report_results"
	            "  WHERE project = $1 ORDER BY platform, python,"
	            "  job_id DESC) r ON r.job_id = f.job_id"
	            " ORDER BY f.severity = 'critical' DESC, 1, f.seq LIMIT 200",
	            findn, -1, project) ||
	    section(db, &b, "Failing tests of the latest results",
	            "SELECT r.platform, r.python, c.classname || '::' ||"
	            " c.name, c.outcome, coalesce(c.message, '')"
	            " FROM report_cases c JOIN (SELECT DISTINCT ON"
	            "  (platform, python) * FROM report_results"
	            "  WHERE project = $1 ORDER BY platform, python,"
	            "  job_id DESC) r ON r.job_id = c.job_id"
	            " WHERE c.outcome IN ('failed', 'error')"
	            " ORDER BY 1, 2, c.seq LIMIT 200",
	            casen, -1, project))
		goto out;
	snprintf(path, sizeof(path), "%s/pkg/%s.html", dir, project);
	ret = write_page(path, &b);
out:
	buf_release(&b);
	return ret;
}

int
report_html(struct db *db, const struct cfg *cfg, const char *dir,
            int64_t sweep)
{
	char ssweep[32], path[4096];
	const char *p[1] = {ssweep};
	PGresult *r;
	int i, pages = 0, ret = -1;

	(void)cfg;
	if (strlen(dir) > 2048)
		return log_error("the directory name is too long");
	if (sweep < 0) {
		r = db_exec(db, "find the newest sweep",
		            "SELECT coalesce(max(sweep_id), 0) FROM report_results",
		            0, NULL, PGRES_TUPLES_OK);
		if (!r)
			return -1;
		sweep = db_col_i64(r, 0, 0);
		PQclear(r);
	}
	snprintf(ssweep, sizeof(ssweep), "%" PRId64, sweep);
	snprintf(path, sizeof(path), "%s/pkg", dir);
	if (os_mkdir_p(path, 0755))
		return -1;
	snprintf(path, sizeof(path), "%s/style.css", dir);
	if (os_write_atomic(path, style, sizeof(style) - 1, 0644) ||
	    index_page(db, dir, ssweep))
		return -1;
	r = db_exec(db, "list the sweep's projects",
	            "SELECT DISTINCT project FROM report_results"
	            " WHERE sweep_id = $1 ORDER BY 1",
	            1, p, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		const char *project = PQgetvalue(r, i, 0);

		if (!page_name_ok(project)) {
			log_warn("no page for project '%.64s': not a file name",
			         project);
			continue;
		}
		if (package_page(db, dir, project))
			goto out;
		pages++;
	}
	printf("sweep=%s pages=%d dir=%s\n", ssweep, pages + 1, dir);
	ret = 0;
out:
	PQclear(r);
	return ret;
}
