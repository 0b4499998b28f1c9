/*
 * A cell's files besides the chosen one (deps.h). The order of work:
 * the chosen file's core metadata (its PEP 658 file in the store); an
 * sdist without static metadata (PEP 643: Metadata-Version 2.2 or later,
 * Requires-Dist not dynamic) becomes a two-stage job; the runtime
 * requirements through the resolver; the test extras resolved together
 * with them (so test and runtime pins agree); an sdist's build
 * requirements; the release's sdist as the source of a wheel's tests.
 */
#include "deps.h"

#include "buf.h"
#include "cas.h"
#include "cfg.h"
#include "fetch.h"
#include "jx.h"
#include "pep508.h"
#include "sdist.h"
#include "toml.h"
#include "log.h"
#include "map.h"
#include "metadata.h"
#include "mirror.h"
#include "pep503.h"
#include "resolve.h"
#include "store.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Most build requirement sets resolved once per platform and kept. */
#define BUILD_CACHE_MAX 4096

struct sched_deps_ctx {
	const char *store;
	struct sched_resolver *rs;
	/* [store] fetch-missing: metadata fetched on demand, else NULL */
	struct store *fetch_store;
	struct fetch *fetch;
	/* build requirements resolved per platform and requirement list:
	 * most sdists share pip's default, and resolving it again for
	 * every cell was most of a sweep's time */
	struct sched_map build_index;
	struct sched_resolution **builds;
	size_t nbuilds, abuilds;
	const struct sched_choose_opts *o;
};

/* pip's build requirements for an sdist without [build-system]. */
static const char *const default_build[] = {"setuptools>=40.8.0", "wheel"};

/* The extras that hold test dependencies by convention. */
static const char *const test_extras[] = {"test", "tests", "testing"};

json_t *
sched_text(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	if (j)
		return j;
	/* not UTF-8 (or cut inside a character by a bound): keep ASCII */
	char *c = xmemdup0(s, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c[i] >= 0x80 || !c[i])
			c[i] = '?';
	j = json_stringn(c, n);
	free(c);
	return j;
}

void
sched_deps_init(struct sched_deps *d)
{
	memset(d, 0, sizeof(*d));
	d->deps = json_array();
	d->test_unresolved = json_array();
	d->notes = json_array();
	snprintf(d->resolution, sizeof(d->resolution), "ok");
}

void
sched_deps_release(struct sched_deps *d)
{
	json_decref(d->deps);
	json_decref(d->test_unresolved);
	json_decref(d->notes);
	free(d->author_email);
	free(d->maintainer_email);
	free(d->requires_python);
	free(d->metadata_sha256);
}

/* [store] fetch-missing = yes: a metadata file the mirror names but the
 * store lacks is fetched on demand (common/store.h), one try after a
 * retry, bounded by [store] fetch-timeout. Off by default: the crawler's
 * --download=metadata fills the store, and this is for its gaps. */
static int
fetch_missing_open(const struct cfg *c, const char *store,
                   struct sched_deps_ctx *x)
{
	struct fetch_opts fo = {.max_in_flight = 1,
	                        .connect_timeout_ms = 10000,
	                        .retries = 1,
	                        .retry_base_ms = 1000,
	                        .retry_max_ms = 10000,
	                        .low_speed_bytes = 100,
	                        .low_speed_secs = 30,
	                        .max_redirects = 5,
	                        .user_agent = "pyti-schedule"};
	struct store_opts so = {store, META_MAX_BYTES, META_MAX_BYTES};
	uint64_t ms;
	int on;

	if (cfg_get_bool(c, "store", "fetch-missing", 0, &on) < 0 ||
	    cfg_get_duration_ms(c, "store", "fetch-timeout", 60000, &ms) < 0)
		return -1;
	if (!on)
		return 0;
	if (!store)
		return log_error("[store] fetch-missing needs [store] dir");
	fo.total_timeout_ms = (long)ms;
	x->fetch_store = store_open(&so);
	if (!x->fetch_store)
		return -1;
	x->fetch = fetch_new(&fo);
	if (!x->fetch)
		return -1;
	sched_resolver_fetch_missing(x->rs, x->fetch_store, x->fetch);
	return 0;
}

