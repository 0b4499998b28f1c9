/*
 * The queue's feeding and rescue (db_queue.h). Each call is one
 * parameterised statement; values from outside only travel as $n.
 */
#include "db_queue.h"
#include "buf.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>

int64_t
db_enqueue(struct db *db, const struct db_job *job)
{
	char sprio[32], smax[32], scell[32];
	const char *params[6] = {job->platform, job->python, job->spec,
	                         sprio,         smax,        NULL};
	PGresult *r;
	int64_t id;

	snprintf(sprio, sizeof(sprio), "%d", job->priority);
	snprintf(smax, sizeof(smax), "%d",
	         job->max_attempts > 0 ? job->max_attempts
	                               : DB_JOB_MAX_ATTEMPTS);
	if (job->cell_id > 0) {
		snprintf(scell, sizeof(scell), "%lld", (long long)job->cell_id);
		params[5] = scell;
	}
	/* Without a cell the statement does not name the column, so a
	 * database at migration 001 takes it too. */
	r = db_exec(db, "enqueue a job",
	            params[5] ? "INSERT INTO jobs (platform, python, spec,"
	                        " priority, max_attempts, cell_id)"
	                        " VALUES ($1, $2, $3::jsonb, $4, $5, $6)"
	                        " RETURNING id"
	                      : "INSERT INTO jobs (platform, python, spec,"
	                        " priority, max_attempts)"
	                        " VALUES ($1, $2, $3::jsonb, $4, $5)"
	                        " RETURNING id",
	            params[5] ? 6 : 5, params, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	id = db_col_i64(r, 0, 0);
	PQclear(r);
	return id;
}

int
db_rescue(struct db *db, int64_t grace_s, int64_t delay_s, const int64_t *keep,
          int nkeep)
{
	struct buf ids = BUF_INIT(0);
	char sgrace[32], sdelay[32];
	const char *params[3];
	PGresult *r;
	int i, n;

	buf_addc(&ids, '{');
	for (i = 0; i < nkeep; i++)
		buf_addf(&ids, "%s%" PRId64, i ? "," : "", keep[i]);
	buf_addc(&ids, '}');
	snprintf(sgrace, sizeof(sgrace), "%" PRId64, grace_s);
	snprintf(sdelay, sizeof(sdelay), "%" PRId64, delay_s);
	params[0] = sgrace;
	params[1] = buf_cstr(&ids);
	params[2] = sdelay;
	r = db_exec(
	    db, "rescue expired leases",
	    "WITH e AS (SELECT id FROM jobs WHERE state = 'running'"
	    " AND lease_expires_at < now() -"
	    " make_interval(secs => $1::bigint)"
	    " AND NOT id = ANY($2::bigint[]) FOR UPDATE SKIP LOCKED),"
	    " u AS (UPDATE jobs j SET"
	    " state = CASE WHEN j.attempts >= j.max_attempts"
	    " THEN 'dead' ELSE 'queued' END,"
	    " last_error = 'lease expired (runner ' ||"
	    " coalesce(j.claimed_by, '?') || ' went silent)',"
	    " lease_expires_at = NULL,"
	    " run_after = now() + make_interval(secs => $3::bigint),"
	    " finished_at = CASE WHEN j.attempts >= j.max_attempts"
	    " THEN now() END"
	    " FROM e WHERE j.id = e.id RETURNING j.id, j.fence, j.state,"
	    " j.last_error),"
	    " a AS (UPDATE job_attempts t SET ended_at = now(),"
	    " ending = CASE WHEN u.state = 'dead' THEN 'dead'"
	    " ELSE 'rescued' END, error = u.last_error"
	    " FROM u WHERE t.job_id = u.id AND t.fence = u.fence)"
	    " SELECT count(*) FROM u",
	    3, params, PGRES_TUPLES_OK);
	buf_release(&ids);
	if (!r)
		return -1;
	n = (int)db_col_i64(r, 0, 0);
	PQclear(r);
	if (n > 0)
		log_info("rescued %d job%s with an expired lease", n,
		         n == 1 ? "" : "s");
	return n;
}
