/*
 * Reading an sdist on the host without running anything: the few
 * files the scheduler needs (pyproject.toml, PKG-INFO, tox.ini at the top;
 * the requirements files of sched_sdist_reqs_file()), taken out of the archive in the store
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
#define SCHED_SDIST_MAX_REQS 24 /* at most 32: a bit each (deps.c) */

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
	size_t nreqs; /* requirements files, in archive order (the first
	               * SCHED_SDIST_MAX_REQS of them) */
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

/*
 * Whether a path inside the sdist (after its top directory) is a
 * requirements file the reader keeps: requirements*.txt at the top, any
 * .txt under requirements/, requirements*.txt under tests/, test/,
 * testing/ or ci/. Returns 2 when its own name makes it a file of test
 * requirements (requirements*test*.txt at the top, requirements/ *test*
 * .txt, requirements*.txt under a tests folder), 1 when it is kept only
 * as what a -r line may include (requirements-dev.txt, requirements.txt),
 * 0 when it is not kept.
 */
int sched_sdist_reqs_file(const char *path, size_t len);

#endif
