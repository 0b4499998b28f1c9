/* Unit tests for guest/taskgraph.c on the host, without a VM: graph
 * loading errors (cycles, unknown data, two producers), topological order,
 * skip propagation, and the limits of guest_task_exec() with real but
 * harmless child processes (sleep, yes | head, false, sh -c ulimit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "os.h"
#include "../../guest/taskgraph.h"

static char order[256];

/* A task that records its name and produces everything it declares. */
static enum guest_outcome
run_produce(struct guest_task_run *tr, void *arg)
{
	const char *p = tr->task->produces;

	snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s ",
	         tr->task->name);
	while (*p) {
		char w[64];
		size_t n = strcspn(p, " ");

		memcpy(w, p, n);
		w[n] = '\0';
		assert_int_equal(guest_task_produce(tr, w), 0);
		p += n;
		while (*p == ' ')
			p++;
	}
	return GUEST_OK;
}

static enum guest_outcome
run_fail(struct guest_task_run *tr, void *arg)
{
	snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s ",
	         tr->task->name);
	return GUEST_FAILED;
}

#define T(name, needs, produces, fn)                                           \
	{                                                                      \
		name, needs, produces, {0}, fn                                 \
	}

static void
test_guest_graph_orders_topologically(void **state)
{
	/* declared backwards on purpose */
	static const struct guest_task tasks[] = {
	    T("tests", "installed", "junit", run_produce),
	    T("install", "wheel", "installed", run_produce),
	    T("lint", "sources", "lint", run_produce),
	    T("build", "sdist", "wheel sources", run_produce),
	};
	struct guest_graph *g = guest_graph_new(tasks, 4, "sdist");

	assert_non_null(g);
	order[0] = '\0';
	assert_int_equal(guest_graph_run(g, NULL, NULL, NULL), 0);
	assert_string_equal(order, "build install tests lint ");
	assert_true(guest_graph_has(g, "junit"));
	assert_int_equal(guest_graph_task(g, 0)->outcome, GUEST_OK);
	assert_true(guest_graph_task(g, 0)->started_ms > 0);
	guest_graph_free(g);
}

static void
test_guest_graph_rejects_cycle(void **state)
{
	static const struct guest_task tasks[] = {
	    T("a", "z", "x", run_produce),
	    T("b", "x", "y", run_produce),
	    T("c", "y", "z", run_produce),
	    T("d", "", "w", run_produce),
	};

	assert_null(guest_graph_new(tasks, 4, ""));
}

static void
test_guest_graph_rejects_self_cycle(void **state)
{
	static const struct guest_task tasks[] = {
	    T("a", "x", "x", run_produce),
	};

	assert_null(guest_graph_new(tasks, 1, ""));
}

static void
test_guest_graph_rejects_unknown_data(void **state)
{
	static const struct guest_task tasks[] = {
	    T("a", "dist", "x", run_produce),
	    T("b", "wheel", "y", run_produce),
	};

	assert_null(guest_graph_new(tasks, 2, "dist"));
}

static void
test_guest_graph_rejects_two_producers_and_bad_names(void **state)
{
	static const struct guest_task two[] = {
	    T("a", "", "x", run_produce),
	    T("b", "", "x", run_produce),
	};
	static const struct guest_task input_too[] = {
	    T("a", "", "dist", run_produce),
	};
	static const struct guest_task dup[] = {
	    T("a", "", "x", run_produce),
	    T("a", "", "y", run_produce),
	};
	static const struct guest_task badname[] = {
	    T("a", "Wheel", "x", run_produce),
	};

	assert_null(guest_graph_new(two, 2, ""));
	assert_null(guest_graph_new(input_too, 1, "dist"));
	assert_null(guest_graph_new(dup, 2, ""));
	assert_null(guest_graph_new(badname, 1, "Wheel"));
}

static void
test_guest_graph_skips_dependents(void **state)
{
	static const struct guest_task tasks[] = {
	    T("build", "sdist", "wheel", run_fail),
	    T("install", "wheel", "installed", run_produce),
	    T("tests", "installed", "junit", run_produce),
	    T("lint", "sdist", "lint", run_produce),
	    T("meta", "pkginfo", "metadata", run_produce),
	};
	struct guest_graph *g = guest_graph_new(tasks, 5, "sdist pkginfo");
	struct guest_task_run *tr;

	assert_non_null(g);
	order[0] = '\0';
	assert_int_equal(guest_graph_run(g, NULL, NULL, NULL), 1);
	assert_string_equal(order, "build lint meta ");
	tr = guest_graph_find(g, "install");
	assert_int_equal(tr->outcome, GUEST_SKIPPED);
	assert_string_equal(tr->reason, "needs wheel, which build did not "
	                                "produce");
	assert_int_equal(tr->started_ms, 0);
	tr = guest_graph_find(g, "tests");
	assert_int_equal(tr->outcome, GUEST_SKIPPED);
	assert_string_equal(tr->reason, "needs installed, which install did "
	                                "not produce");
	assert_int_equal(guest_graph_find(g, "lint")->outcome, GUEST_OK);
	assert_int_equal(guest_graph_find(g, "build")->outcome, GUEST_FAILED);
	guest_graph_free(g);
}

