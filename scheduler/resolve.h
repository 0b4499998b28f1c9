/*
 * The dependency resolver: a distribution's Requires-Dist, markers
 * evaluated for the cell's platform, resolved against the mirror from the
 * PEP 658 core-metadata files in the store, without running package code.
 *
 * It follows pip's preferences: for each name the newest version whose
 * best file (the same rules as choose.h) is installable on the platform
 * and satisfies every requirement on the name; pre-releases only when a
 * specifier names one or nothing else satisfies; a yanked version only
 * when every candidate is yanked and the requirement pins it with == or
 * ===. Requirements with pins are decided first, then by depth (breadth
 * first, as pip infers it), then by name. On a conflict it backtracks
 * (chronologically, trying the next older candidate of the latest
 * decision), bounded by rounds and time per resolution; the outcome names
 * the requirements that could not be met together.
 *
 * Caches live as long as the resolver: projects read from the mirror and
 * metadata files read from the store (and parsed) are read once per run.
 */
#ifndef PYTI_SCHED_RESOLVE_H
#define PYTI_SCHED_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "choose.h"
#include "platform.h"

struct mirror;
struct sched_resolver;

/* Read-only view of a parsed core-metadata file. */
struct sched_md {
	int ok; /* 0: missing or unreadable, see why */
	char why[256];
	char *metadata_version;
	char *requires_python;
	char *author_email, *maintainer_email; /* raw header text or NULL */
	char **requires_dist; /* raw lines */
	size_t nrequires;
	char **extras; /* Provides-Extra */
	size_t nextras;
	int dynamic_requires; /* "Dynamic: Requires-Dist" */
};

struct sched_resolver_limits {
	size_t max_rounds; /* candidates tried per resolution */
	uint64_t max_ms; /* wall time per resolution */
	size_t max_names; /* distributions in one resolution */
};

/* A new resolver over the mirror m (borrowed) and the store directory
 * (borrowed; NULL: no metadata at all). */
struct sched_resolver *
sched_resolver_new(struct mirror *m, const char *store,
                   const struct sched_resolver_limits *l);
void sched_resolver_free(struct sched_resolver *rs);

struct store;
struct fetch;

/* Fetch metadata files missing from the store on demand (common/store.h
 * store_get(): PEP 658's file URL with ".metadata", bounded, verified,
 * cached in the store) through s and f, both borrowed and outliving the
 * resolver. Without it a missing file is unavailable. */
void sched_resolver_fetch_missing(struct sched_resolver *rs, struct store *s,
                                  struct fetch *f);

/* The metadata of a file (by its PEP 658 sha256; NULL gives a "no core
 * metadata file" record; url, the distribution file's URL or NULL, is
 * where a missing one is fetched from). Borrowed from the resolver's
 * cache. */
const struct sched_md *sched_resolver_md(struct sched_resolver *rs,
                                         const char *sha256, const char *url);

/* Core metadata given as text (a built wheel's METADATA a two-stage
 * job's first stage reported). Owned by the resolver. */
const struct sched_md *sched_resolver_md_text(struct sched_resolver *rs,
                                              const char *text, size_t len);

/* An sdist's PKG-INFO (the sdist by its sha256): parsed once per sdist,
 * then from the cache. Owned by the resolver. */
const struct sched_md *sched_resolver_md_pkginfo(struct sched_resolver *rs,
                                                 const char *sdist_sha256,
                                                 const char *text, size_t len);

enum sched_resolve_status {
	SCHED_RESOLVE_OK,
	SCHED_RESOLVE_CONFLICT, /* no combination satisfies everything */
	SCHED_RESOLVE_UNAVAILABLE, /* metadata missing, a URL requirement */
	SCHED_RESOLVE_LIMIT, /* rounds or time ran out */
};

/* One resolved distribution. */
struct sched_pin {
	char *name; /* normalized */
	char *version; /* normalized */
	char *file; /* filename */
	char *sha256; /* NULL if the index gave none */
	int64_t size;
};

struct sched_resolution {
	enum sched_resolve_status status;
	char why[1024]; /* unless OK */
	struct sched_pin *pins; /* sorted by name; the root excluded */
	size_t npins;
	size_t rounds; /* candidates tried */
};

/*
 * Resolve the requirements of root (project p, whose chosen file is
 * p->files[file], with metadata md) installed with extras[0..nextras)
 * on pl. Fills *out (sched_resolution_release()). Never fails: the
 * outcome is out->status.
 */
void sched_resolve(struct sched_resolver *rs, const struct sched_platform *pl,
                   const struct sched_project *p, long file,
                   const struct sched_md *md, const char *const *extras,
                   size_t nextras, struct sched_resolution *out);

/* sched_resolve() with more requirement lines on the root (test
 * requirements from the sdist: dependency groups, requirements files). */
void sched_resolve_more(struct sched_resolver *rs,
                        const struct sched_platform *pl,
                        const struct sched_project *p, long file,
                        const struct sched_md *md, const char *const *extras,
                        size_t nextras, const char *const *more, size_t nmore,
                        struct sched_resolution *out);

/* As sched_resolve() for a list of requirement lines with no project
 * behind them (an sdist's build requirements). */
void sched_resolve_reqs(struct sched_resolver *rs,
                        const struct sched_platform *pl,
                        const char *const *reqs, size_t n,
                        struct sched_resolution *out);

void sched_resolution_release(struct sched_resolution *r);

#endif
