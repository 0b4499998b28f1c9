/*
 * A read-only view of the crawler's LMDB mirror: the project records and
 * the serials. Temporary: the common engineer moves the crawler's mirror
 * read API into common/ (issue 8); when it lands this file goes and the
 * scheduler calls that API instead.
 */
#ifndef PYTI_SCHED_MIRROR_H
#define PYTI_SCHED_MIRROR_H

#include <jansson.h>
#include <stdint.h>

struct kv;

struct sched_mirror {
	struct kv *kv;
};

/* Open the mirror in dir read-only. Returns 0 or -1 (logged). */
int sched_mirror_open(struct sched_mirror *m, const char *dir);
void sched_mirror_close(struct sched_mirror *m);

/* The record of project norm (a new reference), or NULL: absent (*found
 * 0) or unreadable (*found -1, logged). */
json_t *sched_mirror_get(struct sched_mirror *m, const char *norm, int *found);

/* The serial of project norm in *serial. Returns 0, or -1 when absent
 * or unreadable (not logged). */
int sched_mirror_serial(struct sched_mirror *m, const char *norm,
                        int64_t *serial);

/* Called for each project: normalized name (NUL-terminated, borrowed for
 * the call), serial and whether it is deleted. Non-zero stops. */
typedef int (*sched_mirror_fn)(const char *norm, int64_t serial, int deleted,
                               void *arg);

/* Walk the serials in name order. Returns 0, fn's value, or -1. */
int sched_mirror_each(struct sched_mirror *m, sched_mirror_fn fn, void *arg);

#endif
