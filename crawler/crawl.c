/*
 * The incremental crawl. The order of writes is what makes a kill -9 at
 * any moment safe: the diff of a new root listing is committed (pending
 * entries, deletions, and last the root's ETag and serial) in one
 * transaction before any page is fetched; every page is then committed
 * together with its removal from pending. A killed run leaves pending
 * entries that the next run fetches, whether the root has changed since
 * (a new diff merges into pending) or not (304: pending is the work).
 */
#include "crawl.h"
#include "cfg.h"
#include "log.h"
#include "mirror.h"
#include "pep503.h"
#include "simple.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTION "crawler"
#define DEFAULT_INDEX "https://pypi.org/simple/"
/* Pending entries read from LMDB at a time: bounds the queue's memory. */
#define CHUNK 4096
/* Failed pages named in the final message (all are logged). */
#define NAMED_FAILURES 10

static int
get_ms(const struct cfg *c, const char *key, uint64_t def, long *out)
{
	uint64_t v;

	if (cfg_get_duration_ms(c, SECTION, key, def, &v))
		return -1;
	*out = (long)v;
	return 0;
}

int
crawl_opts_from_cfg(struct crawl_opts *o, const struct cfg *c)
{
	const char *index = cfg_get(c, SECTION, "index", DEFAULT_INDEX);
	int64_t n;
	uint64_t sz;
	size_t len = strlen(index);

	memset(o, 0, sizeof(*o));
	o->index = xmalloc(len + 2);
	memcpy(o->index, index, len + 1);
	if (!len || index[len - 1] != '/')
		memcpy(o->index + len, "/", 2);
	o->db = cfg_get(c, SECTION, "db", "/var/lib/pyti/mirror");
	o->sync = cfg_get(c, SECTION, "sync", "meta");
	o->fetch.user_agent = cfg_get(c, SECTION, "user-agent",
	                              "pyti-crawl/1 (+https://pyti.invalid)");
	if (cfg_get_int(c, SECTION, "max-in-flight", 32, 1, 4096, &n))
		return -1;
	o->fetch.max_in_flight = (long)n;
	if (get_ms(c, "connect-timeout", 10000, &o->fetch.connect_timeout_ms) ||
	    get_ms(c, "timeout", 300000, &o->fetch.total_timeout_ms) ||
	    get_ms(c, "retry-base", 1000, &o->fetch.retry_base_ms) ||
	    get_ms(c, "retry-max", 60000, &o->fetch.retry_max_ms) ||
	    get_ms(c, "stale-delay", 2000, &o->stale_delay_ms))
		return -1;
	if (cfg_get_int(c, SECTION, "low-speed-limit", 100, 0, INT32_MAX, &n))
		return -1;
	o->fetch.low_speed_bytes = (long)n;
	if (get_ms(c, "low-speed-time", 30000, &o->fetch.low_speed_secs))
		return -1;
	o->fetch.low_speed_secs = (o->fetch.low_speed_secs + 999) / 1000;
	if (cfg_get_int(c, SECTION, "max-redirects", 5, 0, 50, &n))
		return -1;
	o->fetch.max_redirects = (long)n;
	if (cfg_get_int(c, SECTION, "retries", 4, 0, 100, &n))
		return -1;
	o->fetch.retries = (long)n;
	if (cfg_get_int(c, SECTION, "stale-tries", 3, 1, 100, &n))
		return -1;
	o->stale_tries = (long)n;
	if (cfg_get_int(c, SECTION, "batch", 512, 1, 1000000, &n))
		return -1;
	o->batch = (long)n;
	if (cfg_get_size(c, SECTION, "max-page-size", (uint64_t)64 << 20, &sz))
		return -1;
	o->max_page = (size_t)sz;
	if (cfg_get_size(c, SECTION, "max-root-size", (uint64_t)512 << 20, &sz))
		return -1;
	o->max_root = (size_t)sz;
	o->progress = isatty(2);
	return 0;
}

