/*
 * The crawl: one run of the incremental algorithm of docs/crawler.md.
 * Fetch the root listing (conditionally), diff its serials against the
 * mirror into the pending queue, fetch the pending pages, commit them in
 * batches, and print a one-line summary.
 */
#ifndef PYTI_CRAWLER_CRAWL_H
#define PYTI_CRAWLER_CRAWL_H

#include <stddef.h>

#include "fetch.h"

struct cfg;

struct crawl_opts {
	char *index; /* root listing URL, ending in '/' (owned) */
	const char *db; /* mirror directory (borrowed from cfg) */
	const char *sync; /* "full", "meta" or "none" */
	struct fetch_opts fetch;
	size_t max_page; /* body cap of a project page */
	size_t max_root; /* body cap of the root listing */
	long stale_tries; /* fetches of a stale page in one run */
	long stale_delay_ms; /* wait before refetching a stale page */
	long batch; /* pages per LMDB commit */
	int progress; /* progress line on stderr */
};

/*
 * Fill opts from the [crawler] section of c (defaults for what is unset).
 * Returns 0 or -1 (logged: which key was invalid).
 */
int crawl_opts_from_cfg(struct crawl_opts *o, const struct cfg *c);

/* Free what crawl_opts_from_cfg() allocated. */
void crawl_opts_release(struct crawl_opts *o);

/*
 * Run one crawl. Returns 0 when every page was committed or left queued
 * as stale, 1 when pages failed (each named on stderr) or the root
 * listing could not be fetched, -1 on a local error (logged).
 */
int crawl_run(const struct crawl_opts *o);

#endif
