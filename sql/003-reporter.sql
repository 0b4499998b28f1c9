-- 003-reporter.sql: what pyti-report makes of the runner's results.
--
-- `pyti-report load` turns each `results` row (raw JSON from an untrusted
-- guest, sql/001) into the rows below, in transactions of a few hundred
-- results: a result is either in report_results or in report_quarantine
-- (with the reason), never both, never twice. Identity (job, cell,
-- project, version, platform, Python, files, dependencies) comes from the
-- job and its cell (sql/002), never from the guest's document. Every text
-- column here is bounded by the loader (limits in reporter/load.h).
--
-- `pyti-report changes` compares each result with the previous result of
-- the same project on the same platform and Python (report_changes);
-- `pyti-report mail` queues one digest per recipient and sweep in
-- report_outbox and sends it. The report_v_* views are for dashboards
-- (docs/sql.md).
--
-- No foreign key points at sql/002's tables, so this migration does not
-- depend on them being applied first; the loader copies the cell's facts
-- it needs (sweep, project, version, file, dependencies) into
-- report_results.

-- Normalized error signatures (reporter/signature.c): one row per
-- distinct signature.
CREATE TABLE report_signatures (
	id bigserial PRIMARY KEY,
	signature text NOT NULL UNIQUE CHECK (length(signature) <= 512),
	kind text NOT NULL CHECK (kind IN ('python', 'pip', 'build', 'outcome')),
	first_job_id bigint,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per loaded result: the cell's facts, the runner's verdict and
-- the guest's figures. passed is NULL for infrastructure outcomes (they
-- say nothing about the package).
CREATE TABLE report_results (
	job_id bigint PRIMARY KEY REFERENCES results (job_id) ON DELETE CASCADE,
	cell_id bigint,
	sweep_id bigint,
	rerun_of bigint,
	project text NOT NULL,
	version text NOT NULL,
	platform text NOT NULL,
	python text NOT NULL,
	file_name text,
	file_sha256 text,
	deps jsonb NOT NULL DEFAULT '[]',
	inputs_key text NOT NULL,
	class text NOT NULL CHECK (class IN ('package', 'infra')),
	outcome text NOT NULL,
	passed boolean,
	outcome_reason text,
	failed_task text,
	signature_id bigint REFERENCES report_signatures (id),
	hostile boolean NOT NULL DEFAULT false,
	findings integer NOT NULL DEFAULT 0,
	findings_dropped integer NOT NULL DEFAULT 0,
	tests_total integer,
	tests_passed integer,
	tests_failed integer,
	tests_errors integer,
	tests_skipped integer,
	tests_duration_ms bigint,
	cases_dropped integer NOT NULL DEFAULT 0,
	coverage_percent numeric(6, 2),
	coverage_lines integer,
	coverage_covered integer,
	lint_lines integer,
	pycodestyle integer,
	pyflakes integer,
	pycodestyle_per_kloc numeric(12, 2),
	pyflakes_per_kloc numeric(12, 2),
	metadata_score integer,
	metadata_max integer,
	uninstall_exit integer,
	leftovers integer NOT NULL DEFAULT 0,
	infra_retries integer NOT NULL DEFAULT 0,
	infra_evidence jsonb,
	duration_ms bigint,
	finished_at timestamptz NOT NULL,
	loaded_at timestamptz NOT NULL DEFAULT now()
);
-- pyti-matrix and the previous-result lookup of `changes`.
CREATE INDEX report_results_cell ON report_results
	(project, platform, python, job_id DESC);
CREATE INDEX report_results_version ON report_results
	(project, version, platform, python, job_id DESC);
CREATE INDEX report_results_sweep ON report_results (sweep_id, platform, python);
CREATE INDEX report_results_signature ON report_results (signature_id)
	WHERE signature_id IS NOT NULL;
CREATE INDEX report_results_rerun ON report_results (rerun_of)
	WHERE rerun_of IS NOT NULL;

-- Tasks in execution order (docs/raw-data.md 4.1).
CREATE TABLE report_tasks (
	job_id bigint NOT NULL REFERENCES report_results (job_id) ON DELETE CASCADE,
	seq integer NOT NULL,
	name text NOT NULL,
	outcome text NOT NULL,
	reason text,
	duration_ms bigint,
	exit_status integer,
	signal integer,
	PRIMARY KEY (job_id, seq)
);

