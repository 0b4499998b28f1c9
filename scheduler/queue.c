/*
 * The sweep's rows in PostgreSQL. One transaction per project holds its
 * releases, files, cells, jobs and the sweep_projects mark, so whatever
 * happens (a kill, a lost connection) a project is either wholly in the
 * sweep or not at all, and running again continues where it stopped.
 *
 * Priority of a cell's job (docs/scheduler.md):
 *	rank    max(0, 600 - 100 * log10(download rank))   unranked: 0
 *	regress +700 when the cell passed before and failed last time (above
 *	        any rank: a regression is news for its maintainers)
 *	age     never tested: +300; else +10 per day since, at most +300
 */
#include "queue.h"

#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "db_queue.h"
#include "jx.h"
#include "log.h"
#include "map.h"
#include "pep503.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sched_queue {
	struct db *db;
	long long sweep;
	enum sched_sweep_kind kind;
	struct sched_map done; /* projects this sweep has done */
	struct sched_map serials; /* last scheduled serial per project */
	struct sched_map ranks; /* download rank per project */
	int max_attempts;
};

/* The ranks file: TSV with a header naming a "name" and a "rank" column
 * (the pypi-projects.tsv layout); rows without a rank are skipped. */
static int
load_ranks(struct sched_map *m, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return log_error("cannot open ranks file '%s': %m", path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int name_col = -1, rank_col = -1, lineno = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (len > 4096)
			continue;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		char *cols[16];
		int nc = 0;
		char *s = line;
		for (;;) {
			if (nc == 16)
				break;
			cols[nc++] = s;
			char *t = strchr(s, '\t');
			if (!t)
				break;
			*t = 0;
			s = t + 1;
		}
		if (lineno == 1) {
			for (int i = 0; i < nc; i++) {
				if (!strcmp(cols[i], "name"))
					name_col = i;
				if (!strcmp(cols[i], "rank"))
					rank_col = i;
			}
			if (name_col < 0 || rank_col < 0) {
				free(line);
				fclose(f);
				return log_error("ranks file '%s': the header "
				                 "has no 'name' and 'rank' "
				                 "columns",
				                 path);
			}
			continue;
		}
		if (name_col >= nc || rank_col >= nc || !*cols[rank_col])
			continue;
		char *e;
		long r = strtol(cols[rank_col], &e, 10);
		if (*e || r < 1)
			continue;
		pep503_normalize_to(cols[name_col], cols[name_col],
		                    strlen(cols[name_col]));
		sched_map_put(m, cols[name_col], r);
	}
	free(line);
	fclose(f);
	return 0;
}

static const char *const kind_names[] = {"incremental", "full", "packages"};

