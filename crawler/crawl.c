/*
 * The incremental crawl. The order of writes is what makes a kill -9 at
 * any moment safe: the diff of a new root listing is committed (pending
 * entries, deletions, and last the root's ETag and serial) in one
 * transaction before any page is fetched; every page is then committed
 * together with its removal from pending. A killed run leaves pending
 * entries that the next run fetches, whether the root has changed since
 * (a new diff merges into pending) or not (304: pending is the work).
 *
 * Downloads (store.h) follow the same rule: a page committed while
 * downloading is on also enters the downloads queue in that transaction,
 * and leaves it only once every file it names is in the store, so a
 * killed or failed download phase is finished by a later run.
 */
#include "crawl.h"
#include "cfg.h"
#include "log.h"
#include "os.h"
#include "mirror.h"
#include "num.h"
#include "pep503.h"
#include "jx.h"
#include "sha256.h"
#include "simple.h"
#include "store.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SECTION "crawler"
#define DEFAULT_INDEX "https://pypi.org/simple/"
#ifndef PYTI_VERSION
#define PYTI_VERSION "0.1"
#endif
/* Politeness towards an index that is not on this machine: PyPI asks
 * mirrors to stay near bandersnatch's 10 workers. */
#define POLITE_IN_FLIGHT 10
#define POLITE_RATE 20.0
#define POLITE_MAX_RATE 50.0
/* Pending entries read from LMDB at a time: bounds the queue's memory. */
#define CHUNK 4096
/* Failed pages named in the final message (all are logged). */
#define NAMED_FAILURES 10
/* The pending target of a project the root stopped listing: its page is
 * fetched to tell a deletion (404) from a quarantine (PEP 792). */
#define TARGET_VANISHED (-2)
/* Projects of the downloads queue handled per round (their records and
 * file lists are held in memory together). */
#define DL_PROJECTS 64
/* Lines of `pyti-crawl fetch` read per round, and their longest. */
#define FETCH_LINES 256
#define FETCH_LINE_MAX 8192

static const char *const download_names[] = {"none", "metadata", "all"};

int
crawl_download_parse(const char *s, enum crawl_download *out)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(s, download_names[i])) {
			*out = (enum crawl_download)i;
			return 0;
		}
	return log_error("invalid download mode '%s' (none, metadata or all)",
	                 s);
}

/* The store's default: "store" next to the mirror directory. */
static char *
default_store(const char *db)
{
	size_t n = strlen(db);

	while (n > 1 && db[n - 1] == '/')
		n--;
	while (n > 0 && db[n - 1] != '/')
		n--;
	if (n == 0) {
		return xstrdup("store");
	} else {
		char *s = xmalloc(n + 6);

		memcpy(s, db, n);
		memcpy(s + n, "store", 6);
		return s;
	}
}

static int
get_ms(const struct cfg *c, const char *key, uint64_t def, long *out)
{
	uint64_t v;

	if (cfg_get_duration_ms(c, SECTION, key, def, &v))
		return -1;
	*out = (long)v;
	return 0;
}

/* A decimal number of the [crawler] section (def when unset). */
static int
cfg_get_double(const struct cfg *c, const char *key, double def, double *out)
{
	const char *v = cfg_get(c, SECTION, key, NULL);
	char *end;

	*out = def;
	if (!v)
		return 0;
	errno = 0;
	*out = strtod(v, &end);
	if (errno || end == v || *end || *out != *out)
		return log_error("[crawler] %s = '%s': not a number", key, v);
	return 0;
}

int
crawl_is_loopback(const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;

	if (!h)
		return 0;
	h += 3;
	h += strcspn(h, "@/") < strcspn(h, "/") ? strcspn(h, "@") + 1 : 0;
	if (!strncmp(h, "[::1]", 5))
		return 1;
	n = strcspn(h, ":/");
	return (n == 9 && !strncasecmp(h, "localhost", 9)) ||
	       (n >= 9 && !strncmp(h, "127.", 4) &&
	        strspn(h, "0123456789.") >= n);
}

