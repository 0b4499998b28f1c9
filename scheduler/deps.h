/*
 * Every file a cell's job needs besides the chosen one, each with its
 * hash and a role: "runtime" (the resolved Requires-Dist, resolve.h),
 * "build" (an sdist's build requirements), "test" (test extras and
 * groups) and "tests_source" (the release's sdist, for a wheel). Nothing
 * here runs package code: metadata comes from the PEP 658 files in the
 * store, pyproject.toml from the sdist archive on the host.
 */
#ifndef PYTI_SCHED_DEPS_H
#define PYTI_SCHED_DEPS_H

#include <jansson.h>

#include "choose.h"
#include "platform.h"

struct cfg;
struct mirror;
struct sched_deps_ctx;

/* What one cell needs. */
struct sched_deps {
	json_t *deps; /* array of {"name","sha256","size","role","version"} */
	char resolution[1024]; /* "ok", "two_stage", "conflict: ...",
	                          "unavailable: ..." */
	json_t *test_unresolved; /* array of "requirement: reason" */
	json_t *notes; /* array of strings for --explain */
	/* From the chosen file's core metadata (NULL when absent). */
	char *author_email, *maintainer_email, *requires_python;
	char *metadata_sha256;
};

void sched_deps_init(struct sched_deps *d);
void sched_deps_release(struct sched_deps *d);

/*
 * A context for a run: the store, the mirror (for dependencies' records;
 * borrowed, must outlive it), limits from [schedule]. Returns a new
 * context (sched_deps_free()), or NULL (logged).
 */
struct sched_deps_ctx *sched_deps_new(const struct cfg *c, const char *store,
                                      struct mirror *m,
                                      const struct sched_choose_opts *o);
void sched_deps_free(struct sched_deps_ctx *x);

/*
 * Fill d for the cell of p on pl whose choice is ch (ch->file >= 0).
 * Never fails: what cannot be resolved is the resolution text.
 */
void sched_deps_cell(struct sched_deps_ctx *x, const struct sched_project *p,
                     const struct sched_platform *pl,
                     const struct sched_choice *ch, struct sched_deps *d);

/* Text from outside as a JSON string (new reference): bytes that are
 * not UTF-8 become '?', never a NULL. */
json_t *sched_text(const char *s, size_t n);

/* As sched_deps_cell() for a two-stage job's second stage: the runtime
 * requirements come from built (the METADATA text the first stage
 * reported for the wheel it built). */
void sched_deps_cell_md(struct sched_deps_ctx *x, const struct sched_project *p,
                        const struct sched_platform *pl,
                        const struct sched_choice *ch, const char *built,
                        size_t built_len, struct sched_deps *d);

/* The same cell as one line of JSON appended to b, byte for byte what
 * jx_write_line() writes of sched_cell_json() (without its "_release"),
 * without building the tree: the dry run's output path. */
struct buf;
void sched_cell_write(struct buf *b, const struct sched_project *p,
                      const struct sched_platform *pl,
                      const struct sched_choice *ch,
                      const struct sched_deps *d);

/* The cell as the JSON object of pyti-schedule --dry-run --json (a new
 * reference). */
json_t *sched_cell_json(const struct sched_project *p,
                        const struct sched_platform *pl,
                        const struct sched_choice *ch,
                        const struct sched_deps *d);

#endif
