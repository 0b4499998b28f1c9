/*
 * The job queue over libpq. Each call is one parameterised statement (or
 * one BEGIN..COMMIT of a few) on a connection this handle owns; values
 * from outside only ever travel as $n parameters. A lost connection is
 * noticed on the failing call, which returns -1; the next call reconnects.
 */
#include "queue.h"
#include "buf.h"
#include "db_queue.h"
#include "log.h"
#include "num.h"
#include "xalloc.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run_queue {
	struct db *db;
	char *name;
};

void
run_claim_release(struct run_claim *c)
{
	free(c->platform);
	free(c->python);
	free(c->spec);
	memset(c, 0, sizeof(*c));
}

struct run_queue *
run_queue_new(const char *conninfo, const char *name)
{
	struct run_queue *q = xcalloc(1, sizeof(*q));

	q->db = db_new(conninfo);
	q->name = xstrdup(name);
	return q;
}

void
run_queue_free(struct run_queue *q)
{
	if (!q)
		return;
	db_free(q->db);
	free(q->name);
	free(q);
}

int
run_queue_connect(struct run_queue *q)
{
	return db_connect(q->db);
}

static PGresult *
exec(struct run_queue *q, const char *what, const char *sql, int n,
     const char *const *params, ExecStatusType want)
{
	return db_exec(q->db, what, sql, n, params, want);
}

static int
command(struct run_queue *q, const char *what, const char *sql)
{
	return db_command(q->db, what, sql, 0, NULL, 0);
}

static const char sql_claim[] =
    "WITH c AS (SELECT id FROM jobs"
    " WHERE state = 'queued' AND platform = ANY($1::text[])"
    " AND ($4::text IS NULL OR python = $4) AND run_after <= now()"
    " ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED),"
    " u AS (UPDATE jobs j SET state = 'running',"
    " attempts = j.attempts + 1, fence = nextval('job_fence'),"
    " claimed_by = $2, started_at = now(), finished_at = NULL,"
    " lease_expires_at = now() + make_interval(secs => $3::bigint)"
    " FROM c WHERE j.id = c.id"
    " RETURNING j.id, j.fence, j.attempts, j.max_attempts, j.platform,"
    " j.python, j.spec::text),"
    " a AS (INSERT INTO job_attempts (job_id, fence, attempt, runner)"
    " SELECT id, fence, attempts, $2 FROM u)"
    " SELECT * FROM u";

/* A text[] literal of platform names; names are [A-Za-z0-9_.-] only. */
static char *
platform_array(const char *const *platforms, int n)
{
	size_t len = 3;
	char *s, *p;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(platforms[i]) + 3;
	s = p = xmalloc(len);
	*p++ = '{';
	for (i = 0; i < n; i++) {
		size_t l = strlen(platforms[i]);

		if (i)
			*p++ = ',';
		*p++ = '"';
		memcpy(p, platforms[i], l);
		p += l;
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return s;
}

static int
valid_platform(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789_.-") == n;
}

int
run_queue_claim(struct run_queue *q, const char *const *platforms, int n,
                const char *python, int64_t lease_s, struct run_claim *out)
{
	char lease[32], *arr;
	const char *params[4];
	PGresult *r;
	int i, ret = -1;

	for (i = 0; i < n; i++)
		if (!valid_platform(platforms[i]))
			return log_error("invalid platform name '%s'",
			                 platforms[i]);
	arr = platform_array(platforms, n);
	snprintf(lease, sizeof(lease), "%" PRId64, lease_s);
	params[0] = arr;
	params[1] = q->name;
	params[2] = lease;
	params[3] = python;
	r = exec(q, "claim a job", sql_claim, 4, params, PGRES_TUPLES_OK);
	free(arr);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		ret = RUN_QUEUE_EMPTY;
	} else {
		memset(out, 0, sizeof(*out));
		out->id = db_col_i64(r, 0, 0);
		out->fence = db_col_i64(r, 0, 1);
		out->attempt = (int)db_col_i64(r, 0, 2);
		out->max_attempts = (int)db_col_i64(r, 0, 3);
		out->platform = xstrdup(PQgetvalue(r, 0, 4));
		out->python = xstrdup(PQgetvalue(r, 0, 5));
		out->spec = xstrdup(PQgetvalue(r, 0, 6));
		ret = 0;
	}
	PQclear(r);
	return ret;
}

