/*
 * Tests of the crawler's politeness settings (crawler/crawl.c): which
 * index URLs count as this machine, the polite defaults for any other
 * index, and the refusal of limits above them; and of the fetcher's rate
 * cap (common/fetch.c) without a network: requests to a port nobody
 * listens on fail at once, so the time they take to start is the cap's;
 * and that a name that does not resolve is retried.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "crawl.h"
#include "fetch.h"
#include "os.h"

static void
test_loopback(void **state)
{
	(void)state;
	assert_true(crawl_is_loopback("http://127.0.0.1:8080/simple/"));
	assert_true(crawl_is_loopback("http://127.3.4.5/simple/"));
	assert_true(crawl_is_loopback("https://localhost/simple/"));
	assert_true(crawl_is_loopback("http://LOCALHOST:1/simple/"));
	assert_true(crawl_is_loopback("http://[::1]:8080/simple/"));
	assert_true(crawl_is_loopback("http://user@127.0.0.1/simple/"));
	assert_false(crawl_is_loopback("https://pypi.org/simple/"));
	assert_false(crawl_is_loopback("https://127.0.0.1.example.org/"));
	assert_false(crawl_is_loopback("https://localhost.example.org/"));
	assert_false(crawl_is_loopback("http://127.0.0.1@evil.example/"));
	assert_false(crawl_is_loopback("http://10.0.0.1/simple/"));
	assert_false(crawl_is_loopback("not a url"));
}

/* Options from [crawler] keys (pairs of key, value), or -1. */
static int
opts(struct crawl_opts *o, const char *const *kv)
{
	struct cfg *c = cfg_new();
	int rc;

	for (; kv[0]; kv += 2)
		cfg_set(c, "crawler", kv[0], kv[1]);
	rc = crawl_opts_from_cfg(o, c); /* user_agent is o's own */
	cfg_free(c);
	return rc;
}

static void
test_polite_defaults(void **state)
{
	struct crawl_opts o;
	const char *const pypi[] = {"contact", "mailto:ops@example.org", NULL};
	const char *const local[] = {"index", "http://127.0.0.1:9/simple/",
	                             NULL};

	(void)state;
	assert_int_equal(opts(&o, pypi), 0);
	assert_int_equal(o.fetch.max_in_flight, 10);
	assert_true(o.fetch.max_rate > 0 && o.fetch.max_rate <= 50);
	assert_non_null(strstr(o.user_agent, "pyti-crawl/"));
	assert_non_null(strstr(o.user_agent, "+mailto:ops@example.org"));
	assert_false(o.no_contact);
	crawl_opts_release(&o);
	assert_int_equal(opts(&o, local), 0);
	assert_int_equal(o.fetch.max_in_flight, 32);
	assert_true(o.fetch.max_rate == 0);
	crawl_opts_release(&o);
}

static void
test_polite_refusals(void **state)
{
	struct crawl_opts o;
	const char *const many[] = {"max-in-flight", "32", NULL};
	const char *const fast[] = {"max-rate", "500", NULL};
	const char *const uncapped[] = {"max-rate", "0", NULL};
	const char *const local[] = {"index",
	                             "http://localhost:9/simple/",
	                             "max-in-flight",
	                             "256",
	                             "max-rate",
	                             "0",
	                             NULL};

	(void)state;
	assert_int_equal(opts(&o, many), -1);
	crawl_opts_release(&o);
	assert_int_equal(opts(&o, fast), -1);
	crawl_opts_release(&o);
	assert_int_equal(opts(&o, uncapped), -1);
	crawl_opts_release(&o);
	assert_int_equal(opts(&o, local), 0);
	assert_int_equal(o.fetch.max_in_flight, 256);
	crawl_opts_release(&o);
}

static int finished;

static void
done(struct fetch_req *req)
{
	finished++;
	fetch_req_free(req);
}

/* A fetcher (curl initialized): in_flight, rate cap, retries. */
static struct fetch *
fetcher(long in_flight, double rate, long retries)
{
	struct fetch_opts fo;
	struct fetch *f;

	memset(&fo, 0, sizeof(fo));
	fo.max_in_flight = in_flight;
	fo.connect_timeout_ms = 2000;
	fo.total_timeout_ms = 3000;
	fo.max_rate = rate;
	fo.retries = retries;
	fo.retry_base_ms = 10;
	fo.retry_max_ms = 10;
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
	f = fetch_new(&fo);
	assert_non_null(f);
	return f;
}

/* Add a request for url whose done callback is fn. */
static void
add(struct fetch *f, const char *url, fetch_done_fn fn)
{
	struct fetch_req *r = fetch_req_new(url);

	r->max_body = 1024;
	r->done = fn;
	fetch_add(f, r);
}

/* 11 requests at 20/s: the last may start no sooner than 500 ms after
 * the first (no bursts). A slow machine only makes it later. */
static void
test_rate_cap(void **state)
{
	struct fetch *f = fetcher(16, 20, 0);
	int64_t t0 = os_mono_ms();
	int i;

	(void)state;
	for (i = 0; i < 11; i++)
		add(f, "http://127.0.0.1:1/", done);
	while (finished < 11 && os_mono_ms() - t0 < 20000)
		assert_int_equal(fetch_step(f, 100), 0);
	assert_int_equal(finished, 11);
	assert_true(os_mono_ms() - t0 >= 500);
	assert_int_equal(fetch_totals(f).requests, 11);
	fetch_free(f);
	curl_global_cleanup();
}

static struct fetch_req *last;

static void
keep(struct fetch_req *req)
{
	last = req;
}

/* A name that does not resolve (.invalid never does, RFC 6761) is retried
 * like a refused connection: DNS may be down for a moment. The connect
 * timeout bounds each try, name resolution included. */
static void
test_dns_retried(void **state)
{
	struct fetch *f = fetcher(1, 0, 1);
	int64_t t0 = os_mono_ms();

	(void)state;
	last = NULL;
	add(f, "http://pyti-no-such-host.invalid/simple/", keep);
	while (!last && os_mono_ms() - t0 < 30000)
		assert_int_equal(fetch_step(f, 100), 0);
	assert_non_null(last);
	assert_true(last->failed);
	assert_int_equal(last->tries, 2);
	fetch_req_free(last);
	fetch_free(f);
	curl_global_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loopback),
	    cmocka_unit_test(test_polite_defaults),
	    cmocka_unit_test(test_polite_refusals),
	    cmocka_unit_test(test_rate_cap),
	    cmocka_unit_test(test_dns_retried),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