struct sched_queue *
sched_queue_open(const struct cfg *c, enum sched_sweep_kind kind,
                 const struct sched_platforms *ps)
{
	const char *ranks = cfg_get(c, "schedule", "ranks", NULL);
	struct sched_queue *q = xcalloc(1, sizeof(*q));
	PGresult *r = NULL;
	int64_t ma;
	char id[32];
	const char *p[1];

	q->kind = kind;
	if (cfg_get_int(c, "schedule", "max-attempts", 3, 1, 100, &ma) < 0)
		goto fail;
	q->max_attempts = (int)ma;
	if (ranks && load_ranks(&q->ranks, ranks) < 0)
		goto fail;
	q->db = db_new_cfg(c);
	if (db_connect(q->db) < 0)
		goto fail;
	if (kind == SCHED_SWEEP_FOLLOWUPS) {
		r = db_exec(q->db, "read sweeps",
		            "SELECT coalesce(max(id), 0) FROM sweeps", 0, NULL,
		            PGRES_TUPLES_OK);
		if (!r)
			goto fail;
		q->sweep = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		return q;
	}
	r = db_exec(q->db, "read sweeps",
	            "SELECT id FROM sweeps WHERE state = 'scheduling'"
	            " ORDER BY id DESC LIMIT 1",
	            0, NULL, PGRES_TUPLES_OK);
	if (!r)
		goto fail;
	if (PQntuples(r)) {
		q->sweep = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		log_info("continuing sweep %lld", q->sweep);
	} else {
		PQclear(r);
		p[0] = kind_names[kind];
		r = db_exec(
		    q->db, "open a sweep",
		    "INSERT INTO sweeps (kind) VALUES ($1) RETURNING id", 1, p,
		    PGRES_TUPLES_OK);
		if (!r)
			goto fail;
		q->sweep = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		log_info("opened sweep %lld (%s)", q->sweep, kind_names[kind]);
	}
	PQclear(r);
	snprintf(id, sizeof(id), "%lld", q->sweep);
	p[0] = id;
	r = db_exec(q->db, "read the sweep's projects",
	            "SELECT project FROM sweep_projects WHERE sweep_id = $1", 1,
	            p, PGRES_TUPLES_OK);
	if (!r)
		goto fail;
	for (int i = 0; i < PQntuples(r); i++)
		sched_map_put(&q->done, PQgetvalue(r, i, 0), 1);
	PQclear(r);
	r = NULL;
	if (kind == SCHED_SWEEP_INCREMENTAL) {
		r = db_exec(q->db, "read project serials",
		            "SELECT project, serial FROM project_serials", 0,
		            NULL, PGRES_TUPLES_OK);
		if (!r)
			goto fail;
		for (int i = 0; i < PQntuples(r); i++)
			sched_map_put(&q->serials, PQgetvalue(r, i, 0),
			              strtoll(PQgetvalue(r, i, 1), NULL, 10));
		PQclear(r);
		r = NULL;
	}
	(void)ps;
	return q;
fail:
	PQclear(r);
	sched_queue_close(q);
	return NULL;
}

void
sched_queue_close(struct sched_queue *q)
{
	if (!q)
		return;
	db_free(q->db);
	sched_map_release(&q->done);
	sched_map_release(&q->serials);
	sched_map_release(&q->ranks);
	free(q);
}

long long
sched_queue_sweep(const struct sched_queue *q)
{
	return q->sweep;
}

int
sched_queue_wants(struct sched_queue *q, const char *norm, int64_t serial)
{
	int64_t v;
	if (sched_map_get(&q->done, norm, &v))
		return 0;
	if (q->kind != SCHED_SWEEP_INCREMENTAL)
		return 1;
	return !sched_map_get(&q->serials, norm, &v) || v < serial;
}

/* History of a project's cells: per platform/python, the last outcome,
 * whether it ever passed before that, and seconds since. */
struct hist {
	char platform[72], python[16];
	int last_failed, passed_before;
	int64_t age_s;
};

static size_t
load_history(struct sched_queue *q, const char *norm, struct hist *h,
             size_t max)
{
	const char *p[1] = {norm};
	size_t n = 0;
	PGresult *r = db_exec(
	    q->db, "read the project's history",
	    "SELECT c.platform, c.python, r.outcome,"
	    " extract(epoch FROM now() - r.created_at)::bigint"
	    " FROM cells c JOIN jobs j ON j.cell_id = c.id"
	    " JOIN results r ON r.job_id = j.id"
	    " WHERE c.project = $1 ORDER BY r.created_at DESC, r.job_id DESC"
	    " LIMIT 1000",
	    1, p, PGRES_TUPLES_OK);
	if (!r)
		return 0;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *pl = PQgetvalue(r, i, 0), *py = PQgetvalue(r, i, 1);
		int passed = !strcmp(PQgetvalue(r, i, 2), "passed");
		size_t k;
		for (k = 0; k < n; k++)
			if (!strcmp(h[k].platform, pl) &&
			    !strcmp(h[k].python, py))
				break;
		if (k == n) {
			if (n == max)
				continue;
			memset(&h[n], 0, sizeof(h[n]));
			snprintf(h[n].platform, sizeof(h[n].platform), "%s",
			         pl);
			snprintf(h[n].python, sizeof(h[n].python), "%s", py);
			h[n].last_failed = !passed;
			h[n].age_s = strtoll(PQgetvalue(r, i, 3), NULL, 10);
			n++;
		} else if (passed) {
			h[k].passed_before = 1;
		}
	}
	PQclear(r);
	return n;
}

