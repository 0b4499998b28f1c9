/*
 * The reporter's commands beyond load (load.h) and the sweep commands
 * (sweep.h): each takes the open database and the configuration, prints
 * its result lines on out, and returns 0 or -1 (logged).
 */
#ifndef PYTI_REPORT_H
#define PYTI_REPORT_H

#include "cfg.h"
#include "db.h"

#include <stdint.h>
#include <stdio.h>

/*
 * Compare every package result of the sweep with the previous result of
 * its cell (same project, platform, Python) and record the change in
 * report_changes (changes.c). A result that contradicts the previous one
 * with the same inputs is rerun_pending, and a copy of its job is
 * enqueued with "rerun_of"; when that re-run's result is loaded, the
 * change becomes flaky or is confirmed. Prints one summary line.
 */
int report_changes(struct db *db, const struct cfg *cfg, int64_t sweep,
                   FILE *out);

/*
 * Queue the sweep's digests (one per recipient) and send or spool every
 * due message of the outbox (mail.c). Prints one summary line.
 */
int report_mail(struct db *db, const struct cfg *cfg, int64_t sweep,
                FILE *out);

/*
 * Write the static site into dir (html.c): the summary of sweep (the
 * newest when sweep < 0) and a page per package.
 */
int report_html(struct db *db, const struct cfg *cfg, const char *dir,
                int64_t sweep);

#endif
