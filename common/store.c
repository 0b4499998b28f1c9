/*
 * The content-addressed store (store.h). The invariant is that a final
 * name is only ever created by rename(2) of a temporary file whose bytes
 * were hashed on their way in and matched, so a reader (the runner, the
 * scheduler) can trust a file by its name and a crash leaves at worst a
 * temporary file, which the next open removes.
 */
#include "store.h"
#include "log.h"
#include "os.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Temporary files older than this are removed whoever made them. */
#define STALE_TMP_SECS (24 * 3600)
/* Verified files are published (synced and renamed) together, at most
 * this many, and none waits longer than PUBLISH_MS: work a kill -9 can
 * lose stays small. */
#define PUBLISH_BATCH 256
#define PUBLISH_MS 1000

struct ready {
	struct store_writer *w;
	struct store_item *it;
};

struct store {
	char *dir;
	char *tmp; /* dir/tmp */
	size_t max_metadata, max_dist;
	unsigned long counter; /* temporary file names */
	/* store_fetch(): verified, waiting for publish() */
	struct ready *ready;
	size_t nready, aready;
	int64_t ready_since_ms; /* when the oldest of them was verified */
};

struct store_writer {
	struct store *s;
	char want[SHA256_HEX_LEN + 1]; /* lowercase */
	int64_t size;
	size_t max;
	struct sha256 h;
	uint64_t got;
	int fd;
	int failed;
	int committed;
	char *tmp_path;
	char error[512];
};

/* fsync a directory, so a rename or mkdir in it survives a system crash. */
static int
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* A temporary file is stale when its process is gone (names start with
 * the pid) or when it is older than a day (the pid was reused). */
static int
tmp_is_stale(const char *name, const struct stat *st)
{
	char *end;
	long pid;

	if (time(NULL) - st->st_mtime > STALE_TMP_SECS)
		return 1;
	errno = 0;
	pid = strtol(name, &end, 10);
	if (errno || end == name || *end != '.' || pid <= 0)
		return 1;
	if (pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) && errno == ESRCH;
}

static void
clean_tmp(struct store *s)
{
	DIR *d = opendir(s->tmp);
	struct dirent *e;
	struct buf p = BUF_INIT(0);
	struct stat st;
	unsigned long removed = 0;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", s->tmp, e->d_name);
		if (lstat(buf_cstr(&p), &st) || !S_ISREG(st.st_mode))
			continue;
		if (tmp_is_stale(e->d_name, &st) && !unlink(buf_cstr(&p)))
			removed++;
	}
	closedir(d);
	buf_release(&p);
	if (removed)
		log_info("store: removed %lu temporary files of earlier runs",
		         removed);
}

