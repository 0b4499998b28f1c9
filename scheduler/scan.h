/*
 * A mirror record read without a DOM: one pass over the record's JSON
 * text that keeps only the fields the scheduler uses and steps over the
 * rest (upload times, URLs of other hashes, anything added later). The
 * full expansion reads every record of the mirror, and building each as
 * a jansson tree was most of its time (docs/performance.md).
 *
 * The text is checked as JSON while it is read (strings, escapes,
 * numbers, nesting up to SCHED_SCAN_MAX_DEPTH); a record that is not
 * valid JSON, or whose top level or "files" entries have the wrong types,
 * is refused with a message naming what was wrong. Strings are unescaped
 * into one arena the record owns (never longer than the text), so a
 * project costs two allocations. Duplicate keys: the last wins, as in
 * jansson.
 *
 *	struct sched_rec r;
 *	char err[200];
 *	if (sched_rec_scan(&r, text, len, err, sizeof(err)) < 0)
 *		log_error("record '%s': %s", norm, err);
 *	...
 *	sched_rec_release(&r);
 */
#ifndef PYTI_SCHED_SCAN_H
#define PYTI_SCHED_SCAN_H

#include <stddef.h>
#include <stdint.h>

#define SCHED_SCAN_MAX_DEPTH 64

/* One entry of "files"; NULL (or -1) for a field absent, null or of
 * another type. */
struct sched_rec_file {
	int is_object; /* 0: the entry is not an object (all else empty) */
	const char *filename;
	const char *sha256;
	const char *url;
	const char *requires_python;
	/* core_metadata {"sha256"}, or core_metadata true and the crawler's
	 * core_metadata_sha256 */
	const char *metadata_sha256;
	int yanked; /* present and neither false nor null */
	int64_t size; /* -1 unless a non-negative integer */
};

struct sched_rec {
	char *arena; /* owned: every string below points into it */
	const char *name, *display_name, *status, *project_status;
	int64_t serial; /* -1 when absent or not an integer */
	int has_files; /* "files" is an array */
	struct sched_rec_file *files; /* owned */
	size_t nfiles;
};

/* The most files read; a record with more is refused. */
#define SCHED_SCAN_MAX_FILES 100000

/*
 * Read a record (len bytes of text, need not be NUL-terminated). Returns
 * 0, or -1 with the reason in err (r is then empty, nothing to release).
 */
int sched_rec_scan(struct sched_rec *r, const char *text, size_t len, char *err,
                   size_t errlen);

/* Free what the record holds. */
void sched_rec_release(struct sched_rec *r);

#endif