struct sched_deps_ctx *
sched_deps_new(const struct cfg *c, const char *store, struct mirror *m,
               const struct sched_choose_opts *o)
{
	struct sched_resolver_limits l;
	int64_t rounds, names;
	uint64_t ms;
	if (cfg_get_int(c, "schedule", "resolve-rounds", 5000, 1, 10000000,
	                &rounds) < 0 ||
	    cfg_get_int(c, "schedule", "resolve-names", 1000, 1, 100000,
	                &names) < 0 ||
	    cfg_get_duration_ms(c, "schedule", "resolve-time", 5000, &ms) < 0)
		return NULL;
	l.max_rounds = (size_t)rounds;
	l.max_names = (size_t)names;
	l.max_ms = ms;
	struct sched_deps_ctx *x = xcalloc(1, sizeof(*x));
	x->rs = sched_resolver_new(m, store, &l);
	x->store = store;
	x->o = o;
	if (fetch_missing_open(c, store, x) < 0) {
		sched_deps_free(x);
		return NULL;
	}
	return x;
}

static void
build_cache_clear(struct sched_deps_ctx *x)
{
	for (size_t i = 0; i < x->nbuilds; i++) {
		sched_resolution_release(x->builds[i]);
		free(x->builds[i]);
	}
	x->nbuilds = 0;
	sched_map_release(&x->build_index);
}

/* The resolution of build requirement lines on pl, cached. Borrowed
 * until the next call. */
static const struct sched_resolution *
build_resolution(struct sched_deps_ctx *x, const struct sched_platform *pl,
                 char **lines, size_t n)
{
	struct buf key = BUF_INIT(0);
	int64_t idx;
	buf_adds(&key, pl->name);
	for (size_t i = 0; i < n; i++) {
		buf_addc(&key, '\n');
		buf_adds(&key, lines[i]);
	}
	if (sched_map_get(&x->build_index, buf_cstr(&key), &idx)) {
		buf_release(&key);
		return x->builds[idx];
	}
	if (x->nbuilds >= BUILD_CACHE_MAX)
		build_cache_clear(x);
	struct sched_resolution *r = xcalloc(1, sizeof(*r));
	sched_resolve_reqs(x->rs, pl, (const char *const *)lines, n, r);
	XGROW(x->builds, x->nbuilds + 1, x->abuilds);
	x->builds[x->nbuilds] = r;
	sched_map_put(&x->build_index, buf_cstr(&key), (int64_t)x->nbuilds);
	x->nbuilds++;
	buf_release(&key);
	return r;
}

void
sched_deps_free(struct sched_deps_ctx *x)
{
	if (!x)
		return;
	build_cache_clear(x);
	free(x->builds);
	sched_resolver_free(x->rs);
	fetch_free(x->fetch);
	store_close(x->fetch_store);
	free(x);
}

static void note(struct sched_deps *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct sched_deps *d, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	jx_append(d->notes, sched_text(text, strlen(text)));
}

static void
add_file(struct sched_deps *d, const char *name, const char *sha256,
         int64_t size, const char *role, const char *version)
{
	json_t *j, *roles;
	size_t i;

	/* A file serves every role once: the runner refuses a name listed
	 * twice (build and runtime requirements often share packaging). */
	json_array_foreach(d->deps, i, j) {
		if (strcmp(jx_str(j, "name"), name) != 0)
			continue;
		if (jx_dep_has_role(j, role))
			return;
		roles = json_object_get(j, "roles");
		if (!roles) {
			roles = json_array();
			jx_append(roles, json_string(jx_str(j, "role")));
			jx_set(j, "roles", roles);
		}
		jx_append(roles, json_string(role));
		return;
	}
	j = json_object();
	jx_set(j, "name", json_string(name));
	jx_set(j, "sha256", jx_string_or_null(sha256));
	jx_set(j, "size", size >= 0 ? json_integer(size) : json_null());
	jx_set(j, "role", json_string(role));
	if (version)
		jx_set(j, "version", json_string(version));
	jx_append(d->deps, j);
}

/* Pins into d with role; the ones in skip (by name and version) are
 * left out. Returns 0, or -1 when a pin has no sha256 (resolution set). */
