-- 002-scheduler.sql: what pyti-schedule decided, and why.
--
-- A sweep is one pass of the scheduler over the mirror (and, later, of the
-- runners and the reporter over its jobs):
--   scheduling --pyti-schedule done--> running --pyti-report finish--> done
-- pyti-schedule continues the newest sweep still 'scheduling' (a crash in
-- the middle resumes there), otherwise it opens a new one.
--
-- A cell is one project x platform x Python of a sweep: the release and
-- the one file `pip install NAME` would install there, or no file and the
-- reason. Every job the scheduler enqueues names its cell (jobs.cell_id);
-- a cell may have several jobs (a re-run, the two stages of an sdist with
-- dynamic metadata). The reporter joins results.job_id -> jobs.cell_id ->
-- cells -> releases.
--
-- Idempotence: a project is scheduled in a sweep at most once
-- (sweep_projects), its cells and jobs are written in the same transaction
-- as that mark, and a cell is unique per sweep, project, platform and
-- Python; scheduling the same sweep again enqueues nothing.

CREATE TABLE sweeps (
	id bigserial PRIMARY KEY,
	kind text NOT NULL DEFAULT 'incremental'
		CHECK (kind IN ('incremental', 'full', 'packages')),
	state text NOT NULL DEFAULT 'scheduling'
		CHECK (state IN ('scheduling', 'running', 'done')),
	started_at timestamptz NOT NULL DEFAULT now(),
	scheduled_at timestamptz, -- when pyti-schedule finished it
	finished_at timestamptz -- when pyti-report finish closed it
);
CREATE INDEX sweeps_state ON sweeps (state, id);

-- The mirror serial each project was last scheduled at: an incremental
-- sweep takes the projects whose serial in the mirror moved past it.
CREATE TABLE project_serials (
	project text PRIMARY KEY, -- PEP 503 normalized name
	serial bigint NOT NULL,
	sweep_id bigint NOT NULL REFERENCES sweeps (id)
);

-- Projects a sweep has scheduled (committed with their cells and jobs):
-- what a resumed sweep skips.
CREATE TABLE sweep_projects (
	sweep_id bigint NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
	project text NOT NULL,
	serial bigint NOT NULL,
	cells integer NOT NULL DEFAULT 0,
	jobs integer NOT NULL DEFAULT 0,
	PRIMARY KEY (sweep_id, project)
);

-- A release the scheduler chose for some cell, with its maintainers'
-- addresses as the core metadata gives them (Author-email and
-- Maintainer-email, raw header text, NULL when absent) for the reporter.
CREATE TABLE releases (
	project text NOT NULL, -- PEP 503 normalized name
	version text NOT NULL, -- as the index spells it
	display_name text, -- the project's name as the index shows it
	author_email text,
	maintainer_email text,
	requires_python text,
	metadata_sha256 text, -- the PEP 658 file the fields came from
	first_seen timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (project, version)
);

-- Every distribution file a cell or a job names (chosen files and their
-- dependencies), by content.
CREATE TABLE files (
	sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	name text NOT NULL,
	size bigint NOT NULL CHECK (size >= 0),
	project text NOT NULL,
	version text NOT NULL,
	kind text NOT NULL CHECK (kind IN ('wheel', 'sdist')),
	requires_python text,
	first_seen timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_release ON files (project, version);

-- One row per project x platform x Python of a sweep. file_* are NULL and
-- reason says why when nothing is installable. resolution is "ok",
-- "two_stage", "conflict: ..." or "unavailable: ..."; deps is the array of
-- {"name","sha256","size","role","version"} the job delivers (role:
-- runtime, build, test, tests_source).
CREATE TABLE cells (
	id bigserial PRIMARY KEY,
	sweep_id bigint NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
	project text NOT NULL,
	version text,
	platform text NOT NULL,
	python text NOT NULL,
	file_name text,
	file_sha256 text,
	file_size bigint,
	reason text,
	resolution text NOT NULL,
	deps jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(deps) = 'array'),
	test_unresolved jsonb NOT NULL DEFAULT '[]',
	priority integer NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (sweep_id, project, platform, python),
	CHECK ((file_sha256 IS NULL) = (reason IS NOT NULL))
);
-- "The last cells of this project on this platform": priority (time since
-- last tested, failed last time) and the reporter's history.
CREATE INDEX cells_history ON cells (project, platform, python, id);

ALTER TABLE jobs ADD COLUMN cell_id bigint REFERENCES cells (id);
CREATE INDEX jobs_cell ON jobs (cell_id);
