/*
 * The run: projects in, cells out. Every mode shares one path per
 * project: read the record, choose per platform, gather each cell's
 * files (deps.h), then print, explain or hand the cells to the queue.
 */
#include "sched.h"

#include "artifact.h"
#include "buf.h"
#include "cfg.h"
#include "deps.h"
#include "jx.h"
#include "kv.h"
#include "log.h"
#include "mirror.h"
#include "pep440.h"
#include "pep503.h"
#include "queue.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int
sched_opts_from_cfg(struct sched_opts *o, const struct cfg *c)
{
	const char *v;
	o->db = cfg_get(c, "mirror", "db",
	                cfg_get(c, "crawler", "db", "/var/lib/pyti/mirror"));
	o->store =
	    cfg_get(c, "store", "dir", cfg_get(c, "crawler", "store", NULL));
	v = cfg_get(c, "schedule", "prereleases", "fallback");
	if (!strcmp(v, "fallback"))
		o->choose.pre = SCHED_PRE_FALLBACK;
	else if (!strcmp(v, "never"))
		o->choose.pre = SCHED_PRE_NEVER;
	else if (!strcmp(v, "always"))
		o->choose.pre = SCHED_PRE_ALWAYS;
	else
		return log_error(
		    "[schedule] prereleases: '%s' is not fallback, "
		    "never or always",
		    v);
	v = cfg_get(c, "schedule", "yanked", "fallback");
	if (!strcmp(v, "fallback"))
		o->choose.yanked = SCHED_YANKED_FALLBACK;
	else if (!strcmp(v, "never"))
		o->choose.yanked = SCHED_YANKED_NEVER;
	else
		return log_error("[schedule] yanked: '%s' is not fallback or "
		                 "never",
		                 v);
	if (cfg_get_bool(c, "schedule", "no-binary", 0,
	                 &o->choose.no_binary) < 0)
		return -1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t w;
	if (cpus < 1)
		cpus = 1;
	if (cpus > 8)
		cpus = 8;
	if (cfg_get_int(c, "schedule", "workers", cpus, 1, 64, &w) < 0)
		return -1;
	o->workers = (int)w;
	if (cfg_get_int(c, "schedule", "chunk", 1024, 1, 1 << 20, &w) < 0)
		return -1;
	o->chunk = (int)w;
	return 0;
}

static json_t *
file_json(const struct sched_file *f)
{
	json_t *j = json_object();
	jx_set(j, "name", json_string(f->name));
	jx_set(j, "sha256", jx_string_or_null(f->sha256));
	jx_set(j, "size", f->size >= 0 ? json_integer(f->size) : json_null());
	return j;
}

json_t *
sched_cell_json(const struct sched_project *p, const struct sched_platform *pl,
                const struct sched_choice *ch, const struct sched_deps *d)
{
	json_t *j = json_object();
	jx_set(j, "project", json_string(p->norm));
	jx_set(j, "platform", json_string(pl->name));
	jx_set(j, "python", json_string(pl->python));
	if (ch->file < 0) {
		jx_set(j, "version", json_null());
		jx_set(j, "file", json_null());
		jx_set(j, "reason", sched_text(ch->reason, strlen(ch->reason)));
		jx_set(j, "deps", json_array());
		jx_set(j, "resolution",
		       json_string("unavailable: no installable file"));
		return j;
	}
	jx_set(j, "version", json_string(ch->version));
	jx_set(j, "file", file_json(&p->files[ch->file]));
	jx_set(j, "reason", json_null());
	jx_set(j, "deps", json_deep_copy(d->deps));
	jx_set(j, "resolution",
	       sched_text(d->resolution, strlen(d->resolution)));
	if (json_array_size(d->test_unresolved))
		jx_set(j, "test_unresolved",
		       json_deep_copy(d->test_unresolved));
	return j;
}

#define BUF_LIT(b, lit) buf_add((b), (lit), sizeof(lit) - 1)