-- Findings (4.2): evidence kept as bounded JSON, escaped on display.
CREATE TABLE report_findings (
	job_id bigint NOT NULL REFERENCES report_results (job_id) ON DELETE CASCADE,
	seq integer NOT NULL,
	kind text NOT NULL,
	severity text NOT NULL,
	task text,
	detail text,
	evidence jsonb,
	PRIMARY KEY (job_id, seq)
);
CREATE INDEX report_findings_kind ON report_findings (kind, severity);
CREATE INDEX report_findings_critical ON report_findings (job_id)
	WHERE severity = 'critical';

-- Test cases (4.4): outcome, duration, the failure message.
CREATE TABLE report_cases (
	job_id bigint NOT NULL REFERENCES report_results (job_id) ON DELETE CASCADE,
	seq integer NOT NULL,
	classname text NOT NULL,
	name text NOT NULL,
	outcome text NOT NULL,
	duration_ms bigint,
	message text,
	PRIMARY KEY (job_id, seq)
);

-- pycodestyle codes per result (4.4 lint.codes).
CREATE TABLE report_lint_codes (
	job_id bigint NOT NULL REFERENCES report_results (job_id) ON DELETE CASCADE,
	code text NOT NULL,
	count integer NOT NULL,
	PRIMARY KEY (job_id, code)
);

-- Metadata checks (4.5): the score is on report_results.
CREATE TABLE report_metadata_checks (
	job_id bigint NOT NULL REFERENCES report_results (job_id) ON DELETE CASCADE,
	name text NOT NULL,
	ok boolean NOT NULL,
	detail text,
	PRIMARY KEY (job_id, name)
);

-- Files `pip uninstall` left behind (4.5).
CREATE TABLE report_leftovers (
	job_id bigint NOT NULL REFERENCES report_results (job_id) ON DELETE CASCADE,
	seq integer NOT NULL,
	path text NOT NULL,
	PRIMARY KEY (job_id, seq)
);

-- A results row the loader could not take: why. The raw document stays
-- in results; `pyti-report load --retry-quarantined` tries again.
CREATE TABLE report_quarantine (
	job_id bigint PRIMARY KEY REFERENCES results (job_id) ON DELETE CASCADE,
	reason text NOT NULL,
	quarantined_at timestamptz NOT NULL DEFAULT now()
);

-- Each package result against the previous result of its cell (same
-- project, platform, Python). change: baseline (no previous result),
-- still_passing, still_failing, new_failure, fixed, flaky (a re-run with
-- the same inputs contradicted it), rerun_pending (contradicts the
-- previous result with the same inputs: a re-run was asked for).
-- regression: release (another version than the previous result) or
-- dependency (same version and file, other dependency files; changed_deps
-- names them) for new_failure.
CREATE TABLE report_changes (
	job_id bigint PRIMARY KEY REFERENCES report_results (job_id) ON DELETE CASCADE,
	sweep_id bigint,
	project text NOT NULL,
	version text NOT NULL,
	platform text NOT NULL,
	python text NOT NULL,
	prev_job_id bigint,
	prev_version text,
	change text NOT NULL CHECK (change IN ('baseline', 'still_passing',
		'still_failing', 'new_failure', 'fixed', 'flaky',
		'rerun_pending')),
	regression text CHECK (regression IN ('release', 'dependency', 'same_inputs')),
	changed_deps jsonb,
	new_hostile boolean NOT NULL DEFAULT false,
	rerun_job_id bigint,
	decided_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_changes_sweep ON report_changes (sweep_id, change);

-- Mail recipients: opt-out and the per-address rate state. token is the
-- unsubscribe secret in List-Unsubscribe links.
CREATE TABLE report_recipients (
	address text PRIMARY KEY CHECK (length(address) <= 254),
	token text NOT NULL UNIQUE,
	opted_out_at timestamptz,
	window_start timestamptz,
	sent_in_window integer NOT NULL DEFAULT 0,
	last_sent_at timestamptz
);

-- Per-domain rate state.
CREATE TABLE report_domains (
	domain text PRIMARY KEY CHECK (length(domain) <= 253),
	window_start timestamptz,
	sent_in_window integer NOT NULL DEFAULT 0
);

-- The outbox: one digest per recipient per sweep. state: queued -> sending
-- (committed before the SMTP transaction starts) -> sent; a failed send
-- goes back to queued with next_attempt_at, and after max attempts to
-- failed. A message found in `sending` at start was interrupted at an
-- unknown point: it becomes `uncertain` and is never sent again (at most
-- once; its Message-ID is stable for the operator to check).
CREATE TABLE report_outbox (
	id bigserial PRIMARY KEY,
	sweep_id bigint NOT NULL,
	recipient text NOT NULL REFERENCES report_recipients (address),
	message_id text NOT NULL UNIQUE,
	subject text NOT NULL,
	body text NOT NULL,
	state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued',
		'sending', 'sent', 'failed', 'uncertain', 'opted_out')),
	attempts integer NOT NULL DEFAULT 0,
	last_error text,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	created_at timestamptz NOT NULL DEFAULT now(),
	sent_at timestamptz,
	UNIQUE (sweep_id, recipient)
);
CREATE INDEX report_outbox_due ON report_outbox (next_attempt_at)
	WHERE state = 'queued';

