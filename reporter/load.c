/*
 * The loader (load.h). One batch: BEGIN, advisory lock, a cursor over the
 * next results rows not yet loaded or quarantined, each document parsed
 * and checked in C and written into per-table COPY buffers, then one COPY
 * per table and COMMIT. A batch that fails because the server went away
 * is retried after reconnecting (nothing was committed); a batch the
 * server refuses is retried one row at a time, and a row refused on its
 * own is quarantined with the server's message.
 */
#include "load.h"

#include "buf.h"
#include "cfg.h"
#include "jx.h"
#include "log.h"
#include "pep503.h"
#include "signature.h"
#include "xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * pg_advisory_xact_lock key of loads: "rlod". A serial load takes it
 * exclusively per batch; a worker of a parallel load (--jobs) takes it
 * shared, plus (LOAD_LOCK, p) exclusively for its partition p (PART_OF:
 * runs of 1024 consecutive job ids dealt round robin to the LOAD_PARTS
 * partitions, so a batch reads neighbouring rows, not every eighth row of
 * the whole table), so two parallel loads take turns per partition and a
 * serial one waits for every worker's batch; (LOAD_LOCK, -1) is taken
 * before a worker's first new error signature of a batch, so two workers
 * never wait on each other's uncommitted signature rows.
 */
#define LOAD_LOCK "1919709028"
/*
 * For the batch's transaction: no JIT. The cursor's estimated cost (a
 * probe per results row from $1 on, over a table of millions) is far
 * above jit_above_cost, and compiling its expressions cost more than
 * running them: 0.7 s of server CPU per batch of 1000 in report-bench
 * (docs/performance.md).
 */
#define NO_JIT "set_config('jit', 'off', true)"
#define LOAD_PARTS 8
#define PART_OF "(r.job_id / 1024 % 8)" /* 8: LOAD_PARTS */
#define FETCH_ROWS "256"
#define BATCH_BYTES (64 << 20)
#define COPY_MAX ((size_t)1 << 31)

enum {
	T_RESULTS,
	T_DETAILS,
	T_FINDINGS,
	T_QUARANTINE,
	T_COUNT
};

/* The array columns of report_details (sql/006), in COPY order. */
enum {
	A_TASK_NAME,
	A_TASK_OUTCOME,
	A_TASK_REASON,
	A_TASK_DURATION,
	A_TASK_EXIT,
	A_TASK_SIGNAL,
	A_CASE_CLASS,
	A_CASE_NAME,
	A_CASE_OUTCOME,
	A_CASE_DURATION,
	A_CASE_MESSAGE,
	A_LINT_CODE,
	A_LINT_COUNT,
	A_CHECK_NAME,
	A_CHECK_OK,
	A_CHECK_DETAIL,
	A_LEFTOVER,
	A_COUNT
};

static const char *const copy_sql[T_COUNT] = {
    "COPY report_results (job_id, cell_id, sweep_id, rerun_of, project,"
    " version, platform, python, file_name, file_sha256, deps, inputs_key,"
    " class, outcome, passed, outcome_reason, failed_task, signature_id,"
    " hostile, findings, findings_dropped, tests_total, tests_passed,"
    " tests_failed, tests_errors, tests_skipped, tests_duration_ms,"
    " cases_dropped, coverage_percent, coverage_lines, coverage_covered,"
    " lint_lines, pycodestyle, pyflakes, pycodestyle_per_kloc,"
    " pyflakes_per_kloc, metadata_score, metadata_max, uninstall_exit,"
    " leftovers, infra_retries, infra_evidence, duration_ms, finished_at,"
    " stage) FROM STDIN",
    "COPY report_details (job_id, task_name, task_outcome, task_reason,"
    " task_duration_ms, task_exit_status, task_signal, case_classname,"
    " case_name, case_outcome, case_duration_ms, case_message, lint_code,"
    " lint_count, check_name, check_ok, check_detail, leftover) FROM STDIN",
    "COPY report_findings (job_id, seq, kind, severity, task, detail,"
    " evidence) FROM STDIN",
    "COPY report_quarantine (job_id, reason) FROM STDIN",
};

/* Columns of the batch query, in order. */
enum {
	C_JOB,
	C_CLASS,
	C_OUTCOME,
	C_RETRIES,
	C_DURATION,
	C_CREATED,
	C_RAWTYPE,
	C_RESULT,
	C_RUNNER,
	C_AGENTERR,
	C_LOGTAIL,
	C_PLATFORM,
	C_PYTHON,
	C_PROJECT,
	C_VERSION,
	C_CELL,
	C_SWEEP,
	C_FILE,
	C_SHA,
	C_DEPS,
	C_INPUTS,
	C_RERUN,
	C_STAGE,
};

/*
 * The batch query: identity from the job (and its cell when sql/002 is
 * there), the three parts of the document the loader reads (result,
 * runner, agent_error: each a subtree printed as is, where `raw - 'logs'`
 * rebuilt the whole document before printing it, ~30% of a row's cost in
 * the server), and the tail of the logs of the tasks that failed (for the
 * signature of a package result that did not pass: the only ones whose
 * signature reads it, see load_row; for the others the subquery was ~20
 * us a row). The ids come first (a materialized CTE) so the heavy columns
 * are computed for the batch's rows only, not for every row left before
 * the sort and the limit. The
 * "loaded" tests are probes per results row read from $1 on (OFFSET 0
 * keeps the planner from making them an anti join: a hash or merge join
 * that read every report_results row loaded so far for each batch,
 * O(loaded) per batch).
 * %s: the partition filter, the cell join and fields.
 */
