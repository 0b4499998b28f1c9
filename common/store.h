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
 * Three ways in: store_fetch() downloads a list of (url, sha256,
 * size, kind) through a fetcher (fetch.h: bounded in flight, retries),
 * which is how the crawler fills the store; store_get() is one file on
 * demand, returning its path (the scheduler's metadata files the crawler
 * did not download); a struct store_writer is the streaming verifier
 * under both, usable alone (tests, other sources of bytes).
 *
 *	struct store *s = store_open(&opts);
 *	struct fetch *f = fetch_new(&fopts);
 *	struct buf path = BUF_INIT(0);
 *	char err[512];
 *	if (store_get(s, f, url, sha256, STORE_METADATA, &path, err,
 *	              sizeof(err)) == 0)
 *		... buf_cstr(&path) holds exactly the bytes of sha256 ...
 *
 * Built into libcommon-fetch.a (libcurl) with fetch.c: only programs
 * that download link it.
 */
#ifndef PYTI_STORE_H
#define PYTI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cas.h"
#include "fetch.h"
#include "sha256.h"

struct store;
struct store_writer;

enum store_kind {
	STORE_METADATA, /* a .metadata file: max_metadata applies */
	STORE_DIST, /* a distribution file: max_dist applies */
};

enum store_result {
	STORE_PENDING, /* not done (the call failed locally) */
	STORE_PRESENT, /* was in the store already: no request */
	STORE_FETCHED, /* downloaded, verified, stored */
	STORE_FAILED, /* not stored: see error */
};

struct store_opts {
	const char *dir; /* the store (created); borrowed for the call */
	size_t max_metadata; /* most bytes of a STORE_METADATA file */
	size_t max_dist; /* most bytes of a STORE_DIST file */
};

struct store_item {
	/* Set by the caller. */
	const char *url; /* borrowed for the call */
	const char *sha256; /* expected, 64 hex digits (either case) */
	int64_t size; /* expected size in bytes, or -1: unknown */
	enum store_kind kind;

	/* Results. */
	enum store_result result;
	uint64_t bytes; /* bytes stored (STORE_FETCHED) */
	char error[512]; /* why it failed (STORE_FAILED), no URL */
};

/*
 * Open the store at o->dir, creating it and its tmp directory, and
 * remove temporary files left by processes that are gone (or older than
 * a day). Returns a new store (store_close()), or NULL (logged).
 */
struct store *store_open(const struct store_opts *o);

/* Close the store; NULL is a no-op. Files are not touched. */
void store_close(struct store *s);

/*
 * Whether the store holds sha256 (and, when size >= 0, with that size).
 * Returns 1 or 0 (also 0 for an invalid sha256).
 */
int store_has(const struct store *s, const char *sha256, int64_t size);

/*
 * Download items[0..n-1] into the store through f, at most f's
 * max_in_flight at once, with f's retries and timeouts. Items already
 * in the store are not requested (STORE_PRESENT); items with the
 * same sha256 are fetched once. Each item's result and error are set;
 * failures are not logged (the caller names them with the URL). f must
 * be idle (fetch_busy() == 0) and is idle again on return.
 *
 * Returns 0 when every item is present or fetched, 1 when some failed
 * (a bad sha256, transport or HTTP error, size or hash mismatch,
 * oversized, local write error), -1 (logged) when the fetcher itself
 * failed (items not done are left STORE_PENDING).
 */
int store_fetch(struct store *s, struct fetch *f, struct store_item *items,
                size_t n);

/*
 * One file on demand: the store's path of sha256 into path (replacing
 * its contents), downloading url through f first when the store does not
 * hold it. The body is bounded by the kind's cap (store_opts), verified
 * against sha256 while it arrives and published atomically, so a
 * returned path always holds exactly those bytes. f's timeouts and
 * retries apply; f must be idle and is idle again on return.
 *
 * Returns 0 (path set: the file was present or is now stored), 1 when it
 * could not be stored (an invalid sha256, a transport or HTTP error such
 * as a 404 or a timeout, an oversized body, a hash mismatch, a local
 * write error: the reason, without the URL, in err; path untouched), or
 * -1 (logged) when the fetcher itself failed.
 */
int store_get(struct store *s, struct fetch *f, const char *url,
              const char *sha256, enum store_kind kind, struct buf *path,
              char *err, size_t errlen);

/*
 * A streaming verifier writing one file to a temporary file of the
 * store: what store_fetch() uses as its fetch sink. sha256 is the
 * expected digest, size the expected length (-1: unknown), max the cap.
 * Returns a new writer (store_writer_free()), or NULL with the
 * reason in err (an invalid sha256, a temporary file that cannot be
 * created).
 */
struct store_writer *store_writer_new(struct store *s, const char *sha256,
                                      int64_t size, size_t max, char *err,
                                      size_t errlen);

/*
 * Hash and write n bytes. Returns 0, or -1 when the body goes over the
 * expected size or the cap, or the write fails (the reason:
 * store_writer_error()). After -1 the writer only accepts reset or
 * free.
 */
int store_writer_write(struct store_writer *w, const void *data, size_t n);

/* Start over (a retried transfer): empty file, fresh digest. */
void store_writer_reset(struct store_writer *w);

/*
 * Check size and sha256; when they match, fsync, rename to the final name
 * and fsync its directory. Returns 0 (stored), or -1 (the temporary file
 * is removed; the reason, naming expected and got, in
 * store_writer_error()).
 */
int store_writer_commit(struct store_writer *w);

/* The reason of the last failure ("" if none); borrowed from w. */
const char *store_writer_error(const struct store_writer *w);

/* Bytes written so far. */
uint64_t store_writer_bytes(const struct store_writer *w);

/* Free the writer, removing its temporary file unless it was committed.
 * NULL is a no-op. */
void store_writer_free(struct store_writer *w);

#endif
