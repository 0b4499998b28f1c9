-- 004-runner.sql: every attempt's end kept with its evidence, so an
-- infrastructure outcome -- the job released, retried elsewhere, or
-- dead-lettered -- is as queryable as a package outcome in results.
--
-- job_attempts gains, written by the runner when it releases the attempt:
--   class     'infra' for an infrastructure outcome ('package' rows live
--             in results; the view below joins them in)
--   outcome   the infrastructure class: protocol-error, agent-silent,
--             timeout, vm-crashed, host-error, ... (docs/runner.md)
--   detail    the runner's one-line reason
--   refunded  the attempt was not counted against max_attempts: the host
--             failed (libvirt, a store file, the spool), not the job, or
--             the runner was stopping
--   evidence  the attempt's raw results document (docs/runner.md "raw
--             document"): every try's timings and infra detail, the logs
--             the guest sent, the agent's ERR_, whatever RSLT arrived
-- jobs gains host_failures: releases refunded for host failures in a row,
-- the exponent of run_after's backoff for them.
-- A rescued attempt (the runner went silent) has no evidence: its error
-- says so, and the lease's holder is in runner.

ALTER TABLE job_attempts
	ADD COLUMN class text CHECK (class IN ('package', 'infra')),
	ADD COLUMN outcome text CHECK (length(outcome) <= 64),
	ADD COLUMN detail text,
	ADD COLUMN refunded boolean NOT NULL DEFAULT false,
	ADD COLUMN evidence jsonb;

ALTER TABLE jobs ADD COLUMN host_failures integer NOT NULL DEFAULT 0
	CHECK (host_failures >= 0);

-- One row per attempt that ended, package and infrastructure outcomes
-- side by side: class, outcome, timings, evidence.
CREATE VIEW job_outcomes AS
SELECT j.id AS job_id, j.cell_id, j.platform, j.python,
       j.state AS job_state, a.attempt, a.fence, a.runner,
       a.started_at, a.ended_at, a.ending,
       coalesce(r.class, a.class,
                CASE WHEN a.ending = 'rescued' THEN 'infra' END) AS class,
       coalesce(r.outcome, a.outcome,
                CASE WHEN a.ending = 'rescued' THEN 'lease-expired' END)
           AS outcome,
       coalesce(a.detail, a.error) AS detail,
       a.refunded,
       coalesce(r.raw, a.evidence) AS evidence
FROM job_attempts a
JOIN jobs j ON j.id = a.job_id
LEFT JOIN results r ON r.job_id = a.job_id AND r.fence = a.fence
WHERE a.ended_at IS NOT NULL;
