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

#include "cfg.h"
#include "jx.h"
#include "log.h"
#include "mirror.h"
#include "pep503.h"
#include "resolve.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sched_deps_ctx {
	struct sched_resolver *rs;
	const struct sched_choose_opts *o;
};

/* pip's build requirements for an sdist without [build-system]. */
static const char *const default_build[] = {"setuptools>=40.8.0", "wheel"};

/* The extras that hold test dependencies by convention. */
static const char *const test_extras[] = {"test", "tests", "testing"};

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
	x->o = o;
	return x;
}

void
sched_deps_free(struct sched_deps_ctx *x)
{
	if (!x)
		return;
	sched_resolver_free(x->rs);
	free(x);
}

static void
note(struct sched_deps *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct sched_deps *d, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	jx_append(d->notes, json_string(text));
}

static void
add_file(struct sched_deps *d, const char *name, const char *sha256,
         int64_t size, const char *role, const char *version)
{
	json_t *j = json_object();
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
			snprintf(d->resolution, sizeof(d->resolution),
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
	const char *kind = r->status == SCHED_RESOLVE_CONFLICT ? "conflict"
	                                                       : "unavailable";
	snprintf(d->resolution, sizeof(d->resolution), "%s: %s%.900s", kind, what,
	         r->why);
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

void
sched_deps_cell(struct sched_deps_ctx *x, const struct sched_project *p,
                const struct sched_platform *pl, const struct sched_choice *ch,
                struct sched_deps *d)
{
	const struct sched_file *f = &p->files[ch->file];
	const struct sched_md *md = sched_resolver_md(x->rs, f->metadata_sha256);
	struct sched_resolution run = {0}, test = {0}, build = {0};
	const char *tex[3];
	size_t ntex = 0;

	if (md->ok) {
		d->author_email = md->author_email ? xstrdup(md->author_email)
		                                   : NULL;
		d->maintainer_email =
		    md->maintainer_email ? xstrdup(md->maintainer_email) : NULL;
		d->requires_python =
		    md->requires_python ? xstrdup(md->requires_python) : NULL;
		d->metadata_sha256 = xstrdup(f->metadata_sha256);
	}
	if (ch->sdist >= 0) {
		const struct sched_file *s = &p->files[ch->sdist];
		add_file(d, s->name, s->sha256, s->size, "tests_source",
		         ch->version);
	}
	if (f->kind == SCHED_FILE_SDIST) {
		/* pyproject.toml is not read yet: pip's default applies */
		note(d, "build requirements: pip's default for an sdist without "
		        "[build-system] (pyproject.toml not read from the "
		        "archive)");
		sched_resolve_reqs(x->rs, pl, default_build, 2, &build);
		if (build.status != SCHED_RESOLVE_OK) {
			set_failure(d, "build requirements: ", &build);
			goto out;
		}
		if (add_pins(d, &build, "build", NULL, NULL) < 0)
			goto out;
		if (!is_static(md)) {
			snprintf(d->resolution, sizeof(d->resolution),
			         "two_stage");
			note(d, "the sdist's metadata is dynamic or absent (%s): "
			        "the first stage builds the wheel and reports its "
			        "metadata",
			     md->ok ? "Requires-Dist not static" : md->why);
			goto out;
		}
	} else if (!md->ok) {
		snprintf(d->resolution, sizeof(d->resolution),
		         "unavailable: %s: %s", f->name, md->why);
		goto out;
	}
	sched_resolve(x->rs, pl, p, ch->file, md, NULL, 0, &run);
	if (run.status != SCHED_RESOLVE_OK) {
		set_failure(d, "", &run);
		goto out;
	}
	for (size_t i = 0; i < md->nextras; i++)
		for (size_t k = 0; k < 3; k++)
			if (pep503_equal(md->extras[i], strlen(md->extras[i]),
			                 test_extras[k], strlen(test_extras[k])) &&
			    ntex < 3)
				tex[ntex++] = md->extras[i];
	if (ntex) {
		sched_resolve(x->rs, pl, p, ch->file, md, tex, ntex, &test);
		if (test.status == SCHED_RESOLVE_OK) {
			note(d, "test extras resolved with the runtime "
			        "requirements (%zu rounds)",
			     test.rounds);
			add_pins(d, &test, "test", &run, "runtime");
			goto out;
		}
		char line[1200];
		snprintf(line, sizeof(line), "extra %s: %s%s", tex[0],
		         test.status == SCHED_RESOLVE_CONFLICT ? "conflict: "
		                                              : "unavailable: ",
		         test.why);
		jx_append(d->test_unresolved, json_string(line));
	}
	add_pins(d, &run, "runtime", NULL, NULL);
out:
	sched_resolution_release(&run);
	sched_resolution_release(&test);
	sched_resolution_release(&build);
}
