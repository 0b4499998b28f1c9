/*
 * The resolver of resolve.h. A state is the list of names met so far,
 * each with the requirements on it, the extras asked of it and its
 * decision (a file of its project); deciding a name copies the state, so
 * backtracking is returning. The caches (projects, metadata) outlive
 * states and resolutions.
 */
#include "resolve.h"

#include "buf.h"
#include "cas.h"
#include "log.h"
#include "map.h"
#include "metadata.h"
#include "mirror.h"
#include "os.h"
#include "pep440.h"
#include "pep503.h"
#include "pep508.h"
#include "sha256.h"
#include "store.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A metadata record with its requirements parsed once. */
struct md_entry {
	struct sched_md md;
	struct pep508_req **reqs; /* NULL where the line is invalid */
	struct pep440_spec **specs; /* NULL where no or invalid specifier */
};

struct proj_entry {
	struct sched_project p;
	int present;
};

struct sched_resolver {
	struct mirror *m;
	const char *store;
	struct sched_resolver_limits lim;
	struct sched_map md_index;
	struct md_entry **mds;
	size_t nmds, amds;
	struct sched_map proj_index;
	struct proj_entry **projs;
	size_t nprojs, aprojs;
	struct md_entry none; /* for files without a metadata file */
	struct store *fetch_store; /* borrowed; NULL: no on-demand fetch */
	struct fetch *fetch;
};

/* Cached projects beyond this are dropped (all at once) between
 * resolutions. */
#define PROJ_CACHE_MAX 20000

struct sched_resolver *
sched_resolver_new(struct mirror *m, const char *store,
                   const struct sched_resolver_limits *l)
{
	struct sched_resolver *rs = xcalloc(1, sizeof(*rs));
	rs->m = m;
	rs->store = store;
	rs->lim = *l;
	snprintf(rs->none.md.why, sizeof(rs->none.md.why),
	         "no core metadata file on the index");
	return rs;
}

static void
md_free(struct md_entry *e)
{
	struct sched_md *md = &e->md;
	for (size_t i = 0; i < md->nrequires; i++) {
		free(md->requires_dist[i]);
		if (e->reqs)
			pep508_req_free(e->reqs[i]);
		if (e->specs)
			pep440_spec_free(e->specs[i]);
	}
	for (size_t i = 0; i < md->nextras; i++)
		free(md->extras[i]);
	free(md->requires_dist);
	free(md->extras);
	free(e->reqs);
	free(e->specs);
	free(md->metadata_version);
	free(md->requires_python);
	free(md->author_email);
	free(md->maintainer_email);
	free(e);
}

static void
proj_cache_clear(struct sched_resolver *rs)
{
	for (size_t i = 0; i < rs->nprojs; i++) {
		if (rs->projs[i]->present)
			sched_project_release(&rs->projs[i]->p);
		free(rs->projs[i]);
	}
	rs->nprojs = 0;
	sched_map_release(&rs->proj_index);
}

void
sched_resolver_free(struct sched_resolver *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nmds; i++)
		md_free(rs->mds[i]);
	free(rs->mds);
	sched_map_release(&rs->md_index);
	proj_cache_clear(rs);
	free(rs->projs);
	free(rs);
}

static void md_parse(struct md_entry *e, const char *data, size_t len,
                     const char *what);

/* Read and parse the metadata file sha256 from the store. */
static void
md_load(struct sched_resolver *rs, const char *sha256, const char *url,
        struct md_entry *e)
{
	struct sched_md *md = &e->md;
	struct buf path = BUF_INIT(0), data = BUF_INIT(META_MAX_BYTES);
	struct buf mu = BUF_INIT(0);
	char got[SHA256_HEX_LEN + 1], err[512];