static const char batch_fmt[] =
    "DECLARE load_cur NO SCROLL CURSOR FOR"
    " WITH ids AS MATERIALIZED (SELECT r.job_id FROM results r"
    "  WHERE r.job_id > $1%s"
    "   AND NOT EXISTS (SELECT 1 FROM report_results x"
    "    WHERE x.job_id = r.job_id OFFSET 0)"
    "   AND NOT EXISTS (SELECT 1 FROM report_quarantine q"
    "    WHERE q.job_id = r.job_id OFFSET 0)"
    "  ORDER BY r.job_id LIMIT $2)"
    " SELECT r.job_id, r.class, r.outcome, r.infra_retries, r.duration_ms,"
    "  r.created_at, jsonb_typeof(r.raw),"
    "  (r.raw->'result')::text, (r.raw->'runner')::text,"
    "  CASE WHEN r.class <> 'package' THEN (r.raw->'agent_error')::text END,"
    "  CASE WHEN r.class = 'package'"
    "   AND r.outcome IS DISTINCT FROM 'passed'"
    "   AND r.outcome IS DISTINCT FROM 'no_tests'"
    "   AND jsonb_typeof(r.raw->'logs') = 'object' THEN"
    "   (SELECT string_agg(right(l.v->>'text', " "32768" "), E'\\n'"
    "     ORDER BY l.k) FROM jsonb_each(r.raw->'logs') l(k, v)"
    "    WHERE jsonb_typeof(l.v) = 'object'"
    "     AND jsonb_typeof(l.v->'text') = 'string'"
    "     AND (l.k = 'stderr.log' OR l.k IN (SELECT t->>'name' || '.log'"
    "      FROM jsonb_array_elements(CASE WHEN"
    "       jsonb_typeof(r.raw->'result'->'tasks') = 'array'"
    "       THEN r.raw->'result'->'tasks' ELSE '[]' END) t"
    "      WHERE jsonb_typeof(t) = 'object'"
    "       AND t->>'outcome' IN ('failed', 'timeout'))))"
    "  END,"
    "  j.platform, j.python,"
    "  coalesce(%s j.spec->>'project', j.spec->'dist'->>'name', '?'),"
    "  coalesce(%s j.spec->>'dist_version', '?'),"
    "  %s, %s,"
    "  coalesce(%s j.spec->'dist'->>'name'),"
    "  coalesce(%s j.spec->'dist'->>'sha256'),"
    "  d.deps::text,"
    "  md5(coalesce(%s j.spec->'dist'->>'sha256', '') || '|' ||"
    "   coalesce((SELECT string_agg(coalesce(e->>'sha256', e->>'name', ''),"
    "    ',' ORDER BY coalesce(e->>'sha256', e->>'name', ''))"
    "    FROM jsonb_array_elements(d.deps) e"
    "    WHERE jsonb_typeof(e) = 'object'), '')),"
    "  CASE WHEN j.spec->>'rerun_of' ~ '^[0-9]{1,18}$'"
    "   THEN j.spec->>'rerun_of' END,"
    "  left(j.spec->>'stage', 32)"
    " FROM ids JOIN results r ON r.job_id = ids.job_id"
    " JOIN jobs j ON j.id = r.job_id %s"
    " CROSS JOIN LATERAL (SELECT CASE"
    "   WHEN jsonb_typeof(coalesce(%s j.spec->'deps')) = 'array'"
    "   THEN coalesce(%s j.spec->'deps') ELSE '[]'::jsonb END AS deps) d"
    " ORDER BY r.job_id";

/* conn is usable (not dropped by db_exec after a failure) */
static int
db_alive(struct db *db)
{
	return db_conn(db) && PQstatus(db_conn(db)) == CONNECTION_OK;
}

/*
 * COPY len bytes of escaped text with the statement sql (db.h does not
 * wrap COPY). Returns 0 or -1 (logged); a failed COPY leaves the
 * transaction aborted for the caller to roll back.
 */
static int
copy_in(struct db *db, const char *what, const char *sql, const char *data,
        size_t len, char *err, size_t errsz)
{
	PGconn *c = db_conn(db);
	PGresult *r;
	char *m;
	int ret = 0;

	if (!c)
		return log_error("cannot %s: not connected", what);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		m = db_error(db, r);
		log_error("cannot %s: %s", what, m);
		free(m);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	while (len > 0 && ret == 0) {
		int chunk = len > (1 << 20) ? (1 << 20) : (int)len;

		if (PQputCopyData(c, data, chunk) != 1)
			ret = -1;
		data += chunk;
		len -= (size_t)chunk;
	}
	if (PQputCopyEnd(c, ret ? "aborted" : NULL) != 1)
		ret = -1;
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && ret == 0) {
			m = db_error(db, r);
			log_error("cannot %s: %s", what, m);
			snprintf(err, errsz, "%s", m);
			free(m);
			ret = -1;
		}
		PQclear(r);
	}
	if (ret && PQstatus(c) != CONNECTION_OK)
		log_error("cannot %s: connection lost", what);
	return ret;
}

struct sigcache {
	char **sig;
	int64_t *id;
	size_t n, cap;
};

struct loader {
	struct db *db;
	const struct report_load_opts *opts;
	struct report_load_stats *stats;
	char *batch_sql;
	struct buf out[T_COUNT];
	struct buf arr[A_COUNT]; /* one row's report_details arrays */
	struct sigcache sigs;
	int part;       /* this worker's partition, or -1 (a serial load) */
	int sig_locked; /* the signature lock is held by this batch */
	int64_t rows;   /* rows in this batch */
	int64_t loaded, quarantined;
	char refused[512]; /* the server's reason for the last failed COPY */
};

/* len cut to at most max bytes, on a UTF-8 character boundary */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	return len;
}

int
report_copy_field(struct buf *b, const char *s, size_t len, size_t max)
{
	size_t i, start = 0;

	if (!s)
		return buf_add(b, "\\N", 2);
	len = utf8_cut(s, len, max);
	for (i = 0; i < len; i++) {
		const char *esc = NULL;

		switch (s[i]) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\0':
			esc = " "; /* PostgreSQL text has no NUL */
			break;
		default:
			continue;
		}
		if (buf_add(b, s + start, i - start) || buf_adds(b, esc))
			return -1;
		start = i + 1;
	}
	return buf_add(b, s + start, len - start);
}

/* Field helpers: each appends one field and its separator. */
static void
f_str(struct buf *b, const char *s, size_t max)
{
	report_copy_field(b, s, s ? strlen(s) : 0, max);
	buf_addc(b, '\t');
}

static void
f_int(struct buf *b, int has, int64_t v)
{
	if (has)
		buf_addf(b, "%" PRId64 "\t", v);
	else
		buf_adds(b, "\\N\t");
}

static void
f_bool(struct buf *b, int v)
{
	buf_adds(b, v < 0 ? "\\N\t" : v ? "t\t" : "f\t");
}

static void
f_end(struct buf *b)
{
	/* replace the last tab with the row's newline */
	if (b->len > 0 && b->data[b->len - 1] == '\t')
		b->len--;
	buf_addc(b, '\n');
}

/*
 * Array literals ('{"a",NULL,"b"}') for report_details, built one element
 * at a time, then written as one COPY field by a_end.
 */
static void
a_sep(struct buf *a)
{
	buf_addc(a, a->len == 0 ? '{' : ',');
}

static void
a_str(struct buf *a, const char *s, size_t max)
{
	size_t i, len, start = 0;

	a_sep(a);
	if (!s) {
		buf_adds(a, "NULL");
		return;
	}
	len = utf8_cut(s, strlen(s), max);
	buf_addc(a, '"');
	for (i = 0; i < len; i++) {
		if (s[i] != '"' && s[i] != '\\')
			continue;
		buf_add(a, s + start, i - start);
		buf_addc(a, '\\');
		start = i;
	}
	buf_add(a, s + start, len - start);
	buf_addc(a, '"');
}

static void
a_int(struct buf *a, int has, int64_t v)
{
	a_sep(a);
	if (has)
		buf_addf(a, "%" PRId64, v);
	else
		buf_adds(a, "NULL");
}

static void
a_bool(struct buf *a, int v)
{
	a_sep(a);
	buf_adds(a, v ? "t" : "f");
}

