/*
 * The request engine over curl's multi interface. Requests waiting for a
 * retry (backoff) count against max_in_flight like running ones, so the
 * memory a crawl holds is bounded by that number whatever the index does.
 */
#include "fetch.h"
#include "log.h"
#include "os.h"
#include "num.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Most bytes of an error page dropped before a sink's request fails. */
#define FETCH_MAX_ERROR_BODY ((size_t)1 << 20)

struct fetch {
	struct fetch_opts o;
	CURLM *multi;
	long running; /* in curl */
	struct fetch_req *waiting; /* not started yet or backing off */
	struct fetch_req *active; /* in curl */
	long nwaiting;
	CURL **idle; /* easy handles to reuse */
	long nidle;
	struct fetch_totals totals;
	unsigned rand_state;
	int64_t next_start_us; /* the rate cap: no start before this */
	int64_t pause_until_ms; /* the global pause: no start before this */
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct fetch_req *
fetch_req_new(const char *url)
{
	struct fetch_req *r = xcalloc(1, sizeof(*r));

	r->url = xstrdup(url);
	r->serial = -1;
	buf_init(&r->body, 0);
	return r;
}

static void
clear_results(struct fetch_req *r)
{
	free(r->etag);
	free(r->content_type);
	free(r->effective_url);
	free(r->retry_after);
	r->etag = r->content_type = r->effective_url = r->retry_after = NULL;
	r->serial = -1;
	r->status = 0;
	r->failed = 0;
	r->too_big = 0;
	r->sink_failed = 0;
	r->error[0] = '\0';
	r->got = 0;
	buf_reset(&r->body);
}

void
fetch_req_free(struct fetch_req *r)
{
	if (!r)
		return;
	clear_results(r);
	buf_release(&r->body);
	free(r->url);
	free(r->if_none_match);
	free(r);
}

struct fetch *
fetch_new(const struct fetch_opts *o)
{
	struct fetch *f = xcalloc(1, sizeof(*f));

	f->o = *o;
	if (f->o.max_in_flight < 1)
		f->o.max_in_flight = 1;
	f->multi = curl_multi_init();
	if (!f->multi) {
		free(f);
		log_error("cannot start libcurl");
		return NULL;
	}
	curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, f->o.max_in_flight);
	curl_multi_setopt(f->multi, CURLMOPT_MAX_CONCURRENT_STREAMS,
	                  f->o.max_in_flight);
	f->idle = xcalloc((size_t)f->o.max_in_flight, sizeof(*f->idle));
	f->rand_state = (unsigned)os_mono_ms() ^ 0x9e3779b9u;
	return f;
}

void
fetch_free(struct fetch *f)
{
	struct fetch_req *r, *next;
	int i;

	if (!f)
		return;
	for (r = f->active; r; r = next) {
		next = r->next;
		curl_multi_remove_handle(f->multi, r->easy);
		curl_easy_cleanup(r->easy);
		curl_slist_free_all(r->headers);
		r->headers = NULL;
		fetch_req_free(r);
	}
	for (r = f->waiting; r; r = next) {
		next = r->next;
		fetch_req_free(r);
	}
	for (i = 0; i < f->nidle; i++)
		curl_easy_cleanup(f->idle[i]);
	free(f->idle);
	curl_multi_cleanup(f->multi);
	free(f);
}

long
fetch_busy(const struct fetch *f)
{
	return f->running + f->nwaiting;
}

long
fetch_slots(const struct fetch *f)
{
	long n = f->o.max_in_flight - fetch_busy(f);

	return n > 0 ? n : 0;
}

struct fetch_totals
fetch_totals(const struct fetch *f)
{
	return f->totals;
}

/*
 * Whether a request may start now (the global pause is over and the rate
 * cap allows one more); if not, *wait_ms is how long until one may.
 * Starting is then accounted by took_slot().
 */
static int
may_start(const struct fetch *f, long *wait_ms)
{
	int64_t now = os_mono_ms(), us;

	if (now < f->pause_until_ms) {
		*wait_ms = (long)(f->pause_until_ms - now);
		return 0;
	}
	if (f->o.max_rate > 0 && (us = now_us()) < f->next_start_us) {
		*wait_ms = (long)((f->next_start_us - us + 999) / 1000);
		return 0;
	}
	return 1;
}

static void
took_slot(struct fetch *f)
{
	int64_t us;

	if (f->o.max_rate <= 0)
		return;
	us = now_us();
	/* No burst: a request every 1/rate seconds at most. */
	if (f->next_start_us < us)
		f->next_start_us = us;
	f->next_start_us += (int64_t)(1e6 / f->o.max_rate);
}

/* Bodies are capped here, on the decoded bytes curl hands us: its own
 * CURLOPT_MAXFILESIZE trusts Content-Length, which a chunked or
 * compressed body does not have. */