	if (!rs->store || cas_path(rs->store, sha256, &path) < 0) {
		snprintf(md->why, sizeof(md->why), "%s",
		         rs->store ? "invalid metadata sha256"
		                   : "no store configured");
		goto out;
	}
	if (access(buf_cstr(&path), R_OK) < 0 && rs->fetch && url) {
		/* PEP 658: the metadata file is the file's URL + .metadata */
		buf_addf(&mu, "%s.metadata", url);
		if (store_get(rs->fetch_store, rs->fetch, buf_cstr(&mu), sha256,
		              STORE_METADATA, &path, err, sizeof(err))) {
			log_warn("metadata '%s': %s", buf_cstr(&mu), err);
			snprintf(md->why, sizeof(md->why),
			         "metadata file %.16s... not in the store, "
			         "fetch failed: %.180s",
			         sha256, err);
			goto out;
		}
	}
	if (access(buf_cstr(&path), R_OK) < 0) {
		snprintf(md->why, sizeof(md->why),
		         "metadata file %.16s... not in the store", sha256);
		goto out;
	}
	if (os_read_file(buf_cstr(&path), &data) < 0) {
		snprintf(md->why, sizeof(md->why),
		         "metadata file %.16s... unreadable", sha256);
		goto out;
	}
	sha256_hex(data.data ? data.data : "", data.len, got);
	if (strcasecmp(got, sha256)) {
		snprintf(md->why, sizeof(md->why),
		         "metadata file %.16s... has other bytes (%.16s...)",
		         sha256, got);
		goto out;
	}
	md_parse(e, data.data ? data.data : "", data.len, sha256);
out:
	buf_release(&path);
	buf_release(&data);
	buf_release(&mu);
}

/* Parse core metadata text into e (md->ok set when it parsed). */
static void
md_parse(struct md_entry *e, const char *data, size_t len, const char *what)
{
	struct sched_md *md = &e->md;
	struct meta m;
	if (meta_parse(&m, data, len) < 0) {
		meta_release(&m);
		snprintf(md->why, sizeof(md->why),
		         "metadata %.16s... is not core metadata", what);
		return;
	}
	const char *v;
	size_t pos = 0, alloc = 0;
	if ((v = meta_get(&m, "Metadata-Version")))
		md->metadata_version = xstrdup(v);
	if ((v = meta_get(&m, "Requires-Python")))
		md->requires_python = xstrdup(v);
	if ((v = meta_get(&m, "Author-email")))
		md->author_email = xstrdup(v);
	if ((v = meta_get(&m, "Maintainer-email")))
		md->maintainer_email = xstrdup(v);
	while ((v = meta_next(&m, "Requires-Dist", &pos))) {
		XGROW(md->requires_dist, md->nrequires + 1, alloc);
		md->requires_dist[md->nrequires++] = xstrdup(v);
	}
	pos = alloc = 0;
	while ((v = meta_next(&m, "Provides-Extra", &pos))) {
		XGROW(md->extras, md->nextras + 1, alloc);
		md->extras[md->nextras++] = xstrdup(v);
	}
	pos = 0;
	while ((v = meta_next(&m, "Dynamic", &pos)))
		if (!strcasecmp(v, "Requires-Dist"))
			md->dynamic_requires = 1;
	meta_release(&m);
	e->reqs = xcalloc(md->nrequires + 1, sizeof(*e->reqs));
	e->specs = xcalloc(md->nrequires + 1, sizeof(*e->specs));
	for (size_t i = 0; i < md->nrequires; i++) {
		const char *t = md->requires_dist[i];
		if (pep508_req_parse(t, strlen(t), &e->reqs[i], NULL) < 0) {
			e->reqs[i] = NULL;
			continue;
		}
		if (*e->reqs[i]->specifier &&
		    pep440_spec_parse(e->reqs[i]->specifier, SIZE_MAX, 0,
		                      &e->specs[i]) != 0)
			e->specs[i] = NULL;
	}
	md->ok = 1;
}

static struct md_entry *
md_get(struct sched_resolver *rs, const char *sha256, const char *url)
{
	int64_t idx;
	if (!sha256)
		return &rs->none;
	if (sched_map_get(&rs->md_index, sha256, &idx))
		return rs->mds[idx];
	struct md_entry *e = xcalloc(1, sizeof(*e));
	md_load(rs, sha256, url, e);
	XGROW(rs->mds, rs->nmds + 1, rs->amds);
	rs->mds[rs->nmds] = e;
	sched_map_put(&rs->md_index, sha256, (int64_t)rs->nmds);
	rs->nmds++;
	return e;
}

void
sched_resolver_fetch_missing(struct sched_resolver *rs, struct store *s,
                             struct fetch *f)
{
	rs->fetch_store = s;
	rs->fetch = f;
}

const struct sched_md *
sched_resolver_md(struct sched_resolver *rs, const char *sha256,
                  const char *url)
{
	return &md_get(rs, sha256, url)->md;
}

