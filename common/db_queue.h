/*
 * The job queue (sql/001-queue.sql, jobs.cell_id from sql/002), for the
 * programs that feed it and look after it: the scheduler and the
 * reporter enqueue jobs, pyti-db and the runner's daemon rescue expired
 * leases. Claiming, heartbeats and completion are the runner's
 * (runner/queue.h).
 *
 *	struct db_job j = {.platform = "debian-12", .python = "3.11",
 *	                   .spec = spec_text, .cell_id = cell};
 *	int64_t id = db_enqueue(db, &j);
 *	if (id < 0)
 *		return -1;              (logged)
 */
#ifndef PYTI_DB_QUEUE_H
#define PYTI_DB_QUEUE_H

#include <stdint.h>

#include "db.h"

/* The attempts a job gets when db_job.max_attempts is 0. */
#define DB_JOB_MAX_ATTEMPTS 3

/* A job to enqueue; strings borrowed for the call. */
struct db_job {
	const char *platform; /* [A-Za-z0-9_.-]{1,64} */
	const char *python; /* "3.11": must be the platform pool's */
	const char *spec; /* the job spec, JSON object text */
	int priority; /* higher first; 0 by default */
	int max_attempts; /* 0: DB_JOB_MAX_ATTEMPTS */
	int64_t cell_id; /* the scheduler's cell (cells.id), 0: none */
};

/*
 * Add a job, queued now. Returns the new job id (> 0), or -1 (logged:
 * the database refuses a bad platform, python or spec by its CHECKs, an
 * unknown cell by its foreign key).
 */
int64_t db_enqueue(struct db *db, const struct db_job *job);

/*
 * Return every running job whose lease expired more than grace_s seconds
 * ago (its runner died or lost the database) to the queue, runnable from
 * delay_s seconds on, or to the dead letter when it is out of attempts;
 * each attempt's row says why. The nkeep jobs of keep are spared (the
 * calling runner's own, still running; NULL and 0 for none). pyti-db
 * rescue passes 0, 0, NULL, 0. Returns the number of jobs rescued (>= 0,
 * logged when > 0), or -1 (logged).
 */
int db_rescue(struct db *db, int64_t grace_s, int64_t delay_s,
              const int64_t *keep, int nkeep);

#endif
