/*
 * pyti-matrix: the platform x Python matrix of one package's latest tested
 * release (or a given version) from report_results: outcome, tests,
 * coverage, findings, duration per cell, as a table (colored when asked),
 * JSON (docs/reporter.md gives the shape) or CSV; optionally the last N
 * results of every cell across releases.
 */
#ifndef PYTI_REPORT_MATRIX_H
#define PYTI_REPORT_MATRIX_H

#include "db.h"

#include <stdio.h>

enum report_matrix_format {
	REPORT_MATRIX_TABLE,
	REPORT_MATRIX_JSON,
	REPORT_MATRIX_CSV,
};

struct report_matrix_opts {
	const char *project; /* PEP 503 normalized by the caller */
	const char *version; /* NULL: the latest tested release */
	enum report_matrix_format format;
	int history;         /* results per cell in "history" (0: none) */
	int color;           /* ANSI colors in the table */
};

/*
 * Print the matrix on out. Returns 0 (printed), REPORT_MATRIX_UNKNOWN
 * when the project (or that version of it) has no results, or -1
 * (logged).
 */
#define REPORT_MATRIX_UNKNOWN 1
int report_matrix(struct db *db, const struct report_matrix_opts *o,
                  FILE *out);

/*
 * The matrix's rows as an SQL FROM item (alias c) with parameters $1 the
 * project and $2 the release (NULL: the latest tested one, the newest
 * package verdict's, else the newest result's): for each platform and
 * Python the report_results row that decides the cell (a package verdict
 * before an infrastructure one, a test stage before a two-stage job's
 * build stage, then the newest job). report_matrix() and the HTML
 * package page both read it; one statement, one round trip.
 */
#define REPORT_MATRIX_CELLS \
	"(SELECT DISTINCT ON (platform, python) * FROM report_results" \
	" WHERE project = $1 AND version = coalesce($2," \
	"  (SELECT l.version FROM report_results l WHERE l.project = $1" \
	"   ORDER BY l.class = 'package' DESC, l.job_id DESC LIMIT 1))" \
	" ORDER BY platform, python, class = 'package' DESC," \
	"  stage IS NOT DISTINCT FROM 'build', job_id DESC) c"

#endif