int
crawl_opts_from_cfg(struct crawl_opts *o, const struct cfg *c)
{
	const char *index = cfg_get(c, SECTION, "index", DEFAULT_INDEX);
	const char *contact;
	int64_t n;
	int loopback;
	uint64_t sz;
	size_t len = strlen(index);

	memset(o, 0, sizeof(*o));
	o->index = xmalloc(len + 2);
	memcpy(o->index, index, len + 1);
	if (!len || index[len - 1] != '/')
		memcpy(o->index + len, "/", 2);
	o->db = cfg_get(c, SECTION, "db", "/var/lib/pyti/mirror");
	o->sync = cfg_get(c, SECTION, "sync", "meta");
	loopback = crawl_is_loopback(o->index);
	if (cfg_get_int(c, SECTION, "max-in-flight",
	                loopback ? 32 : POLITE_IN_FLIGHT, 1, 4096, &n))
		return -1;
	o->fetch.max_in_flight = (long)n;
	if (cfg_get_double(c, "max-rate", loopback ? 0 : POLITE_RATE,
	                   &o->fetch.max_rate))
		return -1;
	if (!loopback && o->fetch.max_in_flight > POLITE_IN_FLIGHT)
		return log_error("[crawler] max-in-flight = %ld: at most %d for "
		                 "an index that is not on this machine ('%s')",
		                 o->fetch.max_in_flight, POLITE_IN_FLIGHT,
		                 o->index);
	if (!loopback && (o->fetch.max_rate <= 0 ||
	                  o->fetch.max_rate > POLITE_MAX_RATE))
		return log_error("[crawler] max-rate = %g: more than 0 and at "
		                 "most %g requests per second for an index that "
		                 "is not on this machine ('%s')",
		                 o->fetch.max_rate, POLITE_MAX_RATE, o->index);
	contact = cfg_get(c, SECTION, "contact", NULL);
	if (cfg_get(c, SECTION, "user-agent", NULL)) {
		o->user_agent = xstrdup(cfg_get(c, SECTION, "user-agent", NULL));
	} else {
		struct buf ua = BUF_INIT(0);

		buf_addf(&ua, "pyti-crawl/%s (pyti; %s%s)", PYTI_VERSION,
		         contact ? "+" : "no contact configured",
		         contact ? contact : "");
		o->user_agent = xstrdup(buf_cstr(&ua));
		buf_release(&ua);
		o->no_contact = !contact && !loopback;
	}
	o->fetch.user_agent = o->user_agent;
	if (cfg_get_int(c, SECTION, "fail-rounds", 1, 0, 10, &n))
		return -1;
	o->fail_rounds = (long)n;
	if (get_ms(c, "fail-delay", 30000, &o->fail_delay_ms))
		return -1;
	if (cfg_get_double(c, "revalidate", 0.02, &o->revalidate))
		return -1;
	if (o->revalidate < 0 || o->revalidate > 1)
		return log_error("[crawler] revalidate = %g: a share between 0 "
		                 "and 1 (0.02: 2%% of the pages each run)",
		                 o->revalidate);
	if (cfg_get_bool(c, SECTION, "verify", 0, &o->verify) ||
	    cfg_get_bool(c, SECTION, "reset", 0, &o->reset))
		return -1;
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
	if (crawl_download_parse(cfg_get(c, SECTION, "download", "none"),
	                         &o->download))
		return -1;
	o->store = cfg_get(c, SECTION, "store", NULL)
	               ? xstrdup(cfg_get(c, SECTION, "store", NULL))
	               : default_store(o->db);
	if (cfg_get_size(c, SECTION, "max-metadata-size", (uint64_t)64 << 20,
	                 &sz))
		return -1;
	o->max_metadata = (size_t)sz;
	if (cfg_get_size(c, SECTION, "max-dist-size", (uint64_t)16 << 30, &sz))
		return -1;
	o->max_dist = (size_t)sz;
	return 0;
}

void
crawl_opts_release(struct crawl_opts *o)
{
	free(o->index);
	free(o->store);
	free(o->user_agent);
	o->index = NULL;
	o->store = NULL;
	o->user_agent = NULL;
}

struct item {
	char *norm, *display;
	int64_t target;
	long stale_tries;
	long rounds; /* failed tries so far (see fail_rounds) */
	int64_t not_before; /* a deferred page: not before (monotonic ms) */
	int revalidate; /* the mirror holds this serial: If-None-Match */
	char *etag; /* owned until start_page() hands it to the request */
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
	uint64_t gone, quarantined, retried, revalidated_same,
	    revalidated_changed;
	/* pages that failed, waiting for their next round (fail-delay) */
	struct item **later;
	size_t nlater, later_alloc;
	int commit_failed;
	/* the download phase */
	struct store *store;
	char *dl_cursor; /* last downloads key handled */
	uint64_t dl_fetched, dl_present, dl_failed, dl_bytes, dl_skipped;
	char *dl_failed_urls[NAMED_FAILURES];
};

static void
item_free(struct item *it)
{
	if (!it)
		return;
	free(it->norm);
	free(it->display);
	free(it->etag);
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

		/* A deleted project comes back with a newer serial only: a
		 * stale root still listing it does not queue it again. A
		 * quarantined one listed again has left quarantine (roots
		 * never list quarantined projects). */
		if (status == MIRROR_QUARANTINED ||
		    p->serial == SIMPLE_NO_SERIAL || p->serial > serial) {
			pend(d, p);
			d->changed++;
		}
		return 0;
	}
	if (status == MIRROR_ACTIVE && d->deletions) {
		/* Deleted, or quarantined (PEP 792: roots leave those out):
		 * only its page tells. */
		mirror_pend(&d->c->m, norm, TARGET_VANISHED, "");
		d->deleted++;
	}
	return 0;
}

/* Pending entries for projects the root no longer lists are dropped
 * (but the checks of vanished projects). */
static int
prune_one(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
	struct diff *d = arg;
	char norm[PEP503_MAX_LEN + 1];
	const char *display;
	size_t dlen;
	int64_t target;

	if (klen > PEP503_MAX_LEN ||
	    (!mirror_pending_decode(val, vlen, &target, &display, &dlen) &&
	     target == TARGET_VANISHED))
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
	         "changed, %llu no longer listed",
	         root.n, (long long)root.serial, (unsigned long long)d.new,
	         (unsigned long long)d.changed, (unsigned long long)d.deleted);
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
	it->rounds = 0;
	it->not_before = 0;
	it->revalidate = 0;
	it->etag = NULL;
	return ++l->n >= CHUNK ? 1 : 0;
}

/*
 * After a chunk is read (no read transaction open): an entry whose target
 * the mirror already holds is a revalidation (its page is asked with the
 * stored ETag), and an entry without a display name (revalidations,
 * vanished projects) takes it from the record.
 */