int
run_queue_heartbeat(struct run_queue *q, int64_t id, int64_t fence,
                    int64_t lease_s)
{
	char sid[32], sfence[32], lease[32];
	const char *params[3] = {sid, sfence, lease};
	int64_t rows;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(sfence, sizeof(sfence), "%" PRId64, fence);
	snprintf(lease, sizeof(lease), "%" PRId64, lease_s);
	rows = db_rows(q->db, "extend a lease",
	               "UPDATE jobs SET lease_expires_at = now() +"
	               " make_interval(secs => $3::bigint)"
	               " WHERE id = $1 AND fence = $2 AND state = 'running'",
	               3, params, 0);
	if (rows < 0)
		return -1;
	return rows == 1 ? 0 : RUN_QUEUE_LOST;
}

/*
 * After an uncertain or refused completion: is job id already done under
 * this very fence (our earlier commit went through)? 1 yes, 0 no, -1.
 */
static int
done_by_us(struct run_queue *q, const char *sid, const char *sfence)
{
	const char *params[2] = {sid, sfence};
	PGresult *r = exec(q, "check a completion",
	                   "SELECT 1 FROM results WHERE job_id = $1"
	                   " AND fence = $2",
	                   2, params, PGRES_TUPLES_OK);
	int ret;

	if (!r)
		return -1;
	ret = PQntuples(r) > 0;
	PQclear(r);
	return ret;
}