/* A JSON string as jx_dumps() writes it: ASCII text escaped here, the
 * rest through jansson (which checks it is UTF-8; sched_text() keeps
 * what is not). */
static void
put_str(struct buf *b, const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || !s[i])
			break;
	if (i < n) {
		json_t *j = sched_text(s, n);
		char *t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		buf_add(b, t, strlen(t));
		free(t);
		json_decref(j);
		return;
	}
	buf_addc(b, '"');
	size_t run = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;
		if (c == '"')
			e = "\\\"";
		else if (c == '\\')
			e = "\\\\";
		else if (c == '\b')
			e = "\\b";
		else if (c == '\f')
			e = "\\f";
		else if (c == '\n')
			e = "\\n";
		else if (c == '\r')
			e = "\\r";
		else if (c == '\t')
			e = "\\t";
		else if (c >= 0x20)
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		if (e)
			buf_add(b, e, strlen(e));
		else
			buf_addf(b, "\\u%04X", c);
	}
	buf_add(b, s + run, n - run);
	buf_addc(b, '"');
}

static void
put_cstr(struct buf *b, const char *s)
{
	if (s)
		put_str(b, s, strlen(s));
	else
		BUF_LIT(b, "null");
}

static void
put_json(struct buf *b, const json_t *j)
{
	if (json_is_array(j) && !json_array_size(j)) {
		BUF_LIT(b, "[]");
		return;
	}
	char *t = jx_dumps(j);
	buf_add(b, t, strlen(t));
	free(t);
}

/* "platform":...,"project":...,"python":... of a cell line */
static void
put_where(struct buf *b, const struct sched_project *p,
          const struct sched_platform *pl)
{
	BUF_LIT(b, "\"platform\":");
	put_cstr(b, pl->name);
	BUF_LIT(b, ",\"project\":");
	put_cstr(b, p->norm);
	BUF_LIT(b, ",\"python\":");
	put_cstr(b, pl->python);
}

void
sched_cell_write(struct buf *b, const struct sched_project *p,
                 const struct sched_platform *pl, const struct sched_choice *ch,
                 const struct sched_deps *d)
{
	/* keys in jx_dumps()'s sorted order */
	BUF_LIT(b, "{\"deps\":");
	if (ch->file < 0) {
		BUF_LIT(b, "[],\"file\":null,");
		put_where(b, p, pl);
		BUF_LIT(b, ",\"reason\":");
		put_cstr(b, ch->reason);
		buf_addf(b, ",\"resolution\":\"unavailable: no installable "
		            "file\",\"version\":null}\n");
		return;
	}
	const struct sched_file *f = &p->files[ch->file];
	put_json(b, d->deps);
	BUF_LIT(b, ",\"file\":{\"name\":");
	put_cstr(b, f->name);
	BUF_LIT(b, ",\"sha256\":");
	put_cstr(b, f->sha256);
	if (f->size >= 0)
		buf_addf(b, ",\"size\":%lld},", (long long)f->size);
	else
		BUF_LIT(b, ",\"size\":null},");
	put_where(b, p, pl);
	BUF_LIT(b, ",\"reason\":null,\"resolution\":");
	put_cstr(b, d->resolution);
	if (json_array_size(d->test_unresolved)) {
		BUF_LIT(b, ",\"test_unresolved\":");
		put_json(b, d->test_unresolved);
	}
	BUF_LIT(b, ",\"version\":");
	put_cstr(b, ch->version);
	BUF_LIT(b, "}\n");
}

struct run {
	const struct cfg *c;
	const struct sched_opts *o;
	struct sched_platforms ps;
	struct mirror m;
	struct sched_deps_ctx *dctx;
	struct sched_queue *q; /* SCHED_ENQUEUE only */
	struct buf text; /* a record's text, reused */
	struct buf line; /* a cell's JSON line, reused */
	struct buf *chunk; /* a walk_parallel() worker's lines, or NULL:
	                      SCHED_DRY_JSON lines go to stdout */
	size_t projects, cells, jobs, failed;
};