static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch_req *r = arg;
	size_t n = size * nmemb;

	if (r->got + n > r->max_body) {
		r->too_big = 1;
		return 0;
	}
	r->owner->totals.bytes += n;
	r->got += n;
	if (r->sink) {
		long code = 0;

		/* An error page is not the file: the sink never sees it
		 * (its checks would name the wrong fault), and it is
		 * dropped, up to a bound. */
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code < 200 || code > 299) {
			if (r->got > FETCH_MAX_ERROR_BODY) {
				r->too_big = 1;
				return 0;
			}
			return n;
		}
		if (r->sink->write(r->sink->arg, data, n)) {
			r->sink_failed = 1;
			return 0;
		}
		return n;
	}
	if (buf_add(&r->body, data, n)) {
		r->too_big = 1;
		return 0;
	}
	return n;
}

/* A header value, trimmed, as an owned string. */
static char *
header_value(const char *line, size_t n, size_t name_len)
{
	const char *v = line + name_len, *end = line + n;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	                   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return xmemdup0(v, (size_t)(end - v));
}

static size_t
on_header(char *line, size_t size, size_t nmemb, void *arg)
{
	struct fetch_req *r = arg;
	size_t n = size * nmemb;

	/* A new status line starts a new response (after a redirect or a
	 * 100): forget the previous one's headers. */
	if (n > 5 && !strncmp(line, "HTTP/", 5)) {
		free(r->etag);
		free(r->retry_after);
		r->etag = r->retry_after = NULL;
		r->serial = -1;
	} else if (n > 5 && !strncasecmp(line, "ETag:", 5)) {
		free(r->etag);
		r->etag = header_value(line, n, 5);
	} else if (n > 19 && !strncasecmp(line, "X-PyPI-Last-Serial:", 19)) {
		char *v = header_value(line, n, 19);
		int64_t s;

		r->serial = num_parse_i64(v, 0, INT64_MAX, &s) ? -1 : s;
		free(v);
	} else if (n > 12 && !strncasecmp(line, "Retry-After:", 12)) {
		free(r->retry_after);
		r->retry_after = header_value(line, n, 12);
	}
	return n;
}

static void
start(struct fetch *f, struct fetch_req *r)
{
	CURL *e = f->nidle ? f->idle[--f->nidle] : curl_easy_init();
	struct curl_slist *hdrs = NULL;

	if (!e)
		log_die("out of memory starting a request");
	curl_easy_reset(e);
	clear_results(r);
	if (r->sink && r->tries > 0)
		r->sink->reset(r->sink->arg);
	r->tries++;
	r->owner = f;
	r->easy = e;
	took_slot(f);
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, f->o.max_redirects);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, f->o.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, f->o.total_timeout_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, f->o.low_speed_bytes);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, f->o.low_speed_secs);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (f->o.user_agent)
		curl_easy_setopt(e, CURLOPT_USERAGENT, f->o.user_agent);
	if (r->accept) {
		struct buf h = BUF_INIT(0);

		buf_addf(&h, "Accept: %s", r->accept);
		hdrs = curl_slist_append(hdrs, buf_cstr(&h));
		buf_release(&h);
	}
	if (r->if_none_match) {
		struct buf h = BUF_INIT(0);

		buf_addf(&h, "If-None-Match: %s", r->if_none_match);
		hdrs = curl_slist_append(hdrs, buf_cstr(&h));
		buf_release(&h);
	}
	/* The header list must outlive the transfer: freed in finish(). */
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	r->headers = hdrs;
	r->next = f->active;
	f->active = r;
	if (curl_multi_add_handle(f->multi, e))
		log_die("cannot add a request to libcurl");
	f->running++;
	f->totals.requests++;
}

void
fetch_add(struct fetch *f, struct fetch_req *r)
{
	long wait;

	r->owner = f;
	if (r->not_before_ms > os_mono_ms() || !may_start(f, &wait)) {
		r->next = f->waiting;
		f->waiting = r;
		f->nwaiting++;
		return;
	}
	start(f, r);
}

static unsigned
rnd(struct fetch *f)
{
	f->rand_state = f->rand_state * 1103515245u + 12345u;
	return f->rand_state >> 8;
}

/* The wait before try number r->tries + 1. */
static long
backoff_ms(struct fetch *f, const struct fetch_req *r)
{
	long cap = f->o.retry_max_ms, ms;
	int64_t secs;

	if (r->retry_after) {
		if (!num_parse_i64(r->retry_after, 0, INT64_MAX / 1000, &secs))
			return secs * 1000 > cap ? cap : (long)(secs * 1000);
		secs = curl_getdate(r->retry_after, NULL);
		if (secs > 0) {
			int64_t d = (secs - (int64_t)time(NULL)) * 1000;

			if (d < 0)
				d = 0;
			return d > cap ? cap : (long)d;
		}
	}
	ms = f->o.retry_base_ms;
	for (int i = 1; i < r->tries && ms < cap; i++)
		ms *= 2;
	if (ms > cap)
		ms = cap;
	/* Jitter: between half and all of it, so clients that failed
	 * together do not come back together. */
	return ms / 2 + (long)(rnd(f) % (unsigned)(ms / 2 + 1));
}