void
crawl_opts_release(struct crawl_opts *o)
{
	free(o->index);
	o->index = NULL;
}

struct item {
	char *norm, *display;
	int64_t target;
	long stale_tries;
};

struct crawl {
	const struct crawl_opts *o;
	struct mirror m;
	struct fetch *f;
	/* the queue of pending entries read from LMDB, not yet started */
	struct item *queue;
	size_t qhead, qlen, qalloc;
	char *cursor; /* last pending key read */
	int exhausted;
	long uncommitted;
	int64_t last_commit_ms, last_progress_ms, start_ms;
	/* counts for the summary */
	uint64_t total, done, fetched, not_modified, changed, deleted,
	    stale_retried, stale_left, failed;
	char *failed_names[NAMED_FAILURES];
	int commit_failed;
};

static void
item_free(struct item *it)
{
	if (!it)
		return;
	free(it->norm);
	free(it->display);
	free(it);
}

/* ---- the diff of a root listing against the mirror ---- */

struct diff {
	struct crawl *c;
	const struct simple_root *root;
	size_t i;
	int deletions; /* 0 when the root looks older than the last one */
	uint64_t new, changed, deleted;
};

static void
pend(struct diff *d, const struct simple_project *p)
{
	mirror_pend(&d->c->m, p->norm, p->serial, p->display);
}

static int
diff_one(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
	struct diff *d = arg;
	const struct simple_root *r = d->root;
	char norm[PEP503_MAX_LEN + 1];
	int64_t serial;
	int status, cmp = 1;

	if (klen > PEP503_MAX_LEN ||
	    mirror_serial_decode(val, vlen, &serial, &status))
		return log_error("mirror: malformed serials record '%.*s'",
		                 (int)(klen > 200 ? 200 : klen),
		                 (const char *)key);
	memcpy(norm, key, klen);
	norm[klen] = '\0';
	while (d->i < r->n &&
	       (cmp = strcmp(r->projects[d->i].norm, norm)) < 0) {
		pend(d, &r->projects[d->i++]);
		d->new ++;
	}
	if (d->i < r->n && cmp == 0) {
		const struct simple_project *p = &r->projects[d->i++];

		if (status == MIRROR_DELETED || p->serial == SIMPLE_NO_SERIAL ||
		    p->serial > serial) {
			pend(d, p);
			d->changed++;
		}
		return 0;
	}
	if (status == MIRROR_ACTIVE && d->deletions) {
		if (mirror_mark_deleted(&d->c->m, norm))
			return -1;
		d->deleted++;
	}
	return 0;
}

/* Pending entries for projects the root no longer lists are dropped. */
static int
prune_one(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
	struct diff *d = arg;
	char norm[PEP503_MAX_LEN + 1];

	if (klen > PEP503_MAX_LEN)
		return 0;
	memcpy(norm, key, klen);
	norm[klen] = '\0';
	if (!simple_root_find(d->root, norm))
		mirror_unpend(&d->c->m, norm);
	return 0;
}

