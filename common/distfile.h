/*
 * Distribution filenames: what a file on the index is, read from its name
 * alone, the way packaging.utils.parse_wheel_filename() and
 * parse_sdist_filename() (packaging 23.0) read them.
 *
 * Wheels (PEP 427): {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl
 * with compressed tag sets ("py2.py3", "manylinux_2_17_x86_64.manylinux2014_
 * x86_64"). The name is normalized (PEP 503), the version must be PEP 440
 * and is normalized, the build tag must start with a digit and is kept as
 * (number, rest), which is how it sorts.
 *
 * Sdists: {name}-{version}.tar.gz as PEP 625 wants it, and the legacy .zip
 * and .tar.bz2 forms PyPI still serves for old releases. Without a project
 * name the split is at the last dash (packaging); with one, at the first
 * dash whose prefix normalizes to the project (pip), which reads
 * "foo-bar-1.0-1.tar.gz" right.
 *
 * Deliberate differences from packaging (docs/packaging-standards.md):
 * names must be ASCII and non-empty; tag components must be runs of
 * [A-Za-z0-9_]; build numbers above INT64_MAX are invalid; .tar.bz2 sdists
 * are accepted. Every string is bounded by DISTFILE_MAX_LEN.
 */
#ifndef PYTI_DISTFILE_H
#define PYTI_DISTFILE_H

#include "tags.h"

#include <stddef.h>
#include <stdint.h>

/* Longest filename accepted (PyPI's own limit is lower). */
#define DISTFILE_MAX_LEN 1024

struct distfile_wheel {
	char *name; /* owned; PEP 503 normalized ("foo-bar") */
	char *version; /* owned; PEP 440 normalized ("1.0rc1") */
	int has_build; /* whether there is a build tag */
	int64_t build_number; /* its leading digits, as a number */
	char *build_suffix; /* owned; the rest of it ("" if none); NULL
				 * when there is no build tag */
	struct tags_list tags; /* the expanded tag set, in filename order */
};

/*
 * Parse the wheel filename at name (len bytes, no NUL needed) into *out.
 * Returns 0 and fills *out (release with distfile_wheel_release()), or -1
 * without logging and with *out untouched when it is not a valid wheel
 * filename; *why (if not NULL) then points at a static reason.
 */
int distfile_wheel_parse(const char *name, size_t len,
                         struct distfile_wheel *out, const char **why);

/* Free what a parsed wheel holds. */
void distfile_wheel_release(struct distfile_wheel *w);

/* Archive formats of an sdist. */
enum distfile_format {
	DISTFILE_TAR_GZ,
	DISTFILE_ZIP,
	DISTFILE_TAR_BZ2,
};

/* "tar.gz", "zip" or "tar.bz2". */
const char *distfile_format_name(enum distfile_format f);

struct distfile_sdist {
	char *name; /* owned; PEP 503 normalized */
	char *version; /* owned; PEP 440 normalized */
	enum distfile_format format;
	/* 1 when the filename is exactly what PEP 625 prescribes: .tar.gz,
	 * the name normalized with '_' for separators, the version
	 * normalized. */
	int pep625;
};

/*
 * Parse the sdist filename at name (len bytes) into *out. project, when
 * not NULL, is the project the file belongs to (any spelling): the name
 * part must then normalize to it and the rest is the version, dashes and
 * all. Returns 0 (release with distfile_sdist_release()), or -1 without
 * logging and with *out untouched when it is not a valid sdist filename
 * (an unknown extension, no dash, an invalid name or version, a name that
 * is not the project's); *why points at a static reason.
 */
int distfile_sdist_parse(const char *name, size_t len, const char *project,
                         struct distfile_sdist *out, const char **why);

/* Free what a parsed sdist holds. */
void distfile_sdist_release(struct distfile_sdist *s);

#endif