const struct sched_md *
sched_resolver_md_text(struct sched_resolver *rs, const char *text, size_t len)
{
	struct md_entry *e = xcalloc(1, sizeof(*e));
	md_parse(e, text, len, "reported");
	XGROW(rs->mds, rs->nmds + 1, rs->amds);
	rs->mds[rs->nmds++] = e; /* freed with the resolver, not indexed */
	return &e->md;
}

const struct sched_md *
sched_resolver_md_pkginfo(struct sched_resolver *rs, const char *sdist_sha256,
                          const char *text, size_t len)
{
	char key[80];
	int64_t idx;
	/* keyed apart from the metadata files' own sha256 keys */
	snprintf(key, sizeof(key), "sdist:%.64s", sdist_sha256);
	if (sched_map_get(&rs->md_index, key, &idx))
		return &rs->mds[idx]->md;
	struct md_entry *e = xcalloc(1, sizeof(*e));
	md_parse(e, text, len, "PKG-INFO");
	XGROW(rs->mds, rs->nmds + 1, rs->amds);
	rs->mds[rs->nmds] = e;
	sched_map_put(&rs->md_index, key, (int64_t)rs->nmds);
	rs->nmds++;
	return &e->md;
}

/* The project norm from the mirror (cached), or NULL when absent. */
static const struct sched_project *
proj_get(struct sched_resolver *rs, const char *norm)
{
	int64_t idx;
	if (sched_map_get(&rs->proj_index, norm, &idx))
		return rs->projs[idx]->present ? &rs->projs[idx]->p : NULL;
	struct proj_entry *e = xcalloc(1, sizeof(*e));
	int found;
	struct buf text = BUF_INIT(SCHED_MAX_RECORD);
	if (sched_project_read(&e->p, rs->m, norm, &text, &found) == 0)
		e->present = 1;
	buf_release(&text);
	XGROW(rs->projs, rs->nprojs + 1, rs->aprojs);
	rs->projs[rs->nprojs] = e;
	sched_map_put(&rs->proj_index, norm, (int64_t)rs->nprojs);
	rs->nprojs++;
	return e->present ? &e->p : NULL;
}

/* --- states ------------------------------------------------------------- */

struct rref {
	const struct md_entry *md; /* whose Requires-Dist line */
	size_t i; /* which line */
	size_t from; /* the node that requires it */
};

struct node {
	char name[PEP503_MAX_LEN + 1]; /* normalized */
	const struct sched_project *proj; /* NULL: not in the mirror */
	struct rref *reqs;
	size_t nreqs, areqs;
	const char **extras; /* borrowed from requirement lines */
	size_t nextras, aextras;
	int fixed; /* the root: decided from the start */
	int based; /* base requirements added */
	size_t applied; /* extras whose requirements were added */
	long pin; /* file index in proj, -1 undecided */
	const struct md_entry *pmd; /* the decision's metadata */
	int depth;
};

struct state {
	struct node *v;
	size_t n, alloc;
};

static void
state_free(struct state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].reqs);
		free(s->v[i].extras);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void
state_copy(struct state *dst, const struct state *src)
{
	dst->n = src->n;
	dst->alloc = src->n;
	dst->v = xcalloc(src->n ? src->n : 1, sizeof(*dst->v));
	for (size_t i = 0; i < src->n; i++) {
		struct node *d = &dst->v[i];
		const struct node *s = &src->v[i];
		*d = *s;
		d->areqs = s->nreqs;
		d->reqs = xcalloc(s->nreqs ? s->nreqs : 1, sizeof(*d->reqs));
		if (s->nreqs)
			memcpy(d->reqs, s->reqs, s->nreqs * sizeof(*d->reqs));
		d->aextras = s->nextras;
		d->extras =
		    xcalloc(s->nextras ? s->nextras : 1, sizeof(*d->extras));
		if (s->nextras)
			memcpy(d->extras, s->extras,
			       s->nextras * sizeof(*d->extras));
	}
}

struct ctx {
	struct sched_resolver *rs;
	const struct sched_platform *pl;
	struct sched_resolution *out;
	int64_t deadline;
	int stop; /* UNAVAILABLE or LIMIT: no backtracking helps */
};

static void
fail(struct ctx *x, enum sched_resolve_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->out->why, sizeof(x->out->why), fmt, ap);
	va_end(ap);
	x->out->status = st;
	if (st != SCHED_RESOLVE_CONFLICT)
		x->stop = 1;
}

static const char *
req_text(const struct rref *r)
{
	return r->md->md.requires_dist[r->i];
}

