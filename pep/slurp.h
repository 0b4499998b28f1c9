/*
 * Whole-input reading and chunked output for the version, specifier and
 * name subcommands of pyti-pep: stdin is read with read(2) into one
 * bounded buffer and cut into lines in place, and results go out through
 * one large buffer with a write(2) per chunk, which is what lets `pyti-pep
 * version normalize` take the 886k versions of PyPI in a few dozen
 * milliseconds.
 */
#ifndef PYTI_PEP_SLURP_H
#define PYTI_PEP_SLURP_H

#include "buf.h"

#include <stdio.h>
#include <string.h>

/* Most input the line subcommands accept in total. */
#define PEP_SLURP_MAX ((size_t)1 << 30)

/*
 * Read all of f into all (which must be empty; its max is raised to
 * PEP_SLURP_MAX if unlimited). f must not have been read through stdio
 * (its file descriptor is read directly). Returns 0, or -1 (logged) on a
 * read error or when the input passes the maximum. all->data stays
 * NUL-terminated.
 */
int pep_slurp(FILE *f, struct buf *all);

/*
 * The next line of all at *pos: sets *line and *len (without the "\n") and
 * advances *pos. Returns 1, or 0 at the end. Lines
 * borrow all's memory.
 */
static inline int
pep_next_line(const struct buf *all, size_t *pos, const char **line,
              size_t *len)
{
	const char *p, *nl;
	size_t rest;

	if (*pos >= all->len)
		return 0;
	p = all->data + *pos;
	rest = all->len - *pos;
	nl = memchr(p, '\n', rest);
	*line = p;
	*len = nl ? (size_t)(nl - p) : rest;
	*pos += *len + (nl ? 1 : 0);
	return 1;
}

/* Bytes of output gathered before a write(2). */
#define PEP_OUT_CHUNK ((size_t)1 << 18)

/*
 * Output gathered in one buffer (owned) and written to fd with write(2)
 * when it fills. A failed write is remembered, and later output dropped,
 * until pep_out_finish() reports it.
 */
struct pep_out {
	int fd;
	int failed; /* errno of the first failed write, or 0 */
	size_t len;
	char *data; /* PEP_OUT_CHUNK bytes */
};

void pep_out_init(struct pep_out *o, int fd);

/* Write what is gathered (failures as above). */
void pep_out_flush(struct pep_out *o);

/*
 * Room for n bytes at the end of the output: returns where to write them
 * (then add what was written to o->len), flushing first when needed, or
 * NULL when n is more than PEP_OUT_CHUNK (use pep_out_add()).
 */
static inline char *
pep_out_room(struct pep_out *o, size_t n)
{
	if (n > PEP_OUT_CHUNK - o->len) {
		if (n > PEP_OUT_CHUNK)
			return NULL;
		pep_out_flush(o);
	}
	return o->data + o->len;
}

/* Append n bytes (of any size). */
void pep_out_add(struct pep_out *o, const void *p, size_t n);

/* Write the rest and free the buffer. Returns 0, or -1 (logged) when some
 * write failed. */
int pep_out_finish(struct pep_out *o);

#endif
