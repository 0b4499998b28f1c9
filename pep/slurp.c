/*
 * Reading stdin in one go for pyti-pep's line subcommands (see slurp.h).
 */
#include "slurp.h"

#include "log.h"

#include <errno.h>
#include <string.h>

int
pep_slurp(FILE *f, struct buf *all)
{
	char block[1 << 16];
	size_t n;

	if (all->max == 0 || all->max > PEP_SLURP_MAX)
		all->max = PEP_SLURP_MAX;
	while ((n = fread(block, 1, sizeof(block), f)) > 0)
		if (buf_add(all, block, n) == BUF_FULL)
			return log_error("input larger than %zu bytes",
			                 all->max);
	if (ferror(f))
		return log_error("cannot read input: %s", strerror(errno));
	return 0;
}

int
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