static const char *
node_version(const struct node *n)
{
	return n->pin >= 0 && n->proj ? n->proj->files[n->pin].version_text
	                              : "";
}

static size_t
node_find(struct state *s, const char *norm)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, norm))
			return i;
	return SIZE_MAX;
}

/* Whether version v satisfies requirement r (pip's is_satisfied_by:
 * pre-releases allowed). */
static int
req_ok(const struct rref *r, const struct pep440_version *v)
{
	const struct pep440_spec *sp = r->md->specs[r->i];
	if (!sp)
		return 1;
	return pep440_spec_contains(sp, v, PEP440_PRE_ALLOW) == 1;
}

static int add_deps(struct ctx *x, struct state *s, size_t k);

/* Add requirement r (on a name) to the state. Returns 0, or -1 on a
 * conflict or an unavailable requirement (out filled). */
static int
add_req(struct ctx *x, struct state *s, const struct rref *r)
{
	const struct pep508_req *q = r->md->reqs[r->i];
	char norm[PEP503_MAX_LEN + 1];
	size_t nl = strlen(q->name);
	if (nl > PEP503_MAX_LEN) {
		fail(x, SCHED_RESOLVE_UNAVAILABLE, "requirement name too long");
		return -1;
	}
	pep503_normalize_to(norm, q->name, nl);
	if (q->url) {
		fail(x, SCHED_RESOLVE_UNAVAILABLE,
		     "'%s' (from %s) is a direct URL requirement", req_text(r),
		     s->v[r->from].name);
		return -1;
	}
	size_t k = node_find(s, norm);
	if (k == SIZE_MAX) {
		if (s->n >= x->rs->lim.max_names) {
			fail(x, SCHED_RESOLVE_LIMIT,
			     "more than %zu distributions",
			     x->rs->lim.max_names);
			return -1;
		}
		XGROW(s->v, s->n + 1, s->alloc);
		struct node *n = &s->v[s->n];
		memset(n, 0, sizeof(*n));
		snprintf(n->name, sizeof(n->name), "%s", norm);
		n->proj = proj_get(x->rs, norm);
		n->pin = -1;
		n->depth = s->v[r->from].depth + 1;
		k = s->n++;
	}
	struct node *n = &s->v[k];
	XGROW(n->reqs, n->nreqs + 1, n->areqs);
	n->reqs[n->nreqs++] = *r;
	for (size_t e = 0; e < q->nextras; e++) {
		size_t j;
		for (j = 0; j < n->nextras; j++)
			if (pep503_equal(n->extras[j], strlen(n->extras[j]),
			                 q->extras[e], strlen(q->extras[e])))
				break;
		if (j == n->nextras) {
			XGROW(n->extras, n->nextras + 1, n->aextras);
			n->extras[n->nextras++] = q->extras[e];
		}
	}
	if (n->pin < 0)
		return 0;
	if (!n->proj || !req_ok(r, &n->proj->files[n->pin].version)) {
		fail(x, SCHED_RESOLVE_CONFLICT,
		     "%s %s (chosen for %s) does not satisfy '%s' (from %s)",
		     n->name, node_version(n), s->v[n->reqs[0].from].name,
		     req_text(r), s->v[r->from].name);
		return -1;
	}
	return add_deps(x, s, k);
}

/* Whether line i of md applies with extra ex (NULL: the base). */
static int
line_applies(const struct ctx *x, const struct md_entry *md, size_t i,
             const char *ex)
{
	const struct pep508_req *q = md->reqs[i];
	if (!q->marker)
		return ex == NULL;
	if (!ex)
		return pep508_marker_eval_extras(q->marker, &x->pl->env, NULL,
		                                 0) == 1;
	return pep508_marker_eval_extras(q->marker, &x->pl->env, &ex, 1) == 1 &&
	       pep508_marker_eval_extras(q->marker, &x->pl->env, NULL, 0) != 1;
}

/* Add the requirements of decided node k: the base ones once, then
 * those of each extra asked of it and not yet applied. */