static int
enrich(struct crawl *c, struct item *it)
{
	struct buf v = BUF_INIT(64);
	int64_t serial = -1;
	int status = 0, rc, found;
	json_t *rec;

	rc = kv_get(c->m.kv, MIRROR_SERIALS, it->norm, strlen(it->norm), &v);
	if (rc == 0 && mirror_serial_decode(v.data, v.len, &serial, &status))
		rc = -1;
	buf_release(&v);
	if (rc != 0 && rc != KV_NOTFOUND)
		return log_error("mirror: cannot read the serial of '%s'",
		                 it->norm);
	if (rc == KV_NOTFOUND)
		return 0;
	if (it->target >= 0 && status == MIRROR_ACTIVE && serial >= it->target)
		it->revalidate = 1;
	if (!it->revalidate && it->display[0])
		return 0;
	rec = mirror_get_project(&c->m, it->norm, &found);
	if (found < 0)
		return -1;
	if (found) {
		const char *etag = json_string_value(json_object_get(rec, "etag"));
		const char *name = json_string_value(json_object_get(rec, "name"));

		if (it->revalidate && etag)
			it->etag = xstrdup(etag);
		if (!it->display[0] && name) {
			free(it->display);
			it->display = xstrdup(name);
		}
	}
	json_decref(rec);
	if (!it->display[0]) {
		free(it->display);
		it->display = xstrdup(it->norm);
	}
	return 0;
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
	for (size_t i = 0; i < c->qlen; i++)
		if (enrich(c, &c->queue[i]))
			return -1;
	return 0;
}

static void
fail(struct crawl *c, const struct item *it, const char *why)
{
	log_error("page '%s' failed: %s%s", it->norm, why,
	          it->rounds ? " (again)" : "");
	if (c->failed < NAMED_FAILURES)
		c->failed_names[c->failed] = xstrdup(it->norm);
	c->failed++;
	c->done++;
}

/*
 * A page that failed (or answered 404 while listed) gets fail-rounds more
 * tries in this run, fail-delay after its failure, once the other pages
 * are done or in flight. Returns 1 when it was kept for that (the caller
 * must not free it), 0 when its rounds are used up.
 */
static int
defer(struct crawl *c, struct item *it, const char *why)
{
	if (it->rounds >= c->o->fail_rounds)
		return 0;
	it->rounds++;
	c->retried++;
	log_info("page '%s': %s; trying again in %ld ms", it->norm, why,
	         c->o->fail_delay_ms);
	XGROW(c->later, c->nlater + 1, c->later_alloc);
	it->not_before = os_mono_ms() + c->o->fail_delay_ms;
	c->later[c->nlater++] = it;
	return 1;
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
	if (it->etag) {
		req->if_none_match = it->etag;
		it->etag = NULL;
	}
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
		if (defer(c, it, req->error))
			goto keep;
		fail(c, it, req->error);
		goto out;
	}
	if (req->status == 404 && it->target == TARGET_VANISHED) {
		/* Gone from the root and from the index: deleted. */
		if (mirror_mark_deleted(&c->m, it->norm))
			c->commit_failed = 1;
		c->deleted++;
		c->done++;
		c->uncommitted++;
		goto out;
	}
	if (req->status == 404) {
		/* The root is older than the pages (PyPI's can be half an
		 * hour older): a project deleted since. Asked again later;
		 * still not found, it is recorded as gone, and the next root
		 * that lists it with a newer serial brings it back. */
		if (defer(c, it, "not found (404) though the root lists it"))
			goto keep;
		log_warn("page '%s': not found (404) though the root lists "
		         "it; recorded as deleted (not found)",
		         it->norm);
		if (mirror_mark_gone(&c->m, it->norm, it->display, it->target,
		                     "not found"))
			c->commit_failed = 1;
		c->gone++;
		c->done++;
		c->uncommitted++;
		goto out;
	}
	if (req->status == 304 && it->revalidate) {
		/* Revalidated: the page is what the mirror holds. */
		mirror_unpend(&c->m, it->norm);
		c->revalidated_same++;
		c->done++;
		c->uncommitted++;
		goto out;
	}
	if (req->status != 200) {
		char why[64];

		snprintf(why, sizeof(why), "HTTP %ld", req->status);
		if (defer(c, it, why))
			goto keep;
		fail(c, it, why);
		goto out;
	}
	c->fetched++;
	if (simple_parse_page(req->body.data, req->body.len, req->content_type,
	                      url, &page)) {
		if (defer(c, it, "invalid page"))
			goto keep;
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
			           os_mono_ms() +
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
	if (page.status && !strcmp(page.status, "quarantined")) {
		log_info("page '%s': quarantined (PEP 792)%s%s", it->norm,
		         page.status_reason ? ": " : "",
		         page.status_reason ? page.status_reason : "");
		c->quarantined++;
	}
	if (it->revalidate)
		c->revalidated_changed++;
	mirror_put_project(&c->m, it->norm, it->display, serial, req->etag,
	                   page.files, page.status, page.status_reason);
	if (c->o->download != CRAWL_DOWNLOAD_NONE)
		mirror_queue_download(&c->m, it->norm);
	simple_page_release(&page);
	c->changed++;
	c->done++;
	c->uncommitted++;
out:
	item_free(it);
keep:
	fetch_req_free(req);
}

static void
commit(struct crawl *c)
{
	if (mirror_commit(&c->m))
		c->commit_failed = 1;
	c->uncommitted = 0;
	c->last_commit_ms = os_mono_ms();
}

