/*
 * pyti-schedule's run: which projects (changed since the last sweep, all
 * of them, or named ones), their cells on every platform (choose.h), and
 * what becomes of the cells: JSON lines (--dry-run --json, no
 * PostgreSQL), an explanation (--explain), or the sweep's rows and jobs
 * in PostgreSQL (queue.h).
 */
#ifndef PYTI_SCHED_SCHED_H
#define PYTI_SCHED_SCHED_H

#include <jansson.h>
#include <stddef.h>

#include "choose.h"
#include "platform.h"

struct cfg;

enum sched_mode {
	SCHED_ENQUEUE, /* the sweep into PostgreSQL */
	SCHED_DRY_JSON, /* one JSON object per cell on stdout */
	SCHED_EXPLAIN, /* why, for one project, in words */
	SCHED_FOLLOWUPS, /* only the second stages of finished first stages */
};

struct sched_opts {
	enum sched_mode mode;
	const char *db; /* the mirror directory */
	const char *store; /* the store directory (metadata files) */
	char store_default[4096]; /* "store" beside db, as pyti-crawl's */
	int full; /* every project */
	char **packages; /* named projects (any spelling), or NULL */
	size_t npackages;
	const char *platform; /* only this platform, or NULL */
	int workers; /* processes for a --dry-run --json --full walk
	                ([schedule] workers; default: the online CPUs, <= 8) */
	int chunk; /* projects per chunk of that walk ([schedule] chunk) */
	struct sched_choose_opts choose;
};

/*
 * Read the options' defaults from c ([schedule], [crawler] db and store,
 * [mirror] db, [store] dir). Returns 0 or -1 (logged).
 */
int sched_opts_from_cfg(struct sched_opts *o, const struct cfg *c);

/* Run. Returns 0, or -1 (logged). */
int sched_run(const struct cfg *c, const struct sched_opts *o);

#endif
