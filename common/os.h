/*
 * Small wrappers over the operating system that every program needs and
 * that used to be written again in each: read a file into a bounded
 * buffer, create a directory and its parents, replace a file atomically
 * and durably, and the monotonic clock. Plain libc: the guest agent links
 * this module too.
 *
 *	struct buf b = BUF_INIT(1 << 20);
 *	if (os_read_file(path, &b))
 *		return -1;            (logged: open, read, or over 1 MiB)
 *	...
 *	if (os_write_atomic(path, text, strlen(text), 0644))
 *		return -1;            (logged; the old file is untouched)
 *
 * Every function logs its failure (log.h) and returns -1; errno is kept
 * from the call that failed.
 */
#ifndef PYTI_OS_H
#define PYTI_OS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

/* Milliseconds of CLOCK_MONOTONIC: for timeouts and durations, never
 * for dates. */
int64_t os_mono_ms(void);

/* Milliseconds since the epoch (CLOCK_REALTIME): for dates. */
int64_t os_wall_ms(void);

/*
 * Append the whole file at path to b, which bounds it: a file larger
 * than b->max fails ("'path' is larger than N bytes") and leaves b as it
 * was. "-" is not special. Returns 0 or -1 (logged).
 */
int os_read_file(const char *path, struct buf *b);

/*
 * Create the directory path with mode, and its missing parents (0755),
 * like mkdir -p: an existing directory is success. Returns 0 or -1
 * (logged, naming the component that could not be created).
 */
int os_mkdir_p(const char *path, mode_t mode);

/*
 * fsync a directory, so that a rename, creation or removal in it
 * survives a system crash. Returns 0 or -1 (logged).
 */
int os_sync_dir(const char *dir);

/*
 * Replace path by len bytes of data, so that at any moment and after any
 * crash path is either the old file or the complete new one: write a
 * temporary file beside it ("<path>.tmp.<pid>"), fsync it, rename it over
 * path, fsync the directory. The new file has mode (before umask). On
 * failure the temporary file is removed and path is untouched, except
 * when only the fsync of the directory failed: path then holds the new
 * file, not known to be durable. An fsync failure is never retried (the
 * data may be lost). Returns 0 or -1 (logged).
 */
int os_write_atomic(const char *path, const void *data, size_t len,
                    mode_t mode);

#endif
