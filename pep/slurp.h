/*
 * Whole-input reading for the version, specifier and name subcommands of
 * pyti-pep: stdin is read in large blocks into one bounded buffer and cut
 * into lines in place, which is what lets `pyti-pep version sort` take the
 * 886k versions of PyPI in a few dozen milliseconds.
 */
#ifndef PYTI_PEP_SLURP_H
#define PYTI_PEP_SLURP_H

#include "buf.h"

#include <stdio.h>

/* Most input the line subcommands accept in total. */
#define PEP_SLURP_MAX ((size_t)1 << 30)

/*
 * Read all of f into all (which must be empty; its max is raised to
 * PEP_SLURP_MAX if unlimited). Returns 0, or -1 (logged) on a read error
 * or when the input passes the maximum.
 */
int pep_slurp(FILE *f, struct buf *all);

/*
 * The next line of all at *pos: sets *line and *len (without the "\n") and
 * advances *pos. Returns 1, or 0 at the end. Lines
 * borrow all's memory.
 */
int pep_next_line(const struct buf *all, size_t *pos, const char **line,
                  size_t *len);

#endif