static void
progress(struct crawl *c, int final)
{
	int64_t now = os_mono_ms();
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
	c->last_commit_ms = os_mono_ms();
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
		/* The queue is out: failed pages get their next round. */
		while (c->qhead == c->qlen && c->exhausted && c->nlater &&
		       fetch_slots(c->f) > 0) {
			struct item *it = c->later[0];

			memmove(c->later, c->later + 1,
			        (c->nlater - 1) * sizeof(*c->later));
			c->nlater--;
			start_page(c, it, it->not_before);
		}
		if (!fetch_busy(c->f) && c->qhead == c->qlen && c->exhausted &&
		    !c->nlater)
			break;
		if (fetch_step(c->f, 200))
			return -1;
		if (c->uncommitted >= c->o->batch ||
		    (c->uncommitted &&
		     os_mono_ms() - c->last_commit_ms >= 1000))
			commit(c);
		if (c->commit_failed)
			return -1;
		progress(c, 0);
	}
	commit(c);
	progress(c, 1);
	return c->commit_failed ? -1 : 0;
}

/* ---- downloads ---- */

/*
 * Bring the downloads queue in line with the mode: when this run
 * downloads more than the queue covers (first run with --download, or
 * metadata before and all now), every active project is queued, in one
 * transaction with the new mode. Pages committed from now on are queued
 * as they come.
 */
static int
queue_active(const void *key, size_t klen, const void *val, size_t vlen,
             void *arg)
{
	struct crawl *c = arg;
	char norm[PEP503_MAX_LEN + 1];
	int64_t serial;
	int status;

	if (klen > PEP503_MAX_LEN ||
	    mirror_serial_decode(val, vlen, &serial, &status))
		return log_error("mirror: malformed serials record '%.*s'",
		                 (int)(klen > 200 ? 200 : klen),
		                 (const char *)key);
	if (status != MIRROR_ACTIVE)
		return 0;
	memcpy(norm, key, klen);
	norm[klen] = '\0';
	mirror_queue_download(&c->m, norm);
	return 0;
}

static int
download_sync(struct crawl *c)
{
	char *had = mirror_state_get(&c->m, "download");
	enum crawl_download old = CRAWL_DOWNLOAD_NONE;
	int i;

	for (i = 0; had && i < 3; i++)
		if (!strcmp(had, download_names[i]))
			old = (enum crawl_download)i;
	if (c->o->download > old) {
		log_info("download mode %s (was %s): queueing every project",
		         download_names[c->o->download], download_names[old]);
		if (kv_each(c->m.kv, MIRROR_SERIALS, NULL, 0, queue_active,
		            c)) {
			free(had);
			return -1;
		}
	}
	if (!had || strcmp(had, download_names[c->o->download]))
		mirror_state_put(&c->m, "download",
		                 download_names[c->o->download]);
	free(had);
	return mirror_commit(&c->m);
}

struct dl_round {
	struct crawl *c;
	char *names[DL_PROJECTS];
	size_t n;
};

static int
dl_load_one(const void *key, size_t klen, const void *val, size_t vlen,
            void *arg)
{
	struct dl_round *r = arg;
	const char *cur = r->c->dl_cursor;

	(void)val;
	(void)vlen;
	if (cur && strlen(cur) == klen && !memcmp(cur, key, klen))
		return 0;
	r->names[r->n++] = xmemdup0(key, klen);
	return r->n >= DL_PROJECTS ? 1 : 0;
}

/* A file URL without its fragment, plus ".metadata" (PEP 658). */
static char *
metadata_url(const char *url)
{
	size_t n = strcspn(url, "#");
	char *s = xmalloc(n + sizeof(".metadata"));

	memcpy(s, url, n);
	memcpy(s + n, ".metadata", sizeof(".metadata"));
	return s;
}

/* A core-metadata file the page says exists without giving its hash
 * (`core-metadata: true`): fetched whole (bounded), stored under the
 * digest of its bytes, and that digest noted in the record as
 * "core_metadata_sha256" so readers can find it. */
struct dl_unhashed {
	size_t project; /* index into the round's names */
	json_t *file; /* the record's file object (borrowed) */
	char *url; /* owned */
};

struct dl_items {
	struct dl_unhashed *u;
	size_t nu, ualloc;
	struct store_item *v;
	size_t *project; /* index into the round's names, per item */
	char **owned; /* metadata URLs, per item (NULL for files) */
	size_t n, alloc, nproject, nowned;
};

static void
dl_add(struct dl_items *d, size_t project, const char *url, const char *sha,
       int64_t size, enum store_kind kind, char *owned)
{
	size_t a = d->alloc;

	XGROW(d->v, d->n + 1, d->alloc);
	if (d->alloc != a) {
		d->project =
		    xreallocarray(d->project, d->alloc, sizeof(*d->project));
		d->owned = xreallocarray(d->owned, d->alloc, sizeof(*d->owned));
	}
	memset(&d->v[d->n], 0, sizeof(d->v[d->n]));
	d->v[d->n].url = url;
	d->v[d->n].sha256 = sha;
	d->v[d->n].size = size;
	d->v[d->n].kind = kind;
	d->project[d->n] = project;
	d->owned[d->n] = owned;
	d->n++;
}

