/* Unit tests for runner/spool.c: a result is on disk before completion,
 * leaves pending/ only when the queue accepted it (or refused it as
 * stale, into rejected/), and stays while the database is down; what
 * the job loop accepts always reloads; a file that cannot be delivered is
 * quarantined with its reason and its job released, never reported as
 * delivered. The queue calls are replaced at link time. */
/* WRAP: run_queue_complete run_queue_release */
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
#include "limits.h"
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

static int release_calls, release_refund;
static int64_t release_id;
static char release_error[1300];

int __wrap_run_queue_release(struct run_queue *q, int64_t id, int64_t fence,
                             const struct run_release *rel, int *dead);
int
__wrap_run_queue_release(struct run_queue *q, int64_t id, int64_t fence,
                         const struct run_release *rel, int *dead)
{
	release_calls++;
	release_id = id;
	release_refund = rel->refund;
	snprintf(release_error, sizeof(release_error), "%s", rel->error);
	if (dead)
		*dead = 0;
	return 0;
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
	release_calls = 0;
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
	assert_int_equal(count("pending"), 0);
	/* the file and its reason, and the job is told */
	assert_int_equal(count("quarantine"), 2);
	assert_int_equal(release_calls, 1);
	assert_int_equal(release_id, 1);
	assert_int_equal(release_refund, 1);
	assert_non_null(strstr(release_error, "quarantined"));
}

/* Issue 13: a result nested as deep as the job loop accepts, and logs of
 * control bytes at the log budget (6x when escaped), written and read
 * back: delivered, not set aside. (Before: a 2047-deep RSLT was accepted
 * and failed to reload two levels deeper in the spool document.) */
static void
test_run_spool_accepted_results_reload(void **state)
{
	struct run_outcome o;
	json_t *deep = json_object(), *cur = deep;
	char *path, *ctl;
	size_t n = RUN_LOGS_TEXT_MAX / 6;

	for (int i = 1; i < RUN_JSON_DEPTH_MAX; i++) {
		json_t *next = json_object();

		json_object_set_new(cur, "d", next);
		cur = next;
	}
	ctl = malloc(n);
	memset(ctl, 0x01, n);
	memset(&o, 0, sizeof(o));
	o.cls = "package";
	o.outcome = "passed";
	o.raw = json_pack("{s:i,s:o,s:{s:{s:s%}}}", "raw_version", 1, "result",
	                  deep, "logs", "x.log", "text", ctl, n);
	free(ctl);
	path = run_spool_write(dir, 5, 6, &o);
	json_decref(o.raw);
	assert_non_null(path);
	complete_ret = 0;
	assert_int_equal(run_spool_flush(dir, NULL), 0);
	assert_int_equal(complete_calls, 1);
	assert_int_equal(count("quarantine"), 0);
	assert_int_equal(count("pending"), 0);
	free(path);
}

/* A completion the database refuses for good (not an outage) is not
 * replayed forever: quarantined, the job released. */
static void
test_run_spool_refused_is_quarantined(void **state)
{
	char *p = spool_one(11, 45);

	complete_ret = RUN_QUEUE_REFUSED;
	assert_int_equal(run_spool_deliver(dir, p, NULL), 0);
	assert_int_equal(count("pending"), 0);
	assert_int_equal(count("quarantine"), 2);
	assert_int_equal(release_calls, 1);
	assert_int_equal(release_id, 11);
	free(p);
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
	    cmocka_unit_test_setup_teardown(
	        test_run_spool_accepted_results_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_run_spool_refused_is_quarantined, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
