/*
 * Reading an sdist on the host without running anything: the few
 * top-level files the scheduler needs (pyproject.toml, PKG-INFO, tox.ini,
 * requirements*test*.txt), taken out of the archive in the store
 * (.tar.gz / .tgz / .tar through zlib's gzip reader, .tar.bz2 / .tbz
 * through libbz2, .tar.xz / .txz through liblzma (its memory bounded to
 * 128 MiB), then a tar header walk; .zip through its central directory
 * and raw inflate). Everything is bounded:
 * SCHED_SDIST_MAX_MEMBER bytes per file kept, SCHED_SDIST_MAX_READ bytes
 * of decompressed archive walked, SCHED_SDIST_MAX_ENTRIES members.
 * Nothing is written to disk.
 */
#ifndef PYTI_SCHED_SDIST_H
#define PYTI_SCHED_SDIST_H

#include <stddef.h>

#define SCHED_SDIST_MAX_MEMBER (1u << 20)
#define SCHED_SDIST_MAX_READ ((size_t)512 << 20)
#define SCHED_SDIST_MAX_ENTRIES 200000
#define SCHED_SDIST_MAX_REQS 8

struct sched_sdist_member {
	char *name; /* owned: the path after the top directory */
	char *data; /* owned, NUL-terminated */
	size_t len;
};

struct sched_sdist {
	struct sched_sdist_member pyproject; /* name NULL when absent */
	struct sched_sdist_member pkginfo; /* PKG-INFO: the sdist's core
	                                    * metadata (static parts: PEP 643) */
	struct sched_sdist_member tox; /* tox.ini */
	struct sched_sdist_member reqs[SCHED_SDIST_MAX_REQS];
	size_t nreqs; /* requirements*test*.txt */
	char why[256]; /* when reading failed */
};

/*
 * Read the archive at path (its filename, for the format, is name).
 * Returns 0 (absent members have name NULL), or -1 with out->why set
 * (unknown format, corrupt, over a bound). Release with
 * sched_sdist_release() either way.
 */
int sched_sdist_read(const char *path, const char *name,
                     struct sched_sdist *out);

void sched_sdist_release(struct sched_sdist *s);

#endif