/* The items of one project record (borrowing from rec). */
static void
dl_collect(struct crawl *c, struct dl_items *d, size_t project, json_t *rec)
{
	json_t *files = json_object_get(rec, "files"), *f;
	size_t i;

	json_array_foreach(files, i, f) {
		const char *url = json_string_value(json_object_get(f, "url"));
		const char *sha =
		    json_string_value(json_object_get(f, "sha256"));
		json_t *cm = json_object_get(f, "core_metadata");
		json_t *size = json_object_get(f, "size");
		const char *msha =
		    json_string_value(json_object_get(cm, "sha256"));

		if (!url)
			continue;
		if (json_is_true(cm)) {
			const char *had = json_string_value(
			    json_object_get(f, "core_metadata_sha256"));

			if (!had || !store_has(c->store, had, -1)) {
				XGROW(d->u, d->nu + 1, d->ualloc);
				d->u[d->nu].project = project;
				d->u[d->nu].file = f;
				d->u[d->nu].url = metadata_url(url);
				d->nu++;
			} else {
				c->dl_present++;
			}
		}
		if (msha) {
			char *mu = metadata_url(url);

			dl_add(d, project, mu, msha, -1, STORE_METADATA,
			       mu);
		}
		if (c->o->download != CRAWL_DOWNLOAD_ALL)
			continue;
		if (!sha) {
			/* Nothing to verify it against: not content-
			 * addressable. */
			c->dl_skipped++;
			continue;
		}
		dl_add(d, project, url, sha,
		       json_is_integer(size) ? json_integer_value(size) : -1,
		       STORE_DIST, NULL);
	}
}

static void
dl_failed(struct crawl *c, const struct store_item *it,
          const char *project)
{
	log_error("download '%s' (project '%s') failed: %s", it->url, project,
	          it->error);
	if (c->dl_failed < NAMED_FAILURES)
		c->dl_failed_urls[c->dl_failed] = xstrdup(it->url);
	c->dl_failed++;
}

/* The most bytes of a core-metadata file fetched without a hash (held in
 * memory whole before it is stored; real METADATA files are kilobytes). */
#define UNHASHED_MAX ((size_t)8 << 20)

struct uh_job {
	struct crawl *c;
	struct dl_unhashed *u;
	char **names;
	int *bad, *dirty;
	size_t *left;
};

static void
uh_done(struct fetch_req *req)
{
	struct uh_job *j = req->arg;
	struct crawl *c = j->c;
	struct store_item it;
	char hex[SHA256_HEX_LEN + 1], err[512];
	struct store_writer *w = NULL;

	memset(&it, 0, sizeof(it));
	it.url = j->u->url;
	if (req->failed || req->status != 200) {
		if (req->failed)
			snprintf(it.error, sizeof(it.error), "%s", req->error);
		else
			snprintf(it.error, sizeof(it.error), "HTTP %ld",
			         req->status);
		goto fail;
	}
	sha256_hex(req->body.data ? req->body.data : "", req->body.len, hex);
	if (store_has(c->store, hex, (int64_t)req->body.len)) {
		c->dl_present++;
	} else {
		w = store_writer_new(c->store, hex, (int64_t)req->body.len,
		                           UNHASHED_MAX, err, sizeof(err));
		if (!w) {
			snprintf(it.error, sizeof(it.error), "%s", err);
			goto fail;
		}
		if (store_writer_write(w, req->body.data, req->body.len) ||
		    store_writer_commit(w)) {
			snprintf(it.error, sizeof(it.error), "%s",
			         store_writer_error(w));
			store_writer_free(w);
			goto fail;
		}
		store_writer_free(w);
		c->dl_fetched++;
		c->dl_bytes += req->body.len;
	}
	jx_set(j->u->file, "core_metadata_sha256", json_string(hex));
	j->dirty[j->u->project] = 1;
	goto out;
fail:
	j->bad[j->u->project] = 1;
	dl_failed(c, &it, j->names[j->u->project]);
out:
	(*j->left)--;
	fetch_req_free(req);
}

/* Fetch the round's unhashed core-metadata files (through the same
 * fetcher, so its limits hold). Returns 0 or -1. */
static int
fetch_unhashed(struct crawl *c, struct dl_items *d, char **names, int *bad,
               int *dirty)
{
	struct uh_job *jobs = xcalloc(d->nu, sizeof(*jobs));
	size_t next = 0, left = 0;
	int ret = 0;

	while (next < d->nu || left) {
		while (next < d->nu && fetch_slots(c->f) > 0) {
			struct uh_job *j = &jobs[next];
			struct fetch_req *req = fetch_req_new(d->u[next].url);

			j->c = c;
			j->u = &d->u[next];
			j->names = names;
			j->bad = bad;
			j->dirty = dirty;
			j->left = &left;
			req->max_body = UNHASHED_MAX;
			req->done = uh_done;
			req->arg = j;
			left++;
			next++;
			fetch_add(c->f, req);
		}
		if (fetch_step(c->f, 200)) {
			ret = -1;
			break;
		}
	}
	free(jobs);
	return ret;
}

/* One round: up to DL_PROJECTS projects of the queue after the cursor.
 * Returns 1 when the queue is exhausted, 0 to go on, -1 on error. */