int
sched_priority(int64_t rank, int tested, int regressed, int64_t age_s)
{
	double p = 0;
	if (rank > 0)
		p += fmax(0, 600 - 100 * log10((double)rank));
	if (regressed)
		p += 700;
	if (!tested)
		p += 300;
	else
		p += fmin(300, 10 * ((double)age_s / 86400));
	return (int)p;
}

static int
insert_file(struct sched_queue *q, const json_t *f, const char *project,
            const char *version, const char *requires_python)
{
	const char *name = jx_str(f, "name"), *sha = jx_str(f, "sha256");
	int64_t size;
	char sz[32];
	if (!name || !sha || jx_int(f, "size", &size) != 0)
		return 0; /* unverifiable files are not delivered anyway */
	snprintf(sz, sizeof(sz), "%lld", (long long)size);
	size_t nl = strlen(name);
	const char *kind =
	    nl > 4 && !strcmp(name + nl - 4, ".whl") ? "wheel" : "sdist";
	const char *p[7] = {
	    sha,  name,           sz, project, version ? version : "",
	    kind, requires_python};
	return db_command(
	    q->db, "insert a file",
	    "INSERT INTO files (sha256, name, size, project, version,"
	    " kind, requires_python) VALUES (lower($1), $2, $3, $4,"
	    " $5, $6, $7) ON CONFLICT (sha256) DO NOTHING",
	    7, p, 0);
}

/* The job spec of a cell (jobs.spec; docs/raw-data.md section 3). */
static json_t *
job_spec(const json_t *cell, long long cell_id)
{
	json_t *s = json_object();
	jx_set(s, "version", json_integer(1));
	jx_set(s, "project", json_string(jx_str(cell, "project")));
	jx_set(s, "dist_version", json_string(jx_str(cell, "version")));
	jx_set(s, "python", json_string(jx_str(cell, "python")));
	jx_set(s, "dist", json_deep_copy(json_object_get(cell, "file")));
	jx_set(s, "deps", json_deep_copy(json_object_get(cell, "deps")));
	jx_set(s, "cell_id", json_integer(cell_id));
	json_t *tu = json_object_get(cell, "test_unresolved");
	if (tu)
		jx_set(s, "test_unresolved", json_deep_copy(tu));
	const char *res = jx_str(cell, "resolution");
	if (res && !strcmp(res, "two_stage"))
		jx_set(s, "stage", json_string("build"));
	return s;
}

