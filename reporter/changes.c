/*
 * What changed (report.h, report_changes): every package result of a
 * sweep against the previous package result of its cell (same project,
 * platform and Python, an earlier sweep); results without a verdict on
 * the package (deps_missing, tests_deps_missing, not_requested,
 * infrastructure) and first
 * stages of two-stage jobs are left out. Decided in C from one query,
 * written back in one transaction, so running it again decides the same
 * and asks for no second re-run.
 *
 *   no previous result              baseline (not news)
 *   same verdict                    still_passing / still_failing
 *   other verdict, other inputs     new_failure / fixed; a new failure is
 *                                   a release regression (another
 *                                   version) or a dependency regression
 *                                   (same version: changed_deps names the
 *                                   dependencies whose files changed)
 *   other verdict, same inputs      rerun_pending (same version, file
 *                                   and dependency files): a copy of the job is
 *                                   enqueued with "rerun_of"; once that
 *                                   re-run is loaded: flaky when it
 *                                   disagrees, else new_failure / fixed
 *                                   with regression same_inputs
 */
#include "report.h"

#include "buf.h"
#include "db_queue.h"
#include "jx.h"
#include "log.h"
#include "pep503.h"
#include "xalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum {
	Q_JOB,
	Q_VERSION,
	Q_PASSED,
	Q_HOSTILE,
	Q_INPUTS,
	Q_DEPS,
	Q_FILE,
	Q_PJOB,
	Q_PVERSION,
	Q_PPASSED,
	Q_PHOSTILE,
	Q_PINPUTS,
	Q_PDEPS,
	Q_PFILE,
	Q_XPASSED,
	Q_RERUN,
};

static const char changes_sql[] =
    "SELECT r.job_id, r.version, r.passed, r.hostile, r.inputs_key,"
    "  r.deps::text, r.file_name,"
    " p.job_id, p.version, p.passed, p.hostile, p.inputs_key, p.deps::text,"
    "  p.file_name,"
    " x.passed, c.rerun_job_id"
    " FROM report_results r"
    " LEFT JOIN LATERAL (SELECT * FROM report_results p"
    "  WHERE p.project = r.project AND p.platform = r.platform"
    "   AND p.python = r.python AND p.class = 'package'"
    "   AND p.rerun_of IS NULL AND p.job_id < r.job_id"
    "   AND p.passed IS NOT NULL AND p.stage IS DISTINCT FROM 'build'"
    "   AND (p.sweep_id < r.sweep_id OR p.sweep_id IS NULL)"
    "  ORDER BY p.job_id DESC LIMIT 1) p ON true"
    " LEFT JOIN LATERAL (SELECT x.passed FROM report_results x"
    "  WHERE x.rerun_of = r.job_id AND x.class = 'package'"
    "   AND x.passed IS NOT NULL"
    "  ORDER BY x.job_id DESC LIMIT 1) x ON true"
    " LEFT JOIN report_changes c ON c.job_id = r.job_id"
    " WHERE r.sweep_id = $1 AND r.class = 'package' AND r.rerun_of IS NULL"
    "  AND r.passed IS NOT NULL AND r.stage IS DISTINCT FROM 'build'"
    " ORDER BY r.job_id";

static const char upsert_sql[] =
    "INSERT INTO report_changes (job_id, sweep_id, project, version,"
    " platform, python, prev_job_id, prev_version, change, regression,"
    " changed_deps, new_hostile, rerun_job_id)"
    " SELECT r.job_id, r.sweep_id, r.project, r.version, r.platform,"
    "  r.python, $2, $3, $4, $5, $6::jsonb, $7, $8"
    " FROM report_results r WHERE r.job_id = $1"
    " ON CONFLICT (job_id) DO UPDATE SET prev_job_id = $2,"
    "  prev_version = $3, change = $4, regression = $5,"
    "  changed_deps = $6::jsonb, new_hostile = $7,"
    "  rerun_job_id = coalesce(report_changes.rerun_job_id, $8),"
    "  decided_at = CASE WHEN report_changes.change = $4"
    "   THEN report_changes.decided_at ELSE now() END";

/*
 * Ask the scheduler's queue for a re-run: a copy of the job's spec with
 * "rerun_of" and the same cell, through db_enqueue(). Returns the new
 * job id or -1 (logged).
 */