static int
apply_root(struct crawl *c, struct fetch_req *req)
{
	struct simple_root root;
	struct diff d;
	char *old = mirror_state_get(&c->m, "root-serial");
	int64_t old_serial = -1;
	char serial[32];

	if (simple_parse_root(
	        req->body.data, req->body.len, req->content_type,
	        req->effective_url ? req->effective_url : req->url, &root)) {
		free(old);
		return -1;
	}
	if (root.serial == SIMPLE_NO_SERIAL)
		root.serial = req->serial;
	memset(&d, 0, sizeof(d));
	d.c = c;
	d.root = &root;
	d.deletions = 1;
	if (old)
		old_serial = strtoll(old, NULL, 10);
	free(old);
	if (root.serial >= 0 && old_serial > root.serial) {
		log_warn("root listing serial %lld is older than the last one "
		         "seen (%lld): a stale cache copy; not marking "
		         "deletions this run",
		         (long long)root.serial, (long long)old_serial);
		d.deletions = 0;
	}
	if (kv_each(c->m.kv, MIRROR_SERIALS, NULL, 0, diff_one, &d) ||
	    kv_each(c->m.kv, MIRROR_PENDING, NULL, 0, prune_one, &d)) {
		simple_root_release(&root);
		return -1;
	}
	while (d.i < root.n) {
		pend(&d, &root.projects[d.i++]);
		d.new ++;
	}
	mirror_state_put(&c->m, "root-etag", req->etag);
	mirror_state_put(&c->m, "root-url", c->o->index);
	if (root.serial >= 0 && root.serial >= old_serial) {
		snprintf(serial, sizeof(serial), "%lld",
		         (long long)root.serial);
		mirror_state_put(&c->m, "root-serial", serial);
	}
	log_info("root listing: %zu projects, serial %lld: %llu new, %llu "
	         "changed, %llu deleted",
	         root.n, (long long)root.serial, (unsigned long long)d.new,
	         (unsigned long long)d.changed, (unsigned long long)d.deleted);
	c->deleted = d.deleted;
	simple_root_release(&root);
	return mirror_commit(&c->m);
}

static void
root_done(struct fetch_req *req)
{
	*(int *)req->arg = 1;
}

/* Returns 0 (root applied or not modified) or -1 (logged). */
static int
fetch_root(struct crawl *c)
{
	struct fetch_req *req = fetch_req_new(c->o->index);
	char *etag = mirror_state_get(&c->m, "root-etag");
	char *url = mirror_state_get(&c->m, "root-url");
	int finished = 0, ret = -1;

	req->accept = SIMPLE_ACCEPT;
	req->max_body = c->o->max_root;
	req->done = root_done;
	req->arg = &finished;
	if (etag && url && !strcmp(url, c->o->index))
		req->if_none_match = etag;
	else
		free(etag);
	free(url);
	/* Alone: no page can start before the diff is known. */
	fetch_add(c->f, req);
	while (!finished)
		if (fetch_step(c->f, 1000))
			goto out;
	if (req->failed) {
		log_error("cannot fetch root listing '%s': %s", req->url,
		          req->error);
	} else if (req->status == 304) {
		c->not_modified++;
		log_info("root listing not modified");
		ret = 0;
	} else if (req->status != 200) {
		log_error("cannot fetch root listing '%s': HTTP %ld", req->url,
		          req->status);
	} else {
		c->fetched++;
		ret = apply_root(c, req);
	}
out:
	fetch_req_free(req);
	return ret;
}

/* ---- the pages ---- */

struct load {
	struct crawl *c;
	size_t n;
};

static int
load_one(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
	struct load *l = arg;
	struct crawl *c = l->c;
	struct item *it;
	const char *display;
	size_t dlen;
	int64_t target;

	if (c->cursor && strlen(c->cursor) == klen &&
	    !memcmp(c->cursor, key, klen))
		return 0; /* the last key of the previous chunk */
	if (mirror_pending_decode(val, vlen, &target, &display, &dlen))
		return log_error("mirror: malformed pending record '%.*s'",
		                 (int)(klen > 200 ? 200 : klen),
		                 (const char *)key);
	XGROW(c->queue, c->qlen + 1, c->qalloc);
	it = &c->queue[c->qlen++];
	it->norm = xmemdup0(key, klen);
	it->display = xmemdup0(display, dlen);
	it->target = target;
	it->stale_tries = 0;
	return ++l->n >= CHUNK ? 1 : 0;
}