static void
explain(struct run *r, const struct sched_project *p,
        const struct sched_platform *pl, const struct sched_choice *ch,
        const struct sched_deps *d)
{
	printf("%s on %s (python %s, %s):\n", p->norm, pl->name,
	       pl->python_full, pl->tag_platform);
	if (ch->file < 0) {
		printf("  no file: %s\n", ch->reason);
		return;
	}
	const struct sched_file *f = &p->files[ch->file];
	long n = 0;
	for (size_t i = 0; i < p->nfiles; i++)
		n += sched_file_ok(&p->files[i], pl);
	printf("  file: %s (version %s%s) among %ld candidate file%s of %zu\n",
	       f->name, ch->version, f->yanked ? ", yanked" : "", n,
	       n == 1 ? "" : "s", p->nfiles);
	if (f->kind == SCHED_FILE_WHEEL)
		printf("  why: highest version, then the best-ranked wheel tag "
		       "for this interpreter\n");
	else
		printf("  why: highest version; no wheel of it is compatible, "
		       "so the sdist\n");
	printf("  resolution: %s\n", d->resolution);
	size_t i;
	json_t *dep;
	json_array_foreach(d->deps, i, dep) {
		json_t *roles = json_object_get(dep, "roles"), *role;
		struct buf b = BUF_INIT(0);
		size_t k;
		json_array_foreach(roles, k, role) {
			if (k)
				buf_addc(&b, '+');
			buf_adds(&b, json_string_value(role));
		}
		printf("  %-12s %s\n",
		       roles ? buf_cstr(&b) : jx_str(dep, "role"),
		       jx_str(dep, "name"));
		buf_release(&b);
	}
	json_array_foreach(d->test_unresolved, i, dep) {
		printf("  test unresolved: %s\n", json_string_value(dep));
	}
	json_array_foreach(d->notes, i, dep) {
		printf("  note: %s\n", json_string_value(dep));
	}
}

/* One project: cells on every platform. Returns 0, or -1 on a failure
 * that stops the run (the queue). */
static int
do_project(struct run *r, const char *norm, int64_t serial)
{
	int found;
	struct sched_project p;
	int rc = 0;

	if (sched_project_read(&p, &r->m, norm, &r->text, &found) < 0) {
		if (found == 0)
			log_warn("project '%s' is not in the mirror", norm);
		r->failed++;
		return 0;
	}
	if (!p.schedulable) {
		log_info("project '%s' is deleted or quarantined: no cells",
		         norm);
		sched_project_release(&p);
		return 0;
	}
	r->projects++;
	json_t *cells = json_array();
	for (size_t k = 0; k < r->ps.n; k++) {
		const struct sched_platform *pl = &r->ps.v[k];
		struct sched_choice ch;
		struct sched_deps d;
		sched_choose(&p, pl, &r->o->choose, &ch);
		sched_deps_init(&d);
		if (ch.file >= 0)
			sched_deps_cell(r->dctx, &p, pl, &ch, &d);
		if (r->o->mode == SCHED_EXPLAIN) {
			explain(r, &p, pl, &ch, &d);
		} else if (r->o->mode == SCHED_DRY_JSON) {
			if (r->chunk) {
				sched_cell_write(r->chunk, &p, pl, &ch, &d);
			} else {
				buf_reset(&r->line);
				sched_cell_write(&r->line, &p, pl, &ch, &d);
				fwrite(r->line.data, 1, r->line.len, stdout);
			}
		} else {
			json_t *cell = sched_cell_json(&p, pl, &ch, &d);
			json_t *rel = json_object();
			jx_set(rel, "author_email",
			       jx_string_or_null(d.author_email));
			jx_set(rel, "maintainer_email",
			       jx_string_or_null(d.maintainer_email));
			jx_set(rel, "requires_python",
			       jx_string_or_null(d.requires_python));
			jx_set(rel, "metadata_sha256",
			       jx_string_or_null(d.metadata_sha256));
			jx_set(cell, "_release", rel);
			jx_append(cells, cell);
		}
		sched_deps_release(&d);
		r->cells++;
	}
	if (r->o->mode == SCHED_ENQUEUE) {
		size_t jobs = 0;
		rc = sched_queue_project(r->q, &p, serial, cells, &jobs);
		r->jobs += jobs;
	}
	json_decref(cells);
	sched_project_release(&p);
	return rc;
}

