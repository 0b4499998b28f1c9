/*
 * Sweep-level commands of pyti-report for the nightly sweep: finish (mark
 * the sweep done) and summary (its counts, as key=value lines or one JSON
 * object).
 */
#ifndef PYTI_REPORT_SWEEP_H
#define PYTI_REPORT_SWEEP_H

#include "db.h"

#include <stdint.h>
#include <stdio.h>

/*
 * sweeps.state = 'done', finished_at = now() for sweep id (sql/002).
 * Returns 0, 1 when there is no such sweep (logged), -1 (logged).
 */
int report_finish(struct db *db, int64_t sweep);

/*
 * Print the sweep's summary on out: results, package/infra, outcomes,
 * changes, hostile results, quarantined rows, mails; text is one
 * "key=value" line per figure, json one object. Returns 0 or -1 (logged).
 */
int report_summary(struct db *db, int64_t sweep, int json, FILE *out);

#endif