static int
retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST: /* DNS is down for a moment, too */
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static void
finish(struct fetch *f, CURL *e, CURLcode rc)
{
	struct fetch_req *r = NULL, **pp;
	char *s = NULL;
	int retry = 0;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
	curl_multi_remove_handle(f->multi, e);
	curl_slist_free_all(r->headers);
	r->headers = NULL;
	for (pp = &f->active; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	r->next = NULL;
	f->running--;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
		if (!curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &s) && s)
			r->content_type = xstrdup(s);
		if (!curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &s) && s)
			r->effective_url = xstrdup(s);
		if (r->status >= 500 || r->status == 429) {
			retry = 1;
			snprintf(r->error, sizeof(r->error), "HTTP %ld",
			         r->status);
		}
	} else if (r->too_big) {
		r->failed = 1;
		snprintf(r->error, sizeof(r->error),
		         "body larger than %zu bytes", r->max_body);
	} else if (r->sink_failed) {
		r->failed = 1; /* the sink wrote its message into error */
	} else {
		char detail[sizeof(r->error)];

		snprintf(detail, sizeof(detail), "%s", r->error);
		snprintf(r->error, sizeof(r->error), "%s%s%.300s",
		         curl_easy_strerror(rc), detail[0] ? ": " : "", detail);
		r->failed = 1;
		retry = retryable_curl(rc);
	}
	if (f->nidle < f->o.max_in_flight)
		f->idle[f->nidle++] = e;
	else
		curl_easy_cleanup(e);
	r->easy = NULL;
	if (retry && r->status &&
	    (r->status == 429 || (r->retry_after && r->status == 503))) {
		/* The index asks us to slow down: every request waits, not
		 * only this one (it is retried after the pause). */
		long wait = backoff_ms(f, r);
		int64_t until = os_mono_ms() + wait;

		if (until > f->pause_until_ms) {
			if (f->pause_until_ms <= os_mono_ms())
				log_warn("'%s': HTTP %ld%s%s: pausing every "
				         "request for %ld ms",
				         r->url, r->status,
				         r->retry_after ? ", Retry-After: "
				                        : "",
				         r->retry_after ? r->retry_after : "",
				         wait);
			f->pause_until_ms = until;
			f->totals.pauses++;
		}
	}
	if (retry && r->tries <= f->o.retries) {
		long wait = backoff_ms(f, r);

		log_debug("'%s': %s; retry %d in %ld ms", r->url, r->error,
		          r->tries, wait);
		r->not_before_ms = os_mono_ms() + wait;
		r->failed = 0;
		fetch_add(f, r);
		return;
	}
	if (retry && r->status) {
		r->failed = 1;
		snprintf(r->error + strlen(r->error),
		         sizeof(r->error) - strlen(r->error), " after %d tries",
		         r->tries);
	}
	if (!r->failed)
		r->error[0] = '\0';
	r->done(r);
}

/* Start the waiting requests whose time has come; return ms until the
 * next one is due (or `cap`). */
static long
start_due(struct fetch *f, long cap)
{
	struct fetch_req **pp = &f->waiting, *r;
	int64_t now = os_mono_ms();
	long next = cap, wait;

	while ((r = *pp)) {
		if (r->not_before_ms <= now && !may_start(f, &wait)) {
			/* Due, held back by the pause or the rate cap. */
			if (wait < next)
				next = wait;
			break;
		}
		if (r->not_before_ms <= now) {
			*pp = r->next;
			r->next = NULL;
			f->nwaiting--;
			start(f, r);
			continue;
		}
		if (r->not_before_ms - now < next)
			next = (long)(r->not_before_ms - now);
		pp = &r->next;
	}
	return next;
}

int
fetch_step(struct fetch *f, long timeout_ms)
{
	CURLMcode mc;
	CURLMsg *msg;
	int still, left;
	long wait = start_due(f, timeout_ms);

	mc = curl_multi_perform(f->multi, &still);
	if (mc == CURLM_OK && f->running > 0)
		mc = curl_multi_poll(f->multi, NULL, 0, (int)wait, NULL);
	else if (mc == CURLM_OK && f->nwaiting > 0 && wait > 0) {
		struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};

		nanosleep(&ts, NULL);
	}
	if (mc == CURLM_OK)
		mc = curl_multi_perform(f->multi, &still);
	if (mc != CURLM_OK)
		return log_error("libcurl: %s", curl_multi_strerror(mc));
	while ((msg = curl_multi_info_read(f->multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			finish(f, msg->easy_handle, msg->data.result);
	start_due(f, 0);
	return 0;
}
