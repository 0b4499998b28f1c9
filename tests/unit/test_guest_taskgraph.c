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

#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "log.h"
#include "os.h"
#include "../../guest/cgroup.h"
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
	/* not asked for is not a failure, and neither is what needed it */
	assert_int_equal(guest_graph_find(g, "a")->outcome,
	                 GUEST_NOT_REQUESTED);
	assert_int_equal(guest_graph_find(g, "b")->outcome,
	                 GUEST_NOT_REQUESTED);
	assert_string_equal(guest_outcome_name(GUEST_NOT_REQUESTED),
	                    "not_requested");
	assert_string_equal(guest_graph_find(g, "b")->reason,
	                    "not requested: needs x, which a was not "
	                    "requested to produce");
	assert_int_equal(guest_task_produce(guest_graph_find(g, "a"), "y"), -1);
	guest_graph_free(g);
}

/* ---- guest_task_exec with real, harmless commands ---- */

static const char *cmd_argv[8];
static struct guest_cmd cmd_opts; /* extra options for run_cmd */
static int cmd_result;

static enum guest_outcome
run_cmd(struct guest_task_run *tr, void *arg)
{
	struct guest_cmd cmd = cmd_opts;

	cmd.argv = cmd_argv;
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

/* A tick hook that reaps the command itself: the executor's own
 * waitpid() then sees ECHILD, and the status is lost. */
static void
reap_tick(void *arg)
{
	int st;

	while (waitpid(-1, &st, 0) < 0 && errno == EINTR)
		;
}

static void
test_guest_exec_lost_status_is_not_success(void **state)
{
	static struct guest_task tasks[1] = {T("cmd", "", "", run_cmd)};
	struct guest_hooks hooks = {.tick = reap_tick};
	struct guest_graph *g;
	struct guest_task_run *tr;

	tasks[0].limits.timeout_ms = 20000;
	tasks[0].limits.output_cap = 100;
	cmd_argv[0] = "/bin/sh";
	cmd_argv[1] = "-c";
	cmd_argv[2] = "sleep 1; exit 0";
	cmd_argv[3] = NULL;
	g = guest_graph_new(tasks, 1, "");
	guest_graph_run(g, &hooks, NULL, NULL);
	tr = guest_graph_task(g, 0);
	assert_true(tr->lost_status);
	assert_int_equal(tr->exit_status, -1);
	assert_int_not_equal(cmd_result, 0);
	assert_int_equal(tr->outcome, GUEST_FAILED);
	guest_graph_free(g);
}

static void
test_guest_graph_job_deadline(void **state)
{
	static const struct guest_task tasks[] = {
	    T("a", "", "x", run_cmd),
	    T("b", "", "y", run_produce),
	};
	struct guest_graph *g = guest_graph_new(tasks, 2, "");
	struct guest_task_run *tr;

	/* a's own limit is 0 (none): the job's deadline still ends it */
	cmd_argv[0] = "/bin/sleep";
	cmd_argv[1] = "30";
	cmd_argv[2] = NULL;
	guest_graph_set_deadline(g, os_mono_ms() + 300);
	order[0] = '\0';
	guest_graph_run(g, NULL, NULL, NULL);
	tr = guest_graph_find(g, "a");
	assert_true(tr->timed_out);
	assert_int_equal(tr->outcome, GUEST_TIMEOUT);
	tr = guest_graph_find(g, "b");
	assert_int_equal(tr->outcome, GUEST_SKIPPED);
	assert_string_equal(tr->reason,
	                    "no time left before the job's deadline");
	assert_string_equal(order, "");
	guest_graph_free(g);
}

static void
test_guest_graph_shares_roll_over(void **state)
{
	static struct guest_task tasks[] = {
	    T("quick", "", "x", run_produce),
	    T("slow", "x", "y", run_cmd),
	};
	static const int shares[] = {500, 500};
	struct guest_graph *g;
	struct guest_task_run *tr;
	int64_t t0;

	tasks[1].limits.timeout_ms = 600000;
	g = guest_graph_new(tasks, 2, "");
	cmd_argv[0] = "/bin/true";
	cmd_argv[1] = NULL;
	t0 = os_mono_ms();
	guest_graph_set_deadline(g, t0 + 200000);
	guest_graph_set_shares(g, shares);
	order[0] = '\0';
	guest_graph_run(g, NULL, NULL, NULL);
	tr = guest_graph_find(g, "slow");
	/* half of 200 s planned; "quick" used almost nothing of its half,
	 * so "slow" gets nearly all of it (never past its own 600 s) */
	assert_true(tr->limits.timeout_ms > 150000);
	assert_true(tr->limits.timeout_ms <= 200000);
	tr = guest_graph_find(g, "quick");
	assert_true(tr->limits.timeout_ms >= 60000); /* the floor */
	assert_true(tr->limits.timeout_ms <= 100000);
	guest_graph_free(g);
}

/* The agent's own work inside a task is credited back to its limit, never
 * past the job's deadline. */
static enum guest_outcome
run_credit(struct guest_task_run *tr, void *arg)
{
	int64_t *seen = arg, before = tr->deadline;

	guest_task_credit(tr, 5000);
	seen[0] = tr->deadline - before;
	guest_task_credit(tr, 10000000);
	seen[1] = tr->deadline;
	return GUEST_OK;
}

static void
test_guest_task_credit(void **state)
{
	static struct guest_task tasks[] = {T("a", "", "", run_credit)};
	struct guest_graph *g;
	int64_t seen[2], end;

	tasks[0].limits.timeout_ms = 60000;
	g = guest_graph_new(tasks, 1, "");
	end = os_mono_ms() + 100000;
	guest_graph_set_deadline(g, end);
	guest_graph_run(g, NULL, NULL, seen);
	assert_int_equal(seen[0], 5000);
	assert_int_equal(seen[1], end); /* capped at the job's deadline */
	guest_graph_free(g);
}

static char cg_dir[128];

/* 1 if pid is gone (or only a zombie waiting to be reaped). */
static int
gone(long pid)
{
	char p[64], buf[512], *e;
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "/proc/%ld/stat", pid);
	f = fopen(p, "r");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	e = strrchr(buf, ')');
	return e && (e[2] == 'Z' || e[2] == 'X');
}

