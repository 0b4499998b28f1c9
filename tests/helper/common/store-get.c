/*
 * store-get: common/store.h's store_get() from the command line, for
 * tests/t/t0030-store-get.sh (one file on demand into a store, against a
 * real HTTP server).
 *
 *	store-get STORE URL SHA256 MAX_BYTES TIMEOUT_MS
 *
 * Prints "ok PATH" and exits 0, or "failed: REASON" and exits 1; 2 for a
 * usage error. One try, no retries: the test names each failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "fetch.h"
#include "num.h"
#include "quickfetch.h"
#include "store.h"

int
main(int argc, char **argv)
{
	struct store_opts so = {0};
	struct store *s = NULL;
	struct fetch *f = NULL;
	struct buf path = BUF_INIT(0);
	uint64_t max, ms;
	char err[512];
	int rc = 1;

	if (argc != 6 || num_parse_u64(argv[4], SIZE_MAX, &max) || !max ||
	    num_parse_u64(argv[5], 3600000, &ms) || !ms) {
		fprintf(stderr, "usage: store-get STORE URL SHA256 MAX_BYTES "
		                "TIMEOUT_MS\n");
		return 2;
	}
	so.dir = argv[1];
	so.max_metadata = so.max_dist = (size_t)max;
	s = store_open(&so);
	f = s ? quick_fetch("pyti-store-get-test", (long)ms) : NULL;
	if (!f)
		goto out;
	switch (store_get(s, f, argv[2], argv[3], STORE_METADATA, &path, err,
	                  sizeof(err))) {
	case 0:
		printf("ok %s\n", buf_cstr(&path));
		rc = 0;
		break;
	case 1:
		printf("failed: %s\n", err);
		break;
	default:
		break;
	}
out:
	buf_release(&path);
	fetch_free(f);
	store_close(s);
	return rc;
}
