/*
 * Bounded line reading for pyti-pep: getc-based so that an overlong line
 * is consumed without being held in memory.
 */
#include "lines.h"
#include "log.h"

#include <errno.h>
#include <string.h>

int
pep_read_line(FILE *f, struct buf *line)
{
	int c, any = 0, full = 0;

	buf_reset(line);
	while ((c = getc(f)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (!full && (line->len >= PEP_LINE_MAX ||
		              buf_addc(line, (char)c) == BUF_FULL))
			full = 1;
	}
	if (ferror(f))
		return log_error("cannot read input: %s", strerror(errno));
	if (full)
		return log_error("input line longer than %d bytes skipped",
		                 PEP_LINE_MAX);
	return any;
}