static int
download_round(struct crawl *c)
{
	struct dl_round r;
	struct dl_items d;
	json_t *recs[DL_PROJECTS];
	int bad[DL_PROJECTS], dirty[DL_PROJECTS];
	int rc, ret = -1;
	size_t i;

	memset(&r, 0, sizeof(r));
	memset(&d, 0, sizeof(d));
	memset(recs, 0, sizeof(recs));
	memset(bad, 0, sizeof(bad));
	memset(dirty, 0, sizeof(dirty));
	r.c = c;
	rc = kv_each(c->m.kv, MIRROR_DOWNLOADS, c->dl_cursor,
	             c->dl_cursor ? strlen(c->dl_cursor) : 0, dl_load_one, &r);
	if (rc < 0)
		goto out;
	for (i = 0; i < r.n; i++) {
		int found;
		const char *status;

		recs[i] = mirror_get_project(&c->m, r.names[i], &found);
		if (found < 0)
			goto out;
		status = json_string_value(json_object_get(recs[i], "status"));
		if (found && status && !strcmp(status, "active"))
			dl_collect(c, &d, i, recs[i]);
	}
	if (d.n && store_fetch(c->store, c->f, d.v, d.n) < 0)
		goto out;
	if (d.nu && fetch_unhashed(c, &d, r.names, bad, dirty) < 0)
		goto out;
	for (i = 0; i < d.n; i++) {
		const struct store_item *it = &d.v[i];

		if (it->result == STORE_FETCHED) {
			c->dl_fetched++;
			c->dl_bytes += it->bytes;
		} else if (it->result == STORE_PRESENT) {
			c->dl_present++;
		} else {
			bad[d.project[i]] = 1;
			dl_failed(c, it, r.names[d.project[i]]);
		}
	}
	/* Records that learnt a metadata digest are written back. */
	for (i = 0; i < r.n; i++)
		if (dirty[i])
			mirror_put_record(&c->m, r.names[i], recs[i]);
	/* A project leaves the queue when all its files are in the store
	 * (or it is gone); failed ones stay for the next run. */
	for (i = 0; i < r.n; i++)
		if (!bad[i])
			mirror_unqueue_download(&c->m, r.names[i]);
	if (mirror_commit(&c->m))
		goto out;
	if (r.n) {
		free(c->dl_cursor);
		c->dl_cursor = xstrdup(r.names[r.n - 1]);
	}
	ret = rc == 0 ? 1 : 0;
out:
	for (i = 0; i < d.n; i++)
		free(d.owned[i]);
	for (i = 0; i < d.nu; i++)
		free(d.u[i].url);
	free(d.u);
	free(d.v);
	free(d.project);
	free(d.owned);
	for (i = 0; i < r.n; i++) {
		free(r.names[i]);
		json_decref(recs[i]);
	}
	return ret;
}

static int
download_phase(struct crawl *c)
{
	struct store_opts so = {c->o->store, c->o->max_metadata,
	                              c->o->max_dist};
	uint64_t queued;
	int rc;

	/* Open the store even when nothing is queued: opening removes the
	 * temporary files a killed run left behind. */
	c->store = store_open(&so);
	if (!c->store)
		return -1;
	if (kv_count(c->m.kv, MIRROR_DOWNLOADS, &queued))
		return -1;
	if (!queued)
		return 0;
	log_info("downloading the files of %llu projects into '%s'",
	         (unsigned long long)queued, c->o->store);
	while ((rc = download_round(c)) == 0)
		;
	return rc < 0 ? -1 : 0;
}

/* ---- one mirror, one index ---- */

/* Remove the mirror's files (--reset), so it opens empty. */
static int
wipe(struct crawl *c)
{
	static const char *const files[] = {"data.mdb", "lock.mdb"};
	struct buf p = BUF_INIT(0);
	size_t i;
	int ret = 0;

	mirror_close(&c->m);
	for (i = 0; i < 2; i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/%s", c->o->db, files[i]);
		if (unlink(buf_cstr(&p)) && errno != ENOENT)
			ret = log_error("cannot remove '%s': %s", buf_cstr(&p),
			                strerror(errno));
	}
	buf_release(&p);
	if (ret || mirror_open(&c->m, c->o->db, 0, c->o->sync))
		return -1;
	return 0;
}

/*
 * The index a mirror belongs to is stored by its first crawl; another one
 * would mix two indexes' serials. Returns 0 (go on), 1 (refused, logged)
 * or -1.
 */
static int
check_index(struct crawl *c)
{
	char *url = mirror_state_get(&c->m, "root-url");
	int ret = 0;

	if (url && strcmp(url, c->o->index)) {
		if (c->o->reset) {
			log_warn("mirror '%s' belonged to '%s': emptied for "
			         "'%s' (--reset)",
			         c->o->db, url, c->o->index);
			ret = wipe(c);
			free(url);
			url = NULL;
		} else {
			log_error("mirror '%s' belongs to the index '%s', not "
			          "'%s'; crawl that one, or start over with "
			          "--reset (which empties the mirror)",
			          c->o->db, url, c->o->index);
			ret = 1;
		}
	}
	if (!ret && !url) {
		/* Bound before anything is fetched, so even a first crawl
		 * that fails half-way belongs to its index. */
		mirror_state_put(&c->m, "root-url", c->o->index);
		ret = mirror_commit(&c->m);
	}
	free(url);
	return ret;
}

/* ---- revalidation ---- */

struct reval {
	char **names;
	int64_t *serials;
	size_t n, want, alloc;
	const char *skip; /* the cursor: revalidated last run */
	const char *stop; /* the cursor: the wrapped walk ends there */
};

static int
reval_one(const void *key, size_t klen, const void *val, size_t vlen,
          void *arg)
{
	struct reval *r = arg;
	int64_t serial;
	int status;

	if (r->n >= r->want)
		return 1;
	if (r->stop && strlen(r->stop) == klen && !memcmp(r->stop, key, klen))
		return 1;
	if (r->skip && strlen(r->skip) == klen && !memcmp(r->skip, key, klen))
		return 0;
	if (mirror_serial_decode(val, vlen, &serial, &status) ||
	    status != MIRROR_ACTIVE || klen > PEP503_MAX_LEN)
		return 0;
	if (r->n == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 256;
		r->names = xreallocarray(r->names, r->alloc, sizeof(*r->names));
		r->serials =
		    xreallocarray(r->serials, r->alloc, sizeof(*r->serials));
	}
	r->names[r->n] = xmemdup0(key, klen);
	r->serials[r->n++] = serial;
	return 0;
}

