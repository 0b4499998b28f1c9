/*
 * HTTP downloads (the crawler's pages and files, the store's on-demand
 * files; libcommon-fetch.a): libcurl's multi interface with a bounded
 * number of requests in flight, connection reuse, HTTP/2 multiplexing
 * where the server offers it, gzip, timeouts, a redirect limit, a body
 * cap counted on decoded bytes, and retries with exponential backoff and
 * jitter on connection errors (DNS included), 5xx and 429 (Retry-After
 * honored, capped), a cap on requests started per second, and a global
 * pause: a 429, or a 503 with Retry-After, holds back every request of
 * the fetcher (not only the one that got it) until the wait is over.
 *
 * The caller makes a struct fetch_req, gives it to fetch_add() and gets
 * it back, finished, in its done callback: either a final HTTP status
 * (after retries) or a failure with a message. Retries are invisible to
 * the caller apart from req->tries.
 */
#ifndef PYTI_FETCH_H
#define PYTI_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct fetch;

struct fetch_opts {
	long max_in_flight; /* requests at once (active + waiting) */
	long connect_timeout_ms; /* TCP + TLS handshake */
	long total_timeout_ms; /* whole request */
	long low_speed_bytes; /* abort below this many bytes/s ... */
	long low_speed_secs; /* ... for this long */
	long max_redirects; /* then the request fails */
	long retries; /* extra tries after the first */
	long retry_base_ms; /* first backoff; doubles per try */
	long retry_max_ms; /* cap on any wait, Retry-After included */
	const char *user_agent; /* borrowed for the fetch's life */
	double max_rate; /* requests started per second; 0: no cap */
};

struct fetch_req;

typedef void (*fetch_done_fn)(struct fetch_req *req);

/*
 * A streaming sink instead of the body buffer (downloads): write gets
 * each decoded piece of a 2xx response and returns 0, or -1 to fail the
 * request (the sink keeps its own message: curl overwrites req->error);
 * reset is called before a retry starts over. Bodies of other statuses
 * never reach the sink (they are dropped, at most 1 MiB of them).
 */
struct fetch_sink {
	int (*write)(void *arg, const char *data, size_t n);
	void (*reset)(void *arg);
	void *arg;
};

struct fetch_req {
	/* Set by the caller before fetch_add(). */
	char *url; /* owned (fetch_req_free()) */
	const char *accept; /* borrowed; NULL: curl's default */
	char *if_none_match; /* owned; NULL: unconditional */
	size_t max_body; /* body cap in decoded bytes */
	struct fetch_sink *sink; /* borrowed; NULL: body goes to body */
	fetch_done_fn done; /* called once, when finished */
	void *arg; /* for the caller */
	int64_t not_before_ms; /* do not start before (monotonic ms) */

	/* Results, valid in done. */
	int failed; /* 1: no usable response, see error */
	char error[512]; /* why it failed */
	long status; /* final HTTP status (0 if failed) */
	struct buf body; /* the body (without sink) */
	char *etag; /* owned or NULL */
	char *content_type; /* owned or NULL */
	char *effective_url; /* owned: the URL after redirects */
	int64_t serial; /* X-PyPI-Last-Serial, or -1 */
	int tries; /* attempts made */

	/* Private to fetch.c. */
	void *easy;
	void *headers;
	size_t got;
	char *retry_after;
	int too_big;
	int sink_failed;
	struct fetch *owner;
	struct fetch_req *next;
};

/* A new request for url (copied). Free with fetch_req_free(). */
struct fetch_req *fetch_req_new(const char *url);

/* Free a finished (or never added) request; NULL is a no-op. */
void fetch_req_free(struct fetch_req *req);

/* A new fetcher (fetch_free()); opts are copied. NULL (logged) if curl
 * cannot start. */
struct fetch *fetch_new(const struct fetch_opts *opts);

/* Free the fetcher. Requests still in it are freed without callback. */
void fetch_free(struct fetch *f);

/* How many more requests fetch_add() may take now (>= 0). */
long fetch_slots(const struct fetch *f);

/* Requests in the fetcher (running or waiting to retry). */
long fetch_busy(const struct fetch *f);

/*
 * Take ownership of req until its done callback runs (the callback may
 * free it or add it again). Call only when fetch_slots() > 0.
 */
void fetch_add(struct fetch *f, struct fetch_req *req);

/*
 * Run transfers for at most timeout_ms, calling done callbacks of the
 * requests that finished. Returns 0, or -1 (logged) when curl itself
 * fails.
 */
int fetch_step(struct fetch *f, long timeout_ms);

/* What a fetcher has done so far, for the summary. */
struct fetch_totals {
	uint64_t bytes;    /* received (decoded) */
	uint64_t requests; /* started */
	uint64_t pauses;   /* global pauses (429 / Retry-After) */
};

struct fetch_totals fetch_totals(const struct fetch *f);

#endif