struct store *
store_open(const struct store_opts *o)
{
	struct store *s;
	struct buf p = BUF_INIT(0);

	if (!o->dir || !*o->dir) {
		log_error("no store directory configured");
		return NULL;
	}
	buf_addf(&p, "%s/tmp", o->dir);
	if (os_mkdir_p(o->dir, 0755) || os_mkdir_p(buf_cstr(&p), 0755)) {
		buf_release(&p);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(o->dir);
	s->tmp = buf_detach(&p, NULL);
	s->max_metadata = o->max_metadata;
	s->max_dist = o->max_dist;
	clean_tmp(s);
	return s;
}

void
store_close(struct store *s)
{
	if (!s)
		return;
	free(s->dir);
	free(s->tmp);
	free(s->ready);
	free(s);
}

int
store_has(const struct store *s, const char *sha256, int64_t size)
{
	struct buf p = BUF_INIT(0);
	struct stat st;
	int has = 0;

	if (!cas_path(s->dir, sha256, &p) && !stat(buf_cstr(&p), &st) &&
	    S_ISREG(st.st_mode) && (size < 0 || st.st_size == size))
		has = 1;
	buf_release(&p);
	return has;
}

/* ---- the writer ---- */

static int wfail(struct store_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
wfail(struct store_writer *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
	w->failed = 1;
	return -1;
}

struct store_writer *
store_writer_new(struct store *s, const char *sha256, int64_t size, size_t max,
                 char *err, size_t errlen)
{
	struct store_writer *w;
	struct buf p = BUF_INIT(0);
	char want[SHA256_HEX_LEN + 1];
	int fd;

	if (cas_key(sha256, want)) {
		snprintf(err, errlen, "invalid sha256 '%.80s'",
		         sha256 ? sha256 : "(none)");
		return NULL;
	}
	buf_addf(&p, "%s/%ld.%lu.%.16s", s->tmp, (long)getpid(), ++s->counter,
	         want);
	fd = open(buf_cstr(&p), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", buf_cstr(&p),
		         strerror(errno));
		buf_release(&p);
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->s = s;
	memcpy(w->want, want, sizeof(want));
	w->size = size;
	w->max = max;
	w->fd = fd;
	w->tmp_path = buf_detach(&p, NULL);
	sha256_init(&w->h);
	return w;
}

int
store_writer_write(struct store_writer *w, const void *data, size_t n)
{
	const char *p = data;

	if (w->failed)
		return -1;
	if (w->size >= 0 && w->got + n > (uint64_t)w->size)
		return wfail(w, "longer than the index's size of %lld bytes",
		             (long long)w->size);
	if (w->got + n > w->max)
		return wfail(w, "larger than the cap of %zu bytes", w->max);
	sha256_update(&w->h, data, n);
	w->got += n;
	while (n > 0) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return wfail(w, "cannot write '%s': %s", w->tmp_path,
			             strerror(errno));
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

void
store_writer_reset(struct store_writer *w)
{
	w->failed = 0;
	w->error[0] = '\0';
	w->got = 0;
	sha256_init(&w->h);
	if (ftruncate(w->fd, 0) || lseek(w->fd, 0, SEEK_SET) < 0)
		wfail(w, "cannot truncate '%s': %s", w->tmp_path,
		      strerror(errno));
}

/* Check size and digest and close the file. Returns 0 or -1 (the
 * temporary file removed, the reason in w->error). */
static int
verify(struct store_writer *w)
{
	char got[SHA256_HEX_LEN + 1];
	int ok = 0;

	if (w->failed)
		goto out;
	sha256_final_hex(&w->h, got);
	if (w->size >= 0 && w->got != (uint64_t)w->size)
		wfail(w, "truncated: %llu of %lld bytes",
		      (unsigned long long)w->got, (long long)w->size);
	else if (strcmp(got, w->want))
		wfail(w, "sha256 mismatch: expected %s, got %s (%llu bytes)",
		      w->want, got, (unsigned long long)w->got);
	else
		ok = 1;
out:
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (!ok) {
		w->failed = 1;
		unlink(w->tmp_path);
	}
	return ok ? 0 : -1;
}

/* Move a verified, synced file to its final name. The rename is durable
 * once its directory is synced (the caller's business); a directory it
 * creates is synced in its parent when sync_new_dir (else the caller
 * syncs the whole file system after). */
static int
publish_one(struct store_writer *w, int sync_new_dir)
{
	struct buf final = BUF_INIT(0), dir = BUF_INIT(0);
	int ret = -1;

	buf_addf(&dir, "%s/%.2s", w->s->dir, w->want);
	if (mkdir(buf_cstr(&dir), 0755) == 0) {
		if (sync_new_dir && sync_dir(w->s->dir)) {
			wfail(w, "cannot fsync '%s': %s", w->s->dir,
			      strerror(errno));
			goto out;
		}
	} else if (errno != EEXIST) {
		wfail(w, "cannot create '%s': %s", buf_cstr(&dir),
		      strerror(errno));
		goto out;
	}
	cas_path(w->s->dir, w->want, &final);
	if (rename(w->tmp_path, buf_cstr(&final))) {
		wfail(w, "cannot rename '%s' to '%s': %s", w->tmp_path,
		      buf_cstr(&final), strerror(errno));
		goto out;
	}
	w->committed = 1;
	ret = 0;
out:
	if (!w->committed)
		unlink(w->tmp_path);
	buf_release(&final);
	buf_release(&dir);
	return ret;
}

int
store_writer_commit(struct store_writer *w)
{
	struct buf dir = BUF_INIT(0);
	int fd = w->fd, ret = -1;

	if (w->committed)
		return 0;
	if (w->failed)
		return -1;
	if (fsync(fd)) {
		wfail(w, "cannot fsync '%s': %s", w->tmp_path, strerror(errno));
		verify(w);
		return -1;
	}
	if (verify(w) || publish_one(w, 1))
		return -1;
	buf_addf(&dir, "%s/%.2s", w->s->dir, w->want);
	if (sync_dir(buf_cstr(&dir)))
		wfail(w, "cannot fsync '%s': %s", buf_cstr(&dir),
		      strerror(errno));
	else
		ret = 0;
	buf_release(&dir);
	return ret;
}

const char *
store_writer_error(const struct store_writer *w)
{
	return w->error;
}

uint64_t
store_writer_bytes(const struct store_writer *w)
{
	return w->got;
}

void
store_writer_free(struct store_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (!w->committed)
		unlink(w->tmp_path);
	free(w->tmp_path);
	free(w);
}

/* ---- downloads through the fetcher ---- */

struct job {
	struct store *s;
	struct store_item *it;
	struct store_writer *w;
	struct fetch_sink sink;
	int *left;
};

static int
sink_write(void *arg, const char *data, size_t n)
{
	return store_writer_write(((struct job *)arg)->w, data, n);
}

static void
sink_reset(void *arg)
{
	store_writer_reset(((struct job *)arg)->w);
}

static void item_fail(struct store_item *it, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
item_fail(struct store_item *it, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it->error, sizeof(it->error), fmt, ap);
	va_end(ap);
	it->result = STORE_FAILED;
}

static void
job_done(struct fetch_req *req)
{
	struct job *j = req->arg;
	struct store_item *it = j->it;
	const char *werr = store_writer_error(j->w);

	/* The writer's reason first: curl overwrites req->error with its own
	 * "failure writing output" when the sink refuses bytes. */
	if (req->failed)
		item_fail(it, "%s", *werr ? werr : req->error);
	else if (req->status != 200)
		item_fail(it, "HTTP %ld", req->status);
	else if (verify(j->w))
		item_fail(it, "%s", store_writer_error(j->w));
	else {
		/* Verified; published with others by publish_ready(). */
		struct store *s = j->s;

		if (!s->nready)
			s->ready_since_ms = os_mono_ms();
		XGROW(s->ready, s->nready + 1, s->aready);
		s->ready[s->nready].w = j->w;
		s->ready[s->nready++].it = it;
		j->w = NULL;
	}
	(*j->left)--;
	store_writer_free(j->w);
	free(j);
	fetch_req_free(req);
}

/*
 * Publish the verified files: one syncfs makes all their data durable
 * (one journal commit instead of an fsync per file, which costs ~5 ms
 * each on ext4), then each is renamed to its final name, then a second
 * syncfs makes the renames durable. A file never has its final name
 * before its bytes are on disk.
 */
static void
publish_ready(struct store *s)
{
	int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;
	size_t i;

	if (fd < 0 || syncfs(fd))
		err = errno;
	for (i = 0; i < s->nready; i++) {
		struct store_writer *w = s->ready[i].w;
		struct store_item *it = s->ready[i].it;

		if (err)
			item_fail(it, "cannot sync the store '%s': %s", s->dir,
			          strerror(err));
		else if (publish_one(w, 0))
			item_fail(it, "%s", store_writer_error(w));
		else {
			it->result = STORE_FETCHED;
			it->bytes = store_writer_bytes(w);
		}
		store_writer_free(w);
	}
	/* The files are whole under their names already: a failure here
	 * only means a system crash might undo some renames. */
	if (!err && s->nready && syncfs(fd))
		log_warn("cannot sync the store '%s': %s", s->dir,
		         strerror(errno));
	if (fd >= 0)
		close(fd);
	s->nready = 0;
}

static int
start_item(struct store *s, struct fetch *f, struct store_item *it, int *left)
{
	size_t max = it->kind == STORE_METADATA ? s->max_metadata : s->max_dist;
	struct fetch_req *req;
	struct job *j;
	char err[512];

	if (it->size >= 0 && (uint64_t)it->size > max) {
		item_fail(it,
		          "the index's size of %lld bytes is over the cap "
		          "of %zu bytes",
		          (long long)it->size, max);
		return 0;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->it = it;
	j->left = left;
	j->w = store_writer_new(s, it->sha256, it->size, max, err, sizeof(err));
	if (!j->w) {
		item_fail(it, "%s", err);
		free(j);
		return 0;
	}
	j->sink.write = sink_write;
	j->sink.reset = sink_reset;
	j->sink.arg = j;
	req = fetch_req_new(it->url);
	/* The writer enforces the caps with its own message; the fetcher's
	 * cap must not cut in first. */
	req->max_body = SIZE_MAX;
	req->sink = &j->sink;
	req->done = job_done;
	req->arg = j;
	(*left)++;
	fetch_add(f, req);
	return 1;
}

struct order {
	char sha[SHA256_HEX_LEN + 1];
	size_t i;
};

static int
order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	int c = strcmp(x->sha, y->sha);

	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

int
store_fetch(struct store *s, struct fetch *f, struct store_item *items,
            size_t n)
{
	struct order *ord = xcalloc(n ? n : 1, sizeof(*ord));
	size_t i, nord = 0, next = 0;
	int left = 0, ret = 0;

	for (i = 0; i < n; i++) {
		struct store_item *it = &items[i];

		it->result = STORE_PENDING;
		it->bytes = 0;
		it->error[0] = '\0';
		if (cas_key(it->sha256, ord[nord].sha)) {
			item_fail(it, "invalid sha256 '%.80s'",
			          it->sha256 ? it->sha256 : "(none)");
			continue;
		}
		ord[nord++].i = i;
	}
	/* Sorted by digest: duplicates are neighbours, fetched once. */
	qsort(ord, nord, sizeof(*ord), order_cmp);
	for (;;) {
		while (next < nord && fetch_slots(f) > 0) {
			struct store_item *it = &items[ord[next].i];

			if (next > 0 &&
			    !strcmp(ord[next].sha, ord[next - 1].sha)) {
				next++; /* a duplicate: copied below */
				continue;
			}
			next++;
			if (store_has(s, it->sha256, it->size))
				it->result = STORE_PRESENT;
			else
				start_item(s, f, it, &left);
		}
		if (s->nready >= PUBLISH_BATCH || (!left && next == nord) ||
		    (s->nready &&
		     os_mono_ms() - s->ready_since_ms >= PUBLISH_MS))
			publish_ready(s);
		if (!left && next == nord)
			break;
		if (fetch_step(f, 200)) {
			ret = -1;
			break;
		}
	}
	if (ret < 0)
		publish_ready(s);
	if (ret < 0) {
		free(ord);
		return -1;
	}
	for (i = 1; i < nord; i++) {
		struct store_item *it = &items[ord[i].i];
		const struct store_item *first = &items[ord[i - 1].i];

		if (strcmp(ord[i].sha, ord[i - 1].sha))
			continue;
		/* ord[i-1] already holds the first one's result. */
		if (first->result == STORE_FAILED)
			item_fail(it, "%s", first->error);
		else if (it->size >= 0 && !store_has(s, it->sha256, it->size))
			item_fail(it,
			          "size differs from the index's %lld "
			          "bytes",
			          (long long)it->size);
		else
			it->result = STORE_PRESENT;
	}
	for (i = 0; i < n; i++)
		if (items[i].result != STORE_PRESENT &&
		    items[i].result != STORE_FETCHED)
			ret = 1;
	free(ord);
	return ret;
}

int
store_get(struct store *s, struct fetch *f, const char *url, const char *sha256,
          enum store_kind kind, struct buf *path, char *err, size_t errlen)
{
	struct store_item it = {
	    .url = url, .sha256 = sha256, .size = -1, .kind = kind};
	int rc;

	if (cas_key(sha256, (char[SHA256_HEX_LEN + 1]){0})) {
		snprintf(err, errlen, "invalid sha256 '%.80s'",
		         sha256 ? sha256 : "(none)");
		return 1;
	}
	rc = store_fetch(s, f, &it, 1);
	if (rc < 0)
		return -1;
	if (it.result != STORE_FETCHED && it.result != STORE_PRESENT) {
		snprintf(err, errlen, "%s", it.error);
		return 1;
	}
	cas_path(s->dir, sha256, path);
	return 0;
}