static int
add_pins(struct sched_deps *d, const struct sched_resolution *r,
         const char *role, const struct sched_resolution *other,
         const char *other_role)
{
	for (size_t i = 0; i < r->npins; i++) {
		const struct sched_pin *p = &r->pins[i];
		const char *ro = role;
		for (size_t k = 0; other && k < other->npins; k++)
			if (!strcmp(other->pins[k].name, p->name))
				ro = other_role;
		if (!p->sha256) {
			snprintf(
			    d->resolution, sizeof(d->resolution),
			    "unavailable: %s %s has no sha256 on the index",
			    p->name, p->version);
			return -1;
		}
		add_file(d, p->file, p->sha256, p->size, ro, p->version);
	}
	return 0;
}

static void
set_failure(struct sched_deps *d, const char *what,
            const struct sched_resolution *r)
{
	const char *kind =
	    r->status == SCHED_RESOLVE_CONFLICT ? "conflict" : "unavailable";
	snprintf(d->resolution, sizeof(d->resolution), "%s: %s%.900s", kind,
	         what, r->why);
}

/* Whether the metadata states its Requires-Dist (PEP 643). */
static int
is_static(const struct sched_md *md)
{
	if (!md->ok || md->dynamic_requires || !md->metadata_version)
		return 0;
	int major = 0, minor = 0;
	if (sscanf(md->metadata_version, "%d.%d", &major, &minor) != 2)
		return 0;
	return major > 2 || (major == 2 && minor >= 2);
}

/* A list of owned strings. */
struct lines {
	char **v;
	size_t n, a;
};

static void
lines_add(struct lines *l, const char *s, size_t n)
{
	XGROW(l->v, l->n + 1, l->a);
	l->v[l->n++] = xmemdup0(s, n);
}

static void
lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The release's sdist, read from the store: 1 read, 0 not there (why in
 * d's notes), -1 unreadable (noted). */
static int
read_sdist(struct sched_deps_ctx *x, const struct sched_file *f,
           struct sched_sdist *sd, struct sched_deps *d)
{
	struct buf path = BUF_INIT(0);
	int rc = 0;
	memset(sd, 0, sizeof(*sd));
	if (!x->store || !f->sha256 ||
	    cas_path(x->store, f->sha256, &path) < 0 ||
	    access(buf_cstr(&path), R_OK) < 0) {
		note(d,
		     "%s is not in the store: its pyproject.toml and test "
		     "requirements files were not read",
		     f->name);
		goto out;
	}
	if (sched_sdist_read(buf_cstr(&path), f->name, sd) < 0) {
		note(d, "%s: %s", f->name, sd->why);
		rc = -1;
		goto out;
	}
	rc = 1;
out:
	buf_release(&path);
	return rc;
}

/* PEP 735 group name (normalized) into out, following include-group
 * (bounded against cycles). Returns 0, or -1 with why. */
static int
group_reqs(json_t *groups, const char *name, struct lines *out, int depth,
           char *why, size_t wl)
{
	if (depth > 16) {
		snprintf(why, wl, "dependency group includes nest too deep");
		return -1;
	}
	const char *k;
	json_t *v, *found = NULL;
	json_object_foreach(groups, k, v) {
		if (pep503_equal(k, strlen(k), name, strlen(name)))
			found = v;
	}
	if (!found) {
		snprintf(why, wl, "dependency group '%.64s' not found", name);
		return -1;
	}
	if (!json_is_array(found)) {
		snprintf(why, wl, "dependency group '%.64s' is not a list",
		         name);
		return -1;
	}
	size_t i;
	json_array_foreach(found, i, v) {
		if (json_is_string(v)) {
			lines_add(out, json_string_value(v),
			          json_string_length(v));
		} else if (json_is_object(v) && jx_str(v, "include-group")) {
			if (group_reqs(groups, jx_str(v, "include-group"), out,
			               depth + 1, why, wl) < 0)
				return -1;
		} else {
			snprintf(why, wl,
			         "dependency group '%.64s' has an "
			         "entry that is neither",
			         name);
			return -1;
		}
	}
	return 0;
}

/* The target of a -r / --requirement line (s, n), or 0. */
static int
req_include(const char *s, size_t n, const char **target, size_t *tlen)
{
	if (n > 2 && !memcmp(s, "-r", 2)) {
		s += 2;
		n -= 2;
	} else if (n > 13 && !memcmp(s, "--requirement", 13)) {
		s += 13;
		n -= 13;
	} else {
		return 0;
	}
	while (n && (*s == ' ' || *s == '\t' || *s == '='))
		s++, n--;
	*target = s;
	*tlen = n;
	return n > 0;
}

