/*
 * Reading the input lines of pyti-pep's subcommands: one item per line,
 * each bounded, so a hostile or broken input file cannot make the tool
 * allocate without limit.
 */
#ifndef PYTI_PEP_LINES_H
#define PYTI_PEP_LINES_H

#include "buf.h"

#include <stdio.h>

/* Longest input line accepted; longer ones are reported and skipped. */
#define PEP_LINE_MAX (64 * 1024)

/*
 * Read the next line of f into line (reset first, without its "\n").
 * Returns 1 when a line was read, 0 at end of input, and -1 (logged) for
 * a line longer than PEP_LINE_MAX, which is consumed and skipped (the
 * caller prints its failure result and goes on), or a read error.
 */
int pep_read_line(FILE *f, struct buf *line);

#endif
