/*
 * A cell's files: tests_source now; the runtime, build and test
 * dependencies come from the resolver (resolve.h).
 */
#include "deps.h"

#include "cfg.h"
#include "jx.h"
#include "log.h"
#include "mirror.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sched_deps_ctx {
	const char *store;
	struct sched_mirror *m;
	const struct sched_choose_opts *o;
};

void
sched_deps_init(struct sched_deps *d)
{
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
}

struct sched_deps_ctx *
sched_deps_new(const struct cfg *c, const char *store, struct sched_mirror *m,
               const struct sched_choose_opts *o)
{
	struct sched_deps_ctx *x = xcalloc(1, sizeof(*x));
	x->store = store;
	x->m = m;
	x->o = o;
	return x;
}

void
sched_deps_free(struct sched_deps_ctx *x)
{
	free(x);
}

static void
add_dep(struct sched_deps *d, const struct sched_file *f, const char *role,
        const char *version)
{
	json_t *j = json_object();
	jx_set(j, "name", json_string(f->name));
	jx_set(j, "sha256", jx_string_or_null(f->sha256));
	jx_set(j, "size", f->size >= 0 ? json_integer(f->size) : json_null());
	jx_set(j, "role", json_string(role));
	if (version)
		jx_set(j, "version", json_string(version));
	jx_append(d->deps, j);
}

void
sched_deps_cell(struct sched_deps_ctx *x, const struct sched_project *p,
                const struct sched_platform *pl, const struct sched_choice *ch,
                struct sched_deps *d)
{
	if (ch->sdist >= 0)
		add_dep(d, &p->files[ch->sdist], "tests_source", ch->version);
	snprintf(d->resolution, sizeof(d->resolution),
	         "unavailable: dependency resolution is not built yet");
}