static int
add_deps(struct ctx *x, struct state *s, size_t k)
{
	const struct md_entry *md = s->v[k].pmd;
	for (;;) {
		const char *ex = NULL;
		if (s->v[k].based) {
			if (s->v[k].applied >= s->v[k].nextras)
				return 0;
			ex = s->v[k].extras[s->v[k].applied++];
		}
		s->v[k].based = 1;
		for (size_t i = 0; i < md->md.nrequires; i++) {
			if (!md->reqs[i]) {
				fail(x, SCHED_RESOLVE_UNAVAILABLE,
				     "invalid requirement '%.200s' in %s %s's "
				     "metadata",
				     md->md.requires_dist[i], s->v[k].name,
				     node_version(&s->v[k]));
				return -1;
			}
			if (!line_applies(x, md, i, ex))
				continue;
			struct rref r = {md, i, k};
			if (add_req(x, s, &r) < 0)
				return -1;
		}
	}
}

/* --- candidates ---------------------------------------------------------- */

struct cand {
	long file;
};

static int
clause_pinned(const struct rref *r)
{
	const char *sp = r->md->reqs[r->i]->specifier;
	return !strncmp(sp, "==", 2) && !strchr(sp, ',') && !strstr(sp, ".*");
}

/* The candidates of node n, best first: one file per version (the best
 * by choose.h's order), installable on the platform, satisfying every
 * requirement, with pip's pre-release and yanked rules. Returns the
 * count; *out owned. */
static size_t
candidates(const struct ctx *x, const struct node *n, long **out)
{
	const struct sched_project *p = n->proj;
	long *c = xcalloc(p->nfiles + 1, sizeof(long));
	size_t nc = 0;
	int any_pre_spec = 0, pinned = 0;
	for (size_t r = 0; r < n->nreqs; r++) {
		const struct pep440_spec *sp =
		    n->reqs[r].md->specs[n->reqs[r].i];
		if (sp && pep440_spec_prereleases(sp))
			any_pre_spec = 1;
		if (clause_pinned(&n->reqs[r]))
			pinned = 1;
	}
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct sched_file *f = &p->files[i];
		if (!sched_file_ok(f, x->pl))
			continue;
		size_t r;
		for (r = 0; r < n->nreqs; r++)
			if (!req_ok(&n->reqs[r], &f->version))
				break;
		if (r < n->nreqs)
			continue;
		c[nc++] = (long)i;
	}
	/* pre-releases: only when named or nothing else */
	int finals = 0;
	for (size_t i = 0; i < nc; i++)
		finals += !pep440_is_prerelease(&p->files[c[i]].version);
	if (finals && !any_pre_spec) {
		size_t k = 0;
		for (size_t i = 0; i < nc; i++)
			if (!pep440_is_prerelease(&p->files[c[i]].version))
				c[k++] = c[i];
		nc = k;
	}
	/* yanked: only when all are and the requirement pins */
	int all_yanked = nc > 0;
	for (size_t i = 0; i < nc; i++)
		all_yanked &= p->files[c[i]].yanked;
	if (!(all_yanked && pinned)) {
		size_t k = 0;
		for (size_t i = 0; i < nc; i++)
			if (!p->files[c[i]].yanked)
				c[k++] = c[i];
		nc = k;
	}
	/* best first, one per version */
	for (size_t i = 1; i < nc; i++) {
		long v = c[i];
		size_t j = i;
		while (j > 0) {
			const struct sched_file *a = &p->files[v],
			                        *b = &p->files[c[j - 1]];
			int cmp = pep440_compare(&a->version, &b->version);
			if (cmp == 0)
				cmp = sched_file_better(a, b, x->pl);
			if (cmp <= 0)
				break;
			c[j] = c[j - 1];
			j--;
		}
		c[j] = v;
	}
	size_t k = 0;
	for (size_t i = 0; i < nc; i++)
		if (!k || pep440_compare(&p->files[c[i]].version,
		                         &p->files[c[k - 1]].version))
			c[k++] = c[i];
	*out = c;
	return k;
}

/* --- search -------------------------------------------------------------- */

static int
pick(const struct state *s)
{
	long best = -1;
	int bp = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct node *n = &s->v[i];
		if (n->pin >= 0 || n->fixed)
			continue;
		int pinned = 0;
		for (size_t r = 0; r < n->nreqs; r++)
			pinned |= clause_pinned(&n->reqs[r]);
		if (best < 0 || pinned > bp ||
		    (pinned == bp &&
		     (n->depth < s->v[best].depth ||
		      (n->depth == s->v[best].depth &&
		       strcmp(n->name, s->v[best].name) < 0)))) {
			best = (long)i;
			bp = pinned;
		}
	}
	return (int)best;
}