/*
 * The member a -r target names, relative to dir (the including file's
 * folder, "" for the top and for tox.ini), {toxinidir}/ and ./ dropped,
 * .. taken back; NULL when the sdist holds no such requirements file.
 */
static const struct sched_sdist_member *
req_target(const struct sched_sdist *sd, const char *dir, const char *t,
           size_t n)
{
	char path[512];
	size_t len = 0;

	if (n > 13 && !memcmp(t, "{toxinidir}/", 12))
		t += 12, n -= 12;
	if (!n || *t == '/' || strlen(dir) + n + 1 >= sizeof(path))
		return NULL;
	len = (size_t)snprintf(path, sizeof(path), "%s", dir);
	while (n) {
		const char *e = memchr(t, '/', n);
		size_t k = e ? (size_t)(e - t) : n;

		if (k == 2 && !memcmp(t, "..", 2)) {
			if (!len)
				return NULL; /* above the top */
			len--; /* the '/' that ends the folder */
			while (len && path[len - 1] != '/')
				len--;
		} else if (k && !(k == 1 && *t == '.')) {
			memcpy(path + len, t, k);
			len += k;
			if (e)
				path[len++] = '/';
		}
		t += e ? k + 1 : k;
		n -= e ? k + 1 : k;
	}
	path[len] = 0;
	for (size_t i = 0; i < sd->nreqs; i++)
		if (sd->reqs[i].name && !strcmp(sd->reqs[i].name, path))
			return &sd->reqs[i];
	return NULL;
}

/* The folder of a requirements file's path in the sdist, with its
 * trailing '/' ("" at the top): what its -r lines are relative to. */
static void
req_dir(const char *name, char *out, size_t n)
{
	const char *slash = strrchr(name, '/');

	snprintf(out, n, "%.*s", slash ? (int)(slash - name + 1) : 0, name);
}

/* The bit of sd->reqs[i] in a set of requirements files already read
 * (SCHED_SDIST_MAX_REQS <= 32). */
#define REQ_BIT(sd, m) (UINT32_C(1) << ((m) - (sd)->reqs))
_Static_assert(SCHED_SDIST_MAX_REQS <= 32, "a bit per requirements file");

/*
 * Requirement lines of a requirements file or tox deps: comments and
 * blank lines dropped, -r includes of the sdist's requirements files
 * followed (relative to dir, the file's folder), other options and
 * includes recorded as unresolved. *seen holds the files already read
 * for this cell: each is read once, so a hostile sdist whose files
 * include each other thousands of times costs one read of each.
 */
static void
req_lines(const struct sched_sdist *sd, const char *text, const char *what,
          const char *dir, uint32_t *seen, struct lines *out,
          struct sched_deps *d, int tox)
{
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *s = p, *t;
		size_t tn;
		p = e ? e + 1 : p + n;
		while (n && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		const char *hash = memchr(s, '#', n);
		if (hash && (hash == s || hash[-1] == ' ' || hash[-1] == '\t'))
			n = (size_t)(hash - s);
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
		             s[n - 1] == '\r'))
			n--;
		if (!n)
			continue;
		if (req_include(s, n, &t, &tn)) {
			const struct sched_sdist_member *m =
			    req_target(sd, dir, t, tn);
			if (m && (*seen & REQ_BIT(sd, m)))
				continue; /* read already */
			if (m) {
				char sub[512];
				*seen |= REQ_BIT(sd, m);
				req_dir(m->name, sub, sizeof(sub));
				req_lines(sd, m->data, m->name, sub, seen, out,
				          d, 0);
				note(d, "test requirements from %s (-r in %s)",
				     m->name, what);
				continue;
			}
		}
		if (*s == '-' || (tox && (*s == '{' || memchr(s, ':', n) ||
		                          memchr(s, '{', n)))) {
			char line[600];
			snprintf(line, sizeof(line), "%.*s (%s): not followed",
			         (int)(n > 400 ? 400 : n), s, what);
			jx_append(d->test_unresolved,
			          sched_text(line, strlen(line)));
			continue;
		}
		lines_add(out, s, n);
	}
}