/*
 * Queue this run's share of revalidations: the next `revalidate` share of
 * active projects after the cursor kept in state "revalidate-cursor"
 * (wrapping at the end), so every page is revalidated once per 1/share
 * runs, the longest unrevalidated first; --verify queues them all. Their
 * pending target is the serial the mirror holds, so the page is asked
 * with If-None-Match and its stored ETag (enrich()). Projects already
 * pending keep their entry.
 */
static int
pend_revalidations(struct crawl *c)
{
	struct reval r;
	uint64_t total;
	char *cursor = mirror_state_get(&c->m, "revalidate-cursor");
	struct buf v = BUF_INIT(1 << 16);
	size_t i;
	int ret = -1, rc = 0;

	memset(&r, 0, sizeof(r));
	if (kv_count(c->m.kv, MIRROR_SERIALS, &total))
		goto out;
	r.want = c->o->verify ? (size_t)total
	                      : (size_t)((double)total * c->o->revalidate + 0.5);
	if (!r.want) {
		ret = 0;
		goto out;
	}
	if (cursor) {
		r.skip = cursor;
		rc = kv_each(c->m.kv, MIRROR_SERIALS, cursor, strlen(cursor),
		             reval_one, &r);
	}
	if (rc >= 0 && r.n < r.want) {
		r.skip = NULL;
		r.stop = cursor;
		rc = kv_each(c->m.kv, MIRROR_SERIALS, NULL, 0, reval_one, &r);
	}
	if (rc < 0)
		goto out;
	for (i = 0; i < r.n; i++) {
		rc = kv_get(c->m.kv, MIRROR_PENDING, r.names[i],
		            strlen(r.names[i]), &v);
		if (rc < 0)
			goto out;
		if (rc == KV_NOTFOUND)
			mirror_pend(&c->m, r.names[i], r.serials[i], "");
	}
	if (r.n)
		mirror_state_put(&c->m, "revalidate-cursor", r.names[r.n - 1]);
	if (r.n)
		log_info("revalidating %zu pages%s", r.n,
		         c->o->verify ? " (--verify: all)" : "");
	ret = mirror_commit(&c->m);
out:
	for (i = 0; i < r.n; i++)
		free(r.names[i]);
	free(r.names);
	free(r.serials);
	free(cursor);
	buf_release(&v);
	return ret;
}

/* Log "<n> <what>: 'a', 'b', ..." with the first NAMED_FAILURES names. */
static void
log_named(uint64_t n, char *const *names, const char *what)
{
	struct buf list = BUF_INIT(0);

	for (uint64_t i = 0; i < NAMED_FAILURES && i < n; i++)
		buf_addf(&list, "%s'%s'", i ? ", " : "", names[i]);
	log_error("%llu %s: %s%s", (unsigned long long)n, what,
	          buf_cstr(&list), n > NAMED_FAILURES ? ", ..." : "");
	buf_release(&list);
}

int
crawl_run(const struct crawl_opts *o)
{
	struct crawl c;
	int ret = -1, i;
	size_t j;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.start_ms = os_mono_ms();
	the_crawl = &c;
	if (o->no_contact)
		log_warn("no [crawler] contact configured: the index cannot "
		         "tell who to ask about this crawler");
	if (mirror_open(&c.m, o->db, 0, o->sync))
		return -1;
	switch (check_index(&c)) {
	case 0:
		break;
	case 1:
		ret = CRAWL_NOTHING;
		goto out;
	default:
		goto out;
	}
	c.f = fetch_new(&o->fetch);
	if (!c.f)
		goto out;
	if (mirror_commit(&c.m) || download_sync(&c))
		goto out;
	if (fetch_root(&c)) {
		ret = CRAWL_NOTHING;
		goto out;
	}
	if (pend_revalidations(&c) || crawl_pages(&c))
		goto out;
	if (o->download != CRAWL_DOWNLOAD_NONE && download_phase(&c))
		goto out;
	printf("fetched %llu, not modified %llu, changed %llu, deleted %llu, "
	       "stale-retried %llu, stale-left %llu, failed %llu, bytes %llu, "
	       "requests %llu, seconds %.1f",
	       (unsigned long long)c.fetched,
	       (unsigned long long)c.not_modified,
	       (unsigned long long)c.changed, (unsigned long long)c.deleted,
	       (unsigned long long)c.stale_retried,
	       (unsigned long long)c.stale_left, (unsigned long long)c.failed,
	       (unsigned long long)fetch_totals(c.f).bytes,
	       (unsigned long long)fetch_totals(c.f).requests,
	       (double)(os_mono_ms() - c.start_ms) / 1000.0);
	printf(", gone %llu, quarantined %llu, retried %llu, revalidated %llu, "
	       "revalidated-changed %llu, pauses %llu",
	       (unsigned long long)c.gone, (unsigned long long)c.quarantined,
	       (unsigned long long)c.retried,
	       (unsigned long long)(c.revalidated_same +
	                            c.revalidated_changed),
	       (unsigned long long)c.revalidated_changed,
	       (unsigned long long)fetch_totals(c.f).pauses);
	if (o->download != CRAWL_DOWNLOAD_NONE)
		printf(", downloaded %llu, present %llu, download-failed %llu, "
		       "download-bytes %llu, unverifiable %llu",
		       (unsigned long long)c.dl_fetched,
		       (unsigned long long)c.dl_present,
		       (unsigned long long)c.dl_failed,
		       (unsigned long long)c.dl_bytes,
		       (unsigned long long)c.dl_skipped);
	printf("\n");
	fflush(stdout);
	ret = CRAWL_COMPLETE;
	if (c.failed) {
		log_named(c.failed, c.failed_names,
		          "pages failed (left queued for the next run)");
		ret = CRAWL_PARTIAL;
	}
	if (c.dl_failed) {
		log_named(c.dl_failed, c.dl_failed_urls,
		          "downloads failed (nothing of them stored; retried next "
		          "run)");
		ret = CRAWL_PARTIAL;
	}
out:
	for (j = c.qhead; j < c.qlen; j++) {
		free(c.queue[j].norm);
		free(c.queue[j].display);
		free(c.queue[j].etag);
	}
	free(c.queue);
	for (j = 0; j < c.nlater; j++)
		item_free(c.later[j]);
	free(c.later);
	free(c.cursor);
	for (i = 0; i < NAMED_FAILURES; i++) {
		free(c.failed_names[i]);
		free(c.dl_failed_urls[i]);
	}
	free(c.dl_cursor);
	store_close(c.store);
	fetch_free(c.f);
	mirror_close(&c.m);
	the_crawl = NULL;
	return ret;
}