-- Dashboards (docs/sql.md) --------------------------------------------

-- Pass rate by platform x Python over sweeps (package outcomes only).
CREATE VIEW report_v_pass_rate AS
SELECT sweep_id, platform, python,
	count(*) AS results,
	count(*) FILTER (WHERE passed) AS passed,
	round(100.0 * count(*) FILTER (WHERE passed) / count(*), 2) AS pass_rate
FROM report_results
WHERE class = 'package'
GROUP BY sweep_id, platform, python;

-- The last sweep's regressions, with their kind and changed dependencies.
CREATE VIEW report_v_last_regressions AS
SELECT c.sweep_id, c.project, c.version, c.platform, c.python,
	c.prev_version, c.regression, c.changed_deps, r.outcome,
	s.signature, c.job_id, c.prev_job_id
FROM report_changes c
JOIN report_results r ON r.job_id = c.job_id
LEFT JOIN report_signatures s ON s.id = r.signature_id
WHERE c.change = 'new_failure'
	AND c.sweep_id = (SELECT max(sweep_id) FROM report_changes);

-- Critical findings, newest first.
CREATE VIEW report_v_hostile AS
SELECT r.sweep_id, r.project, r.version, r.platform, r.python,
	f.kind, f.task, f.detail, f.evidence, r.job_id
FROM report_findings f
JOIN report_results r ON r.job_id = f.job_id
WHERE f.severity = 'critical';

-- Slowest packages: the latest result of each project on each cell.
CREATE VIEW report_v_slowest AS
SELECT DISTINCT ON (project, platform, python)
	project, version, platform, python, duration_ms, tests_duration_ms,
	outcome, job_id
FROM report_results
WHERE class = 'package' AND duration_ms IS NOT NULL
ORDER BY project, platform, python, job_id DESC;

-- Most common error signatures, per sweep.
CREATE VIEW report_v_signatures AS
SELECT r.sweep_id, s.signature, s.kind,
	count(*) AS results, count(DISTINCT r.project) AS projects,
	min(r.project) AS example_project
FROM report_results r
JOIN report_signatures s ON s.id = r.signature_id
GROUP BY r.sweep_id, s.id;

-- Flaky tests: a test case that both passed and failed on the same
-- release, platform and Python.
CREATE VIEW report_v_flaky_tests AS
SELECT r.project, r.version, r.platform, r.python, c.classname, c.name,
	count(*) FILTER (WHERE c.outcome = 'passed') AS passed,
	count(*) FILTER (WHERE c.outcome IN ('failed', 'error')) AS failed
FROM report_cases c
JOIN report_results r ON r.job_id = c.job_id
GROUP BY r.project, r.version, r.platform, r.python, c.classname, c.name
HAVING count(*) FILTER (WHERE c.outcome = 'passed') > 0
	AND count(*) FILTER (WHERE c.outcome IN ('failed', 'error')) > 0;
