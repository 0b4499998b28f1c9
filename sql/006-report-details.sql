-- 006-report-details.sql: a result's many small rows become one.
--
-- A result has ~50 child rows (6 tasks, ~40 test cases, lint codes,
-- metadata checks, leftovers); written one table row each, with a foreign
-- key check per row, they were most of the loader's time
-- (docs/performance.md). They are now arrays in one report_details row
-- per result, and report_tasks, report_cases, report_lint_codes,
-- report_metadata_checks and report_leftovers are views with the same
-- columns as before (read-only): queries keep working, and a filter on
-- job_id still uses report_details' primary key. Findings stay a table
-- (few per result, indexed by kind and severity).
--
-- The arrays of one group have the same length, in the guest's order;
-- seq in the views is the position (from 0).

CREATE TABLE report_details (
	job_id bigint PRIMARY KEY
		REFERENCES report_results (job_id) ON DELETE CASCADE,
	task_name text[] NOT NULL DEFAULT '{}',
	task_outcome text[] NOT NULL DEFAULT '{}',
	task_reason text[] NOT NULL DEFAULT '{}',
	task_duration_ms bigint[] NOT NULL DEFAULT '{}',
	task_exit_status integer[] NOT NULL DEFAULT '{}',
	task_signal integer[] NOT NULL DEFAULT '{}',
	case_classname text[] NOT NULL DEFAULT '{}',
	case_name text[] NOT NULL DEFAULT '{}',
	case_outcome text[] NOT NULL DEFAULT '{}',
	case_duration_ms bigint[] NOT NULL DEFAULT '{}',
	case_message text[] NOT NULL DEFAULT '{}',
	lint_code text[] NOT NULL DEFAULT '{}',
	lint_count integer[] NOT NULL DEFAULT '{}',
	check_name text[] NOT NULL DEFAULT '{}',
	check_ok boolean[] NOT NULL DEFAULT '{}',
	check_detail text[] NOT NULL DEFAULT '{}',
	leftover text[] NOT NULL DEFAULT '{}'
);

INSERT INTO report_details (job_id, task_name, task_outcome, task_reason,
	task_duration_ms, task_exit_status, task_signal, case_classname,
	case_name, case_outcome, case_duration_ms, case_message, lint_code,
	lint_count, check_name, check_ok, check_detail, leftover)
SELECT r.job_id,
	coalesce(t.name, '{}'), coalesce(t.outcome, '{}'),
	coalesce(t.reason, '{}'), coalesce(t.duration_ms, '{}'),
	coalesce(t.exit_status, '{}'), coalesce(t.signal, '{}'),
	coalesce(c.classname, '{}'), coalesce(c.name, '{}'),
	coalesce(c.outcome, '{}'), coalesce(c.duration_ms, '{}'),
	coalesce(c.message, '{}'),
	coalesce(l.code, '{}'), coalesce(l.count, '{}'),
	coalesce(m.name, '{}'), coalesce(m.ok, '{}'), coalesce(m.detail, '{}'),
	coalesce(o.path, '{}')
FROM report_results r
LEFT JOIN LATERAL (SELECT array_agg(name ORDER BY seq) AS name,
	array_agg(outcome ORDER BY seq) AS outcome,
	array_agg(reason ORDER BY seq) AS reason,
	array_agg(duration_ms ORDER BY seq) AS duration_ms,
	array_agg(exit_status ORDER BY seq) AS exit_status,
	array_agg(signal ORDER BY seq) AS signal
	FROM report_tasks x WHERE x.job_id = r.job_id) t ON true
LEFT JOIN LATERAL (SELECT array_agg(classname ORDER BY seq) AS classname,
	array_agg(name ORDER BY seq) AS name,
	array_agg(outcome ORDER BY seq) AS outcome,
	array_agg(duration_ms ORDER BY seq) AS duration_ms,
	array_agg(message ORDER BY seq) AS message
	FROM report_cases x WHERE x.job_id = r.job_id) c ON true
LEFT JOIN LATERAL (SELECT array_agg(code ORDER BY code) AS code,
	array_agg(count ORDER BY code) AS count
	FROM report_lint_codes x WHERE x.job_id = r.job_id) l ON true
LEFT JOIN LATERAL (SELECT array_agg(name ORDER BY name) AS name,
	array_agg(ok ORDER BY name) AS ok,
	array_agg(detail ORDER BY name) AS detail
	FROM report_metadata_checks x WHERE x.job_id = r.job_id) m ON true
LEFT JOIN LATERAL (SELECT array_agg(path ORDER BY seq) AS path
	FROM report_leftovers x WHERE x.job_id = r.job_id) o ON true;

DROP VIEW report_v_flaky_tests;
DROP TABLE report_tasks, report_cases, report_lint_codes,
	report_metadata_checks, report_leftovers;

CREATE VIEW report_tasks AS
SELECT d.job_id, (x.ord - 1)::integer AS seq, x.name, x.outcome, x.reason,
	x.duration_ms, x.exit_status, x.signal
FROM report_details d
CROSS JOIN LATERAL unnest(d.task_name, d.task_outcome, d.task_reason,
	d.task_duration_ms, d.task_exit_status, d.task_signal)
	WITH ORDINALITY x(name, outcome, reason, duration_ms, exit_status,
		signal, ord);

CREATE VIEW report_cases AS
SELECT d.job_id, (x.ord - 1)::integer AS seq, x.classname, x.name,
	x.outcome, x.duration_ms, x.message
FROM report_details d
CROSS JOIN LATERAL unnest(d.case_classname, d.case_name, d.case_outcome,
	d.case_duration_ms, d.case_message)
	WITH ORDINALITY x(classname, name, outcome, duration_ms, message, ord);

CREATE VIEW report_lint_codes AS
SELECT d.job_id, x.code, x.count
FROM report_details d
CROSS JOIN LATERAL unnest(d.lint_code, d.lint_count) x(code, count);

CREATE VIEW report_metadata_checks AS
SELECT d.job_id, x.name, x.ok, x.detail
FROM report_details d
CROSS JOIN LATERAL unnest(d.check_name, d.check_ok, d.check_detail)
	x(name, ok, detail);

CREATE VIEW report_leftovers AS
SELECT d.job_id, (x.ord - 1)::integer AS seq, x.path
FROM report_details d
CROSS JOIN LATERAL unnest(d.leftover) WITH ORDINALITY x(path, ord);

-- as in 003, over the view
CREATE VIEW report_v_flaky_tests AS
SELECT r.project, r.version, r.platform, r.python, c.classname, c.name,
	count(*) FILTER (WHERE c.outcome = 'passed') AS passed,
	count(*) FILTER (WHERE c.outcome IN ('failed', 'error')) AS failed
FROM report_cases c
JOIN report_results r ON r.job_id = c.job_id
GROUP BY r.project, r.version, r.platform, r.python, c.classname, c.name
HAVING count(*) FILTER (WHERE c.outcome = 'passed') > 0
	AND count(*) FILTER (WHERE c.outcome IN ('failed', 'error')) > 0;
