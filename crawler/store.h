/*
 * The content-addressed file store: core-metadata files (PEP 658) and
 * distribution files, each stored under its own sha256, verified while
 * the bytes arrive. The layout is common/cas.h's (cas_path()), which the
 * scheduler and the runner read; downloads in progress are
 *
 *	STORE/tmp/<pid>.<n>.<sha256[0:16]>
 *
 * A file reaches its final name only by rename(2) after its size and
 * sha256 matched, after fsync of the file (and of the directory after the
 * rename), so whatever happens (hash mismatch, truncated transfer,
 * oversized body, kill -9, power loss) no final name ever holds anything
 * but the bytes its name promises. Temporary files of dead processes are
 * removed when a store is opened.
 *
 * Two ways in: crawl_store_fetch() downloads a list of (url, sha256,
 * size, kind) through the crawler's fetcher (fetch.h: bounded in flight,
 * retries); a struct crawl_store_writer is the streaming verifier under
 * it, usable alone (tests, other sources of bytes).
 *
 *	struct crawl_store *s = crawl_store_open(&opts);
 *	struct crawl_store_item it = {.url = u, .sha256 = h, .size = -1,
 *	                              .kind = CRAWL_STORE_METADATA};
 *	crawl_store_fetch(s, f, &it, 1);
 *	if (it.result == CRAWL_STORE_FAILED) ... it.error ...
 */
#ifndef PYTI_CRAWLER_STORE_H
#define PYTI_CRAWLER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cas.h"
#include "fetch.h"
#include "sha256.h"

struct crawl_store;
struct crawl_store_writer;

enum crawl_store_kind {
	CRAWL_STORE_METADATA, /* a .metadata file: max_metadata applies */
	CRAWL_STORE_DIST, /* a distribution file: max_dist applies */
};

enum crawl_store_result {
	CRAWL_STORE_PENDING, /* not done (the call failed locally) */
	CRAWL_STORE_PRESENT, /* was in the store already: no request */
	CRAWL_STORE_FETCHED, /* downloaded, verified, stored */
	CRAWL_STORE_FAILED, /* not stored: see error */
};

struct crawl_store_opts {
	const char *dir; /* the store (created); borrowed for the call */
	size_t max_metadata; /* most bytes of a CRAWL_STORE_METADATA file */
	size_t max_dist; /* most bytes of a CRAWL_STORE_DIST file */
};

struct crawl_store_item {
	/* Set by the caller. */
	const char *url; /* borrowed for the call */
	const char *sha256; /* expected, 64 hex digits (either case) */
	int64_t size; /* expected size in bytes, or -1: unknown */
	enum crawl_store_kind kind;

	/* Results. */
	enum crawl_store_result result;
	uint64_t bytes; /* bytes stored (CRAWL_STORE_FETCHED) */
	char error[512]; /* why it failed (CRAWL_STORE_FAILED), no URL */
};

/*
 * Open the store at o->dir, creating it and its tmp directory, and
 * remove temporary files left by processes that are gone (or older than
 * a day). Returns a new store (crawl_store_close()), or NULL (logged).
 */
struct crawl_store *crawl_store_open(const struct crawl_store_opts *o);

/* Close the store; NULL is a no-op. Files are not touched. */
void crawl_store_close(struct crawl_store *s);

/*
 * Whether the store holds sha256 (and, when size >= 0, with that size).
 * Returns 1 or 0 (also 0 for an invalid sha256).
 */
int crawl_store_has(const struct crawl_store *s, const char *sha256,
                    int64_t size);

/*
 * Download items[0..n-1] into the store through f, at most f's
 * max_in_flight at once, with f's retries and timeouts. Items already
 * in the store are not requested (CRAWL_STORE_PRESENT); items with the
 * same sha256 are fetched once. Each item's result and error are set;
 * failures are not logged (the caller names them with the URL). f must
 * be idle (fetch_busy() == 0) and is idle again on return.
 *
 * Returns 0 when every item is present or fetched, 1 when some failed
 * (a bad sha256, transport or HTTP error, size or hash mismatch,
 * oversized, local write error), -1 (logged) when the fetcher itself
 * failed (items not done are left CRAWL_STORE_PENDING).
 */
int crawl_store_fetch(struct crawl_store *s, struct fetch *f,
                      struct crawl_store_item *items, size_t n);

/*
 * A streaming verifier writing one file to a temporary file of the
 * store: what crawl_store_fetch() uses as its fetch sink. sha256 is the
 * expected digest, size the expected length (-1: unknown), max the cap.
 * Returns a new writer (crawl_store_writer_free()), or NULL with the
 * reason in err (an invalid sha256, a temporary file that cannot be
 * created).
 */
struct crawl_store_writer *crawl_store_writer_new(struct crawl_store *s,
                                                  const char *sha256,
                                                  int64_t size, size_t max,
                                                  char *err, size_t errlen);

/*
 * Hash and write n bytes. Returns 0, or -1 when the body goes over the
 * expected size or the cap, or the write fails (the reason:
 * crawl_store_writer_error()). After -1 the writer only accepts reset or
 * free.
 */
int crawl_store_writer_write(struct crawl_store_writer *w, const void *data,
                             size_t n);

/* Start over (a retried transfer): empty file, fresh digest. */
void crawl_store_writer_reset(struct crawl_store_writer *w);

/*
 * Check size and sha256; when they match, fsync, rename to the final name
 * and fsync its directory. Returns 0 (stored), or -1 (the temporary file
 * is removed; the reason, naming expected and got, in
 * crawl_store_writer_error()).
 */
int crawl_store_writer_commit(struct crawl_store_writer *w);

/* The reason of the last failure ("" if none); borrowed from w. */
const char *crawl_store_writer_error(const struct crawl_store_writer *w);

/* Bytes written so far. */
uint64_t crawl_store_writer_bytes(const struct crawl_store_writer *w);

/* Free the writer, removing its temporary file unless it was committed.
 * NULL is a no-op. */
void crawl_store_writer_free(struct crawl_store_writer *w);

#endif