/* the array as the next COPY field of b; the array is reset */
static void
a_end(struct buf *b, struct buf *a)
{
	if (a->len == 0)
		buf_addc(a, '{');
	buf_addc(a, '}');
	report_copy_field(b, a->data, a->len, COPY_MAX);
	buf_addc(b, '\t');
	buf_reset(a);
}

/* A non-negative integer that fits a PostgreSQL integer, else absent. */
static int
get_count(const json_t *o, const char *key, int64_t *v)
{
	return jx_int(o, key, v) == 0 && *v >= 0 && *v <= INT32_MAX;
}

static int
get_i32(const json_t *o, const char *key, int64_t *v)
{
	return jx_int(o, key, v) == 0 && *v >= INT32_MIN && *v <= INT32_MAX;
}

static int
get_ms(const json_t *o, const char *key, int64_t *v)
{
	return jx_int(o, key, v) == 0 && *v >= 0 &&
	       *v <= (int64_t)1000 * 86400 * 365;
}

/* A real number in [lo, hi], else absent. */
static int
get_real(const json_t *o, const char *key, double lo, double hi, double *v)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_number(j))
		return 0;
	*v = json_number_value(j);
	return isfinite(*v) && *v >= lo && *v <= hi;
}

static void
f_real(struct buf *b, int has, double v)
{
	if (has)
		buf_addf(b, "%.2f\t", v);
	else
		buf_adds(b, "\\N\t");
}

/*
 * The numeric columns of report_results, in COPY order, each from one
 * object of the result: a count (integer >= 0), milliseconds, a signed
 * 32-bit integer or a real in [lo, hi]; anything else is NULL.
 */
enum { FROM_TOTALS, FROM_COV, FROM_LINT, FROM_MD, FROM_UN };
enum { NUM_COUNT, NUM_MS, NUM_I32, NUM_REAL };

struct num_field {
	int from, kind;
	const char *key;
	double hi;
};

/*
 * In COPY order, but for cases_dropped, which comes between the test
 * totals (the first NUM_TOTALS) and the figures, and is the caller's.
 */
static const struct num_field num_fields[] = {
    {FROM_TOTALS, NUM_COUNT, "tests", 0},
    {FROM_TOTALS, NUM_COUNT, "passed", 0},
    {FROM_TOTALS, NUM_COUNT, "failed", 0},
    {FROM_TOTALS, NUM_COUNT, "errors", 0},
    {FROM_TOTALS, NUM_COUNT, "skipped", 0},
    {FROM_TOTALS, NUM_MS, "duration_ms", 0},
#define NUM_TOTALS 6 /* the test totals above; the figures follow */
    {FROM_COV, NUM_REAL, "percent", 100},
    {FROM_COV, NUM_COUNT, "lines", 0},
    {FROM_COV, NUM_COUNT, "covered", 0},
    {FROM_LINT, NUM_COUNT, "lines", 0},
    {FROM_LINT, NUM_COUNT, "pycodestyle", 0},
    {FROM_LINT, NUM_COUNT, "pyflakes", 0},
    {FROM_LINT, NUM_REAL, "pycodestyle_per_kloc", 1e9},
    {FROM_LINT, NUM_REAL, "pyflakes_per_kloc", 1e9},
    {FROM_MD, NUM_COUNT, "score", 0},
    {FROM_MD, NUM_COUNT, "max_score", 0},
    {FROM_UN, NUM_I32, "exit_status", 0},
};

/* COPY fields for num_fields[lo, hi), each read from its object. */
static void
f_nums(struct buf *b, size_t lo, size_t hi, const json_t *totals,
       const json_t *cov, const json_t *lint, const json_t *md,
       const json_t *un)
{
	const json_t *from[] = {totals, cov, lint, md, un};
	const struct num_field *f;

	for (f = num_fields + lo; f < num_fields + hi; f++) {
		const json_t *o = from[f->from];
		int64_t x = 0;
		double d = 0;
		int has;

		if (f->kind == NUM_REAL) {
			has = get_real(o, f->key, 0, f->hi, &d);
			f_real(b, has, d);
			continue;
		}
		has = f->kind == NUM_COUNT ? get_count(o, f->key, &x)
		      : f->kind == NUM_MS  ? get_ms(o, f->key, &x)
		                           : get_i32(o, f->key, &x);
		f_int(b, has, x);
	}
}

/*
 * A bounded deep copy of untrusted JSON: strings cut to maxstr bytes,
 * arrays and objects to maxitems members, depth to 4. New reference.
 */
static json_t *
bounded(json_t *v, int depth, size_t maxstr, size_t maxitems)
{
	json_t *out;
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_STRING: {
		const char *s = json_string_value(v);

		n = json_string_length(v);
		if (n > maxstr) {
			n = maxstr;
			while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
				n--;
		}
		out = json_stringn(s, n);
		return out ? out : json_null();
	}
	case JSON_ARRAY:
		out = json_array();
		if (depth <= 0)
			return out;
		n = json_array_size(v);
		for (i = 0; i < n && i < maxitems; i++)
			jx_append(out, bounded(json_array_get(v, i), depth - 1,
			                       maxstr, maxitems));
		return out;
	case JSON_OBJECT: {
		const char *k;
		json_t *m;

		out = json_object();
		if (depth <= 0)
			return out;
		i = 0;
		json_object_foreach(v, k, m) {
			if (i++ >= maxitems || strlen(k) > REPORT_NAME_MAX)
				break;
			jx_set(out, k, bounded(m, depth - 1, maxstr, maxitems));
		}
		return out;
	}
	default:
		return json_deep_copy(v);
	}
}

static void
f_json(struct buf *b, const json_t *v)
{
	char *s;

	if (!v || json_is_null(v)) {
		buf_adds(b, "\\N\t");
		return;
	}
	s = jx_dumps(v);
	report_copy_field(b, s, strlen(s), COPY_MAX);
	buf_addc(b, '\t');
	free(s);
}

/* Type checks that name the key for the quarantine reason. */
static const char *
want(const json_t *parent, const char *key, json_type type, const char *path,
     char *why, size_t whysz)
{
	const json_t *v = json_object_get(parent, key);
	static const char *const names[] = {"an object", "an array", "a string",
	                                    "an integer", "a number", "true",
	                                    "false", "null"};

	if (!v || json_is_null(v) || json_typeof(v) == type)
		return NULL;
	snprintf(why, whysz, "%s.%s is not %s", path, key, names[type]);
	return why;
}

static const char *
want_objects(const json_t *arr, const char *path, char *why, size_t whysz)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (!json_is_object(v)) {
			snprintf(why, whysz, "%s[%zu] is not an object", path,
			         i);
			return why;
		}
	}
	return NULL;
}