/* Refill the queue from pending, after the cursor. Returns 0 or -1. */
static int
load_chunk(struct crawl *c)
{
	struct load l = {c, 0};
	int rc;

	c->qhead = c->qlen = 0;
	rc = kv_each(c->m.kv, MIRROR_PENDING, c->cursor,
	             c->cursor ? strlen(c->cursor) : 0, load_one, &l);
	if (rc < 0)
		return -1;
	if (rc == 0)
		c->exhausted = 1;
	if (c->qlen) {
		free(c->cursor);
		c->cursor = xstrdup(c->queue[c->qlen - 1].norm);
	}
	return 0;
}

static void
fail(struct crawl *c, const struct item *it, const char *why)
{
	log_error("page '%s' failed: %s", it->norm, why);
	if (c->failed < NAMED_FAILURES)
		c->failed_names[c->failed] = xstrdup(it->norm);
	c->failed++;
	c->done++;
}

static void page_done(struct fetch_req *req);

static void
start_page(struct crawl *c, struct item *it, int64_t not_before)
{
	struct buf url = BUF_INIT(0);
	struct fetch_req *req;

	buf_addf(&url, "%s%s/", c->o->index, it->norm);
	req = fetch_req_new(buf_cstr(&url));
	buf_release(&url);
	req->accept = SIMPLE_ACCEPT;
	req->max_body = c->o->max_page;
	req->done = page_done;
	req->arg = it;
	req->not_before_ms = not_before;
	fetch_add(c->f, req);
}

/* The crawl a page belongs to: one crawl per process. */
static struct crawl *the_crawl;

static void
page_done(struct fetch_req *req)
{
	struct crawl *c = the_crawl;
	struct item *it = req->arg;
	struct simple_page page;
	const char *url = req->effective_url ? req->effective_url : req->url;
	char norm[PEP503_MAX_LEN + 1];
	int64_t serial;

	if (req->failed) {
		fail(c, it, req->error);
		goto out;
	}
	if (req->status == 404) {
		fail(c, it, "not found (404) though the root lists it");
		goto out;
	}
	if (req->status != 200) {
		char why[64];

		snprintf(why, sizeof(why), "HTTP %ld", req->status);
		fail(c, it, why);
		goto out;
	}
	c->fetched++;
	if (simple_parse_page(req->body.data, req->body.len, req->content_type,
	                      url, &page)) {
		fail(c, it, "invalid page (see above)");
		goto out;
	}
	if (page.name &&
	    (strlen(page.name) > PEP503_MAX_LEN ||
	     (pep503_normalize_to(norm, page.name, strlen(page.name)),
	      strcmp(norm, it->norm)))) {
		simple_page_release(&page);
		fail(c, it, "the page names another project");
		goto out;
	}
	serial = req->serial >= 0 ? req->serial : page.serial;
	if (it->target >= 0 && serial >= 0 && serial < it->target) {
		simple_page_release(&page);
		if (++it->stale_tries < c->o->stale_tries) {
			c->stale_retried++;
			log_debug("page '%s': serial %lld older than %lld, "
			          "retrying",
			          it->norm, (long long)serial,
			          (long long)it->target);
			start_page(c, it,
			           fetch_now_ms() +
			               c->o->stale_delay_ms * it->stale_tries);
			fetch_req_free(req);
			return;
		}
		log_warn("page '%s': still at serial %lld, the root promised "
		         "%lld; left queued for the next run",
		         it->norm, (long long)serial, (long long)it->target);
		c->stale_left++;
		c->done++;
		goto out;
	}
	if (serial < 0)
		serial = it->target;
	mirror_put_project(&c->m, it->norm, it->display, serial, req->etag,
	                   page.files);
	simple_page_release(&page);
	c->changed++;
	c->done++;
	c->uncommitted++;
out:
	item_free(it);
	fetch_req_free(req);
}

static void
commit(struct crawl *c)
{
	if (mirror_commit(&c->m))
		c->commit_failed = 1;
	c->uncommitted = 0;
	c->last_commit_ms = fetch_now_ms();
}