static int64_t
enqueue_rerun(struct db *db, const char *job)
{
	const char *p[1] = {job};
	PGresult *r;
	json_t *spec;
	struct db_job j;
	char *text;
	int64_t id = -1;

	r = db_exec(db, "read the job to re-run",
	            "SELECT platform, python, priority, max_attempts,"
	            " spec::text, coalesce(cell_id, 0) FROM jobs WHERE id = $1",
	            1, p, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return log_error("cannot re-run job %s: it is gone", job);
	}
	spec = jx_parse(PQgetvalue(r, 0, 4), (size_t)PQgetlength(r, 0, 4),
	                "job spec");
	if (!spec || !json_is_object(spec)) {
		json_decref(spec);
		PQclear(r);
		return log_error("cannot re-run job %s: its spec is not an "
		                 "object",
		                 job);
	}
	jx_set(spec, "rerun_of", json_integer(strtoll(job, NULL, 10)));
	text = jx_dumps(spec);
	j.platform = PQgetvalue(r, 0, 0);
	j.python = PQgetvalue(r, 0, 1);
	j.spec = text;
	j.priority = (int)db_col_i64(r, 0, 2) + 1;
	j.max_attempts = (int)db_col_i64(r, 0, 3);
	j.cell_id = db_col_i64(r, 0, 5);
	id = db_enqueue(db, &j);
	free(text);
	json_decref(spec);
	PQclear(r);
	return id;
}

/* A dependency's project from its file name (and version, when known). */
static void
dep_project(const json_t *d, char *out, size_t outsz)
{
	const char *name = jx_str(d, "name"), *ver = jx_str(d, "version");
	const char *cut = NULL;
	size_t n;

	out[0] = '\0';
	if (!name)
		return;
	if (ver && *ver) {
		struct buf b = BUF_INIT(512);

		buf_addf(&b, "-%s", ver);
		cut = strstr(name, buf_cstr(&b));
		buf_release(&b);
	}
	if (!cut)
		cut = strchr(name, '-');
	n = cut ? (size_t)(cut - name) : strlen(name);
	if (n >= outsz)
		n = outsz - 1;
	pep503_normalize_to(out, name, n);
}

/* "version" of a dependency, or its sha256 when the version is unknown. */
static const char *
dep_version(const json_t *d)
{
	const char *v = jx_str(d, "version");

	if (v && *v)
		return v;
	v = jx_str(d, "sha256");
	return v ? v : jx_str(d, "name");
}

/*
 * The dependencies whose files changed between two runs, as a JSON array
 * of {"name", "from", "to"} (from/to null when added/removed). Owned
 * text.
 */
static char *
deps_diff(const char *before, const char *after, const char *file_before,
          const char *file_after)
{
	json_t *a = jx_parse(before, strlen(before), "previous deps");
	json_t *b = jx_parse(after, strlen(after), "deps");
	json_t *out = json_array(), *d, *e;
	size_t i, k;
	char na[256], nb[256];
	char *s;

	if (strcmp(file_before, file_after) != 0) {
		/* the same version, another file (another wheel was chosen) */
		e = json_object();
		jx_set(e, "name", json_string("(file)"));
		jx_set(e, "from", json_string(file_before));
		jx_set(e, "to", json_string(file_after));
		jx_append(out, e);
	}
	json_array_foreach(b, i, d) {
		const char *to = dep_version(d), *from = NULL;

		dep_project(d, nb, sizeof(nb));
		json_array_foreach(a, k, e) {
			dep_project(e, na, sizeof(na));
			if (strcmp(na, nb) == 0) {
				from = dep_version(e);
				break;
			}
		}
		if (from && to && strcmp(from, to) == 0)
			continue;
		e = json_object();
		jx_set(e, "name", json_string(nb));
		jx_set(e, "from", jx_string_or_null(from));
		jx_set(e, "to", jx_string_or_null(to));
		jx_append(out, e);
	}
	json_array_foreach(a, k, e) {
		int found = 0;

		dep_project(e, na, sizeof(na));
		json_array_foreach(b, i, d) {
			dep_project(d, nb, sizeof(nb));
			if (strcmp(na, nb) == 0) {
				found = 1;
				break;
			}
		}
		if (found)
			continue;
		d = json_object();
		jx_set(d, "name", json_string(na));
		jx_set(d, "from", jx_string_or_null(dep_version(e)));
		jx_set(d, "to", json_null());
		jx_append(out, d);
	}
	s = jx_dumps(out);
	json_decref(out);
	json_decref(a);
	json_decref(b);
	return s;
}

static int
is_true(PGresult *r, int i, int col)
{
	return !PQgetisnull(r, i, col) && PQgetvalue(r, i, col)[0] == 't';
}

