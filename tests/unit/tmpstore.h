/*
 * For unit tests that need a store of their own (common/cas.h's layout)
 * in a mkdtemp() directory: put a file in it under a key, and remove the
 * whole directory at the end. Header-only, for the test binaries of more
 * than one program (test_run_artifact, test_sched_artifact).
 */
#ifndef PYTI_TEST_TMPSTORE_H
#define PYTI_TEST_TMPSTORE_H

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cas.h"
#include "os.h"

/* data (len bytes) as the file of key (64 hex digits) in the store dir,
 * its fan-out directory made. Returns 0, or -1. */
static inline int
tmpstore_put(const char *dir, const char *key, const void *data, size_t len)
{
	struct buf p = BUF_INIT(0);
	int ret = -1;

	if (cas_path(dir, key, &p))
		goto out;
	*strrchr(p.data, '/') = '\0';
	if (os_mkdir_p(buf_cstr(&p), 0755))
		goto out;
	cas_path(dir, key, &p);
	ret = os_write_atomic(buf_cstr(&p), data, len, 0644);
out:
	buf_release(&p);
	return ret;
}

static inline int
tmpstore_rm_one(const char *path, const struct stat *st, int flag,
                struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove dir and everything below it, never following a link. Returns 0,
 * or -1. */
static inline int
tmpstore_remove(const char *dir)
{
	return nftw(dir, tmpstore_rm_one, 16, FTW_DEPTH | FTW_PHYS) ? -1 : 0;
}

#endif
