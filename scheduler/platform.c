/*
 * Platforms from the configuration: the tags and marker environment of
 * each platform's CPython, built once per run.
 */
#include "platform.h"

#include "cfg.h"
#include "log.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What each Debian suite ships (python3's full version, glibc). */
static const struct {
	const char *suite, *python_full, *glibc;
} suites[] = {
    {"bullseye", "3.9.2", "2.31"},
    {"bookworm", "3.11.2", "2.36"},
    {"trixie", "3.13.5", "2.41"},
};

static const char builtin[] =
    "[platform debian-11]\nsuite = bullseye\npython = 3.9\n"
    "[platform debian-12]\nsuite = bookworm\npython = 3.11\n"
    "[platform debian-13]\nsuite = trixie\npython = 3.13\n";

struct load {
	struct sched_platforms *ps;
	const struct cfg *c;
	const char *only;
	int found;
};

/* "3.11" -> 3, 11; the whole text must be two numbers. */
static int
parse_xy(const char *s, int *major, int *minor)
{
	char *e;
	long a = strtol(s, &e, 10);
	if (e == s || *e != '.' || a < 2 || a > 9)
		return -1;
	const char *m = e + 1;
	long b = strtol(m, &e, 10);
	if (e == m || *e || b < 0 || b > 999)
		return -1;
	*major = (int)a;
	*minor = (int)b;
	return 0;
}

static int
load_one(const char *section, void *arg)
{
	struct load *l = arg;
	const char *name = section + strlen("platform ");
	if (l->only && strcmp(l->only, name))
		return 0;
	if (l->ps->n == SCHED_MAX_PLATFORMS)
		return log_error("more than %d platforms", SCHED_MAX_PLATFORMS);
	const char *suite = cfg_get(l->c, section, "suite", NULL);
	const char *python = cfg_get(l->c, section, "python", NULL);
	const char *full = cfg_get(l->c, section, "python-full", NULL);
	const char *glibc = cfg_get(l->c, section, "glibc", NULL);
	const char *arch = cfg_get(l->c, section, "arch", "x86_64");
	int major, minor, gmaj, gmin;

	if (!python || parse_xy(python, &major, &minor))
		return log_error("[%s]: missing or invalid 'python' (want X.Y)",
		                 section);
	for (size_t i = 0; suite && i < sizeof(suites) / sizeof(suites[0]);
	     i++) {
		if (strcmp(suite, suites[i].suite))
			continue;
		if (!glibc)
			glibc = suites[i].glibc;
		/* the suite's full version only if python is the suite's */
		if (!full &&
		    !strncmp(suites[i].python_full, python, strlen(python)) &&
		    suites[i].python_full[strlen(python)] == '.')
			full = suites[i].python_full;
	}
	if (!glibc || parse_xy(glibc, &gmaj, &gmin))
		return log_error("[%s]: missing or invalid 'glibc' (want X.Y; "
		                 "known only for suites bullseye, bookworm, "
		                 "trixie)",
		                 section);
	struct sched_platform *p = &l->ps->v[l->ps->n];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->python = xstrdup(python);
	if (full) {
		p->python_full = xstrdup(full);
	} else {
		p->python_full = xmalloc(strlen(python) + 3);
		snprintf(p->python_full, strlen(python) + 3, "%s.0", python);
	}
	p->glibc = xstrdup(glibc);
	p->arch = xstrdup(arch);
	size_t tl = strlen(arch) + 64;
	p->tag_platform = xmalloc(tl);
	snprintf(p->tag_platform, tl, "manylinux_%d_%d_%s", gmaj, gmin, arch);
	snprintf(p->py_dot, sizeof(p->py_dot), "%d.%d", major, minor);
	l->ps->n++;
	struct tags_target t = {
	    .py_major = major, .py_minor = minor, .platform = p->tag_platform};
	if (tags_supported(&t, &p->tags) < 0)
		return log_error("[%s]: cannot compute its wheel tags",
		                 section);
	if (pep508_env_cpython(&p->env, p->python, p->python_full, "linux",
	                       p->arch) < 0)
		return -1;
	l->found = 1;
	return 0;
}

static int
count_one(const char *section, void *arg)
{
	(void)section;
	(*(size_t *)arg)++;
	return 0;
}

int
sched_platforms_load(struct sched_platforms *ps, const struct cfg *c,
                     const char *only)
{
	struct cfg *dflt = NULL;
	struct load l = {ps, c, only, 0};
	size_t nsec = 0;
	int rc;

	memset(ps, 0, sizeof(*ps));
	cfg_each_section(c, "platform ", count_one, &nsec);
	if (!nsec) {
		dflt = cfg_new();
		if (cfg_load_string(dflt, "built-in platforms", builtin) < 0) {
			cfg_free(dflt);
			return -1;
		}
		l.c = dflt;
	}
	rc = cfg_each_section(l.c, "platform ", load_one, &l);
	cfg_free(dflt);
	if (rc) {
		sched_platforms_release(ps);
		return -1;
	}
	if (only && !l.found)
		return log_error("no platform '%s' configured", only);
	return 0;
}

void
sched_platforms_release(struct sched_platforms *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct sched_platform *p = &ps->v[i];
		free(p->name);
		free(p->python);
		free(p->python_full);
		free(p->glibc);
		free(p->arch);
		free(p->tag_platform);
		tags_list_release(&p->tags);
	}
	ps->n = 0;
}
