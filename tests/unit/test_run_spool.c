/* Unit tests for runner/spool.c: a result is on disk before completion,
 * leaves pending/ only when the queue accepted it (or refused it as
 * stale, into rejected/), and stays while the database is down. The
 * queue call is replaced at link time. */
/* WRAP: run_queue_complete */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jx.h"
#include "queue.h"
#include "spool.h"

static int complete_ret;
static int complete_calls;
static int64_t seen_id, seen_fence;
static char seen_outcome[64];

int __wrap_run_queue_complete(struct run_queue *q, int64_t id, int64_t fence,
                              const struct run_completion *c);
int
__wrap_run_queue_complete(struct run_queue *q, int64_t id, int64_t fence,
                          const struct run_completion *c)
{
	complete_calls++;
	seen_id = id;
	seen_fence = fence;
	snprintf(seen_outcome, sizeof(seen_outcome), "%s", c->outcome);
	assert_non_null(strstr(c->raw, "\"raw_version\":1"));
	return complete_ret;
}

static char dir[] = "/tmp/test_run_spool.XXXXXX";

static int
count(const char *sub)
{
	char p[256];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	d = opendir(p);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static char *
spool_one(int64_t id, int64_t fence)
{
	struct run_outcome o;
	char *path;

	memset(&o, 0, sizeof(o));
	o.cls = "package";
	o.outcome = "passed";
	o.raw = json_pack("{s:i,s:s}", "raw_version", 1, "text", "l\xc3\xa9");
	path = run_spool_write(dir, id, fence, &o);
	json_decref(o.raw);
	assert_non_null(path);
	return path;
}

static int
setup(void **state)
{
	memcpy(dir, "/tmp/test_run_spool.XXXXXX", sizeof(dir));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(run_spool_init(dir), 0);
	complete_calls = 0;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_run_spool_deliver_removes_on_commit(void **state)
{
	char *p = spool_one(7, 42);

	assert_int_equal(count("pending"), 1);
	complete_ret = 0;
	assert_int_equal(run_spool_deliver(dir, p, NULL), 0);
	assert_int_equal(complete_calls, 1);
	assert_int_equal(seen_id, 7);
	assert_int_equal(seen_fence, 42);
	assert_string_equal(seen_outcome, "passed");
	assert_int_equal(count("pending"), 0);
	assert_int_equal(count("rejected"), 0);
	free(p);
}

static void
test_run_spool_database_down_keeps_file(void **state)
{
	char *p = spool_one(8, 43);

	complete_ret = -1;
	assert_int_equal(run_spool_deliver(dir, p, NULL), -1);
	assert_int_equal(count("pending"), 1);
	/* Replayed later by the flush, once the database is back. */
	assert_int_equal(run_spool_flush(dir, NULL), 1);
	complete_ret = 0;
	assert_int_equal(run_spool_flush(dir, NULL), 0);
	assert_int_equal(count("pending"), 0);
	assert_int_equal(complete_calls, 3);
	free(p);
}

static void
test_run_spool_stale_fence_is_rejected(void **state)
{
	char *p = spool_one(9, 44);

	complete_ret = RUN_QUEUE_LOST;
	assert_int_equal(run_spool_deliver(dir, p, NULL), 0);
	assert_int_equal(count("pending"), 0);
	assert_int_equal(count("rejected"), 1);
	free(p);
}

static void
test_run_spool_garbage_file_is_set_aside(void **state)
{
	char p[300];
	FILE *f;

	snprintf(p, sizeof(p), "%s/pending/1-1.json", dir);
	f = fopen(p, "w");
	fputs("{\"job_id\":1,", f); /* torn: never written by us */
	fclose(f);
	assert_int_equal(run_spool_flush(dir, NULL), 0);
	assert_int_equal(complete_calls, 0);
	assert_int_equal(count("rejected"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_run_spool_deliver_removes_on_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_run_spool_database_down_keeps_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_run_spool_stale_fence_is_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_run_spool_garbage_file_is_set_aside, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
