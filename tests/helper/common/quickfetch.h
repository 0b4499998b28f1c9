/*
 * For the tests of store_get() (tests/unit/test_store.c, and the
 * store-get driver of t0030): a fetcher that gives up at once, one
 * request at a time, one try, short timeouts, two redirects at most.
 * Header-only: each test program includes it once.
 */
#ifndef PYTI_TEST_QUICKFETCH_H
#define PYTI_TEST_QUICKFETCH_H

#include "fetch.h"

/* A new fetcher (fetch_free()) that sends user_agent and gives a request
 * total_timeout_ms in all; NULL when fetch_new() fails. */
static inline struct fetch *
quick_fetch(const char *user_agent, long total_timeout_ms)
{
	struct fetch_opts o = {.max_in_flight = 1,
	                       .connect_timeout_ms = 5000,
	                       .total_timeout_ms = total_timeout_ms,
	                       .retries = 0,
	                       .retry_base_ms = 10,
	                       .retry_max_ms = 100,
	                       .max_redirects = 2,
	                       .user_agent = user_agent};

	return fetch_new(&o);
}

#endif