/* The second stage of a two-stage job: with the requirements of the
 * wheel the first stage built, that wheel itself when the first stage
 * handed it back into this host's store and reported no finding (a
 * finding of its build would otherwise be missing from the stage that
 * decides the cell), else the cell's sdist built again. */
static int
followup(struct sched_queue *q, const struct sched_followup *fu, void *arg)
{
	struct run *r = arg;
	const struct sched_platform *pl = NULL;
	for (size_t i = 0; i < r->ps.n; i++)
		if (!strcmp(r->ps.v[i].name, fu->platform))
			pl = &r->ps.v[i];
	if (!pl) {
		log_warn(
		    "job %lld: platform '%s' is not configured: its second "
		    "stage waits",
		    fu->job_id, fu->platform);
		return 0;
	}
	int found;
	struct sched_project p;
	if (sched_project_read(&p, &r->m, fu->project, &r->text, &found) < 0) {
		log_warn("job %lld: project '%s' unreadable: its second stage "
		         "waits",
		         fu->job_id, fu->project);
		return 0;
	}
	struct sched_choice ch = {.file = -1, .sdist = -1};
	for (size_t i = 0; i < p.nfiles; i++)
		if (p.files[i].sha256 &&
		    !strcasecmp(p.files[i].sha256, fu->file_sha256))
			ch.file = (long)i;
	int rc = 0;
	if (ch.file < 0) {
		log_warn("job %lld: the file of cell %lld is no longer in the "
		         "mirror",
		         fu->job_id, fu->cell_id);
		goto out;
	}
	struct buf v = BUF_INIT(sizeof(ch.version) - 1);
	if (pep440_normalize(&p.files[ch.file].version, &v) == 0)
		snprintf(ch.version, sizeof(ch.version), "%s", buf_cstr(&v));
	buf_release(&v);
	struct sched_deps d;
	sched_deps_init(&d);
	sched_deps_cell_md(r->dctx, &p, pl, &ch, fu->metadata, fu->metadata_len,
	                   &d);
	json_t *cell = sched_cell_json(&p, pl, &ch, &d);
	char why[512] = "";
	int art = 0;
	if (fu->artifact_name && fu->artifact_sha256) {
		if (!fu->clean)
			snprintf(why, sizeof(why),
			         "the first stage reported findings");
		else
			art = sched_artifact_check(
			          r->o->store, fu->project, fu->artifact_name,
			          fu->artifact_sha256, fu->artifact_size, why,
			          sizeof(why)) == 0;
	}
	log_info("cell %lld (%s on %s): second stage, %s%s%s", fu->cell_id,
	         fu->project, fu->platform, d.resolution,
	         art    ? ", installs the wheel the first stage returned"
	         : *why ? ", builds the sdist again: "
	                : "",
	         art ? "" : why);
	if (sched_queue_stage2(q, fu, cell, art) == 0)
		r->jobs++;
	else
		rc = -1;
	json_decref(cell);
	sched_deps_release(&d);
out:
	sched_project_release(&p);
	return rc;
}

struct walk {
	struct run *r;
	int rc;
	struct names *names; /* walk_parallel()'s list, or NULL */
};

/* [schedule] only = NAME...: when set, the walk over the mirror takes
 * only these projects (normalized names, separated by spaces or commas);
 * the rest of the mirror is still there for resolving dependencies. */
static int
only_wants(const struct cfg *c, const char *norm)
{
	const char *only = cfg_get(c, "schedule", "only", NULL);
	size_t n = strlen(norm);
	if (!only || !*only)
		return 1;
	for (const char *p = only; *p;) {
		size_t len = strcspn(p, " ,\t");
		if (len == n && !memcmp(p, norm, n))
			return 1;
		p += len;
		p += strspn(p, " ,\t");
	}
	return 0;
}

