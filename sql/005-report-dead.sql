-- 005-report-dead.sql: the reporter also loads jobs that were
-- dead-lettered without a results row (their evidence is the runner's,
-- in job_attempts: sql/004), and knows the first stage of a two-stage job
-- (a build, not the cell's verdict).
--
-- report_results.job_id now references jobs (not results): a dead job has
-- no results row. dead marks those rows; stage is the job spec's "stage"
-- ('build' for a first stage); passed is NULL for outcomes that say
-- nothing about the package (infrastructure, deps_missing: pyti did not
-- deliver a dependency, not_requested).

ALTER TABLE report_results DROP CONSTRAINT report_results_job_id_fkey;
ALTER TABLE report_results ADD CONSTRAINT report_results_job_id_fkey
	FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE;
ALTER TABLE report_results ADD COLUMN dead boolean NOT NULL DEFAULT false;
ALTER TABLE report_results ADD COLUMN stage text
	CHECK (length(stage) <= 32);

CREATE OR REPLACE VIEW report_v_pass_rate AS
SELECT sweep_id, platform, python,
	count(*) AS results,
	count(*) FILTER (WHERE passed) AS passed,
	round(100.0 * count(*) FILTER (WHERE passed) / count(*), 2) AS pass_rate
FROM report_results
WHERE class = 'package' AND passed IS NOT NULL
	AND stage IS DISTINCT FROM 'build'
GROUP BY sweep_id, platform, python;