int
sched_queue_project(struct sched_queue *q, const struct sched_project *p,
                    int64_t serial, json_t *cells, size_t *jobs)
{
	char sweep[32], ser[32], prio[32];
	struct hist hist[SCHED_MAX_PLATFORMS];
	int64_t rank = 0;
	size_t nh, njobs = 0, ncells = 0;
	PGresult *r = NULL;

	snprintf(sweep, sizeof(sweep), "%lld", q->sweep);
	snprintf(ser, sizeof(ser), "%lld", (long long)serial);
	sched_map_get(&q->ranks, p->norm, &rank);
	nh = load_history(q, p->norm, hist, SCHED_MAX_PLATFORMS);
	if (db_begin(q->db) < 0)
		return -1;
	size_t i;
	json_t *cell;
	json_array_foreach(cells, i, cell) {
		const char *platform = jx_str(cell, "platform");
		const char *python = jx_str(cell, "python");
		const char *version = jx_str(cell, "version");
		json_t *file = json_object_get(cell, "file");
		json_t *rel = json_object_get(cell, "_release");
		int tested = 0, regressed = 0;
		int64_t age = 0;
		for (size_t k = 0; k < nh; k++)
			if (!strcmp(hist[k].platform, platform) &&
			    !strcmp(hist[k].python, python)) {
				tested = 1;
				regressed = hist[k].last_failed &&
				            hist[k].passed_before;
				age = hist[k].age_s;
			}
		int priority = sched_priority(rank, tested, regressed, age);
		snprintf(prio, sizeof(prio), "%d", priority);
		if (version) {
			const char *rp[6] = {
			    p->norm,
			    version,
			    p->display,
			    rel ? jx_str(rel, "author_email") : NULL,
			    rel ? jx_str(rel, "maintainer_email") : NULL,
			    rel ? jx_str(rel, "metadata_sha256") : NULL};
			if (db_command(
			        q->db, "insert a release",
			        "INSERT INTO releases (project, version,"
			        " display_name, author_email,"
			        " maintainer_email, metadata_sha256)"
			        " VALUES ($1, $2, $3, $4, $5, $6)"
			        " ON CONFLICT (project, version) DO UPDATE SET"
			        " author_email = "
			        "coalesce(excluded.author_email,"
			        " releases.author_email), maintainer_email ="
			        " coalesce(excluded.maintainer_email,"
			        " releases.maintainer_email), metadata_sha256 ="
			        " coalesce(excluded.metadata_sha256,"
			        " releases.metadata_sha256)",
			        6, rp, 0))
				goto fail;
		}
		if (json_is_object(file) &&
		    insert_file(q, file, p->norm, version,
		                rel ? jx_str(rel, "requires_python") : NULL))
			goto fail;
		size_t di;
		json_t *dep;
		json_array_foreach(json_object_get(cell, "deps"), di, dep) {
			if (insert_file(q, dep, "", jx_str(dep, "version"),
			                NULL))
				goto fail;
		}
		char *deps = jx_dumps(json_object_get(cell, "deps"));
		json_t *tuj = json_object_get(cell, "test_unresolved");
		char *tu = tuj ? jx_dumps(tuj) : xstrdup("[]");
		const char *fsha =
		    json_is_object(file) ? jx_str(file, "sha256") : NULL;
		char fsize[32] = "";
		int64_t fs;
		if (json_is_object(file) && jx_int(file, "size", &fs) == 0)
			snprintf(fsize, sizeof(fsize), "%lld", (long long)fs);
		const char *reason = jx_str(cell, "reason");
		if (json_is_object(file) && !fsha)
			reason = "the index gives no sha256 for the file";
		const char *cp[13] = {
		    sweep,
		    p->norm,
		    version,
		    platform,
		    python,
		    json_is_object(file) && fsha ? jx_str(file, "name") : NULL,
		    fsha,
		    fsha && *fsize ? fsize : NULL,
		    reason,
		    jx_str(cell, "resolution"),
		    deps,
		    tu,
		    prio};
		r = db_exec(
		    q->db, "insert a cell",
		    "INSERT INTO cells (sweep_id, project, version, platform,"
		    " python, file_name, file_sha256, file_size, reason,"
		    " resolution, deps, test_unresolved, priority) VALUES ($1,"
		    " $2, $3, $4, $5, $6, lower($7), $8, $9, $10, $11, $12, "
		    "$13)"
		    " ON CONFLICT (sweep_id, project, platform, python)"
		    " DO NOTHING RETURNING id",
		    13, cp, PGRES_TUPLES_OK);
		free(deps);
		free(tu);
		if (!r)
			goto fail;
		ncells++;
		if (!PQntuples(r) || !fsha) {
			PQclear(r);
			r = NULL;
			continue;
		}
		long long id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		r = NULL;
		json_t *spec = job_spec(cell, id);
		char *specs = jx_dumps(spec);
		json_decref(spec);
		struct db_job job = {.platform = platform,
		                     .python = python,
		                     .spec = specs,
		                     .priority = priority,
		                     .max_attempts = q->max_attempts,
		                     .cell_id = id};
		int64_t jid = db_enqueue(q->db, &job);
		free(specs);
		if (jid < 0)
			goto fail;
		njobs++;
	}
	char nc[32], nj[32];
	snprintf(nc, sizeof(nc), "%zu", ncells);
	snprintf(nj, sizeof(nj), "%zu", njobs);
	const char *sp[5] = {sweep, p->norm, ser, nc, nj};
	if (db_command(
	        q->db, "mark the project scheduled",
	        "INSERT INTO sweep_projects (sweep_id, project, serial, cells,"
	        " jobs) VALUES ($1, $2, $3, $4, $5)",
	        5, sp, 0) ||
	    db_command_commit(
	        q->db, "record the project's serial",
	        "INSERT INTO project_serials (project, serial, sweep_id)"
	        " VALUES ($2, $3, $1) ON CONFLICT (project) DO UPDATE SET"
	        " serial = excluded.serial, sweep_id = excluded.sweep_id",
	        3, sp, 0))
		goto fail;
	sched_map_put(&q->done, p->norm, 1);
	*jobs = njobs;
	return 0;
fail:
	/* db_exec() rolled the transaction back where it failed */
	PQclear(r);
	return log_error("project '%s' not scheduled (nothing of it written)",
	                 p->norm);
}

