/*
 * Overlay upper-directory snapshots and diffs. A snapshot is a sorted
 * array of entries, so the diff is one walk plus a binary search per
 * entry. The walk never follows symlinks (lstat, no nftw FTW_FOLLOW) and
 * is bounded in depth and entries: a package can create a million files,
 * and the diff must still finish.
 */
#include "fsdiff.h"
#include "log.h"
#include "sha256.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_DEPTH 64
#define PATH_LEN 4096

struct entry {
	char *path; /* owned, relative to upper, starting with '/' */
	mode_t mode;
	uid_t uid;
	off_t size;
	struct timespec mtime;
	dev_t rdev;
};

struct guest_fsnap {
	struct entry *e;
	size_t n, alloc, max;
	int capped;
};

const char *
guest_fschange_name(enum guest_fschange c)
{
	static const char *const names[] = {"added", "modified", "deleted",
	                                    "opaque"};

	return (unsigned)c < 4 ? names[c] : "modified";
}

typedef int (*visit_fn)(const char *rel, const struct stat *st, void *arg);

static int
walk(const char *root, char *rel, size_t rlen, int depth, visit_fn fn,
     void *arg)
{
	char full[PATH_LEN * 2];
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > MAX_DEPTH)
		return 0;
	snprintf(full, sizeof(full), "%s%s", root, rel);
	d = opendir(full);
	if (!d)
		return errno == ENOENT && depth == 0 ? 0 : 0;
	while ((de = readdir(d)) != NULL && r == 0) {
		struct stat st;
		size_t n = strlen(de->d_name);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rlen + n + 2 >= PATH_LEN)
			continue;
		rel[rlen] = '/';
		memcpy(rel + rlen + 1, de->d_name, n + 1);
		snprintf(full, sizeof(full), "%s%s", root, rel);
		if (lstat(full, &st) == 0) {
			r = fn(rel, &st, arg);
			if (r == 0 && S_ISDIR(st.st_mode))
				r = walk(root, rel, rlen + 1 + n, depth + 1, fn,
				         arg);
		}
		rel[rlen] = '\0';
	}
	closedir(d);
	return r;
}

static int
snap_visit(const char *rel, const struct stat *st, void *arg)
{
	struct guest_fsnap *s = arg;
	struct entry *e;

	if (s->n >= s->max) {
		s->capped = 1;
		return 1;
	}
	XGROW(s->e, s->n + 1, s->alloc);
	e = &s->e[s->n++];
	e->path = xstrdup(rel);
	e->mode = st->st_mode;
	e->uid = st->st_uid;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->rdev = st->st_rdev;
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path,
	              ((const struct entry *)b)->path);
}

struct guest_fsnap *
guest_fsnap_take(const char *upper, size_t max_entries)
{
	struct guest_fsnap *s = xcalloc(1, sizeof(*s));
	char rel[PATH_LEN] = "";

	s->max = max_entries;
	walk(upper, rel, 0, 0, snap_visit, s);
	if (s->n)
		qsort(s->e, s->n, sizeof(s->e[0]), entry_cmp);
	return s;
}

void
guest_fsnap_free(struct guest_fsnap *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].path);
	free(s->e);
	free(s);
}

size_t
guest_fsnap_count(const struct guest_fsnap *s, int *capped)
{
	if (capped)
		*capped = s->capped;
	return s->n;
}

int
guest_file_sha256(const char *path, size_t max, char out[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct sha256 h;
	char chunk[65536];
	size_t total = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	sha256_init(&h);
	while (total < max && (n = read(fd, chunk, sizeof(chunk))) > 0) {
		sha256_update(&h, chunk, (size_t)n);
		total += (size_t)n;
	}
	close(fd);
	sha256_final_hex(&h, out);
	return 0;
}

struct diff_ctx {
	const struct guest_fsnap *before;
	const char *upper, *lower;
	void (*fn)(const char *, enum guest_fschange, const char *, void *);
	void *arg;
	int count;
	int (*more)(void *arg);
	int stopped;
};

static int
diff_visit(const char *rel, const struct stat *st, void *arg)
{
	struct diff_ctx *d = arg;
	struct entry key = {.path = (char *)(uintptr_t)rel};
	const struct entry *old = NULL;
	char up[PATH_LEN * 2], low[PATH_LEN * 2], hex[65] = "";
	struct stat lst;

	if (d->more && !d->more(d->arg)) {
		d->stopped = 1;
		return 1;
	}
	if (d->before && d->before->n)
		old = bsearch(&key, d->before->e, d->before->n, sizeof(key),
		              entry_cmp);
	if (old && old->mode == st->st_mode && old->uid == st->st_uid &&
	    old->size == st->st_size && old->rdev == st->st_rdev &&
	    old->mtime.tv_sec == st->st_mtim.tv_sec &&
	    old->mtime.tv_nsec == st->st_mtim.tv_nsec)
		return 0; /* unchanged since the snapshot */
	snprintf(up, sizeof(up), "%s%s", d->upper, rel);
	snprintf(low, sizeof(low), "%s%s", d->lower, rel);
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0)) {
		d->fn(rel, GUEST_FS_DELETED, "", d->arg);
		d->count++;
		return 0;
	}
	if (S_ISDIR(st->st_mode)) {
		char v[4];
		ssize_t n =
		    lgetxattr(up, "trusted.overlay.opaque", v, sizeof(v));

		if (n > 0 && v[0] == 'y') {
			d->fn(rel, GUEST_FS_OPAQUE, "", d->arg);
			d->count++;
		} else if (!old && lstat(low, &lst) != 0) {
			d->fn(rel, GUEST_FS_ADDED, "", d->arg);
			d->count++;
		}
		return 0;
	}
	if (S_ISREG(st->st_mode))
		guest_file_sha256(up, (size_t)1 << 30, hex);
	if (!old && lstat(low, &lst) == 0) {
		/* copied up: modified only if it really differs */
		char lhex[65] = "";

		if (S_ISREG(st->st_mode) && S_ISREG(lst.st_mode) &&
		    lst.st_mode == st->st_mode && lst.st_uid == st->st_uid &&
		    lst.st_size == st->st_size &&
		    guest_file_sha256(low, (size_t)1 << 30, lhex) == 0 &&
		    !strcmp(lhex, hex))
			return 0;
		d->fn(rel, GUEST_FS_MODIFIED, hex, d->arg);
		d->count++;
		return 0;
	}
	d->fn(rel, old ? GUEST_FS_MODIFIED : GUEST_FS_ADDED, hex, d->arg);
	d->count++;
	return 0;
}

int
guest_fsdiff_bounded(const struct guest_fsnap *before, const char *upper,
                     const char *lower,
                     void (*fn)(const char *path, enum guest_fschange change,
                                const char *sha256, void *arg),
                     void *arg, int (*more)(void *arg), int *stopped)
{
	struct diff_ctx d = {before, upper, lower, fn, arg, 0, more, 0};
	char rel[PATH_LEN] = "";
	struct stat st;

	if (stopped)
		*stopped = 0;
	if (stat(upper, &st) != 0)
		return log_error("cannot read '%s': %s", upper,
		                 strerror(errno));
	walk(upper, rel, 0, 0, diff_visit, &d);
	if (stopped)
		*stopped = d.stopped;
	return d.count;
}

int
guest_fsdiff(const struct guest_fsnap *before, const char *upper,
             const char *lower,
             void (*fn)(const char *path, enum guest_fschange change,
                        const char *sha256, void *arg),
             void *arg)
{
	return guest_fsdiff_bounded(before, upper, lower, fn, arg, NULL, NULL);
}