/* tox.ini [testenv] deps = ... (with continuation lines). */
static void
tox_deps(const struct sched_sdist *sd, const char *ini, uint32_t *seen,
         struct lines *out, struct sched_deps *d)
{
	const char *sec = strstr(ini, "[testenv]");
	if (!sec)
		return;
	const char *p = strchr(sec, '\n');
	struct buf b = BUF_INIT(1 << 20);
	int in = 0;
	while (p && *++p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (*p == '[')
			break;
		if (in && n && (*p == ' ' || *p == '\t')) {
			buf_add(&b, p, n);
			buf_addc(&b, '\n');
		} else if (!strncmp(p, "deps", 4)) {
			const char *eq = memchr(p, '=', n);
			in = eq != NULL;
			if (eq) {
				buf_add(&b, eq + 1, n - (size_t)(eq + 1 - p));
				buf_addc(&b, '\n');
			}
		} else if (n) {
			in = 0;
		}
		p = e;
	}
	req_lines(sd, buf_cstr(&b), "tox.ini deps", "", seen, out, d, 1);
	buf_release(&b);
}

/* The test requirement lines of an sdist: PEP 735 groups test/tests,
 * the requirements files whose names say test (sched_sdist_reqs_file()),
 * tox.ini deps; with what their -r lines include. */
static void
sdist_test_reqs(const struct sched_sdist *sd, json_t *pyproject,
                struct lines *out, struct sched_deps *d)
{
	json_t *groups =
	    pyproject ? json_object_get(pyproject, "dependency-groups") : NULL;
	if (json_is_object(groups)) {
		static const char *const names[] = {"test", "tests"};
		for (size_t i = 0; i < 2; i++) {
			char why[200];
			struct lines g = {0};
			const char *k;
			json_t *v;
			int present = 0;
			json_object_foreach(groups, k, v) {
				if (pep503_equal(k, strlen(k), names[i],
				                 strlen(names[i])))
					present = 1;
			}
			if (!present)
				continue;
			if (group_reqs(groups, names[i], &g, 0, why,
			               sizeof(why)) < 0) {
				jx_append(d->test_unresolved,
				          sched_text(why, strlen(why)));
			} else {
				for (size_t j = 0; j < g.n; j++)
					lines_add(out, g.v[j], strlen(g.v[j]));
				note(d,
				     "test requirements from "
				     "[dependency-groups] "
				     "%s",
				     names[i]);
			}
			lines_free(&g);
		}
	}
	uint32_t seen = 0;
	for (size_t i = 0; i < sd->nreqs; i++) {
		const char *name = sd->reqs[i].name;
		char dir[512];

		if (!name || sched_sdist_reqs_file(name, strlen(name)) != 2 ||
		    (seen & REQ_BIT(sd, &sd->reqs[i])))
			continue;
		seen |= REQ_BIT(sd, &sd->reqs[i]);
		req_dir(name, dir, sizeof(dir));
		req_lines(sd, sd->reqs[i].data, name, dir, &seen, out, d, 0);
		note(d, "test requirements from %s", name);
	}
	if (sd->tox.name) {
		tox_deps(sd, sd->tox.data, &seen, out, d);
		note(d, "test requirements from tox.ini [testenv] deps");
	}
}

/*
 * The build requirements from pyproject.toml, as pip reads them.
 * Returns 0 with lines in out, or -1 with the resolution set. md is the
 * release's metadata: an in-tree backend (backend-path, PEP 517: a
 * backend that builds itself, as hatchling, flit-core and setuptools do)
 * answers get_requires_for_build_wheel with its own runtime
 * requirements, which the host cannot ask it for without running it:
 * they are added from md's Requires-Dist (static or not: a first stage
 * cannot build without them).
 */
