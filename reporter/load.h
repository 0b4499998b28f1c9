/*
 * pyti-report load: the runner's results rows into the reporter's tables
 * (sql/003-reporter.sql). Rows are taken in job order, a batch per
 * transaction, each batch sent with COPY; a result already loaded or
 * quarantined is skipped, so loading twice changes nothing and a load
 * killed at any point resumes where the last commit left it. Loaders on
 * several hosts take turns (an advisory lock per batch). With jobs > 1
 * the rows are split into 8 partitions by job_id and that many worker
 * processes (each its own connection) load disjoint partitions side by
 * side: the loader's parsing of one overlaps the server's work for
 * another.
 *
 * The raw document is the guest's: identity comes from the results row,
 * its job and the job's cell; every string is cut to a bound below; an
 * array longer than its bound keeps its head and counts the rest as
 * dropped. A document whose shape is wrong (not an object, a key of the
 * wrong type) goes to report_quarantine with a reason naming the key;
 * so does a row the database refuses on its own.
 */
#ifndef PYTI_REPORT_LOAD_H
#define PYTI_REPORT_LOAD_H

#include "db.h"

#include <stdint.h>

struct cfg;

/* Bounds on what one result may put into the tables. */
#define REPORT_NAME_MAX 256      /* names, kinds, outcomes (bytes) */
#define REPORT_TEXT_MAX 2048     /* reasons, details, messages, paths */
#define REPORT_FINDINGS_MAX 500  /* findings kept per result */
#define REPORT_CASES_MAX 5000    /* test cases kept per result */
#define REPORT_TASKS_MAX 64      /* tasks kept per result */
#define REPORT_LEFTOVERS_MAX 500 /* uninstall leftovers kept per result */
#define REPORT_CODES_MAX 200     /* lint codes kept per result */
#define REPORT_CHECKS_MAX 64     /* metadata checks kept per result */
#define REPORT_LOG_TAIL 32768    /* bytes of a failed task's log read */

struct report_load_opts {
	int batch;             /* results per transaction (default 500) */
	int retry_quarantined; /* take quarantined rows out and try again */
	int64_t limit;         /* stop after this many rows (0: all) */
	int reconnect_ms;      /* how long to wait for a lost server */
	int jobs;              /* loaders in parallel, 1..8 (default 1) */
	const struct cfg *cfg; /* the workers' [database] (jobs > 1) */
};

struct report_load_stats {
	int64_t loaded, quarantined, batches, reconnects;
};

/*
 * Load every results row not yet loaded or quarantined. Returns 0 (stats
 * set), or -1 (logged) when the database failed and did not come back
 * within opts->reconnect_ms.
 */
int report_load(struct db *db, const struct report_load_opts *opts,
                struct report_load_stats *stats);

/*
 * Append s (len bytes) to b as one COPY text field: cut to max bytes at a
 * UTF-8 boundary, backslash, tab, newline and carriage return escaped.
 * s == NULL appends \N. Returns 0 or -1 when b is full.
 */
struct buf;
int report_copy_field(struct buf *b, const char *s, size_t len, size_t max);

#endif
