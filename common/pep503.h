/*
 * PEP 503 project names: the normalized form that the simple index, the
 * mirror keys and every comparison of names use ("Foo__Bar.baz" ->
 * "foo-bar-baz"), and the validity check of the core metadata spec
 * (ASCII letters and digits, with ".", "_" and "-" inside). Normalization
 * is packaging.utils.canonicalize_name(): runs of "-", "_" and "." become
 * one "-" and ASCII letters are lowered; other bytes are kept as they are
 * (Python would also lower non-ASCII letters; such names are invalid
 * anyway, see docs/packaging-standards.md).
 */
#ifndef PYTI_PEP503_H
#define PYTI_PEP503_H

#include <stddef.h>

struct buf;

/* Longest name pep503_valid() accepts (PyPI's own limit is far lower). */
#define PEP503_MAX_LEN 256

/*
 * Non-zero when the len bytes at name are a valid project name:
 * ^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$ and at most
 * PEP503_MAX_LEN bytes.
 */
int pep503_valid(const char *name, size_t len);

/*
 * Write the normalized form of the len bytes at name into dst, which must
 * have room for len + 1 bytes (the result is never longer; it is
 * NUL-terminated). dst may equal name (in place). Returns the length
 * written, without the NUL.
 */
size_t pep503_normalize_to(char *dst, const char *name, size_t len);

/*
 * Append the normalized form of name to out. Returns 0, or BUF_FULL (see
 * buf.h) when out would pass its max (nothing appended).
 */
int pep503_normalize(const char *name, size_t len, struct buf *out);

/* Non-zero when two names normalize to the same string. Never allocates. */
int pep503_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