/* The shape check: NULL when the document can be loaded, else why not. */
static const char *
check_shape(const json_t *raw, const char *cls, char *why, size_t whysz)
{
	const json_t *res, *tests;
	const char *w;

	if (!json_is_object(raw))
		return "raw is not a JSON object";
	if ((w = want(raw, "result", JSON_OBJECT, "raw", why, whysz)) ||
	    (w = want(raw, "runner", JSON_OBJECT, "raw", why, whysz)))
		return w;
	res = json_object_get(raw, "result");
	if (!json_is_object(res))
		return strcmp(cls, "package") == 0 ? "raw.result is missing" : NULL;
	if ((w = want(res, "tasks", JSON_ARRAY, "result", why, whysz)) ||
	    (w = want(res, "findings", JSON_ARRAY, "result", why, whysz)) ||
	    (w = want(res, "tests", JSON_OBJECT, "result", why, whysz)) ||
	    (w = want(res, "coverage", JSON_OBJECT, "result", why, whysz)) ||
	    (w = want(res, "lint", JSON_OBJECT, "result", why, whysz)) ||
	    (w = want(res, "uninstall", JSON_OBJECT, "result", why, whysz)) ||
	    (w = want(res, "metadata", JSON_OBJECT, "result", why, whysz)))
		return w;
	if ((w = want_objects(json_object_get(res, "tasks"), "result.tasks", why,
	                      whysz)) ||
	    (w = want_objects(json_object_get(res, "findings"),
	                      "result.findings", why, whysz)))
		return w;
	tests = json_object_get(res, "tests");
	if ((w = want(tests, "cases", JSON_ARRAY, "result.tests", why, whysz)) ||
	    (w = want(tests, "totals", JSON_OBJECT, "result.tests", why,
	              whysz)) ||
	    (w = want_objects(json_object_get(tests, "cases"),
	                      "result.tests.cases", why, whysz)))
		return w;
	if ((w = want(json_object_get(res, "lint"), "codes", JSON_OBJECT,
	              "result.lint", why, whysz)) ||
	    (w = want(json_object_get(res, "uninstall"), "leftovers",
	              JSON_ARRAY, "result.uninstall", why, whysz)) ||
	    (w = want(json_object_get(res, "metadata"), "checks", JSON_ARRAY,
	              "result.metadata", why, whysz)) ||
	    (w = want_objects(
	         json_object_get(json_object_get(res, "metadata"), "checks"),
	         "result.metadata.checks", why, whysz)))
		return w;
	return NULL;
}

/* The id of a signature, inserting it when new. -1 (logged) on failure. */
static int64_t
signature_id(struct loader *L, const char *sig, const char *kind,
             const char *job)
{
	struct sigcache *c = &L->sigs;
	const char *p[3] = {sig, kind, job};
	PGresult *r;
	int64_t id;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->sig[i], sig) == 0)
			return c->id[i];
	if (L->part >= 0 && !L->sig_locked) {
		/* a statement of its own: the insert's snapshot must see the
		 * signatures the last holder committed */
		if (db_command(L->db, "take the signature lock",
		               "SELECT pg_advisory_xact_lock(" LOAD_LOCK ", -1)",
		               0, NULL, 1))
			return -1;
		L->sig_locked = 1;
	}
	r = db_exec(
	    L->db, "store an error signature",
	    "WITH i AS (INSERT INTO report_signatures (signature, kind,"
	    " first_job_id) VALUES ($1, $2, $3) ON CONFLICT (signature)"
	    " DO NOTHING RETURNING id)"
	    " SELECT id FROM i UNION ALL"
	    " SELECT id FROM report_signatures WHERE signature = $1",
	    3, p, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->sig = xreallocarray(c->sig, c->cap, sizeof(*c->sig));
		c->id = xreallocarray(c->id, c->cap, sizeof(*c->id));
	}
	c->sig[c->n] = xstrdup(sig);
	c->id[c->n++] = id;
	return id;
}

static void
sigcache_clear(struct sigcache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->sig[i]);
	c->n = 0;
}

static int
is_pass(const char *outcome)
{
	return strcmp(outcome, "passed") == 0 || strcmp(outcome, "no_tests") == 0;
}

/* Package outcomes that say nothing about the package: pyti did not
 * deliver a dependency (of the build, the install or the tests), or no
 * task was asked for. */
static int
no_verdict(const char *outcome)
{
	return strcmp(outcome, "deps_missing") == 0 ||
	       strcmp(outcome, "tests_deps_missing") == 0 ||
	       strcmp(outcome, "not_requested") == 0;
}

static void
quarantine(struct loader *L, const char *job, const char *why)
{
	struct buf *b = &L->out[T_QUARANTINE];

	f_str(b, job, 32);
	f_str(b, why, REPORT_TEXT_MAX);
	f_end(b);
	L->quarantined++;
}

/*
 * The parts of row i's document that the loader reads, as one object with
 * the document's keys result, runner and agent_error (each when the
 * document has it; agent_error for infrastructure results only). NULL
 * with *why set when the document is not an object or a part is not JSON
 * that jansson takes (an integer beyond 64 bits).
 */
