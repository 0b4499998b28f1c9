/*
 * The PostgreSQL job queue, runner side (schema: sql/001-queue.sql). Every
 * operation is one short statement or one short transaction: a claim never
 * stays open while a VM runs. A claimed job carries a fencing token; every
 * later write for it (heartbeat, complete, release) names the token and is
 * refused when the job has since been rescued and handed to someone else.
 *
 * A struct run_queue owns one connection (common/db.h). It is not
 * thread-safe: each runner thread opens its own. When the server goes
 * away, calls fail with -1 (logged) and the next call reconnects; callers
 * back off. Enqueueing is common/db_queue.h's.
 */
#ifndef PYTI_RUN_QUEUE_H
#define PYTI_RUN_QUEUE_H

#include <stdint.h>

struct run_queue;

/* Non-error outcomes of the queue calls. */
#define RUN_QUEUE_EMPTY 1 /* claim: nothing to do right now */
#define RUN_QUEUE_LOST 2 /* the fence is stale: the job is not ours */
/* the database refused it for good: a data or schema error, no outage */
#define RUN_QUEUE_REFUSED 3

/* One claimed job. Strings are owned; release with run_claim_release(). */
struct run_claim {
	int64_t id;
	int64_t fence; /* the fencing token of this attempt */
	int attempt; /* 1 for the first claim */
	int max_attempts;
	char *platform;
	char *python;
	char *spec; /* the job spec, JSON text */
};

void run_claim_release(struct run_claim *c);

/*
 * Open a queue handle for runner `name` (recorded as claimed_by; copied)
 * on conninfo (copied). The connection is made lazily, so this cannot fail
 * for a server that is down. Free with run_queue_free().
 */
struct run_queue *run_queue_new(const char *conninfo, const char *name);
void run_queue_free(struct run_queue *q);

/*
 * Connect now if not connected. Returns 0, or -1 (logged once per outage,
 * not on every retry).
 */
int run_queue_connect(struct run_queue *q);

/*
 * Claim the best queued job of one of the n platforms (priority, then
 * age) whose run_after has come and, unless python is NULL, whose python
 * is that one (a job for another interpreter is left for a pool that has
 * it), setting its lease to lease_s seconds from now and taking a new
 * fence. Returns 0 with *out filled, RUN_QUEUE_EMPTY, or -1.
 */
int run_queue_claim(struct run_queue *q, const char *const *platforms, int n,
                    const char *python, int64_t lease_s, struct run_claim *out);

/*
 * Extend the lease of job id held under fence to lease_s from now.
 * Returns 0, RUN_QUEUE_LOST (rescued meanwhile: stop working on it), or -1.
 */
int run_queue_heartbeat(struct run_queue *q, int64_t id, int64_t fence,
                        int64_t lease_s);

/* What a completion stores (strings borrowed for the call). */
struct run_completion {
	const char *cls; /* "package" or "infra" */
	const char *outcome; /* e.g. "passed", "tests-failed", "timeout" */
	int infra_retries; /* infrastructure failures retried on the way */
	int64_t duration_ms;
	const char *raw; /* the raw results document, JSON text */
};

/*
 * Mark job id done under fence and store its results, in one transaction.
 * Idempotent: completing again with the same fence after an uncertain
 * commit returns 0. Returns 0, RUN_QUEUE_LOST (stale fence, nothing
 * written), RUN_QUEUE_REFUSED (the database refuses these results for
 * good: replaying them cannot help), or -1 (nothing known to be written;
 * an outage: retry later).
 */
int run_queue_complete(struct run_queue *q, int64_t id, int64_t fence,
                       const struct run_completion *c);

/* How a job is given back (strings borrowed for the call). */
struct run_release {
	const char *error; /* last_error, "<outcome>: <detail>" */
	int refund; /* the attempt does not count (host failure, stop) */
	int host; /* a host failure: counted in jobs.host_failures */
	int final; /* the job can never run (a bad spec): dead at once */
	int64_t delay_s; /* run_after = now + delay_s, doubled per earlier
			    try (host failures for the host's), <= 1 h */
	const char *outcome; /* infra class for job_attempts, or NULL */
	const char *detail; /* its one-line reason, or NULL */
	const char *evidence; /* the raw results document (JSON), or NULL */
};

/*
 * Give job id back: it is queued again (from run_after), or dead-lettered
 * when it has used all its attempts or the release is final; the attempt's row keeps outcome,
 * detail and evidence (sql/004-runner.sql). Evidence the database refuses
 * is dropped rather than the release. Sets *dead to 1 when it was
 * dead-lettered (may be NULL). Returns 0, RUN_QUEUE_LOST, or -1.
 */
int run_queue_release(struct run_queue *q, int64_t id, int64_t fence,
                      const struct run_release *rel, int *dead);

/*
 * Return every running job whose lease expired more than grace_s ago
 * (its runner died or lost the database) to the queue from delay_s on,
 * or to the dead letter when out of attempts -- except the n jobs of
 * `keep` (this runner's own, which it is still running). The runner's
 * rescuer: db_rescue() (common/db_queue.h) on this handle's connection.
 * Returns the number rescued, or -1.
 */
int run_queue_rescue(struct run_queue *q, int64_t grace_s, int64_t delay_s,
                     const int64_t *keep, int nkeep);

/*
 * How many jobs of the n platforms are queued or running (any runner's).
 * Returns the count (>= 0), or -1.
 */
int64_t run_queue_pending(struct run_queue *q, const char *const *platforms,
                          int n);

#endif