int
run_queue_complete(struct run_queue *q, int64_t id, int64_t fence,
                   const struct run_completion *c)
{
	char sid[32], sfence[32], sretries[32], sdur[32];
	const char *params[8];
	PGresult *r;
	int updated, prior;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(sfence, sizeof(sfence), "%" PRId64, fence);
	snprintf(sretries, sizeof(sretries), "%d", c->infra_retries);
	snprintf(sdur, sizeof(sdur), "%" PRId64, c->duration_ms);
	prior = done_by_us(q, sid, sfence);
	if (prior < 0)
		return -1;
	if (prior)
		return 0;
	if (command(q, "begin a completion", "BEGIN"))
		return -1;
	params[0] = sid;
	params[1] = sfence;
	r = exec(q, "complete a job",
	         "WITH u AS (UPDATE jobs SET state = 'done',"
	         " finished_at = now(), lease_expires_at = NULL"
	         " WHERE id = $1 AND fence = $2 AND state = 'running'"
	         " RETURNING id, fence),"
	         " a AS (UPDATE job_attempts SET ended_at = now(),"
	         " ending = 'done' WHERE (job_id, fence) IN"
	         " (SELECT id, fence FROM u))"
	         " SELECT count(*) FROM u",
	         2, params, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	updated = strcmp(PQgetvalue(r, 0, 0), "1") == 0;
	PQclear(r);
	if (!updated) {
		command(q, "roll back a stale completion", "ROLLBACK");
		return RUN_QUEUE_LOST;
	}
	params[2] = q->name;
	params[3] = c->cls;
	params[4] = c->outcome;
	params[5] = sretries;
	params[6] = sdur;
	params[7] = c->raw;
	if (db_command(q->db, "store results",
	               "INSERT INTO results (job_id, fence, attempt, runner,"
	               " class, outcome, infra_retries, duration_ms, raw)"
	               " SELECT $1, $2, attempts, $3, $4, $5, $6, $7, $8::jsonb"
	               " FROM jobs WHERE id = $1",
	               8, params, 0))
		return db_failed_permanently(q->db) ? RUN_QUEUE_REFUSED : -1;
	if (command(q, "commit a completion", "COMMIT")) {
		/* The commit may have gone through before the line dropped. */
		return done_by_us(q, sid, sfence) == 1 ? 0 : -1;
	}
	return 0;
}

static int
release_once(struct run_queue *q, int64_t id, int64_t fence,
             const struct run_release *rel, const char *evidence, int *dead)
{
	char sid[32], sfence[32], sdelay[32];
	const char *params[10] = {sid,
	                          sfence,
	                          rel->error,
	                          rel->refund ? "1" : "0",
	                          rel->host ? "1" : "0",
	                          sdelay,
	                          rel->outcome,
	                          rel->detail,
	                          evidence,
	                          rel->final ? "1" : "0"};
	PGresult *r;
	int ret;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(sfence, sizeof(sfence), "%" PRId64, fence);
	snprintf(sdelay, sizeof(sdelay), "%" PRId64,
	         rel->delay_s > 0 ? rel->delay_s : 0);
	/* run_after: delay_s doubled per earlier try (attempts for the job's
	 * own failures, host_failures for the host's), at most an hour. */
	r = exec(q, "release a job",
	         "WITH u AS (UPDATE jobs SET"
	         " attempts = attempts - $4::int,"
	         " host_failures = CASE WHEN $5::int = 1"
	         " THEN host_failures + 1 ELSE 0 END,"
	         " state = CASE WHEN $10::int = 1 OR ($4::int = 0 AND"
	         " attempts >= max_attempts) THEN 'dead' ELSE 'queued' END,"
	         " last_error = $3, lease_expires_at = NULL,"
	         " run_after = now() + make_interval(secs => least(3600,"
	         " $6::bigint * power(2, least(12, greatest(0,"
	         " CASE WHEN $5::int = 1 THEN host_failures"
	         " ELSE attempts - 1 END)))::bigint)),"
	         " finished_at = CASE WHEN $10::int = 1 OR ($4::int = 0 AND"
	         " attempts >= max_attempts) THEN now() END"
	         " WHERE id = $1 AND fence = $2 AND state = 'running'"
	         " RETURNING id, fence, state),"
	         " a AS (UPDATE job_attempts t SET ended_at = now(),"
	         " ending = CASE WHEN u.state = 'dead' THEN 'dead'"
	         " ELSE 'released' END, error = $3,"
	         " class = CASE WHEN $7::text IS NULL THEN NULL"
	         " ELSE 'infra' END, outcome = $7, detail = $8,"
	         " refunded = $4::int = 1, evidence = $9::jsonb"
	         " FROM u WHERE t.job_id = u.id AND t.fence = u.fence)"
	         " SELECT state FROM u",
	         10, params, PGRES_TUPLES_OK);
	if (!r)
		return db_failed_permanently(q->db) ? RUN_QUEUE_REFUSED : -1;
	if (PQntuples(r) == 0) {
		ret = RUN_QUEUE_LOST;
	} else {
		if (dead)
			*dead = strcmp(PQgetvalue(r, 0, 0), "dead") == 0;
		ret = 0;
	}
	PQclear(r);
	return ret;
}

int
run_queue_release(struct run_queue *q, int64_t id, int64_t fence,
                  const struct run_release *rel, int *dead)
{
	int r = release_once(q, id, fence, rel, rel->evidence, dead);

	/* Evidence the database will not take must not keep the job from
	 * going back: release it without. */
	if (r == RUN_QUEUE_REFUSED && rel->evidence) {
		log_warn("job %lld: released without its evidence (refused by "
		         "the database)",
		         (long long)id);
		r = release_once(q, id, fence, rel, NULL, dead);
	}
	return r == RUN_QUEUE_REFUSED ? -1 : r;
}

int
run_queue_rescue(struct run_queue *q, int64_t grace_s, int64_t delay_s,
                 const int64_t *keep, int nkeep)
{
	return db_rescue(q->db, grace_s, delay_s, keep, nkeep);
}

int64_t
run_queue_pending(struct run_queue *q, const char *const *platforms, int n)
{
	const char *params[1];
	PGresult *r;
	int64_t count;
	char *arr;
	int i;

	for (i = 0; i < n; i++)
		if (!valid_platform(platforms[i]))
			return log_error("invalid platform name '%s'",
			                 platforms[i]);
	arr = platform_array(platforms, n);
	params[0] = arr;
	r = exec(
	    q, "count pending jobs",
	    "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')"
	    " AND platform = ANY($1::text[])",
	    1, params, PGRES_TUPLES_OK);
	free(arr);
	if (!r)
		return -1;
	count = db_col_i64(r, 0, 0);
	PQclear(r);
	return count;
}