static void
progress(struct crawl *c, int final)
{
	int64_t now = fetch_now_ms();
	double secs = (double)(now - c->start_ms) / 1000.0;
	double rate = secs > 0 ? (double)c->done / secs : 0;
	double eta = rate > 0 ? (double)(c->total - c->done) / rate : 0;

	if (!c->o->progress || (!final && now - c->last_progress_ms < 500))
		return;
	c->last_progress_ms = now;
	fprintf(stderr, "\r%llu/%llu pages, %.0f/s, %llu errors, ETA %.0fs  %s",
	        (unsigned long long)c->done, (unsigned long long)c->total, rate,
	        (unsigned long long)c->failed, eta, final ? "\n" : "");
}

static int
crawl_pages(struct crawl *c)
{
	if (kv_count(c->m.kv, MIRROR_PENDING, &c->total))
		return -1;
	c->last_commit_ms = fetch_now_ms();
	for (;;) {
		while (fetch_slots(c->f) > 0) {
			struct item *it;

			if (c->qhead == c->qlen) {
				if (c->exhausted)
					break;
				if (load_chunk(c))
					return -1;
				if (c->qhead == c->qlen)
					break;
			}
			it = xmalloc(sizeof(*it));
			*it = c->queue[c->qhead++];
			start_page(c, it, 0);
		}
		if (!fetch_busy(c->f) && c->qhead == c->qlen && c->exhausted)
			break;
		if (fetch_step(c->f, 200))
			return -1;
		if (c->uncommitted >= c->o->batch ||
		    (c->uncommitted &&
		     fetch_now_ms() - c->last_commit_ms >= 1000))
			commit(c);
		if (c->commit_failed)
			return -1;
		progress(c, 0);
	}
	commit(c);
	progress(c, 1);
	return c->commit_failed ? -1 : 0;
}

int
crawl_run(const struct crawl_opts *o)
{
	struct crawl c;
	int ret = -1, i;
	size_t j;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.start_ms = fetch_now_ms();
	the_crawl = &c;
	if (mirror_open(&c.m, o->db, 0, o->sync))
		return -1;
	c.f = fetch_new(&o->fetch);
	if (!c.f)
		goto out;
	if (mirror_commit(&c.m))
		goto out;
	if (fetch_root(&c)) {
		ret = 1;
		goto out;
	}
	if (crawl_pages(&c))
		goto out;
	printf("fetched %llu, not modified %llu, changed %llu, deleted %llu, "
	       "stale-retried %llu, stale-left %llu, failed %llu, bytes %llu, "
	       "requests %llu, seconds %.1f\n",
	       (unsigned long long)c.fetched,
	       (unsigned long long)c.not_modified,
	       (unsigned long long)c.changed, (unsigned long long)c.deleted,
	       (unsigned long long)c.stale_retried,
	       (unsigned long long)c.stale_left, (unsigned long long)c.failed,
	       (unsigned long long)fetch_bytes(c.f),
	       (unsigned long long)fetch_requests(c.f),
	       (double)(fetch_now_ms() - c.start_ms) / 1000.0);
	fflush(stdout);
	ret = 0;
	if (c.failed) {
		struct buf names = BUF_INIT(0);

		for (i = 0; i < NAMED_FAILURES && (uint64_t)i < c.failed; i++)
			buf_addf(&names, "%s'%s'", i ? ", " : "",
			         c.failed_names[i]);
		log_error("%llu pages failed: %s%s",
		          (unsigned long long)c.failed, buf_cstr(&names),
		          c.failed > NAMED_FAILURES ? ", ..." : "");
		buf_release(&names);
		ret = 1;
	}
out:
	for (j = c.qhead; j < c.qlen; j++) {
		free(c.queue[j].norm);
		free(c.queue[j].display);
	}
	free(c.queue);
	free(c.cursor);
	for (i = 0; i < NAMED_FAILURES; i++)
		free(c.failed_names[i]);
	fetch_free(c.f);
	mirror_close(&c.m);
	the_crawl = NULL;
	return ret;
}