static long
pid_from(const char *file)
{
	FILE *f = fopen(file, "r");
	long pid = 0;

	for (int i = 0; !f && i < 100; i++) {
		usleep(20000);
		f = fopen(file, "r");
	}
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

static int
cg_setup(void **state)
{
	snprintf(cg_dir, sizeof(cg_dir), "pyti-unit-%d", (int)getpid());
	return 0;
}

static void
test_guest_exec_detached_process_ends_task(void **state)
{
	struct guest_limits l = {.timeout_ms = 60000, .output_cap = 4096};
	struct guest_graph *g;
	struct guest_task_run *tr;
	char pidfile[64];
	int64_t t0;
	long pid;

	if (guest_cg_init("/sys/fs/cgroup/unified", cg_dir, 0) != 0 &&
	    guest_cg_init("/sys/fs/cgroup", cg_dir, 0) != 0)
		skip(); /* no writable cgroup2 here */
	snprintf(pidfile, sizeof(pidfile), "/tmp/pyti-unit-detach-%d",
	         (int)getpid());
	unlink(pidfile);
	/* a daemon: new session, holding the output pipe, while the
	 * command itself waits for it (as pip waits for the backend) */
	memset(&cmd_opts, 0, sizeof(cmd_opts));
	cmd_opts.detach_check = 1;
	t0 = os_mono_ms();
	{
		char script[256];

		snprintf(script, sizeof(script),
		         "setsid sh -c 'echo $$ > %s; exec sleep 45' & "
		         "wait; sleep 45",
		         pidfile);
		tr = run_one(&g, &l, "/bin/sh", "-c", script);
	}
	pid = pid_from(pidfile);
	assert_true(pid > 0);
	assert_int_equal(tr->detached, 1);
	assert_int_equal(tr->detached_pid, pid);
	assert_non_null(strstr(tr->detached_cmd, "sleep 45"));
	assert_true(gone(pid));
	assert_false(tr->timed_out);
	/* not a timing assertion: only that it did not wait for the
	 * sleeps nor for the limit */
	assert_true(os_mono_ms() - t0 < 40000);
	guest_graph_free(g);

	/* reparented away (double fork, same session) */
	unlink(pidfile);
	{
		char script[256];

		snprintf(script, sizeof(script),
		         "(sh -c 'echo $$ > %s; exec sleep 45' &); sleep 45",
		         pidfile);
		tr = run_one(&g, &l, "/bin/sh", "-c", script);
	}
	pid = pid_from(pidfile);
	assert_int_equal(tr->detached, 1);
	assert_int_equal(tr->detached_pid, pid);
	assert_true(gone(pid));
	guest_graph_free(g);

	/* without the check, the command ends normally and what it left
	 * behind is killed with it */
	unlink(pidfile);
	cmd_opts.detach_check = 0;
	{
		char script[256];

		snprintf(script, sizeof(script),
		         "setsid sh -c 'echo $$ > %s; exec sleep 45' "
		         ">/dev/null 2>&1 & sleep 0.5; echo done",
		         pidfile);
		tr = run_one(&g, &l, "/bin/sh", "-c", script);
	}
	pid = pid_from(pidfile);
	assert_true(pid > 0);
	assert_int_equal(cmd_result, 0);
	assert_int_equal(tr->detached, 0);
	assert_true(gone(pid));
	guest_graph_free(g);
	unlink(pidfile);
	memset(&cmd_opts, 0, sizeof(cmd_opts));
	{
		char p[256];

		snprintf(p, sizeof(p), "/sys/fs/cgroup/unified/%s", cg_dir);
		rmdir(p);
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s", cg_dir);
		rmdir(p);
	}
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
	    cmocka_unit_test(test_guest_exec_lost_status_is_not_success),
	    cmocka_unit_test(test_guest_graph_job_deadline),
	    cmocka_unit_test(test_guest_graph_shares_roll_over),
	    cmocka_unit_test(test_guest_task_credit),
	    cmocka_unit_test_setup(test_guest_exec_detached_process_ends_task,
	                           cg_setup),
	};

	log_set_prog("test_guest_taskgraph");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