static int
build_reqs(const struct sched_sdist *sd, int have, const struct sched_md *md,
           json_t **pyproject, struct lines *out, struct sched_deps *d)
{
	*pyproject = NULL;
	if (have == 1 && sd->pyproject.name) {
		struct toml_error err;
		json_t *t =
		    toml_parse(sd->pyproject.data, sd->pyproject.len, &err);
		if (!t) {
			snprintf(
			    d->resolution, sizeof(d->resolution),
			    "unavailable: pyproject.toml line %d column %d: "
			    "%s",
			    err.line, err.col, err.msg);
			return -1;
		}
		*pyproject = t;
		json_t *bs = json_object_get(t, "build-system");
		if (bs) {
			json_t *rq = json_object_get(bs, "requires");
			size_t i;
			json_t *v;
			if (!json_is_array(rq)) {
				snprintf(
				    d->resolution, sizeof(d->resolution),
				    "unavailable: pyproject.toml: "
				    "[build-system] 'requires' %s (PEP 518)",
				    rq ? "is not a list" : "is missing");
				return -1;
			}
			json_array_foreach(rq, i, v) {
				if (!json_is_string(v)) {
					snprintf(
					    d->resolution,
					    sizeof(d->resolution),
					    "unavailable: pyproject.toml: "
					    "[build-system] requires holds "
					    "something not a string");
					return -1;
				}
				lines_add(out, json_string_value(v),
				          json_string_length(v));
			}
			const char *be = jx_str(bs, "build-backend");
			if (be && !strncmp(be, "setuptools.build_meta", 21)) {
				/* get_requires_for_build_wheel(), statically */
				lines_add(out, "wheel", 5);
				note(d, "build backend %s also asks for wheel",
				     be);
			}
			json_t *bp = json_object_get(bs, "backend-path");
			if (json_is_array(bp) && json_array_size(bp) &&
			    md->ok) {
				for (i = 0; i < md->nrequires; i++)
					lines_add(out, md->requires_dist[i],
					          strlen(md->requires_dist[i]));
				note(d,
				     "in-tree build backend (backend-path): "
				     "its dynamic build requirements are the "
				     "project's own Requires-Dist (%zu lines)",
				     md->nrequires);
			}
			note(d,
			     "build requirements from pyproject.toml "
			     "[build-system] (backend %s)",
			     be ? be
			        : "none: setuptools.build_meta:__legacy__");
			return 0;
		}
		note(d, "pyproject.toml has no [build-system]: pip's default "
		        "build requirements");
	} else if (have == 1) {
		note(d, "no pyproject.toml: pip's default build requirements");
	}
	for (size_t i = 0; i < 2; i++)
		lines_add(out, default_build[i], strlen(default_build[i]));
	return 0;
}

void
sched_deps_cell(struct sched_deps_ctx *x, const struct sched_project *p,
                const struct sched_platform *pl, const struct sched_choice *ch,
                struct sched_deps *d)
{
	sched_deps_cell_md(x, p, pl, ch, NULL, 0, d);
}

