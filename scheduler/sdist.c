/*
 * The sdist reader of sdist.h. Members are wanted by name only at depth
 * one ("<top>/pyproject.toml"), where pip and build look for them, and
 * requirements files one folder further down; the top directory's name
 * is not checked (sdists name it in every way).
 */
#include "sdist.h"

#include "xalloc.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>

void
sched_sdist_release(struct sched_sdist *s)
{
	free(s->pyproject.name);
	free(s->pyproject.data);
	free(s->pkginfo.name);
	free(s->pkginfo.data);
	free(s->tox.name);
	free(s->tox.data);
	for (size_t i = 0; i < s->nreqs; i++) {
		free(s->reqs[i].name);
		free(s->reqs[i].data);
	}
	memset(s, 0, sizeof(*s));
}

static int
has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && !memcmp(s, prefix, k);
}

static int
has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !memcmp(s + n - k, suffix, k);
}

int
sched_sdist_reqs_file(const char *path, size_t len)
{
	static const char *const test_dirs[] = {"tests/", "test/", "testing/",
	                                        "ci/"};
	const char *slash = memchr(path, '/', len);
	const char *base = slash ? slash + 1 : path;
	size_t bl = len - (size_t)(base - path);

	if (!has_suffix(base, bl, ".txt") || bl <= 4)
		return 0;
	if (!slash)
		return has_prefix(base, bl, "requirements")
		           ? 1 + (memmem(base, bl, "test", 4) != NULL)
		           : 0;
	if (memchr(base, '/', bl))
		return 0;
	if (has_prefix(path, len, "requirements/"))
		return 1 + (memmem(base, bl, "test", 4) != NULL);
	for (size_t i = 0; i < sizeof(test_dirs) / sizeof(*test_dirs); i++)
		if (has_prefix(path, len, test_dirs[i]) &&
		    has_prefix(base, bl, "requirements"))
			return 1 + (i < 3 || memmem(base, bl, "test", 4));
	return 0;
}

/* Which member a path is (after the top directory): 1 pyproject, 2 tox,
 * 3 a requirements file, 4 PKG-INFO, 0 none. */
static int
wanted(const char *path, size_t len, size_t *rest)
{
	const char *slash = memchr(path, '/', len);
	if (!slash || slash == path)
		return 0;
	const char *r = slash + 1;
	size_t rl = len - (size_t)(r - path);
	*rest = (size_t)(r - path);
	if (sched_sdist_reqs_file(r, rl))
		return 3;
	if (memchr(r, '/', rl))
		return 0;
	if (rl == 14 && !memcmp(r, "pyproject.toml", 14))
		return 1;
	if (rl == 7 && !memcmp(r, "tox.ini", 7))
		return 2;
	if (rl == 8 && !memcmp(r, "PKG-INFO", 8))
		return 4;
	return 0;
}

static struct sched_sdist_member *
slot(struct sched_sdist *s, int which)
{
	if (which == 1)
		return s->pyproject.name ? NULL : &s->pyproject;
	if (which == 2)
		return s->tox.name ? NULL : &s->tox;
	if (which == 4)
		return s->pkginfo.name ? NULL : &s->pkginfo;
	if (s->nreqs == SCHED_SDIST_MAX_REQS)
		return NULL;
	return &s->reqs[s->nreqs++];
}

/* --- tar (gzip, bzip2, xz or none) --------------------------------------- */

