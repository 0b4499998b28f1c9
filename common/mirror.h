/*
 * The mirror: the LMDB layout the crawler writes and the scheduler reads
 * (read-only: mirror_open(..., 1, NULL), then mirror_get_project(),
 * mirror_each_serial(), mirror_state_get()). docs/crawler.md is the full
 * description; in short, five databases in one environment:
 *
 *   projects  normalized name -> JSON record {"name", "serial", "status"
 *             ("active" / "deleted"), "status_reason" (only "not found":
 *             listed but answering 404), "project_status" (PEP 792:
 *             active, archived, quarantined, deprecated; absent in old
 *             records: active), "project_status_reason" (when the index
 *             gives one), "etag", "fetched_at", "files": [...]} (files in
 *             dump shape, sorted by filename)
 *   serials   normalized name -> 8-byte little-endian serial + status byte
 *             ('a' active, 'd' deleted, 'q' quarantined): what the nightly
 *             diff reads, so it never parses a project record
 *   pending   normalized name -> 8-byte little-endian target serial +
 *             display name: projects the last root listing says are new
 *             or changed and that are not committed yet
 *   state     "root-etag", "root-serial", "root-url", "format",
 *             "download" (the download mode the queue below covers)
 *   downloads normalized name -> empty: projects whose files may not all
 *             be in the store yet (store.h); written with the record
 *
 * Writes are queued in one batch (kv.h) and committed together, so a
 * project's record, its serial and its removal from pending are one
 * atomic step.
 */
#ifndef PYTI_MIRROR_H
#define PYTI_MIRROR_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "kv.h"

enum mirror_db {
	MIRROR_PROJECTS,
	MIRROR_SERIALS,
	MIRROR_PENDING,
	MIRROR_STATE,
	MIRROR_DOWNLOADS, /* last: read-only opens leave it out, so a mirror
	                     written before it existed still dumps */
	MIRROR_NDB
};

#define MIRROR_ACTIVE 'a'
#define MIRROR_DELETED 'd'
#define MIRROR_QUARANTINED 'q' /* PEP 792; the record is "active" */
#define MIRROR_FORMAT "1"

struct mirror {
	struct kv *kv;
	struct kv_batch *batch; /* queued writes, see mirror_commit() */
};

/*
 * Open the mirror in dir (created unless rdonly). sync is "full",
 * "meta" (KV_NOMETASYNC, the default) or "none" (KV_NOSYNC). Returns 0 or
 * -1 (logged).
 */
int mirror_open(struct mirror *m, const char *dir, int rdonly,
                const char *sync);

/* Commit what is queued and close; on a failed commit the queued writes
 * are lost (logged). */
void mirror_close(struct mirror *m);

/* Commit the queued writes. Returns 0 or -1 (logged; nothing written). */
int mirror_commit(struct mirror *m);

/*
 * Queue a project's record from a fetched page: record, serial (active,
 * or quarantined when pstatus says so) and removal from pending. files is
 * borrowed. etag, pstatus (PEP 792 status; NULL: active) and preason may
 * be NULL.
 */
void mirror_put_project(struct mirror *m, const char *norm, const char *display,
                        int64_t serial, const char *etag, json_t *files,
                        const char *pstatus, const char *preason);

/*
 * Queue recording a project the index lists but does not serve: status
 * "deleted" with status_reason (e.g. "not found"), serial the larger of
 * serial and the record's (a newer serial in a later root brings it
 * back), files kept (none if it was never fetched), removal from pending.
 * Returns 0 or -1 (logged).
 */
int mirror_mark_gone(struct mirror *m, const char *norm, const char *display,
                     int64_t serial, const char *reason);

/*
 * Queue writing a project's record as it is (rec borrowed), nothing else:
 * its serial and pending entry are left alone (the downloads phase adds
 * what it learnt, e.g. "core_metadata_sha256").
 */
void mirror_put_record(struct mirror *m, const char *norm, json_t *rec);

/*
 * Whether a project record's files may be scheduled: the project is
 * active (not deleted) and its PEP 792 status is not quarantined
 * (archived and deprecated projects are still installable).
 */
int mirror_project_schedulable(const json_t *rec);

/*
 * Queue marking a project deleted (its record and files are kept, status
 * "deleted") and its removal from pending. Reads the current record.
 * Returns 0 or -1 (logged).
 */
int mirror_mark_deleted(struct mirror *m, const char *norm);

/* Queue a pending entry / its removal. */
void mirror_pend(struct mirror *m, const char *norm, int64_t target,
                 const char *display);
void mirror_unpend(struct mirror *m, const char *norm);

/* Queue a project for the download phase / its removal from that queue
 * (not in a read-only mirror). */
void mirror_queue_download(struct mirror *m, const char *norm);
void mirror_unqueue_download(struct mirror *m, const char *norm);

/* Decode a pending value: target serial and display name (borrowed from
 * val, len in *dlen). Returns 0, or -1 when the value is malformed. */
int mirror_pending_decode(const void *val, size_t vlen, int64_t *target,
                          const char **display, size_t *dlen);

/* Decode a serials value. Returns 0 or -1 (malformed). */
int mirror_serial_decode(const void *val, size_t vlen, int64_t *serial,
                         int *status);

/*
 * A state value as an owned string (free()), or NULL when absent or on
 * error (logged).
 */
char *mirror_state_get(struct mirror *m, const char *key);

/* Queue setting a state value (NULL value: delete it). */
void mirror_state_put(struct mirror *m, const char *key, const char *value);

/* Print the mirror as JSON lines sorted by normalized name (the dump
 * format of docs/crawler.md). Returns 0 or -1 (logged). */
int mirror_dump(struct mirror *m, FILE *out);

/* Print counts. Returns 0 or -1 (logged). */
int mirror_stats(struct mirror *m, FILE *out);

/*
 * The record of one project as a new JSON reference, or NULL (absent:
 * *found = 0; error: logged, *found = -1).
 */
json_t *mirror_get_project(struct mirror *m, const char *norm, int *found);

/*
 * Called by mirror_each_serial() for each project: its normalized name
 * (borrowed for the call, not NUL-terminated, nlen bytes), serial and
 * status (MIRROR_ACTIVE, MIRROR_DELETED or MIRROR_QUARANTINED). Return 0
 * to go on, anything else to stop.
 */
typedef int (*mirror_serial_fn)(const char *norm, size_t nlen, int64_t serial,
                                int status, void *arg);

/*
 * Walk the serials database in name order from the first name >= from
 * (NULL: the start), in one consistent snapshot: what the nightly diff
 * reads, without parsing a record. Returns 0 when all were seen, fn's
 * non-zero value when it stopped, or -1 (logged: a database error or a
 * malformed value, named).
 */
int mirror_each_serial(struct mirror *m, const char *from, mirror_serial_fn fn,
                       void *arg);

#endif
