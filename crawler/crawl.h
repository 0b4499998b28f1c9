/*
 * The crawl: one run of the incremental algorithm of docs/crawler.md.
 * Fetch the root listing (conditionally), diff its serials against the
 * mirror into the pending queue, fetch the pending pages, commit them in
 * batches, and print a one-line summary.
 */
#ifndef PYTI_CRAWLER_CRAWL_H
#define PYTI_CRAWLER_CRAWL_H

#include <stddef.h>
#include <stdio.h>

#include "fetch.h"

struct cfg;

enum crawl_download {
	CRAWL_DOWNLOAD_NONE,
	CRAWL_DOWNLOAD_METADATA, /* PEP 658 .metadata files */
	CRAWL_DOWNLOAD_ALL, /* and the distribution files */
};

struct crawl_opts {
	char *index; /* root listing URL, ending in '/' (owned) */
	const char *db; /* mirror directory (borrowed from cfg) */
	const char *sync; /* "full", "meta" or "none" */
	struct fetch_opts fetch;
	size_t max_page; /* body cap of a project page */
	size_t max_root; /* body cap of the root listing */
	long stale_tries; /* fetches of a stale page in one run */
	long stale_delay_ms; /* wait before refetching a stale page */
	long fail_rounds; /* more tries of a failed or 404 page in a run */
	long fail_delay_ms; /* wait before such a try */
	double revalidate; /* share of the mirror revalidated per run */
	int verify; /* revalidate every page this run */
	int reset; /* empty a mirror of another index first */
	char *user_agent; /* owned; o->fetch.user_agent points here */
	int no_contact; /* a remote index and no [crawler] contact */
	long batch; /* pages per LMDB commit */
	int progress; /* progress line on stderr */
	enum crawl_download download; /* after the pages (store.h) */
	char *store; /* content-addressed store directory (owned) */
	size_t max_metadata; /* cap of a .metadata file */
	size_t max_dist; /* cap of a distribution file */
};

/* Parse a download mode ("none", "metadata", "all"). Returns 0 or -1
 * (logged). */
int crawl_download_parse(const char *s, enum crawl_download *out);

/*
 * Fill opts from the [crawler] section of c (defaults for what is unset).
 * Returns 0 or -1 (logged: which key was invalid).
 */
int crawl_opts_from_cfg(struct crawl_opts *o, const struct cfg *c);

/* Whether a URL's host is this machine (127.0.0.0/8, [::1], localhost):
 * such an index may be crawled without the politeness limits. */
int crawl_is_loopback(const char *url);

/* Free what crawl_opts_from_cfg() allocated. */
void crawl_opts_release(struct crawl_opts *o);

/* Exit statuses of a crawl (docs/crawler.md). */
#define CRAWL_COMPLETE 0 /* every page committed (or left queued stale) */
#define CRAWL_NOTHING 1 /* nothing usable: no root, a broken mirror */
#define CRAWL_PARTIAL 3 /* complete but the named failed pages/downloads */

/*
 * Run one crawl: CRAWL_COMPLETE, CRAWL_PARTIAL (pages or downloads failed
 * even after their rounds; each named on stderr and left queued for the
 * next run), CRAWL_NOTHING (the root listing could not be fetched, or the
 * mirror belongs to another index), or -1 on a local error (logged).
 */
int crawl_run(const struct crawl_opts *o);

/*
 * The `fetch` subcommand: read lines "URL SHA256 [SIZE]" from in (a URL
 * ending in ".metadata" is a metadata file, anything else a distribution
 * file, for the caps), download them into o->store through a fetcher
 * with o's limits, and write one line per input line to out, in input
 * order, flushed every chunk of lines:
 *
 *	ok <sha256> <path>
 *	failed <url>: <reason>
 *
 * Lines over 8 KiB or malformed fail alone. Returns 0 when every line
 * was ok, 1 when some failed, -1 on a local error (logged).
 */
int crawl_fetch_lines(const struct crawl_opts *o, FILE *in, FILE *out);

#endif