int
sched_queue_finish(struct sched_queue *q)
{
	char id[32];
	snprintf(id, sizeof(id), "%lld", q->sweep);
	const char *p[1] = {id};
	return db_command(
	    q->db, "close the sweep's scheduling",
	    "UPDATE sweeps SET state = 'running', scheduled_at = now()"
	    " WHERE id = $1 AND state = 'scheduling'",
	    1, p, 0);
}

int
sched_queue_followups(struct sched_queue *q, sched_followup_fn fn, void *arg)
{
	PGresult *r = db_exec(
	    q->db, "find finished first stages",
	    "SELECT j.id, j.cell_id, c.project, c.platform, c.python,"
	    " c.file_sha256, r.raw->'result'->'built'->>'metadata', j.priority,"
	    " r.raw->'artifact'->>'name', r.raw->'artifact'->>'sha256',"
	    " CASE WHEN jsonb_typeof(r.raw->'artifact'->'size') = 'number'"
	    " THEN r.raw->'artifact'->>'size' END,"
	    " coalesce(r.raw->'result'->'findings', '[]'::jsonb) = '[]'::jsonb"
	    " FROM jobs j JOIN cells c ON c.id = j.cell_id"
	    " JOIN results r ON r.job_id = j.id"
	    " WHERE j.spec->>'stage' = 'build' AND c.file_sha256 IS NOT NULL"
	    " AND r.raw->'result'->'built'->>'metadata' IS NOT NULL"
	    " AND NOT EXISTS (SELECT 1 FROM jobs k WHERE k.cell_id = j.cell_id"
	    " AND k.spec->>'stage_of' = j.id::text)"
	    " ORDER BY j.id LIMIT 10000",
	    0, NULL, PGRES_TUPLES_OK);
	int rc = 0;
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		const char *md = db_col_str(r, i, 6);
		struct sched_followup f = {
		    .job_id = db_col_i64(r, i, 0),
		    .cell_id = db_col_i64(r, i, 1),
		    .project = db_col_str(r, i, 2),
		    .platform = db_col_str(r, i, 3),
		    .python = db_col_str(r, i, 4),
		    .file_sha256 = db_col_str(r, i, 5),
		    .metadata = md,
		    .metadata_len = strlen(md),
		    .priority = (int)db_col_i64(r, i, 7),
		    .artifact_name = db_col_str(r, i, 8),
		    .artifact_sha256 = db_col_str(r, i, 9),
		    .artifact_size = -1,
		    .clean = db_col_str(r, i, 11) &&
		             !strcmp(db_col_str(r, i, 11), "t"),
		};
		char *end = NULL;
		const char *sz = db_col_str(r, i, 10);
		if (sz) {
			errno = 0;
			long long v = strtoll(sz, &end, 10);
			if (!errno && end && !*end && v >= 0)
				f.artifact_size = v;
		}
		if (f.metadata_len > (1u << 20)) {
			log_warn("job %lld: reported metadata over 1 MiB: "
			         "ignored",
			         f.job_id);
			continue;
		}
		rc = fn(q, &f, arg);
	}
	PQclear(r);
	return rc;
}