static void
test_guest_graph_disable_and_undeclared_product(void **state)
{
	static const struct guest_task tasks[] = {
	    T("a", "", "x", run_produce),
	    T("b", "x", "y", run_produce),
	};
	struct guest_graph *g = guest_graph_new(tasks, 2, "");

	assert_non_null(g);
	assert_int_equal(guest_graph_disable(g, "a"), 0);
	assert_int_equal(guest_graph_disable(g, "nope"), -1);
	order[0] = '\0';
	guest_graph_run(g, NULL, NULL, NULL);
	assert_string_equal(order, "");
	assert_string_equal(guest_graph_find(g, "a")->reason, "not requested");
	assert_string_equal(guest_graph_find(g, "b")->reason,
	                    "needs x, which a did not produce");
	assert_int_equal(guest_task_produce(guest_graph_find(g, "a"), "y"), -1);
	guest_graph_free(g);
}

/* ---- guest_task_exec with real, harmless commands ---- */

static const char *cmd_argv[8];
static int cmd_result;

static enum guest_outcome
run_cmd(struct guest_task_run *tr, void *arg)
{
	struct guest_cmd cmd = {.argv = cmd_argv};

	cmd_result = guest_task_exec(tr, &cmd);
	return cmd_result == 0 ? GUEST_OK : GUEST_FAILED;
}

static struct guest_task_run *
run_one(struct guest_graph **gp, const struct guest_limits *l, const char *a0,
        const char *a1, const char *a2)
{
	static struct guest_task tasks[1];

	tasks[0] = (struct guest_task)T("cmd", "", "", run_cmd);
	tasks[0].limits = *l;
	cmd_argv[0] = a0;
	cmd_argv[1] = a1;
	cmd_argv[2] = a2;
	cmd_argv[3] = NULL;
	*gp = guest_graph_new(tasks, 1, "");
	assert_non_null(*gp);
	guest_graph_run(*gp, NULL, NULL, NULL);
	return guest_graph_task(*gp, 0);
}

static void
test_guest_exec_exit_status_and_missing_program(void **state)
{
	struct guest_limits l = {.timeout_ms = 20000, .output_cap = 4096};
	struct guest_graph *g;
	struct guest_task_run *tr;

	tr = run_one(&g, &l, "/bin/false", NULL, NULL);
	assert_int_equal(cmd_result, 1);
	assert_int_equal(tr->exit_status, 1);
	assert_int_equal(tr->outcome, GUEST_FAILED);
	guest_graph_free(g);

	tr = run_one(&g, &l, "/nonexistent/program", NULL, NULL);
	assert_int_equal(cmd_result, 127);
	assert_non_null(strstr(buf_cstr(&tr->log), "cannot start command"));
	guest_graph_free(g);

	tr = run_one(&g, &l, "/bin/sh", "-c", "echo out; echo err >&2");
	assert_int_equal(cmd_result, 0);
	assert_string_equal(buf_cstr(&tr->log), "out\nerr\n");
	assert_int_equal(tr->outcome, GUEST_OK);
	guest_graph_free(g);
}

static void
test_guest_exec_time_limit_kills_group(void **state)
{
	struct guest_limits l = {.timeout_ms = 300, .output_cap = 4096};
	struct guest_graph *g;
	struct guest_task_run *tr;

	/* the shell and its sleep child both belong to the group */
	tr = run_one(&g, &l, "/bin/sh", "-c", "sleep 30; echo never");
	assert_true(tr->timed_out);
	assert_int_equal(tr->outcome, GUEST_TIMEOUT);
	assert_int_equal(tr->signal, SIGKILL);
	assert_string_equal(tr->reason, "time limit of 0 s");
	assert_null(strstr(buf_cstr(&tr->log), "never"));
	guest_graph_free(g);
}