/* ---- pyti-crawl fetch ---- */

struct line {
	char *url, *sha;
	int64_t size;
	const char *bad; /* why the line is malformed, or NULL */
};

/* Read one line into l. Returns 1 (a line), 0 (end of input). */
static int
read_line(FILE *in, struct line *l)
{
	char buf[FETCH_LINE_MAX + 2], *f[4], *p;
	size_t n;
	int nf = 0, ch;

	memset(l, 0, sizeof(*l));
	l->size = -1;
	for (;;) {
		if (!fgets(buf, sizeof(buf), in))
			return 0;
		n = strlen(buf);
		if (n > 0 && buf[n - 1] == '\n') {
			buf[--n] = '\0';
		} else if (n == sizeof(buf) - 1) {
			while ((ch = getc(in)) != EOF && ch != '\n')
				;
			l->url = xstrndup(buf, 80);
			l->bad = "line longer than 8 KiB";
			return 1;
		}
		if (n > 0 && buf[n - 1] == '\r')
			buf[--n] = '\0';
		if (strspn(buf, " \t") < n)
			break; /* blank lines are skipped */
	}
	for (p = buf; nf < 4;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		f[nf++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
	l->url = xstrdup(nf ? f[0] : "-");
	if (nf < 2 || nf > 3) {
		l->bad = "malformed line (want 'URL SHA256 [SIZE]')";
		return 1;
	}
	l->sha = xstrdup(f[1]);
	if (nf == 3 && num_parse_i64(f[2], 0, INT64_MAX, &l->size))
		l->bad = "malformed size";
	return 1;
}

static int
fetch_round(struct store *s, struct fetch *f, const char *dir,
            struct line *lines, size_t n, FILE *out)
{
	struct store_item *items = xcalloc(n ? n : 1, sizeof(*items));
	struct buf path = BUF_INIT(0);
	size_t i, m = 0, *idx = xcalloc(n ? n : 1, sizeof(*idx));
	int ret = 0;

	for (i = 0; i < n; i++) {
		size_t len = strlen(lines[i].url);

		if (lines[i].bad)
			continue;
		items[m].url = lines[i].url;
		items[m].sha256 = lines[i].sha;
		items[m].size = lines[i].size;
		items[m].kind =
		    len >= 9 && !strcmp(lines[i].url + len - 9, ".metadata")
		        ? STORE_METADATA
		        : STORE_DIST;
		idx[i] = m++;
	}
	if (m && store_fetch(s, f, items, m) < 0) {
		ret = -1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct store_item *it = &items[idx[i]];

		if (lines[i].bad) {
			fprintf(out, "failed %s: %s\n", lines[i].url,
			        lines[i].bad);
			ret = 1;
		} else if (it->result == STORE_FETCHED ||
		           it->result == STORE_PRESENT) {
			cas_path(dir, it->sha256, &path);
			fprintf(out, "ok %s %s\n",
			        buf_cstr(&path) + strlen(dir) + 4, /* the hex */
			        buf_cstr(&path));
		} else {
			fprintf(out, "failed %s: %s\n", lines[i].url,
			        it->error);
			ret = 1;
		}
	}
	if (fflush(out))
		ret =
		    log_error("cannot write the results: %s", strerror(errno));
out:
	buf_release(&path);
	free(items);
	free(idx);
	return ret;
}

int
crawl_fetch_lines(const struct crawl_opts *o, FILE *in, FILE *out)
{
	struct store_opts so = {o->store, o->max_metadata, o->max_dist};
	struct store *s = store_open(&so);
	struct fetch *f = NULL;
	struct line lines[FETCH_LINES];
	size_t n = 0, i;
	int ret = -1, rc, more = 1;

	if (!s)
		return -1;
	f = fetch_new(&o->fetch);
	if (!f)
		goto out;
	ret = 0;
	while (more) {
		n = 0;
		while (n < FETCH_LINES && (more = read_line(in, &lines[n])))
			n++;
		rc = fetch_round(s, f, o->store, lines, n, out);
		for (i = 0; i < n; i++) {
			free(lines[i].url);
			free(lines[i].sha);
		}
		if (rc < 0) {
			ret = -1;
			break;
		}
		if (rc)
			ret = 1;
	}
out:
	fetch_free(f);
	store_close(s);
	return ret;
}