static int
walk_one(const char *name, size_t nlen, int64_t serial, int status, void *arg)
{
	struct walk *w = arg;
	char norm[PEP503_MAX_LEN + 1];
	if (status != MIRROR_ACTIVE || nlen > PEP503_MAX_LEN)
		return 0;
	memcpy(norm, name, nlen);
	norm[nlen] = 0;
	if (!only_wants(w->r->c, norm))
		return 0;
	if (w->r->q && !sched_queue_wants(w->r->q, norm, serial))
		return 0;
	if (do_project(w->r, norm, serial) < 0) {
		w->rc = -1;
		return 1;
	}
	return 0;
}

/* --- the --dry-run --json --full walk split over processes ------------ */

/* The projects the walk takes, in name order. */
struct name {
	char *norm;
	int64_t serial;
};

struct names {
	struct name *v;
	size_t n, a;
};

static int
names_one(const char *name, size_t nlen, int64_t serial, int status, void *arg)
{
	struct walk *w = arg;
	struct names *ns = w->names;
	if (status != MIRROR_ACTIVE || nlen > PEP503_MAX_LEN)
		return 0;
	char *norm = xmalloc(nlen + 1);
	memcpy(norm, name, nlen);
	norm[nlen] = 0;
	if (!only_wants(w->r->c, norm)) {
		free(norm);
		return 0;
	}
	XGROW(ns->v, ns->n + 1, ns->a);
	ns->v[ns->n].norm = norm;
	ns->v[ns->n++].serial = serial;
	return 0;
}

/* Ask the kernel to read the mirror's file into the page cache ahead of
 * a walk that reads nearly all of it (the map itself is opened without
 * readahead, for the random access of everything else), when it fits in
 * half the free memory. Advice only: failures are ignored. */
static void
prefetch_mirror(const char *db)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/data.mdb", db);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	long pages = sysconf(_SC_AVPHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	if (fstat(fd, &st) == 0 && pages > 0 && psz > 0 &&
	    (double)st.st_size < (double)pages * psz / 2)
		(void)posix_fadvise(fd, 0, st.st_size, POSIX_FADV_WILLNEED);
	close(fd);
}

/* Worker k of n: chunks k, k + n, k + 2n, ... of the names, with its own
 * mirror environment and dependency context (one LMDB environment per
 * process, opened after the fork); each chunk's lines are made in
 * memory, then written to out as an 8-byte length and the lines.
 * Returns the exit status. */
static int
worker(struct run *r, const struct names *ns, int k, int n, FILE *out,
       size_t *counts)
{
	struct buf chunk = BUF_INIT(0);
	size_t per = (size_t)r->o->chunk;
	int rc = 1;
	if (mirror_open(&r->m, r->o->db, 1, NULL) < 0)
		return 1;
	r->dctx = sched_deps_new(r->c, r->o->store, &r->m, &r->o->choose);
	r->chunk = &chunk;
	if (r->dctx) {
		rc = 0;
		for (size_t lo = (size_t)k * per; lo < ns->n && rc == 0;
		     lo += (size_t)n * per) {
			size_t hi = lo + per < ns->n ? lo + per : ns->n;
			buf_reset(&chunk);
			for (size_t i = lo; i < hi && rc == 0; i++)
				if (do_project(r, ns->v[i].norm,
				               ns->v[i].serial) < 0)
					rc = 1;
			/* the map's pages read for the chunk leave the
			 * resident set, as a walk's do (KV_UNMAP) */
			kv_unmap(r->m.kv);
			uint64_t len = chunk.len;
			if (fwrite(&len, sizeof(len), 1, out) != 1 ||
			    fwrite(chunk.data ? chunk.data : "", 1, chunk.len,
			           out) != chunk.len ||
			    fflush(out) != 0)
				rc = 1; /* the parent is gone or stopped */
		}
		sched_deps_free(r->dctx);
	}
	buf_release(&chunk);
	mirror_close(&r->m);
	counts[0] = r->projects;
	counts[1] = r->cells;
	counts[2] = r->failed;
	return rc;
}