void
sched_deps_cell_md(struct sched_deps_ctx *x, const struct sched_project *p,
                   const struct sched_platform *pl,
                   const struct sched_choice *ch, const char *built,
                   size_t built_len, struct sched_deps *d)
{
	const struct sched_file *f = &p->files[ch->file];
	const struct sched_md *md =
	    built ? sched_resolver_md_text(x->rs, built, built_len)
	          : sched_resolver_md(x->rs, f->metadata_sha256, f->url);
	struct sched_resolution run = {0}, test = {0};
	const struct sched_resolution *build;
	struct sched_sdist sd;
	struct lines breqs = {0}, treqs = {0};
	json_t *pyproject = NULL;
	const char *tex[3];
	size_t ntex = 0;
	int have = 0;

	memset(&sd, 0, sizeof(sd));
	if (md->ok && !built) {
		d->author_email =
		    md->author_email ? xstrdup(md->author_email) : NULL;
		d->maintainer_email =
		    md->maintainer_email ? xstrdup(md->maintainer_email) : NULL;
		d->requires_python =
		    md->requires_python ? xstrdup(md->requires_python) : NULL;
		d->metadata_sha256 = xstrdup(f->metadata_sha256);
	}
	long src = f->kind == SCHED_FILE_SDIST ? ch->file : ch->sdist;
	if (ch->sdist >= 0) {
		const struct sched_file *s = &p->files[ch->sdist];
		add_file(d, s->name, s->sha256, s->size, "tests_source",
		         ch->version);
	}
	if (src >= 0)
		have = read_sdist(x, &p->files[src], &sd, d);
	if (f->kind == SCHED_FILE_SDIST && !built && !md->ok && have == 1 &&
	    sd.pkginfo.name && f->sha256) {
		/* No metadata file on the index (PyPI serves none for
		 * sdists): the sdist's own PKG-INFO, when PEP 643 says its
		 * Requires-Dist is static, is as good as one. */
		const struct sched_md *pk = sched_resolver_md_pkginfo(
		    x->rs, f->sha256, sd.pkginfo.data, sd.pkginfo.len);
		if (is_static(pk)) {
			md = pk;
			d->author_email =
			    md->author_email ? xstrdup(md->author_email) : NULL;
			d->maintainer_email =
			    md->maintainer_email ? xstrdup(md->maintainer_email)
			                         : NULL;
			d->requires_python = md->requires_python
			                         ? xstrdup(md->requires_python)
			                         : NULL;
			note(d,
			     "runtime requirements from the sdist's PKG-INFO "
			     "(Metadata-Version %s, Requires-Dist static: PEP "
			     "643)",
			     md->metadata_version);
		}
	}
	if (f->kind == SCHED_FILE_SDIST) {
		if (build_reqs(&sd, have, md, &pyproject, &breqs, d) < 0)
			goto out;
		if (have != 1)
			note(d,
			     "build requirements: pip's default for an sdist "
			     "without [build-system] (pyproject.toml not "
			     "read)");
		build = build_resolution(x, pl, breqs.v, breqs.n);
		if (build->status != SCHED_RESOLVE_OK) {
			set_failure(d, "build requirements: ", build);
			goto out;
		}
		if (add_pins(d, build, "build", NULL, NULL) < 0)
			goto out;
		if (built && !md->ok) {
			snprintf(d->resolution, sizeof(d->resolution),
			         "unavailable: the built wheel's metadata: %s",
			         md->why);
			goto out;
		}
		if (built) {
			note(d, "runtime requirements from the metadata of the "
			        "wheel the first stage built");
		} else if (!is_static(md)) {
			snprintf(d->resolution, sizeof(d->resolution),
			         "two_stage");
			note(d,
			     "the sdist's metadata is dynamic or absent (%s): "
			     "the first stage builds the wheel and reports its "
			     "metadata",
			     md->ok ? "Requires-Dist not static" : md->why);
			goto out;
		}
	} else if (!md->ok) {
		snprintf(d->resolution, sizeof(d->resolution),
		         "unavailable: %s: %s", f->name, md->why);
		goto out;
	} else if (have == 1 && sd.pyproject.name) {
		struct toml_error err;
		pyproject =
		    toml_parse(sd.pyproject.data, sd.pyproject.len, &err);
		if (!pyproject)
			note(d,
			     "the sdist's pyproject.toml does not parse (line "
			     "%d: %s): its dependency groups are not read",
			     err.line, err.msg);
	}
	sched_resolve(x->rs, pl, p, ch->file, md, NULL, 0, &run);
	if (run.status != SCHED_RESOLVE_OK) {
		set_failure(d, "", &run);
		goto out;
	}
	for (size_t i = 0; i < md->nextras; i++)
		for (size_t k = 0; k < 3; k++)
			if (pep503_equal(md->extras[i], strlen(md->extras[i]),
			                 test_extras[k],
			                 strlen(test_extras[k])) &&
			    ntex < 3)
				tex[ntex++] = md->extras[i];
	if (have == 1)
		sdist_test_reqs(&sd, pyproject, &treqs, d);
	if (ntex || treqs.n) {
		sched_resolve_more(x->rs, pl, p, ch->file, md, tex, ntex,
		                   (const char *const *)treqs.v, treqs.n,
		                   &test);
		if (test.status == SCHED_RESOLVE_OK) {
			note(d,
			     "test requirements resolved with the runtime "
			     "requirements (%zu rounds)",
			     test.rounds);
			add_pins(d, &test, "test", &run, "runtime");
			goto out;
		}
		char line[1200];
		snprintf(line, sizeof(line), "%s%s: %s%s", ntex ? "extra " : "",
		         ntex ? tex[0] : "test requirements",
		         test.status == SCHED_RESOLVE_CONFLICT
		             ? "conflict: "
		             : "unavailable: ",
		         test.why);
		jx_append(d->test_unresolved, sched_text(line, strlen(line)));
	}
	add_pins(d, &run, "runtime", NULL, NULL);
out:
	json_decref(pyproject);
	lines_free(&breqs);
	lines_free(&treqs);
	sched_sdist_release(&sd);
	sched_resolution_release(&run);
	sched_resolution_release(&test);
}