static void
conflict_text(struct ctx *x, const struct state *s, const struct node *n)
{
	struct buf b = BUF_INIT(sizeof(x->out->why) - 1);
	if (!n->proj) {
		buf_addf(&b, "%s is not in the mirror (required by %s)",
		         n->name, s->v[n->reqs[0].from].name);
		fail(x, SCHED_RESOLVE_UNAVAILABLE, "%s", buf_cstr(&b));
		buf_release(&b);
		return;
	} else {
		buf_addf(&b, "no version of %s satisfies", n->name);
		for (size_t r = 0; r < n->nreqs; r++)
			buf_addf(&b, "%s '%s' (from %s %s)", r ? "," : "",
			         req_text(&n->reqs[r]),
			         s->v[n->reqs[r].from].name,
			         node_version(&s->v[n->reqs[r].from]));
		buf_addf(&b, " on python %s", x->pl->python_full);
	}
	fail(x, SCHED_RESOLVE_CONFLICT, "%s", buf_cstr(&b));
	buf_release(&b);
}

/* Decide the rest of s. Returns 0 with the final state in *s, or -1. */
static int
solve(struct ctx *x, struct state *s)
{
	int k = pick(s);
	if (k < 0)
		return 0;
	if (!s->v[k].proj) {
		conflict_text(x, s, &s->v[k]);
		return -1;
	}
	long *c;
	size_t nc = candidates(x, &s->v[k], &c);
	if (!nc)
		conflict_text(x, s, &s->v[k]);
	for (size_t i = 0; i < nc && !x->stop; i++) {
		if (++x->out->rounds > x->rs->lim.max_rounds) {
			fail(x, SCHED_RESOLVE_LIMIT,
			     "gave up after %zu rounds (last deciding %s)",
			     x->rs->lim.max_rounds, s->v[k].name);
			break;
		}
		if (os_mono_ms() > x->deadline) {
			fail(x, SCHED_RESOLVE_LIMIT,
			     "gave up after %llu ms (last deciding %s)",
			     (unsigned long long)x->rs->lim.max_ms,
			     s->v[k].name);
			break;
		}
		const struct sched_file *f = &s->v[k].proj->files[c[i]];
		const struct md_entry *md =
		    md_get(x->rs, f->metadata_sha256, f->url);
		if (!md->md.ok) {
			fail(x, SCHED_RESOLVE_UNAVAILABLE, "%s %s: %s",
			     s->v[k].name, f->version_text, md->md.why);
			break;
		}
		struct state t;
		state_copy(&t, s);
		t.v[k].pin = c[i];
		t.v[k].pmd = md;
		if (add_deps(x, &t, (size_t)k) == 0 && solve(x, &t) == 0) {
			state_free(s);
			*s = t;
			free(c);
			return 0;
		}
		state_free(&t);
	}
	free(c);
	return -1;
}

static int
pin_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sched_pin *)a)->name,
	              ((const struct sched_pin *)b)->name);
}

/* A metadata entry for requirement lines with no file behind them. */
static void
lines_entry(struct md_entry *e, const char *const *reqs, size_t n)
{
	memset(e, 0, sizeof(*e));
	e->md.ok = 1;
	e->md.requires_dist = xcalloc(n + 1, sizeof(char *));
	e->reqs = xcalloc(n + 1, sizeof(*e->reqs));
	e->specs = xcalloc(n + 1, sizeof(*e->specs));
	for (size_t i = 0; i < n; i++) {
		e->md.requires_dist[i] = xstrdup(reqs[i]);
		if (pep508_req_parse(reqs[i], strlen(reqs[i]), &e->reqs[i],
		                     NULL) < 0)
			e->reqs[i] = NULL;
		else if (*e->reqs[i]->specifier &&
		         pep440_spec_parse(e->reqs[i]->specifier, SIZE_MAX, 0,
		                           &e->specs[i]) != 0)
			e->specs[i] = NULL;
	}
	e->md.nrequires = n;
}

static void
lines_entry_release(struct md_entry *e)
{
	for (size_t i = 0; i < e->md.nrequires; i++) {
		free(e->md.requires_dist[i]);
		pep508_req_free(e->reqs[i]);
		pep440_spec_free(e->specs[i]);
	}
	free(e->md.requires_dist);
	free(e->reqs);
	free(e->specs);
}