/* Copy chunk `i` of the walk from its worker's pipe to stdout. Returns 0
 * or -1 (logged). */
static int
copy_chunk(FILE *in, size_t i)
{
	char b[1 << 16];
	uint64_t len;
	if (fread(&len, sizeof(len), 1, in) != 1)
		return log_error("chunk %zu of the walk: its worker ended "
		                 "before writing it",
		                 i);
	while (len > 0) {
		size_t want = len < sizeof(b) ? (size_t)len : sizeof(b);
		if (fread(b, 1, want, in) != want)
			return log_error("chunk %zu of the walk: cut short", i);
		if (fwrite(b, 1, want, stdout) != want)
			return log_error("stdout: %s", strerror(errno));
		len -= want;
	}
	return 0;
}

/* Read the mirror's file ahead (prefetch_mirror()) in a child of its
 * own, so the parent goes on copying lines. Returns its pid, or -1. */
static pid_t
start_prefetch(const char *db)
{
	pid_t pid = fork();
	if (pid == 0) {
		prefetch_mirror(db);
		_exit(0);
	}
	return pid;
}

/*
 * The walk over n processes: the names are read once here and cut into
 * chunks of [schedule] chunk projects (a few MB of lines); worker k makes chunks k, k + n, ...
 * and the parent copies the chunks to stdout in order, each from its
 * worker's pipe (a worker is at most one chunk ahead): the output is the
 * one process's, byte for byte. Returns 0 or -1 (logged).
 */