static void
test_guest_exec_output_cap(void **state)
{
	struct guest_limits l = {.timeout_ms = 20000, .output_cap = 1000};
	struct guest_graph *g;
	struct guest_task_run *tr;

	tr = run_one(&g, &l, "/bin/sh", "-c", "yes | head -c 100000");
	assert_int_equal(cmd_result, 0);
	assert_int_equal(tr->log.len, 1000);
	assert_true(tr->output_capped);
	assert_false(tr->output_killed);
	assert_int_equal(tr->output_bytes, 100000);
	guest_graph_free(g);
}

static void
test_guest_exec_output_flood_killed(void **state)
{
	struct guest_limits l = {
	    .timeout_ms = 60000, .output_cap = 1000, .output_kill = 4 << 20};
	struct guest_graph *g;
	struct guest_task_run *tr;

	tr = run_one(&g, &l, "/usr/bin/yes", NULL, NULL);
	assert_true(tr->output_killed);
	assert_false(tr->timed_out);
	assert_int_equal(tr->signal, SIGKILL);
	assert_true(tr->output_bytes > (4 << 20));
	assert_int_equal(tr->log.len, 1000);
	guest_graph_free(g);
}

static void
test_guest_exec_rlimits_apply_in_child(void **state)
{
	struct guest_limits l = {.timeout_ms = 20000,
	                         .output_cap = 4096,
	                         .nofile = 77,
	                         .as = 512ull << 20,
	                         .fsize = 4096};
	struct guest_graph *g;
	struct guest_task_run *tr;

	tr = run_one(&g, &l, "/bin/sh", "-c", "ulimit -n; ulimit -v");
	assert_string_equal(buf_cstr(&tr->log), "77\n524288\n");
	guest_graph_free(g);

	/* a file past RLIMIT_FSIZE: SIGXFSZ ends the writer */
	tr =
	    run_one(&g, &l, "/bin/sh", "-c",
	            "exec head -c 100000 /dev/zero > /dev/shm/pyti-fsize-test");
	unlink("/dev/shm/pyti-fsize-test");
	assert_int_equal(tr->signal, SIGXFSZ);
	assert_int_equal(cmd_result, 128 + SIGXFSZ);
	guest_graph_free(g);
}

static void
test_guest_exec_background_child_does_not_hold_task(void **state)
{
	struct guest_limits l = {.timeout_ms = 60000, .output_cap = 4096};
	struct guest_graph *g;
	struct guest_task_run *tr;
	int64_t t0 = os_mono_ms();

	tr = run_one(&g, &l, "/bin/sh", "-c", "sleep 40 & echo started");
	assert_int_equal(cmd_result, 0);
	assert_string_equal(buf_cstr(&tr->log), "started\n");
	assert_false(tr->timed_out);
	/* not a timing assertion: only that it did not wait for the 40 s
	 * sleep nor for the 60 s limit */
	assert_true(os_mono_ms() - t0 < 35000);
	guest_graph_free(g);
}

static int ticks;

static void
count_tick(void *arg)
{
	ticks++;
}

static void
test_guest_exec_ticks_while_waiting(void **state)
{
	static struct guest_task tasks[1] = {T("cmd", "", "", run_cmd)};
	struct guest_hooks hooks = {.tick = count_tick};
	struct guest_graph *g;

	tasks[0].limits.timeout_ms = 20000;
	tasks[0].limits.output_cap = 100;
	cmd_argv[0] = "/bin/sleep";
	cmd_argv[1] = "2.5";
	cmd_argv[2] = NULL;
	g = guest_graph_new(tasks, 1, "");
	ticks = 0;
	guest_graph_run(g, &hooks, NULL, NULL);
	assert_true(ticks >= 1);
	guest_graph_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_guest_graph_orders_topologically),
	    cmocka_unit_test(test_guest_graph_rejects_cycle),
	    cmocka_unit_test(test_guest_graph_rejects_self_cycle),
	    cmocka_unit_test(test_guest_graph_rejects_unknown_data),
	    cmocka_unit_test(
	        test_guest_graph_rejects_two_producers_and_bad_names),
	    cmocka_unit_test(test_guest_graph_skips_dependents),
	    cmocka_unit_test(test_guest_graph_disable_and_undeclared_product),
	    cmocka_unit_test(test_guest_exec_exit_status_and_missing_program),
	    cmocka_unit_test(test_guest_exec_time_limit_kills_group),
	    cmocka_unit_test(test_guest_exec_output_cap),
	    cmocka_unit_test(test_guest_exec_output_flood_killed),
	    cmocka_unit_test(test_guest_exec_rlimits_apply_in_child),
	    cmocka_unit_test(
	        test_guest_exec_background_child_does_not_hold_task),
	    cmocka_unit_test(test_guest_exec_ticks_while_waiting),
	};

	log_set_prog("test_guest_taskgraph");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