static int
octal(const unsigned char *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	if (f[0] & 0x80) { /* base-256 */
		for (i = 1; i < n; i++) {
			if (v >> 55)
				return -1;
			v = (v << 8) | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && (f[i] == ' ' || f[i] == 0))
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	*out = v;
	return 0;
}

/* --- the decompressed stream of a tar archive ------------------------- */

enum zkind { Z_GZIP, Z_BZIP2, Z_XZ };

/* The xz decoder's memory bound (xz -9 needs 65 MiB). */
#define XZ_MEMLIMIT ((uint64_t)128 << 20)

struct zs {
	enum zkind kind;
	gzFile g; /* gzip, and plain tar (zlib reads it transparently) */
	FILE *f; /* bzip2, xz */
	BZFILE *bz;
	int end; /* bzip2/xz: the stream ended */
	lzma_stream lz;
	unsigned char in[65536];
};

static int
zs_open(struct zs *z, const char *path, enum zkind kind)
{
	int err;
	memset(z, 0, sizeof(*z));
	z->kind = kind;
	if (kind == Z_GZIP)
		return (z->g = gzopen(path, "rb")) ? 0 : -1;
	z->f = fopen(path, "rb");
	if (!z->f)
		return -1;
	if (kind == Z_BZIP2) {
		z->bz = BZ2_bzReadOpen(&err, z->f, 0, 0, NULL, 0);
		if (err == BZ_OK)
			return 0;
	} else {
		lzma_stream init = LZMA_STREAM_INIT;
		z->lz = init;
		if (lzma_stream_decoder(&z->lz, XZ_MEMLIMIT,
		                        LZMA_CONCATENATED) == LZMA_OK)
			return 0;
	}
	fclose(z->f);
	z->f = NULL;
	return -1;
}

static void
zs_close(struct zs *z)
{
	int err;
	if (z->g)
		gzclose(z->g);
	if (z->bz)
		BZ2_bzReadClose(&err, z->bz);
	if (z->kind == Z_XZ && z->f)
		lzma_end(&z->lz);
	if (z->f)
		fclose(z->f);
}

/* Up to n bytes; returns how many (0 at the end) or -1 (corrupt). */
static long
zs_read(struct zs *z, void *buf, size_t n)
{
	int err;
	if (n > INT32_MAX)
		n = INT32_MAX;
	if (z->kind == Z_GZIP)
		return gzread(z->g, buf, (unsigned)n);
	if (z->end)
		return 0;
	if (z->kind == Z_BZIP2) {
		int r = BZ2_bzRead(&err, z->bz, buf, (int)n);
		if (err == BZ_STREAM_END)
			z->end = 1;
		else if (err != BZ_OK)
			return -1;
		return r;
	}
	z->lz.next_out = buf;
	z->lz.avail_out = n;
	while (z->lz.avail_out) {
		lzma_action act = LZMA_RUN;
		if (!z->lz.avail_in) {
			z->lz.next_in = z->in;
			z->lz.avail_in = fread(z->in, 1, sizeof(z->in), z->f);
			if (!z->lz.avail_in) {
				if (ferror(z->f))
					return -1;
				act = LZMA_FINISH;
			}
		}
		lzma_ret r = lzma_code(&z->lz, act);
		if (r == LZMA_STREAM_END) {
			z->end = 1;
			break;
		}
		if (r != LZMA_OK)
			return -1;
	}
	return (long)(n - z->lz.avail_out);
}

/* Exactly n bytes, or -1. */
static int
zs_full(struct zs *z, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		long r = zs_read(z, (char *)buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Skip n bytes of the stream. */
static int
zs_skip(struct zs *z, uint64_t n)
{
	char tmp[65536];
	while (n) {
		size_t k = n > sizeof(tmp) ? sizeof(tmp) : (size_t)n;
		if (zs_full(z, tmp, k) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

static int
read_tar(const char *path, enum zkind kind, struct sched_sdist *s)
{
	struct zs z;
	unsigned char h[512];
	char *longname = NULL;
	uint64_t total = 0;
	int rc = -1;

	if (zs_open(&z, path, kind) < 0) {
		snprintf(s->why, sizeof(s->why), "cannot open the archive");
		return -1;
	}
	for (size_t entries = 0;; entries++) {
		if (entries > SCHED_SDIST_MAX_ENTRIES) {
			snprintf(s->why, sizeof(s->why),
			         "more than %d archive members",
			         SCHED_SDIST_MAX_ENTRIES);
			goto out;
		}
		long r = zs_read(&z, h, sizeof(h));
		if (r == 0)
			break; /* end without the zero blocks: accepted */
		if (r > 0 && r < (long)sizeof(h) &&
		    zs_full(&z, h + r, sizeof(h) - (size_t)r) == 0)
			r = (long)sizeof(h);
		if (r != (long)sizeof(h)) {
			snprintf(s->why, sizeof(s->why),
			         "truncated or corrupt tar archive");
			goto out;
		}
		int zero = 1;
		for (size_t i = 0; i < sizeof(h) && zero; i++)
			zero = !h[i];
		if (zero)
			break;
		uint64_t size;
		if (octal(h + 124, 12, &size) < 0) {
			snprintf(s->why, sizeof(s->why), "bad tar member size");
			goto out;
		}
		uint64_t padded = (size + 511) & ~(uint64_t)511;
		total += padded + 512;
		if (total > SCHED_SDIST_MAX_READ) {
			snprintf(s->why, sizeof(s->why),
			         "archive larger than %zu bytes unpacked",
			         SCHED_SDIST_MAX_READ);
			goto out;
		}
		char type = (char)h[156];
		if (type == 'L' || type == 'x') {
			/* GNU long name / pax header: the next member's path */
			if (size > 65536) {
				snprintf(s->why, sizeof(s->why),
				         "oversized tar extended header");
				goto out;
			}
			char *d = xmalloc((size_t)padded + 1);
			if (zs_full(&z, d, (size_t)padded) < 0) {
				free(d);
				snprintf(s->why, sizeof(s->why),
				         "truncated tar archive");
				goto out;
			}
			d[size] = 0;
			free(longname);
			longname = NULL;
			if (type == 'L') {
				longname = xstrdup(d);
			} else {
				/* records "LEN path=VALUE\n" */
				char *p = strstr(d, " path=");
				if (p) {
					char *e = strchr(p, '\n');
					longname = xmemdup0(
					    p + 6, e ? (size_t)(e - p - 6)
					             : strlen(p + 6));
				}
			}
			free(d);
			continue;
		}
		char name[512];
		if (longname) {
			snprintf(name, sizeof(name), "%s", longname);
			free(longname);
			longname = NULL;
		} else if (!memcmp(h + 257, "ustar", 5) && h[345]) {
			snprintf(name, sizeof(name), "%.155s/%.100s",
			         (const char *)h + 345, (const char *)h);
		} else {
			snprintf(name, sizeof(name), "%.100s", (const char *)h);
		}
		size_t rest, nl = strlen(name);
		while (nl > 2 && name[0] == '.' && name[1] == '/') {
			memmove(name, name + 2, nl - 1);
			nl -= 2;
		}
		int w =
		    (type == '0' || type == 0) ? wanted(name, nl, &rest) : 0;
		struct sched_sdist_member *m = w ? slot(s, w) : NULL;
		if (m && size <= SCHED_SDIST_MAX_MEMBER) {
			m->data = xmalloc((size_t)padded + 1);
			if (zs_full(&z, m->data, (size_t)padded) < 0) {
				snprintf(s->why, sizeof(s->why),
				         "truncated tar archive");
				goto out;
			}
			m->data[size] = 0;
			m->len = (size_t)size;
			m->name = xstrdup(name + rest);
			continue;
		}
		if (m) /* too big: leave the slot empty */
			m->name = NULL;
		if (m && w == 3)
			s->nreqs--;
		if (zs_skip(&z, padded) < 0) {
			snprintf(s->why, sizeof(s->why),
			         "truncated tar archive");
			goto out;
		}
	}
	rc = 0;
out:
	free(longname);
	zs_close(&z);
	return rc;
}

/* --- zip ----------------------------------------------------------------- */

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int
zip_member(int fd, off_t fsize, uint32_t off, uint16_t method, uint32_t csize,
           uint32_t usize, struct sched_sdist_member *m)
{
	unsigned char lh[30];
	if (pread(fd, lh, 30, off) != 30 || le32(lh) != 0x04034b50)
		return -1;
	off_t data = (off_t)off + 30 + le16(lh + 26) + le16(lh + 28);
	if (data + (off_t)csize > fsize || usize > SCHED_SDIST_MAX_MEMBER ||
	    csize > SCHED_SDIST_MAX_MEMBER * 2u)
		return -1;
	unsigned char *c = xmalloc(csize + 1);
	if (pread(fd, c, csize, data) != (ssize_t)csize) {
		free(c);
		return -1;
	}
	m->data = xmalloc((size_t)usize + 1);
	if (method == 0 && csize == usize) {
		memcpy(m->data, c, usize);
	} else if (method == 8) {
		z_stream z;
		memset(&z, 0, sizeof(z));
		if (inflateInit2(&z, -15) != Z_OK) {
			free(c);
			return -1;
		}
		z.next_in = c;
		z.avail_in = csize;
		z.next_out = (unsigned char *)m->data;
		z.avail_out = usize;
		int r = inflate(&z, Z_FINISH);
		inflateEnd(&z);
		if (r != Z_STREAM_END || z.total_out != usize) {
			free(c);
			return -1;
		}
	} else {
		free(c);
		return -1;
	}
	free(c);
	m->data[usize] = 0;
	m->len = usize;
	return 0;
}

static int
read_zip(const char *path, struct sched_sdist *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	unsigned char *tail = NULL, *cd = NULL;
	int rc = -1;

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(s->why, sizeof(s->why), "cannot open the archive");
		goto out;
	}
	size_t tl = st.st_size < 65557 ? (size_t)st.st_size : 65557;
	tail = xmalloc(tl + 1);
	if (pread(fd, tail, tl, st.st_size - (off_t)tl) != (ssize_t)tl)
		goto bad;
	long eocd = -1;
	for (long i = (long)tl - 22; i >= 0; i--)
		if (le32(tail + i) == 0x06054b50) {
			eocd = i;
			break;
		}
	if (eocd < 0)
		goto bad;
	uint16_t n = le16(tail + eocd + 10);
	uint32_t cdsize = le32(tail + eocd + 12),
	         cdoff = le32(tail + eocd + 16);
	if ((off_t)cdoff + cdsize > st.st_size || cdsize > 64u << 20)
		goto bad;
	cd = xmalloc(cdsize + 1);
	if (pread(fd, cd, cdsize, cdoff) != (ssize_t)cdsize)
		goto bad;
	size_t p = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (p + 46 > cdsize || le32(cd + p) != 0x02014b50)
			goto bad;
		uint16_t method = le16(cd + p + 10);
		uint32_t csize = le32(cd + p + 20), usize = le32(cd + p + 24);
		uint16_t nl = le16(cd + p + 28), xl = le16(cd + p + 30),
		         cl = le16(cd + p + 32);
		uint32_t off = le32(cd + p + 42);
		if (p + 46 + nl > cdsize)
			goto bad;
		size_t rest;
		int w = wanted((const char *)cd + p + 46, nl, &rest);
		struct sched_sdist_member *m = w ? slot(s, w) : NULL;
		if (m) {
			if (zip_member(fd, st.st_size, off, method, csize,
			               usize, m) < 0) {
				free(m->data);
				m->data = NULL;
				if (w == 3)
					s->nreqs--;
			} else {
				m->name =
				    xmemdup0(cd + p + 46 + rest, nl - rest);
			}
		}
		p += 46 + (size_t)nl + xl + cl;
	}
	rc = 0;
	goto out;
bad:
	snprintf(s->why, sizeof(s->why), "corrupt zip archive");
out:
	free(tail);
	free(cd);
	if (fd >= 0)
		close(fd);
	return rc;
}

int
sched_sdist_read(const char *path, const char *name, struct sched_sdist *out)
{
	size_t n = strlen(name);
	memset(out, 0, sizeof(*out));
	static const struct {
		const char *ext;
		enum zkind kind;
	} tars[] = {
	    {".tar.gz", Z_GZIP},   {".tgz", Z_GZIP},  {".tar", Z_GZIP},
	    {".tar.bz2", Z_BZIP2}, {".tbz", Z_BZIP2}, {".tar.xz", Z_XZ},
	    {".txz", Z_XZ},
	};
	for (size_t i = 0; i < sizeof(tars) / sizeof(tars[0]); i++) {
		size_t l = strlen(tars[i].ext);
		if (n > l && !strcasecmp(name + n - l, tars[i].ext))
			return read_tar(path, tars[i].kind, out);
	}
	if (n > 4 && !strcasecmp(name + n - 4, ".zip"))
		return read_zip(path, out);
	snprintf(out->why, sizeof(out->why),
	         "archive format of '%.100s' not read on the host", name);
	return -1;
}
