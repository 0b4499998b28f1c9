/*
 * The spool: where a finished job's raw results wait, durable on this
 * host, until the queue has accepted the completion. A result is written
 * to <spool>/pending/<job>-<fence>.json (temporary file, fsync, rename,
 * fsync of the directory) before the completion transaction is tried;
 * the file is removed only after that transaction committed. If the
 * runner, the VM or PostgreSQL dies in between, the file is still there
 * and the completion is replayed (it is idempotent per fence). A
 * completion the queue refuses (the lease was rescued, the job now
 * belongs to another attempt) moves the file to <spool>/rejected/, kept
 * for inspection, never loaded. A file that cannot be delivered at all
 * (unreadable, or refused by the database for good) goes to
 * <spool>/quarantine/ with a .reason file, and its job is released with
 * that reason (the attempt refunded): never reported as delivered.
 * Files are read back under the limits of limits.h, the same ones the job
 * loop accepted their contents under.
 */
#ifndef PYTI_RUN_SPOOL_H
#define PYTI_RUN_SPOOL_H

#include <stdint.h>

#include "job.h"

struct run_queue;

/* Create <dir>/pending, rejected and quarantine. Returns 0 or -1. */
int run_spool_init(const char *dir);

/*
 * Write the outcome of job id (held under fence) durably. Returns an
 * owned path (free()) of the spool file, or NULL (logged): then the job
 * must not be completed (nothing durable exists).
 */
char *run_spool_write(const char *dir, int64_t id, int64_t fence,
                      const struct run_outcome *o);

/*
 * Try to complete the job of one spool file. Returns 0 (completed or
 * refused as stale: the file is gone from pending/), or -1 (the database
 * is unavailable: the file stays for a later try). Serialised across
 * threads.
 */
int run_spool_deliver(const char *dir, const char *path, struct run_queue *q);

/*
 * run_spool_deliver for the file just written from o: the completion is
 * sent from o->raw_text in memory, the file is not parsed again.
 */
int run_spool_deliver_outcome(const char *dir, const char *path, int64_t id,
                              int64_t fence, const struct run_outcome *o,
                              struct run_queue *q);

/*
 * Deliver every pending file (at start, and periodically). Returns the
 * number still pending, or -1 when the directory cannot be read.
 */
int run_spool_flush(const char *dir, struct run_queue *q);

#endif