/*
 * The two runs had the same inputs: same release, same file, same
 * dependency files. The inputs key alone is not enough: it is a digest
 * of the files' sha256 (or names, when the index gave none), and two
 * releases whose cells carry no digest have equal keys; a new release
 * that fails was then taken for a contradiction (rerun_pending, no news,
 * no mail) instead of a release regression.
 */
static int
same_inputs(PGresult *r, int i)
{
	return strcmp(PQgetvalue(r, i, Q_VERSION),
	              PQgetvalue(r, i, Q_PVERSION)) == 0 &&
	       strcmp(PQgetvalue(r, i, Q_FILE), PQgetvalue(r, i, Q_PFILE)) == 0 &&
	       strcmp(PQgetvalue(r, i, Q_INPUTS),
	              PQgetvalue(r, i, Q_PINPUTS)) == 0;
}

int
report_changes(struct db *db, const struct cfg *cfg, int64_t sweep,
               FILE *out)
{
	static const char *const names[] = {
	    "baseline", "still_passing", "still_failing", "new_failure",
	    "fixed",    "flaky",         "rerun_pending"};
	int64_t counts[7] = {0}, reruns = 0;
	char ssweep[32];
	const char *p[1] = {ssweep};
	PGresult *r = NULL;
	int i, n, k, ret = -1;

	(void)cfg;
	snprintf(ssweep, sizeof(ssweep), "%" PRId64, sweep);
	if (db_begin(db))
		return -1;
	r = db_exec(db, "compare results with their previous ones",
	                    changes_sql, 1, p, PGRES_TUPLES_OK);
	if (!r)
		goto out;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		const char *job = PQgetvalue(r, i, Q_JOB);
		const char *change, *regression = NULL, *rerun = NULL;
		char *diff = NULL;
		char rerun_id[32];
		int passed = is_true(r, i, Q_PASSED), prev, hostile = 0;
		const char *up[8];

		if (PQgetisnull(r, i, Q_PJOB)) {
			change = "baseline";
		} else {
			prev = is_true(r, i, Q_PPASSED);
			hostile = is_true(r, i, Q_HOSTILE) &&
			          !is_true(r, i, Q_PHOSTILE);
			if (passed == prev) {
				change = passed ? "still_passing" : "still_failing";
			} else if (!same_inputs(r, i)) {
				change = passed ? "fixed" : "new_failure";
				if (!passed &&
				    strcmp(PQgetvalue(r, i, Q_VERSION),
				           PQgetvalue(r, i, Q_PVERSION)) != 0) {
					regression = "release";
				} else if (!passed) {
					regression = "dependency";
					diff = deps_diff(PQgetvalue(r, i, Q_PDEPS),
					                 PQgetvalue(r, i, Q_DEPS),
					                 PQgetvalue(r, i, Q_PFILE),
					                 PQgetvalue(r, i, Q_FILE));
				}
			} else if (!PQgetisnull(r, i, Q_XPASSED)) {
				/* the re-run settles it */
				if (is_true(r, i, Q_XPASSED) == passed) {
					change = passed ? "fixed" : "new_failure";
					regression = passed ? NULL : "same_inputs";
				} else {
					change = "flaky";
				}
			} else {
				change = "rerun_pending";
				if (PQgetisnull(r, i, Q_RERUN)) {
					int64_t id = enqueue_rerun(db, job);

					if (id < 0)
						goto out;
					snprintf(rerun_id, sizeof(rerun_id),
					         "%" PRId64, id);
					rerun = rerun_id;
					reruns++;
				}
			}
		}
		up[0] = job;
		up[1] = PQgetisnull(r, i, Q_PJOB) ? NULL : PQgetvalue(r, i, Q_PJOB);
		up[2] = PQgetisnull(r, i, Q_PJOB) ? NULL
		                                  : PQgetvalue(r, i, Q_PVERSION);
		up[3] = change;
		up[4] = regression;
		up[5] = diff;
		up[6] = hostile ? "t" : "f";
		up[7] = rerun;
		k = db_command(db, "record a change", upsert_sql, 8, up, 0);
		free(diff);
		if (k)
			goto out;
		for (k = 0; k < 7; k++)
			if (strcmp(names[k], change) == 0)
				counts[k]++;
	}
	if (db_commit(db))
		goto out;
	fprintf(out, "sweep=%" PRId64, sweep);
	for (k = 0; k < 7; k++)
		fprintf(out, " %s=%" PRId64, names[k], counts[k]);
	fprintf(out, " reruns=%" PRId64 "\n", reruns);
	ret = 0;
out:
	PQclear(r);
	if (ret)
		db_rollback(db);
	return ret;
}