static void
resolve_root(struct sched_resolver *rs, const struct sched_platform *pl,
             const char *name, const struct sched_project *p, long file,
             const struct md_entry *e, const char *const *extras,
             size_t nextras, const struct md_entry *more,
             struct sched_resolution *out)
{
	struct ctx x = {rs, pl, out, os_mono_ms() + (int64_t)rs->lim.max_ms, 0};
	struct state s = {0};

	memset(out, 0, sizeof(*out));
	if (rs->nprojs > PROJ_CACHE_MAX)
		proj_cache_clear(rs);
	XGROW(s.v, 1, s.alloc);
	memset(&s.v[0], 0, sizeof(s.v[0]));
	snprintf(s.v[0].name, sizeof(s.v[0].name), "%s", name);
	s.v[0].proj = p;
	s.v[0].pin = file;
	s.v[0].fixed = 1;
	s.v[0].pmd = e;
	s.n = 1;
	for (size_t i = 0; i < nextras; i++) {
		XGROW(s.v[0].extras, s.v[0].nextras + 1, s.v[0].aextras);
		s.v[0].extras[s.v[0].nextras++] = extras[i];
	}
	out->status = SCHED_RESOLVE_CONFLICT;
	int ok = add_deps(&x, &s, 0) == 0;
	for (size_t i = 0; ok && more && i < more->md.nrequires; i++) {
		if (!more->reqs[i]) {
			fail(&x, SCHED_RESOLVE_UNAVAILABLE,
			     "invalid requirement '%.200s'",
			     more->md.requires_dist[i]);
			ok = 0;
			break;
		}
		if (more->reqs[i]->marker &&
		    pep508_marker_eval_extras(more->reqs[i]->marker, &pl->env,
		                              NULL, 0) != 1)
			continue;
		struct rref r = {more, i, 0};
		ok = add_req(&x, &s, &r) == 0;
	}
	if (ok && solve(&x, &s) == 0) {
		out->status = SCHED_RESOLVE_OK;
		out->why[0] = 0;
		out->pins = xcalloc(s.n, sizeof(*out->pins));
		for (size_t i = 1; i < s.n; i++) {
			const struct node *n = &s.v[i];
			const struct sched_file *f = &n->proj->files[n->pin];
			struct sched_pin *q = &out->pins[out->npins++];
			struct buf v = BUF_INIT(0);
			q->name = xstrdup(n->name);
			if (pep440_normalize(&f->version, &v) == 0)
				q->version = buf_detach(&v, NULL);
			else
				q->version = xstrdup(f->version_text);
			buf_release(&v);
			q->file = xstrdup(f->name);
			q->sha256 = f->sha256 ? xstrdup(f->sha256) : NULL;
			q->size = f->size;
		}
		qsort(out->pins, out->npins, sizeof(*out->pins), pin_cmp);
	}
	state_free(&s);
}

void
sched_resolve(struct sched_resolver *rs, const struct sched_platform *pl,
              const struct sched_project *p, long file,
              const struct sched_md *md, const char *const *extras,
              size_t nextras, struct sched_resolution *out)
{
	sched_resolve_more(rs, pl, p, file, md, extras, nextras, NULL, 0, out);
}

void
sched_resolve_more(struct sched_resolver *rs, const struct sched_platform *pl,
                   const struct sched_project *p, long file,
                   const struct sched_md *md, const char *const *extras,
                   size_t nextras, const char *const *more, size_t nmore,
                   struct sched_resolution *out)
{
	struct md_entry e;
	if (nmore)
		lines_entry(&e, more, nmore);
	/* md came from sched_resolver_md(): the head of its entry */
	resolve_root(rs, pl, p->norm, p, file, (const struct md_entry *)md,
	             extras, nextras, nmore ? &e : NULL, out);
	if (nmore)
		lines_entry_release(&e);
}

void
sched_resolve_reqs(struct sched_resolver *rs, const struct sched_platform *pl,
                   const char *const *reqs, size_t n,
                   struct sched_resolution *out)
{
	struct md_entry e;
	lines_entry(&e, reqs, n);
	resolve_root(rs, pl, "[build-system] requires", NULL, -1, &e, NULL, 0,
	             NULL, out);
	lines_entry_release(&e);
}

void
sched_resolution_release(struct sched_resolution *r)
{
	for (size_t i = 0; i < r->npins; i++) {
		free(r->pins[i].name);
		free(r->pins[i].version);
		free(r->pins[i].file);
		free(r->pins[i].sha256);
	}
	free(r->pins);
	memset(r, 0, sizeof(*r));
}
