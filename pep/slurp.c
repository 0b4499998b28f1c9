/*
 * Reading stdin in one go and writing results in large chunks for
 * pyti-pep's line subcommands (see slurp.h).
 */
#include "slurp.h"

#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
pep_slurp(FILE *f, struct buf *all)
{
	int fd = fileno(f);
	struct stat st;
	size_t cap = 1 << 16, len = 0;
	char *data;

	if (all->max == 0 || all->max > PEP_SLURP_MAX)
		all->max = PEP_SLURP_MAX;
	/* A regular file's size (plus one byte to see the end) saves the
	 * doublings' copies. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (size_t)st.st_size < all->max)
		cap = (size_t)st.st_size + 2;
	data = xmalloc(cap);
	for (;;) {
		ssize_t n;

		/* Keep a byte for the NUL; never hold more than max + 1. */
		if (cap - len < 2) {
			if (cap > all->max + 1) {
				free(data);
				return log_error("input larger than %zu bytes",
				                 all->max);
			}
			cap = cap * 2 > all->max + 2 ? all->max + 2 : cap * 2;
			data = xreallocarray(data, cap, 1);
		}
		n = read(fd, data + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(data);
			return log_error("cannot read input: %s",
			                 strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > all->max) {
		free(data);
		return log_error("input larger than %zu bytes", all->max);
	}
	data[len] = '\0';
	free(all->data);
	all->data = data;
	all->len = len;
	all->alloc = cap;
	return 0;
}

void
pep_out_init(struct pep_out *o, int fd)
{
	o->fd = fd;
	o->failed = 0;
	o->len = 0;
	o->data = xmalloc(PEP_OUT_CHUNK);
}

static void
write_all(struct pep_out *o, const char *p, size_t n)
{
	while (n > 0 && !o->failed) {
		ssize_t w = write(o->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->failed = w < 0 ? errno : EIO;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
}

void
pep_out_flush(struct pep_out *o)
{
	write_all(o, o->data, o->len);
	o->len = 0;
}

void
pep_out_add(struct pep_out *o, const void *p, size_t n)
{
	char *w = pep_out_room(o, n);

	if (w) {
		memcpy(w, p, n);
		o->len += n;
		return;
	}
	pep_out_flush(o);
	write_all(o, p, n);
}

int
pep_out_finish(struct pep_out *o)
{
	pep_out_flush(o);
	free(o->data);
	o->data = NULL;
	if (o->failed)
		return log_error("cannot write output: %s",
		                 strerror(o->failed));
	return 0;
}
