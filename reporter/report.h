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

/*
 * serve (or unsubscribe-server): answer on listen_addr ("127.0.0.1:8025";
 * port 0: any, printed) until SIGTERM or SIGINT. /unsubscribe: GET shows
 * a confirm form, POST (RFC 8058 one-click, or the form) sets
 * report_recipients.opted_out_at for the token. /matrix?project=P
 * [&version=V][&history=N]: report_matrix()'s JSON over the connection
 * kept open (unsub.c). Every connection ends within timeout_ms. One line
 * per request on log.
 * Returns 0 when stopped, -1 (logged) when it cannot listen.
 */
int report_unsub_serve(struct db *db, const char *listen_addr, int timeout_ms,
                       FILE *log);

#endif
