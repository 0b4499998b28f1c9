/*
 * The file choice: for one project and one platform, the file that
 * `pip install NAME` (Debian 12's pip 23.0.1, with its vendored
 * packaging 21.3) run on that platform would install, or the reason
 * there is none. Every rule follows pip's PackageFinder:
 *
 *  - a file is a candidate when its extension is one pip knows (.whl,
 *    .tar.gz, .zip, .tar.bz2, ... compared case-sensitively), a wheel's
 *    filename matches pip's pattern and names this project, one of its
 *    tags is supported on the platform, an sdist's name part normalizes
 *    to the project, a "-pyX.Y" version suffix names this Python, and its
 *    Requires-Python admits the platform's full Python version (a value
 *    that is not a specifier set is ignored, as pip does; clauses that are
 *    not PEP 440 are compared as packaging 21.3's LegacySpecifier does);
 *  - versions that are not PEP 440 never install; pre-releases only when
 *    no final release has a candidate (configurable);
 *  - the best candidate: not yanked before yanked, then the highest
 *    version, then the best wheel tag (an sdist after every wheel), then
 *    the highest build tag; ties go to the first file in the record.
 *
 * So a cell whose newest release has nothing for it gets an older
 * release's file, as pip would install it. The project's files are read
 * once (struct sched_project) and chosen from per platform.
 */
#ifndef PYTI_SCHED_CHOOSE_H
#define PYTI_SCHED_CHOOSE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mirror.h"
#include "pep440.h"
#include "platform.h"
#include "scan.h"

/* Why a file is not a candidate on any platform (platform-independent). */
enum sched_file_kind {
	SCHED_FILE_WHEEL,
	SCHED_FILE_SDIST,
	SCHED_FILE_UNSUPPORTED, /* extension pip does not install */
	SCHED_FILE_BADNAME, /* not this project's, or a malformed name */
	SCHED_FILE_BADVERSION, /* no version, or not PEP 440 */
};

struct sched_rp; /* a parsed Requires-Python (private) */

/* One file of a project record, read once. Strings borrowed from the
 * record (scan.h), which the project holds. */
struct sched_file {
	const char *name; /* filename */
	const char *sha256; /* NULL when the index gave none */
	int64_t size; /* -1 when unknown */
	const char *requires_python; /* NULL when absent */
	const char *metadata_sha256; /* PEP 658 file, NULL when none */
	const char *url;
	int yanked;
	enum sched_file_kind kind;
	char *version_text; /* owned: the version as pip reads it */
	struct pep440_version version; /* parsed from version_text */
	char py_suffix[8]; /* "-pyX.Y" suffix's X.Y, "" when none */
	char **tags; /* owned: a wheel's tag triples, lowercase */
	size_t ntags;
	char *build; /* owned: build tag digits, NULL if none */
	char *build_rest; /* owned: build tag after its digits */
	struct sched_rp *rp; /* NULL when no Requires-Python */
	int rp_shared; /* rp is the previous file's (same text), not owned */
};

struct sched_project {
	char *norm; /* owned: normalized name */
	struct sched_rec rec; /* owned: the mirror record as read */
	const char *display; /* borrowed from rec */
	int schedulable; /* status active and not quarantined (PEP 792) */
	struct sched_file *files; /* owned */
	size_t nfiles;
};

/* The bound on files per project and tags per wheel read. */
#define SCHED_MAX_FILES SCHED_SCAN_MAX_FILES
/* The largest mirror record read (the crawler's bound). */
#define SCHED_MAX_RECORD ((size_t)256 << 20)
#define SCHED_MAX_TAGS 4096

/*
 * Read the project norm's record from its JSON text (len bytes; scan.h).
 * A malformed file entry is kept as a non-candidate. Returns 0, or -1
 * (logged) when the record itself is malformed (not JSON, no "files"
 * array, more than SCHED_MAX_FILES files); p is then empty.
 */
int sched_project_parse(struct sched_project *p, const char *norm,
                        const char *text, size_t len);

/* The same from a jansson record (tests; rec is only read). */
int sched_project_load(struct sched_project *p, const char *norm, json_t *rec);

/*
 * The same from the mirror: the record of norm copied into scratch (a
 * buffer the caller reuses across projects) and parsed. Returns 0, or -1
 * with *found 0 (not in the mirror, not logged) or -1 (logged).
 */
int sched_project_read(struct sched_project *p, struct mirror *m,
                       const char *norm, struct buf *scratch, int *found);

/* Free what the project holds. */
void sched_project_release(struct sched_project *p);

enum sched_pre {
	SCHED_PRE_FALLBACK, /* pip: pre-releases only when nothing else */
	SCHED_PRE_NEVER,
	SCHED_PRE_ALWAYS, /* pip --pre */
};

enum sched_yanked {
	SCHED_YANKED_FALLBACK, /* pip: a yanked file only when nothing else */
	SCHED_YANKED_NEVER, /* PEP 592 for unpinned requirements */
};

struct sched_choose_opts {
	enum sched_pre pre;
	enum sched_yanked yanked;
	/* pip --no-binary for the cell's own file ([schedule] no-binary):
	 * wheels are not candidates, so the release's sdist is built; the
	 * dependencies are still chosen as pip would. */
	int no_binary;
};

struct sched_choice {
	long file; /* index into p->files, or -1 */
	char reason[512]; /* when file < 0: why nothing is installable */
	char version[128]; /* when file >= 0: the normalized version */
	/* The release's sdist (tests_source for a wheel): index, or -1. */
	long sdist;
};

/*
 * Choose the file for platform pl. Always fills *out (file -1 and a
 * reason when nothing is installable). Never fails.
 */
void sched_choose(const struct sched_project *p,
                  const struct sched_platform *pl,
                  const struct sched_choose_opts *o, struct sched_choice *out);

/*
 * Whether file f is a candidate on pl (kind, tags, Python suffix,
 * Requires-Python): what the choice and the resolver both ask.
 */
int sched_file_ok(const struct sched_file *f, const struct sched_platform *pl);

/* pip's order of two candidate files on pl: > 0 when a is preferred
 * (not yanked, higher version, better tag rank, higher build tag), < 0
 * when b is, 0 when they tie. */
int sched_file_better(const struct sched_file *a, const struct sched_file *b,
                      const struct sched_platform *pl);

/* Whether a Requires-Python text admits python_full, as pip decides (an
 * invalid value admits everything). */
int sched_requires_python_ok(const char *rp, const char *python_full);

#endif
