/*
 * The platforms the scheduler makes cells for: the [platform NAME]
 * sections of the configuration (docs/add-a-platform.md), each a guest
 * image with one CPython. What the choice of files needs from a platform
 * is what pip inside that image would see: the interpreter's version (for
 * Requires-Python: the full "3.11.2", as sys.version_info gives it), the
 * supported wheel tags in priority order (common/tags: from the glibc the
 * image ships) and the environment markers evaluate against.
 *
 *	[platform debian-12]
 *	suite = bookworm
 *	python = 3.11
 *	python-full = 3.11.2      # default: known per suite, else python.0
 *	glibc = 2.36              # default: known per suite (required otherwise)
 *	arch = x86_64             # default
 *
 * With no [platform ...] section at all, the built-in debian-11 (3.9,
 * glibc 2.31), debian-12 (3.11, 2.36) and debian-13 (3.13, 2.41) apply,
 * as for pyti-image.
 */
#ifndef PYTI_SCHED_PLATFORM_H
#define PYTI_SCHED_PLATFORM_H

#include "pep508.h"
#include "tags.h"

struct cfg;

#define SCHED_MAX_PLATFORMS 32

struct sched_platform {
	char *name; /* owned: "debian-12" */
	char *python; /* owned: "3.11" (jobs.python) */
	char *python_full; /* owned: "3.11.2" */
	char *glibc; /* owned: "2.36" */
	char *arch; /* owned: "x86_64" */
	char *tag_platform; /* owned: "manylinux_2_36_x86_64" */
	char py_dot[16]; /* pip's "-pyX.Y" suffix check: "3.11" */
	struct tags_list tags; /* supported tags, best first */
	struct pep508_env env; /* markers (strings borrowed from here) */
};

struct sched_platforms {
	struct sched_platform v[SCHED_MAX_PLATFORMS];
	size_t n;
};

/*
 * Read the platforms of c (or the built-in three). only, when not NULL,
 * keeps the one platform of that name (an unknown name is an error).
 * Returns 0, or -1 (logged: a section without python, an unknown suite
 * without glibc, a malformed version).
 */
int sched_platforms_load(struct sched_platforms *ps, const struct cfg *c,
                         const char *only);

/* Free what the platforms hold. */
void sched_platforms_release(struct sched_platforms *ps);

#endif
