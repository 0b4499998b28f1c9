/*
 * The filesystem diff of a task. The guest's root is an overlayfs whose
 * upper directory (a tmpfs) receives every write, so the changes a task
 * made are the upper directory after the task minus the upper directory
 * before it: new or changed entries are additions or modifications,
 * character devices 0/0 are whiteouts (deletions), and a directory with
 * the trusted.overlay.opaque xattr replaced a lower one wholesale. An
 * O_RDWR open copies a file up unchanged, so a file that also exists in
 * the lower layer counts as modified only if its content (sha256), mode
 * or owner differ.
 */
#ifndef PYTI_GUEST_FSDIFF_H
#define PYTI_GUEST_FSDIFF_H

#include <stddef.h>

struct guest_fsnap;

/* What changed at a path. */
enum guest_fschange {
	GUEST_FS_ADDED,
	GUEST_FS_MODIFIED,
	GUEST_FS_DELETED,
	GUEST_FS_OPAQUE,
};

/* "added", "modified", "deleted", "opaque" (static). */
const char *guest_fschange_name(enum guest_fschange c);

/*
 * Record the state of every entry under upper (path, type, size, mtime,
 * mode, owner), at most max_entries of them. Returns a new snapshot
 * (guest_fsnap_free()), or NULL (logged) if upper cannot be read. A
 * missing upper directory gives an empty snapshot.
 */
struct guest_fsnap *guest_fsnap_take(const char *upper, size_t max_entries);

void guest_fsnap_free(struct guest_fsnap *s);

/* Entries recorded (and whether the walk stopped at max_entries). */
size_t guest_fsnap_count(const struct guest_fsnap *s, int *capped);

/*
 * Call fn for every change under upper since `before`: path is the
 * absolute path in the guest ("/home/pyti/.bashrc"), sha256 the hex
 * digest of a regular file's new content ("" otherwise), borrowed for
 * the call. lower is the read-only lower root used to tell copy-ups from
 * modifications. Returns the number of changes reported, or -1 (logged)
 * if upper cannot be read.
 */
int guest_fsdiff(const struct guest_fsnap *before, const char *upper,
                 const char *lower,
                 void (*fn)(const char *path, enum guest_fschange change,
                            const char *sha256, void *arg),
                 void *arg);

/* The same, asking more(arg) before each entry (the agent's heartbeat and
 * time limit: hashing a large diff takes a while under TCG); the walk
 * stops, with *stopped set, as soon as it returns 0. */
int guest_fsdiff_bounded(const struct guest_fsnap *before, const char *upper,
                         const char *lower,
                         void (*fn)(const char *path,
                                    enum guest_fschange change,
                                    const char *sha256, void *arg),
                         void *arg, int (*more)(void *arg), int *stopped);

/* sha256 hex of the file at path (at most max bytes read); 0 or -1. */
int guest_file_sha256(const char *path, size_t max, char out[65]);

#endif