static json_t *
raw_parts(PGresult *r, int i, const char **why)
{
	static const struct {
		int col;
		const char *key;
	} parts[] = {
	    {C_RESULT, "result"},
	    {C_RUNNER, "runner"},
	    {C_AGENTERR, "agent_error"},
	};
	json_error_t err;
	json_t *raw, *v;
	size_t k;

	if (strcmp(PQgetvalue(r, i, C_RAWTYPE), "object") != 0) {
		*why = "raw is not a JSON object";
		return NULL;
	}
	raw = json_object();
	for (k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		if (PQgetisnull(r, i, parts[k].col))
			continue;
		/* any value: "result": null is a quarantine reason */
		v = json_loadb(PQgetvalue(r, i, parts[k].col),
		               (size_t)PQgetlength(r, i, parts[k].col),
		               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
		if (!v) {
			log_error("cannot parse raw results: %s: %s",
			          parts[k].key, err.text);
			json_decref(raw);
			*why = "raw is not valid JSON";
			return NULL;
		}
		jx_set(raw, parts[k].key, v);
	}
	return raw;
}

/* One row: the document into the COPY buffers, or into quarantine. */
static int
load_row(struct loader *L, PGresult *r, int i)
{
	const char *job = PQgetvalue(r, i, C_JOB);
	const char *cls = PQgetvalue(r, i, C_CLASS);
	const char *outcome = PQgetvalue(r, i, C_OUTCOME);
	char why[256], project[REPORT_NAME_MAX + 1], sig[REPORT_SIG_MAX];
	const char *w = NULL, *failed_task = NULL, *reason = NULL;
	json_t *raw, *deps = NULL, *res, *ev = NULL, *v;
	const json_t *tasks, *findings, *tests, *totals, *cov, *lint, *un, *md,
	    *runner;
	struct buf *b;
	size_t k, n, pn;
	int hostile = 0, pkg = strcmp(cls, "package") == 0, has;
	int64_t x, sigid = 0, nfind = 0, dropped = 0, ncases = 0;
	enum report_sig_kind kind;

	raw = raw_parts(r, i, &w);
	if (!raw) {
		quarantine(L, job, w);
		return 0;
	}
	if ((w = check_shape(raw, cls, why, sizeof(why)))) {
		quarantine(L, job, w);
		json_decref(raw);
		return 0;
	}
	res = json_object_get(raw, "result");
	runner = json_object_get(raw, "runner");
	tasks = json_object_get(res, "tasks");
	findings = json_object_get(res, "findings");
	tests = json_object_get(res, "tests");
	totals = json_object_get(tests, "totals");
	cov = json_object_get(res, "coverage");
	lint = json_object_get(res, "lint");
	un = json_object_get(res, "uninstall");
	md = json_object_get(res, "metadata");

	json_array_foreach(tasks, k, v) {
		const char *o = jx_str(v, "outcome");

		if (o && (!strcmp(o, "failed") || !strcmp(o, "timeout"))) {
			failed_task = jx_str(v, "name");
			reason = jx_str(v, "reason");
			break;
		}
	}
	json_array_foreach(findings, k, v) {
		const char *sev = jx_str(v, "severity");

		if (sev && strcmp(sev, "critical") == 0)
			hostile = 1;
	}
	if (json_is_true(json_object_get(res, "hostile")))
		hostile = 1;

	/* the error signature of a failure or an infrastructure outcome */
	if (!pkg || !is_pass(outcome)) {
		const char *tail = PQgetvalue(r, i, C_LOGTAIL);

		kind = REPORT_SIG_NONE;
		if (pkg)
			kind = report_signature(tail,
			                        (size_t)PQgetlength(r, i, C_LOGTAIL),
			                        sig, sizeof(sig));
		if (kind == REPORT_SIG_NONE) {
			char rs[160] = "";

			if (reason)
				report_sig_normalize(reason, strlen(reason), rs,
				                     sizeof(rs));
			snprintf(sig, sizeof(sig), "%s%s%s%s%s",
			         pkg ? "" : "infra: ", outcome,
			         failed_task ? " in " : "",
			         failed_task ? failed_task : "",
			         rs[0] ? ": " : "");
			if (rs[0])
				snprintf(sig + strlen(sig), sizeof(sig) - strlen(sig),
				         "%s", rs);
			/* the task name is the guest's: keep it printable */
			for (k = 0; sig[k]; k++)
				if ((unsigned char)sig[k] < 0x20)
					sig[k] = ' ';
		}
		sigid = signature_id(L, sig, report_sig_kind_name(kind), job);
		if (sigid < 0) {
			json_decref(raw);
			return -1;
		}
	}

	b = &L->out[T_RESULTS];
	f_str(b, job, 32);
	f_str(b, PQgetisnull(r, i, C_CELL) ? NULL : PQgetvalue(r, i, C_CELL), 32);
	f_str(b, PQgetisnull(r, i, C_SWEEP) ? NULL : PQgetvalue(r, i, C_SWEEP),
	      32);
	f_str(b, PQgetisnull(r, i, C_RERUN) ? NULL : PQgetvalue(r, i, C_RERUN),
	      32);
	pn = strlen(PQgetvalue(r, i, C_PROJECT));
	if (pn > REPORT_NAME_MAX)
		pn = REPORT_NAME_MAX;
	pep503_normalize_to(project, PQgetvalue(r, i, C_PROJECT), pn);
	f_str(b, project, REPORT_NAME_MAX);
	f_str(b, PQgetvalue(r, i, C_VERSION), REPORT_NAME_MAX);
	f_str(b, PQgetvalue(r, i, C_PLATFORM), REPORT_NAME_MAX);
	f_str(b, PQgetvalue(r, i, C_PYTHON), REPORT_NAME_MAX);
	f_str(b, PQgetisnull(r, i, C_FILE) ? NULL : PQgetvalue(r, i, C_FILE),
	      REPORT_NAME_MAX);
	f_str(b, PQgetisnull(r, i, C_SHA) ? NULL : PQgetvalue(r, i, C_SHA), 64);
	{
		json_t *all = jx_parse(PQgetvalue(r, i, C_DEPS),
		                       (size_t)PQgetlength(r, i, C_DEPS), "deps");

		deps = all ? bounded(all, 2, REPORT_NAME_MAX, 1024) : json_array();
		json_decref(all);
		f_json(b, deps);
	}
	f_str(b, PQgetvalue(r, i, C_INPUTS), 64);
	f_str(b, cls, 16);
	f_str(b, outcome, REPORT_NAME_MAX);
	f_bool(b, pkg && !no_verdict(outcome) ? is_pass(outcome) : -1);
	f_str(b, jx_str(res, "outcome_reason"), REPORT_TEXT_MAX);
	f_str(b, failed_task, REPORT_NAME_MAX);
	f_int(b, sigid > 0, sigid);
	f_bool(b, hostile);
	nfind = (int64_t)json_array_size(findings);
	if (nfind > REPORT_FINDINGS_MAX) {
		dropped = nfind - REPORT_FINDINGS_MAX;
		nfind = REPORT_FINDINGS_MAX;
	}
	if (get_count(res, "findings_dropped", &x))
		dropped += x > INT32_MAX - dropped ? 0 : x;
	f_int(b, 1, nfind);
	f_int(b, 1, dropped > INT32_MAX ? INT32_MAX : dropped);
	f_nums(b, 0, NUM_TOTALS, totals, NULL, NULL, NULL, NULL);
	ncases = (int64_t)json_array_size(json_object_get(tests, "cases"));
	dropped = ncases > REPORT_CASES_MAX ? ncases - REPORT_CASES_MAX : 0;
	if (get_count(tests, "cases_dropped", &x))
		dropped += x > INT32_MAX - dropped ? 0 : x;
	f_int(b, 1, dropped);
	f_nums(b, NUM_TOTALS, sizeof(num_fields) / sizeof(num_fields[0]),
	       totals, cov, lint, md, un);
	n = json_array_size(json_object_get(un, "leftovers"));
	f_int(b, 1, (int64_t)(n > REPORT_LEFTOVERS_MAX ? REPORT_LEFTOVERS_MAX : n));
	f_int(b, 1, strtoll(PQgetvalue(r, i, C_RETRIES), NULL, 10));
	if (!pkg) {
		/* the runner's evidence for an infrastructure outcome */
		ev = json_object();
		if (runner) {
			const char *keys[] = {"infra", "infra_detail", "attempts"};

			for (k = 0; k < 3; k++)
				if ((v = json_object_get(runner, keys[k])))
					jx_set(ev, keys[k],
					       bounded(v, 3, REPORT_TEXT_MAX, 16));
		}
		if ((v = json_object_get(raw, "agent_error")) && !json_is_null(v))
			jx_set(ev, "agent_error",
			       bounded(v, 2, REPORT_TEXT_MAX, 16));
	}
	f_json(b, ev);
	f_str(b, PQgetisnull(r, i, C_DURATION) ? NULL
	                                       : PQgetvalue(r, i, C_DURATION),
	      32);
	f_str(b, PQgetvalue(r, i, C_CREATED), 64);
	f_str(b, PQgetisnull(r, i, C_STAGE) ? NULL : PQgetvalue(r, i, C_STAGE),
	      32);
	f_end(b);

	b = &L->out[T_FINDINGS];
	json_array_foreach(findings, k, v) {
		json_t *e;

		if (k >= REPORT_FINDINGS_MAX)
			break;
		f_str(b, job, 32);
		f_int(b, 1, (int64_t)k);
		f_str(b, jx_str_or(v, "kind", "?"), REPORT_NAME_MAX);
		f_str(b, jx_str_or(v, "severity", "?"), REPORT_NAME_MAX);
		f_str(b, jx_str(v, "task"), REPORT_NAME_MAX);
		f_str(b, jx_str(v, "detail"), REPORT_TEXT_MAX);
		e = json_object_get(v, "evidence");
		e = json_is_object(e) ? bounded(e, 2, 1024, 32) : NULL;
		f_json(b, e);
		json_decref(e);
		f_end(b);
	}
	/* the rest of the result: one report_details row of arrays */
	json_array_foreach(tasks, k, v) {
		if (k >= REPORT_TASKS_MAX)
			break;
		a_str(&L->arr[A_TASK_NAME], jx_str_or(v, "name", "?"),
		      REPORT_NAME_MAX);
		a_str(&L->arr[A_TASK_OUTCOME], jx_str_or(v, "outcome", "?"),
		      REPORT_NAME_MAX);
		a_str(&L->arr[A_TASK_REASON], jx_str(v, "reason"),
		      REPORT_TEXT_MAX);
		has = get_ms(v, "duration_ms", &x);
		a_int(&L->arr[A_TASK_DURATION], has, x);
		has = get_i32(v, "exit_status", &x);
		a_int(&L->arr[A_TASK_EXIT], has, x);
		has = get_i32(v, "signal", &x);
		a_int(&L->arr[A_TASK_SIGNAL], has, x);
	}
	json_array_foreach(json_object_get(tests, "cases"), k, v) {
		if (k >= REPORT_CASES_MAX)
			break;
		a_str(&L->arr[A_CASE_CLASS], jx_str_or(v, "classname", ""),
		      REPORT_NAME_MAX);
		a_str(&L->arr[A_CASE_NAME], jx_str_or(v, "name", "?"),
		      REPORT_NAME_MAX);
		a_str(&L->arr[A_CASE_OUTCOME], jx_str_or(v, "outcome", "?"),
		      16);
		has = get_ms(v, "duration_ms", &x);
		a_int(&L->arr[A_CASE_DURATION], has, x);
		a_str(&L->arr[A_CASE_MESSAGE], jx_str(v, "message"), 512);
	}
	{
		const char *code;
		json_t *cnt;

		k = 0;
		json_object_foreach(json_object_get(lint, "codes"), code, cnt) {
			if (k++ >= REPORT_CODES_MAX)
				break;
			if (!json_is_integer(cnt) || json_integer_value(cnt) < 0 ||
			    json_integer_value(cnt) > INT32_MAX ||
			    strlen(code) > 16)
				continue;
			a_str(&L->arr[A_LINT_CODE], code, 16);
			a_int(&L->arr[A_LINT_COUNT], 1, json_integer_value(cnt));
		}
	}
	{
		/* check names are keys: the first of each name wins */
		const char *seen[REPORT_CHECKS_MAX];
		size_t nseen = 0, s;

		json_array_foreach(json_object_get(md, "checks"), k, v) {
			const char *name = jx_str(v, "name");

			if (k >= REPORT_CHECKS_MAX)
				break;
			if (!name || strlen(name) > 64)
				continue;
			for (s = 0; s < nseen; s++)
				if (!strcmp(seen[s], name))
					break;
			if (s < nseen)
				continue;
			seen[nseen++] = name;
			a_str(&L->arr[A_CHECK_NAME], name, 64);
			a_bool(&L->arr[A_CHECK_OK],
			       json_is_true(json_object_get(v, "ok")));
			a_str(&L->arr[A_CHECK_DETAIL], jx_str(v, "detail"),
			      REPORT_TEXT_MAX);
		}
	}
	json_array_foreach(json_object_get(un, "leftovers"), k, v) {
		if (k >= REPORT_LEFTOVERS_MAX)
			break;
		if (json_is_string(v))
			a_str(&L->arr[A_LEFTOVER], json_string_value(v),
			      REPORT_TEXT_MAX);
	}
	b = &L->out[T_DETAILS];
	f_str(b, job, 32);
	for (k = 0; k < A_COUNT; k++)
		a_end(b, &L->arr[k]);
	f_end(b);
	json_decref(deps);
	json_decref(ev);
	json_decref(raw);
	L->loaded++;
	return 0;
}

static void
reset_batch(struct loader *L)
{
	int t;

	for (t = 0; t < T_COUNT; t++)
		buf_reset(&L->out[t]);
	for (t = 0; t < A_COUNT; t++)
		buf_reset(&L->arr[t]);
	L->rows = L->loaded = L->quarantined = 0;
	L->sig_locked = 0;
}

static size_t
pending_bytes(const struct loader *L)
{
	size_t n = 0;
	int t;

	for (t = 0; t < T_COUNT; t++)
		n += L->out[t].len;
	return n;
}

/*
 * One transaction over at most `limit` rows after *after. Returns 0
 * (committed; *after advanced, *done set when no row was left), or -1
 * (rolled back or connection lost).
 */
static int
batch(struct loader *L, int64_t *after, int limit, int *done)
{
	char safter[32], slimit[16], spart[16];
	const char *p[2] = {safter, slimit}, *pp[1] = {spart};
	int64_t last = *after;
	PGresult *r = NULL;
	int t, i, n;

	reset_batch(L);
	snprintf(safter, sizeof(safter), "%" PRId64, *after);
	snprintf(slimit, sizeof(slimit), "%d", limit);
	snprintf(spart, sizeof(spart), "%d", L->part);
	if (db_begin(L->db) ||
	    (L->part < 0 &&
	     db_command(L->db, "take the load lock",
	                "SELECT " NO_JIT ", pg_advisory_xact_lock(" LOAD_LOCK ")",
	                0, NULL, 1)) ||
	    (L->part >= 0 &&
	     db_command(L->db, "take the load locks",
	                "SELECT " NO_JIT ", pg_advisory_xact_lock_shared("
	                LOAD_LOCK "), pg_advisory_xact_lock(" LOAD_LOCK
	                ", $1::int)",
	                1, pp, 1)) ||
	    db_command(L->db, "select results to load", L->batch_sql, 2,
	                      p, 0))
		goto fail;
	for (;;) {
		r = db_exec(L->db, "read results",
		                    "FETCH " FETCH_ROWS " FROM load_cur", 0, NULL, PGRES_TUPLES_OK);
		if (!r)
			goto fail;
		n = PQntuples(r);
		for (i = 0; i < n; i++) {
			if (load_row(L, r, i))
				goto fail;
			last = strtoll(PQgetvalue(r, i, C_JOB), NULL, 10);
			L->rows++;
		}
		PQclear(r);
		r = NULL;
		if (n == 0 || pending_bytes(L) > BATCH_BYTES)
			break;
	}
	if (db_command(L->db, "close the cursor", "CLOSE load_cur", 0,
	                      NULL, 0))
		goto fail;
	for (t = 0; t < T_COUNT; t++) {
		if (L->out[t].len == 0)
			continue;
		if (copy_in(L->db, "copy loaded results", copy_sql[t],
		            L->out[t].data, L->out[t].len, L->refused,
		            sizeof(L->refused)))
			goto fail;
	}
	if (db_commit(L->db))
		goto fail;
	*done = L->rows == 0;
	*after = last;
	L->stats->loaded += L->loaded;
	L->stats->quarantined += L->quarantined;
	if (L->rows)
		L->stats->batches++;
	return 0;
fail:
	PQclear(r);
	if (db_alive(L->db))
		PQclear(PQexec(db_conn(L->db), "ROLLBACK"));
	sigcache_clear(&L->sigs);
	return -1;
}

/* Quarantine one row on its own, with the server's reason. */
static int
quarantine_alone(struct loader *L, int64_t job, const char *msg)
{
	char sjob[32], why[REPORT_TEXT_MAX];
	const char *p[2] = {sjob, why};

	snprintf(sjob, sizeof(sjob), "%" PRId64, job);
	snprintf(why, sizeof(why), "database refused the row: %s", msg);
	if (db_command(L->db, "quarantine a result",
	                      "INSERT INTO report_quarantine (job_id, reason)"
	                      " VALUES ($1, $2) ON CONFLICT DO NOTHING",
	                      2, p, 0))
		return -1;
	L->stats->quarantined++;
	return 0;
}

/* The next unloaded job after `after`, or 0. -1 on failure. */
static int64_t
next_job(struct loader *L, int64_t after)
{
	char s[32], sp[16];
	const char *p[2] = {s, sp};
	PGresult *r;
	int64_t id = 0;

	snprintf(s, sizeof(s), "%" PRId64, after);
	snprintf(sp, sizeof(sp), "%d", L->part);
	r = db_exec(
	    L->db, "find the next result",
	    "SELECT r.job_id FROM results r WHERE r.job_id > $1"
	    " AND ($2::int < 0 OR " PART_OF " = $2::int)"
	    " AND NOT EXISTS (SELECT 1 FROM report_results x"
	    "  WHERE x.job_id = r.job_id OFFSET 0)"
	    " AND NOT EXISTS (SELECT 1 FROM report_quarantine q"
	    "  WHERE q.job_id = r.job_id OFFSET 0) ORDER BY 1 LIMIT 1",
	    2, p, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	if (PQntuples(r))
		id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return id;
}

/*
 * Jobs dead-lettered without a results row: their identity from the job
 * and its cell, their outcome and evidence from the last attempt the
 * runner recorded (sql/004), bounded here. One statement per 1000 jobs.
 */
static const char dead_sigs_sql[] =
    "INSERT INTO report_signatures (signature, kind, first_job_id)"
    " SELECT DISTINCT ON (1) 'infra: ' || left(coalesce(a.outcome,"
    "  'dead'), 64), 'outcome', j.id"
    " FROM jobs j LEFT JOIN LATERAL (SELECT outcome FROM job_attempts a"
    "  WHERE a.job_id = j.id ORDER BY a.fence DESC LIMIT 1) a ON true"
    " WHERE j.state = 'dead'"
    "  AND NOT EXISTS (SELECT 1 FROM results r WHERE r.job_id = j.id)"
    "  AND NOT EXISTS (SELECT 1 FROM report_results x WHERE x.job_id = j.id)"
    " ORDER BY 1, j.id"
    " ON CONFLICT (signature) DO NOTHING";

static const char dead_sql[] =
    "INSERT INTO report_results (job_id, cell_id, sweep_id, rerun_of,"
    " project, version, platform, python, file_name, file_sha256, deps,"
    " inputs_key, class, outcome, passed, signature_id, infra_retries,"
    " infra_evidence, finished_at, dead, stage)"
    " SELECT j.id, coalesce(c.id, j.cell_id), c.sweep_id,"
    "  CASE WHEN j.spec->>'rerun_of' ~ '^[0-9]{1,18}$'"
    "   THEN (j.spec->>'rerun_of')::bigint END,"
    "  left(coalesce(c.project, j.spec->>'project', '?'), 256),"
    "  left(coalesce(c.version, j.spec->>'dist_version', '?'), 256),"
    "  j.platform, j.python,"
    "  left(coalesce(c.file_name, j.spec->'dist'->>'name'), 256),"
    "  left(coalesce(c.file_sha256, j.spec->'dist'->>'sha256'), 64),"
    "  coalesce(c.deps, '[]'), md5(coalesce(c.file_sha256, '') || '|dead'),"
    "  'infra', left(coalesce(a.outcome, 'dead'), 64), NULL, s.id,"
    "  j.attempts,"
    "  jsonb_build_object('infra', left(coalesce(a.outcome, 'dead'), 64),"
    "   'infra_detail', left(coalesce(a.detail, j.last_error, ''), 2048),"
    "   'last_error', left(coalesce(j.last_error, ''), 2048),"
    "   'attempts', CASE WHEN jsonb_typeof(a.evidence->'runner'->'attempts')"
    "    = 'array' THEN (SELECT coalesce(jsonb_agg(jsonb_build_object("
    "     'infra', left(e->>'infra', 64),"
    "     'detail', left(e->>'detail', 2048))), '[]')"
    "     FROM (SELECT e FROM jsonb_array_elements("
    "      a.evidence->'runner'->'attempts') e LIMIT 16) x)"
    "    ELSE '[]'::jsonb END,"
    "   'dead', true),"
    "  coalesce(j.finished_at, now()), true, left(j.spec->>'stage', 32)"
    " FROM jobs j"
    " LEFT JOIN cells c ON c.id = j.cell_id"
    " LEFT JOIN LATERAL (SELECT * FROM job_attempts a"
    "  WHERE a.job_id = j.id ORDER BY a.fence DESC LIMIT 1) a ON true"
    " JOIN report_signatures s ON s.signature = 'infra: ' ||"
    "  left(coalesce(a.outcome, 'dead'), 64)"
    " WHERE j.state = 'dead'"
    "  AND NOT EXISTS (SELECT 1 FROM results r WHERE r.job_id = j.id)"
    "  AND NOT EXISTS (SELECT 1 FROM report_results x WHERE x.job_id = j.id)";

static int
load_dead(struct db *db, int64_t *loaded)
{
	PGresult *r;

	if (db_begin(db) ||
	    db_command(db, "take the load lock",
	               "SELECT pg_advisory_xact_lock(" LOAD_LOCK ")", 0, NULL,
	               1) ||
	    db_command(db, "store dead jobs' signatures", dead_sigs_sql, 0, NULL,
	               0))
		return -1;
	r = db_exec(db, "load dead-lettered jobs", dead_sql, 0, NULL,
	            PGRES_COMMAND_OK);
	if (!r)
		return -1;
	*loaded += strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return db_commit(db);
}

/* The batch query over sql/002's cells; jobs without a cell (enqueued by
 * hand) take their identity from their spec. */
static char *
build_batch_sql(int part)
{
	struct buf b = BUF_INIT(1 << 16);
	char filter[64] = "";

	if (part >= 0)
		snprintf(filter, sizeof(filter), " AND %s = %d", PART_OF,
		         part);
	buf_addf(&b, batch_fmt, filter, "c.project,", "c.version,",
	         "coalesce(c.id, CASE WHEN j.spec->>'cell_id' ~ "
	         "'^[0-9]{1,18}$' THEN (j.spec->>'cell_id')::bigint END)",
	         "c.sweep_id", "c.file_name,", "c.file_sha256,",
	         "c.file_sha256,", "LEFT JOIN cells c ON c.id = j.cell_id",
	         "c.deps,", "c.deps,");
	return buf_detach(&b, NULL);
}

/* Connect again within wait_ms. 0 or -1 (logged). */
static int
reconnect(struct db *db, int wait_ms)
{
	struct timespec pause = {0, 200 * 1000 * 1000};
	int waited = 0;

	while (db_connect(db)) {
		if (waited >= wait_ms)
			return log_error("the database did not come back "
			                 "within %d ms", wait_ms);
		nanosleep(&pause, NULL);
		waited += 200;
	}
	return 0;
}

/*
 * Load the rows of partition part (PART_OF; -1: every row) in
 * batches, adding to stats. 0, or -1 (logged) when the database failed
 * and did not come back within opts->reconnect_ms.
 */
static int
load_part(struct db *db, const struct report_load_opts *opts,
          struct report_load_stats *stats, int part)
{
	struct loader L = {.db = db, .opts = opts, .stats = stats, .part = part};
	int64_t after = 0, total = 0;
	int t, done = 0, ret = -1, failures = 0, single = 0;
	int size = opts->batch > 0 ? opts->batch : 500;

	for (t = 0; t < T_COUNT; t++)
		buf_init(&L.out[t], COPY_MAX);
	for (t = 0; t < A_COUNT; t++)
		buf_init(&L.arr[t], COPY_MAX);
	L.batch_sql = build_batch_sql(part);
	while (!done) {
		int limit = single > 0 ? 1 : size;

		if (opts->limit > 0) {
			if (total >= opts->limit)
				break;
			if (opts->limit - total < limit)
				limit = (int)(opts->limit - total);
		}
		if (batch(&L, &after, limit, &done) == 0) {
			total += L.rows;
			failures = 0;
			if (single > 0)
				single--;
			continue;
		}
		if (!db_alive(db)) {
			log_warn("lost the database during a load; reconnecting");
			if (reconnect(db, opts->reconnect_ms))
				goto out;
			stats->reconnects++;
			continue;
		}
		/*
		 * The server refused the batch: find the row it refuses by
		 * loading one at a time, and quarantine that row alone.
		 */
		if (++failures > 3 && limit == 1) {
			int64_t job = next_job(&L, after);

			if (job <= 0 ||
			    quarantine_alone(&L, job,
			                     L.refused[0] ? L.refused
			                                  : "unknown (see the "
			                                    "loader's log)"))
				goto out;
			failures = 0;
			continue;
		}
		if (single == 0)
			single = size;
	}
	ret = 0;
out:
	for (t = 0; t < T_COUNT; t++)
		buf_release(&L.out[t]);
	for (t = 0; t < A_COUNT; t++)
		buf_release(&L.arr[t]);
	sigcache_clear(&L.sigs);
	free(L.sigs.sig);
	free(L.sigs.id);
	free(L.batch_sql);
	return ret;
}

/*
 * A worker of a parallel load: its own connection, the partitions w, w +
 * jobs, ... Writes its stats to fd; exits 0 or 1. Killed with its parent.
 */
static void
worker(const struct report_load_opts *opts, int w, int fd)
{
	struct report_load_stats st = {0};
	struct db *db;
	int p, ret = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	db = db_new_cfg(opts->cfg);
	if (reconnect(db, opts->reconnect_ms))
		ret = -1;
	for (p = w; ret == 0 && p < LOAD_PARTS; p += opts->jobs)
		ret = load_part(db, opts, &st, p);
	if (ret == 0 && write(fd, &st, sizeof(st)) != (ssize_t)sizeof(st))
		ret = -1;
	db_free(db);
	_exit(ret ? 1 : 0);
}

/* opts->jobs workers over disjoint partitions; their stats summed. */
static int
load_parallel(const struct report_load_opts *opts,
              struct report_load_stats *stats)
{
	pid_t pid[LOAD_PARTS];
	int fd[LOAD_PARTS], w, n = 0, ret = 0, status;

	fflush(stdout);
	fflush(stderr);
	for (w = 0; w < opts->jobs; w++) {
		int pfd[2];

		if (pipe(pfd)) {
			ret = log_error("cannot make a pipe: %s", strerror(errno));
			break;
		}
		pid[n] = fork();
		if (pid[n] < 0) {
			ret = log_error("cannot fork a loader: %s",
			                strerror(errno));
			close(pfd[0]);
			close(pfd[1]);
			break;
		}
		if (pid[n] == 0) {
			close(pfd[0]);
			worker(opts, w, pfd[1]);
		}
		close(pfd[1]);
		fd[n++] = pfd[0];
	}
	for (w = 0; w < n; w++) {
		struct report_load_stats st;
		ssize_t got;

		do
			got = read(fd[w], &st, sizeof(st));
		while (got < 0 && errno == EINTR);
		close(fd[w]);
		while (waitpid(pid[w], &status, 0) < 0 && errno == EINTR)
			;
		if (got != (ssize_t)sizeof(st) || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			ret = log_error("loader %d of %d failed", w + 1,
			                opts->jobs);
			continue;
		}
		stats->loaded += st.loaded;
		stats->quarantined += st.quarantined;
		stats->batches += st.batches;
		stats->reconnects += st.reconnects;
	}
	return ret;
}

int
report_load(struct db *db, const struct report_load_opts *opts,
            struct report_load_stats *stats)
{
	int tries;

	memset(stats, 0, sizeof(*stats));
	if (opts->retry_quarantined &&
	    db_command(db, "clear the quarantine",
	               "DELETE FROM report_quarantine", 0, NULL, 0))
		return -1;
	if (opts->jobs > 1 && opts->limit == 0 && opts->cfg) {
		if (load_parallel(opts, stats))
			return -1;
	} else if (load_part(db, opts, stats, -1)) {
		return -1;
	}
	if (opts->limit > 0)
		return 0;
	/* the workers' load may have outlived this connection (libpq may
	 * find out only on the second statement) */
	for (tries = 0;; tries++) {
		if (load_dead(db, &stats->loaded) == 0)
			return 0;
		if (tries == 3)
			return -1;
		if (!db_alive(db)) {
			if (reconnect(db, opts->reconnect_ms))
				return -1;
			stats->reconnects++;
		}
	}
}