static int
walk_parallel(struct run *r, int n)
{
	struct names ns = {0};
	struct walk w = {r, 0, &ns};
	int rc = 0;
	if (mirror_each_serial(&r->m, NULL, names_one, &w) < 0)
		rc = -1;
	mirror_close(&r->m);
	if (rc < 0)
		goto out;
	size_t per = (size_t)r->o->chunk;
	size_t nchunks = (ns.n + per - 1) / per;
	if ((size_t)n > nchunks)
		n = nchunks ? (int)nchunks : 1;
	size_t *counts =
	    mmap(NULL, (size_t)n * 3 * sizeof(size_t), PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED) {
		rc = log_error("mmap: %s", strerror(errno));
		goto out;
	}
	FILE **in = xcalloc((size_t)n, sizeof(*in));
	pid_t *pids = xcalloc((size_t)n, sizeof(*pids));
	fflush(stdout);
	fflush(stderr);
	for (int k = 0; k < n && rc == 0; k++) {
		int fd[2];
		if (pipe(fd) < 0) {
			rc = log_error("pipe: %s", strerror(errno));
			break;
		}
		pids[k] = fork();
		if (pids[k] < 0) {
			rc = log_error("fork: %s", strerror(errno));
			close(fd[0]);
			close(fd[1]);
			break;
		}
		if (pids[k] == 0) {
			for (int j = 0; j < k; j++)
				fclose(in[j]);
			close(fd[0]);
			FILE *out = fdopen(fd[1], "w");
			_exit(out ? worker(r, &ns, k, n, out, counts + 3 * k)
			          : 1);
		}
		close(fd[1]);
		in[k] = fdopen(fd[0], "r");
		if (!in[k]) {
			close(fd[0]);
			rc = log_error("fdopen: %s", strerror(errno));
		}
	}
	pid_t pre = rc == 0 ? start_prefetch(r->o->db) : -1;
	for (size_t i = 0; i < nchunks && rc == 0; i++)
		rc = copy_chunk(in[i % (size_t)n], i);
	if (pre > 0) {
		kill(pre, SIGKILL);
		waitpid(pre, NULL, 0);
	}
	for (int k = 0; k < n; k++)
		if (in[k])
			fclose(in[k]); /* a worker still writing stops */
	for (int k = 0; k < n; k++) {
		int st;
		if (pids[k] <= 0)
			continue;
		while (waitpid(pids[k], &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			if (rc == 0)
				rc = log_error("worker %d of %d failed", k + 1,
				               n);
		}
		r->projects += counts[3 * k];
		r->cells += counts[3 * k + 1];
		r->failed += counts[3 * k + 2];
	}
	free(in);
	free(pids);
	munmap(counts, (size_t)n * 3 * sizeof(size_t));
out:
	for (size_t i = 0; i < ns.n; i++)
		free(ns.v[i].norm);
	free(ns.v);
	return rc;
}

int
sched_run(const struct cfg *c, const struct sched_opts *o)
{
	struct run r = {.c = c,
	                .o = o,
	                .text = BUF_INIT(SCHED_MAX_RECORD),
	                .line = BUF_INIT(0)};
	int rc = -1;

	if (sched_platforms_load(&r.ps, c, o->platform) < 0)
		return -1;
	if (mirror_open(&r.m, o->db, 1, NULL) < 0)
		goto out_ps;
	if (o->mode == SCHED_DRY_JSON && !o->npackages && o->workers > 1) {
		rc = walk_parallel(&r, o->workers);
		fflush(stdout);
		if (r.failed)
			log_warn("%zu project%s could not be read", r.failed,
			         r.failed == 1 ? "" : "s");
		goto out_ps;
	}
	r.dctx = sched_deps_new(c, o->store, &r.m, &o->choose);
	if (!r.dctx)
		goto out_m;
	if (o->mode == SCHED_ENQUEUE || o->mode == SCHED_FOLLOWUPS) {
		enum sched_sweep_kind kind =
		    o->mode == SCHED_FOLLOWUPS ? SCHED_SWEEP_FOLLOWUPS
		    : o->full                  ? SCHED_SWEEP_FULL
		    : o->npackages             ? SCHED_SWEEP_PACKAGES
		                               : SCHED_SWEEP_INCREMENTAL;
		r.q = sched_queue_open(c, kind, &r.ps);
		if (!r.q)
			goto out_d;
	}
	if (o->mode == SCHED_FOLLOWUPS) {
		rc = 0;
	} else if (o->npackages) {
		rc = 0;
		for (size_t i = 0; i < o->npackages && rc == 0; i++) {
			char *norm = xstrdup(o->packages[i]);
			pep503_normalize_to(norm, norm, strlen(norm));
			int64_t serial = 0;
			int found;
			json_t *rec =
			    r.q ? mirror_get_project(&r.m, norm, &found) : NULL;
			if (rec && jx_int(rec, "serial", &serial) != 0)
				serial = 0;
			json_decref(rec);
			if (!r.q || sched_queue_wants(r.q, norm, serial))
				rc = do_project(&r, norm, serial);
			free(norm);
		}
	} else {
		struct walk w = {&r, 0, NULL};
		if (mirror_each_serial(&r.m, NULL, walk_one, &w) < 0)
			w.rc = -1;
		rc = w.rc;
	}
	if (rc == 0 && r.q)
		rc = sched_queue_followups(r.q, followup, &r);
	if (rc == 0 && r.q && o->mode == SCHED_ENQUEUE)
		rc = sched_queue_finish(r.q);
	if (r.q) {
		printf("sweep=%lld projects=%zu cells=%zu jobs=%zu\n",
		       (long long)sched_queue_sweep(r.q), r.projects, r.cells,
		       r.jobs);
		sched_queue_close(r.q);
	} else if (o->mode == SCHED_DRY_JSON) {
		fflush(stdout);
	}
	if (r.failed)
		log_warn("%zu project%s could not be read", r.failed,
		         r.failed == 1 ? "" : "s");
	if (o->npackages && r.failed && !r.projects)
		rc = -1;
out_d:
	sched_deps_free(r.dctx);
out_m:
	mirror_close(&r.m);
out_ps:
	sched_platforms_release(&r.ps);
	buf_release(&r.text);
	buf_release(&r.line);
	return rc;
}