/* The second stage's spec installs the first stage's wheel: no build,
 * so no build deps (a file that is also another role's stays, as that
 * role); the sdist brings the tests (role tests_source). */
static void
spec_use_artifact(json_t *spec, const struct sched_followup *f)
{
	json_t *sdist = json_object_get(spec, "dist"), *deps = json_array();
	json_t *old = json_object_get(spec, "deps"), *e, *r;
	size_t i, k;
	json_array_foreach(old, i, e) {
		json_t *roles = json_object_get(e, "roles"), *kept;
		if (!jx_dep_has_role(e, "build")) {
			jx_append(deps, json_incref(e));
			continue;
		}
		if (!json_is_array(roles))
			continue;
		kept = json_array();
		json_array_foreach(roles, k, r) {
			if (json_is_string(r) &&
			    strcmp(json_string_value(r), "build") != 0)
				jx_append(kept, json_incref(r));
		}
		if (json_array_size(kept)) {
			json_t *t = json_deep_copy(e);
			jx_set(t, "role", json_incref(json_array_get(kept, 0)));
			jx_set(t, "roles", kept);
			jx_append(deps, t);
		} else {
			json_decref(kept);
		}
	}
	if (json_is_object(sdist)) {
		json_t *t = json_deep_copy(sdist);
		jx_set(t, "role", json_string("tests_source"));
		const char *v = jx_str(spec, "dist_version");
		if (v)
			jx_set(t, "version", json_string(v));
		jx_append(deps, t);
	}
	jx_set(spec, "dist",
	       json_pack("{s:s,s:s,s:I}", "name", f->artifact_name, "sha256",
	                 f->artifact_sha256, "size",
	                 (json_int_t)f->artifact_size));
	jx_set(spec, "deps", deps);
}

int
sched_queue_stage2(struct sched_queue *q, const struct sched_followup *f,
                   json_t *cell, int artifact)
{
	char cid[32], sid[32];
	int rc = -1;
	snprintf(cid, sizeof(cid), "%lld", f->cell_id);
	snprintf(sid, sizeof(sid), "%lld", f->job_id);
	json_t *spec = job_spec(cell, f->cell_id);
	json_object_del(spec, "stage");
	jx_set(spec, "stage_of", json_string(sid));
	if (artifact)
		spec_use_artifact(spec, f);
	char *specs = jx_dumps(spec);
	char *deps = jx_dumps(json_object_get(artifact ? spec : cell, "deps"));
	json_decref(spec);
	const char *up[2] = {deps, cid};
	struct db_job job = {.platform = f->platform,
	                     .python = f->python,
	                     .spec = specs,
	                     .priority = f->priority,
	                     .max_attempts = q->max_attempts,
	                     .cell_id = f->cell_id};
	if (db_begin(q->db) < 0)
		goto out;
	if (db_command(q->db, "record the second stage's files",
	               "UPDATE cells SET deps = $1 WHERE id = $2", 2, up, 0) ||
	    db_enqueue(q->db, &job) < 0 || db_commit(q->db) < 0)
		goto out;
	rc = 0;
out:
	free(specs);
	free(deps);
	return rc;
}
