-- 001-queue.sql: the job queue the scheduler fills and the runners drain.
--
-- A job is one distribution to test on one platform. Its life:
--   queued --claim--> running --complete--> done
--                       |  \--release (infra failure, lease lost)--> queued
--                       \--(attempts exhausted)--> dead (dead letter)
-- A claim is one short statement (SELECT ... FOR UPDATE SKIP LOCKED inside
-- an UPDATE): no transaction stays open while a VM runs. The claim takes a
-- new fencing token from job_fence; every later write for that attempt
-- (heartbeat, completion, release) names the token, so a runner whose lease
-- was rescued and handed to another cannot complete or renew a job it no
-- longer holds. results has one row per job, written in the completion's
-- transaction: a job is completed at most once.
-- schema_migrations is created by pyti-db itself before this file runs.

CREATE SEQUENCE job_fence;

CREATE TABLE jobs (
	id bigserial PRIMARY KEY,
	state text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'running', 'done', 'dead')),
	priority integer NOT NULL DEFAULT 0,
	platform text NOT NULL CHECK (platform ~ '^[A-Za-z0-9_.-]{1,64}$'),
	python text NOT NULL CHECK (python ~ '^[0-9]{1,2}\.[0-9]{1,3}$'),
	spec jsonb NOT NULL CHECK (jsonb_typeof(spec) = 'object'),
	attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
	fence bigint NOT NULL DEFAULT 0,
	lease_expires_at timestamptz,
	claimed_by text,
	last_error text,
	run_after timestamptz NOT NULL DEFAULT now(),
	created_at timestamptz NOT NULL DEFAULT now(),
	started_at timestamptz,
	finished_at timestamptz,
	CHECK ((state = 'running') = (lease_expires_at IS NOT NULL))
);

-- The claim walks this index: queued jobs of a platform, best first.
CREATE INDEX jobs_claim ON jobs (platform, priority DESC, id)
	WHERE state = 'queued';
-- The rescuer walks this one.
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 'running';

-- Every attempt a runner made, in order: who, when, how it ended. Written
-- by claim (start) and by complete/release/rescue (end).
CREATE TABLE job_attempts (
	job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	fence bigint NOT NULL,
	attempt integer NOT NULL,
	runner text NOT NULL,
	started_at timestamptz NOT NULL DEFAULT now(),
	ended_at timestamptz,
	ending text CHECK (ending IN ('done', 'released', 'rescued', 'dead')),
	error text,
	PRIMARY KEY (job_id, fence)
);

-- The raw results of a completed job: one row per job, ever. outcome is
-- the classified outcome (passed, tests-failed, ..., or an infrastructure
-- outcome when retries were exhausted on a job that still produced a
-- report); class says whose fault it is. raw is the agent's RESULT JSON
-- with the capped logs, exactly as the runner spooled it.
CREATE TABLE results (
	job_id bigint PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
	fence bigint NOT NULL,
	attempt integer NOT NULL,
	runner text NOT NULL,
	class text NOT NULL CHECK (class IN ('package', 'infra')),
	outcome text NOT NULL,
	infra_retries integer NOT NULL DEFAULT 0,
	duration_ms bigint,
	raw jsonb NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
