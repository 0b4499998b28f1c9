/*
 * The task graph: the heart of pyti-agent. A task declares the data it
 * needs and the data it produces (space-separated names such as "wheel" or
 * "installed"); guest_graph_new() checks the declarations once -- every
 * needed name has exactly one producer or is a job input, no cycles -- and
 * fixes a topological order. guest_graph_run() then runs the tasks in that
 * order; a task whose needs are not all available is not run and is marked
 * "skipped: needs X, which T did not produce".
 *
 * A task runs package code only through guest_task_exec(), which applies
 * the task's limits: a wall-clock time limit for the whole task (the
 * child's process group is killed when it passes), an output cap (output
 * beyond it is counted and dropped; past a hard limit the group is
 * killed), and rlimits (RLIMIT_AS, NPROC, FSIZE, CPU, NOFILE) set in the
 * child, optionally after dropping to an unprivileged uid. The one data
 * structure to understand is struct guest_task_run: what one task did.
 */
#ifndef PYTI_GUEST_TASKGRAPH_H
#define PYTI_GUEST_TASKGRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct guest_graph;
struct guest_task_run;

enum guest_outcome {
	GUEST_OK = 0, /* the task did its work */
	GUEST_FAILED, /* the package's code made it fail */
	GUEST_SKIPPED, /* not run; reason says why */
	GUEST_TIMEOUT, /* its time limit killed it */
	GUEST_ERROR, /* the agent could not run it: not the package's fault */
	GUEST_NOT_REQUESTED, /* the job did not ask for it (or for the task
				that produces what it needs) */
};

/* "ok", "failed", "skipped", "timeout", "error", "not_requested"
 * (static). */
const char *guest_outcome_name(enum guest_outcome o);

/* Limits of one task; 0 in any field means "no limit / leave as is". */
struct guest_limits {
	int timeout_ms; /* wall clock for the whole task */
	size_t output_cap; /* bytes of output kept in the task's log */
	size_t output_kill; /* total output after which the group is killed */
	uint64_t as; /* RLIMIT_AS, bytes */
	uint64_t nproc; /* RLIMIT_NPROC (counts every process of the uid) */
	uint64_t fsize; /* RLIMIT_FSIZE, bytes */
	uint64_t cpu; /* RLIMIT_CPU, seconds */
	uint64_t nofile; /* RLIMIT_NOFILE */
};

/*
 * A task declaration, usually a static table. run() returns the task's
 * outcome and may call guest_task_produce() for each datum it made; it may
 * produce data even when it returns GUEST_SKIPPED (e.g. "build" of a
 * wheel, which is not applicable but passes the wheel on).
 */
struct guest_task {
	const char *name; /* unique; [a-z_]+ */
	const char *needs; /* space-separated data names, "" for none */
	const char *produces; /* space-separated, "" for none */
	struct guest_limits limits;
	enum guest_outcome (*run)(struct guest_task_run *tr, void *arg);
};

/* What one task did. Filled by the executor and the task. */
struct guest_task_run {
	const struct guest_task *task; /* borrowed, from the table */
	struct guest_limits limits; /* effective limits */
	enum guest_outcome outcome;
	char reason[256]; /* "" when there is nothing to say */
	int64_t started_ms, ended_ms; /* wall clock, Unix ms; 0 if not run */
	int exit_status; /* of the last command; -1 if none or
					  killed by a signal */
	int signal; /* signal that ended the last command */
	int commands; /* commands run by guest_task_exec() */
	struct buf log; /* output of all commands, capped */
	uint64_t output_bytes; /* all output seen, kept or not */
	int timed_out; /* a command hit the time limit */
	int output_capped; /* output passed output_cap */
	int output_killed; /* ... and output_kill: group killed */
	int64_t deadline; /* monotonic ms; 0: none */
	int detached; /* a process of the task left its session or
				     was reparented away: the task was ended */
	long detached_pid; /* the first such process */
	char detached_cmd[512]; /* its command line, NULs as spaces */
	int lost_status; /* the command's exit status was lost (ECHILD):
				     exit_status is -1, never a made-up 0 */
	struct guest_graph *graph; /* borrowed: the running graph */
};

/* Called by the executor around tasks and about every 250 ms while a
 * command runs (heartbeats, sampling). Any pointer may be NULL. */
struct guest_hooks {
	void (*started)(const struct guest_task_run *tr, void *arg);
	void (*ended)(const struct guest_task_run *tr, void *arg);
	void (*tick)(void *arg);
};

/*
 * Check and order n task declarations (the table must outlive the graph).
 * `inputs` names the data the job provides before any task runs
 * (space-separated). Returns a new graph (guest_graph_free()), or NULL
 * with the reason logged: a duplicate task name, a datum produced by two
 * tasks, a need that nothing produces ("unknown data 'X' needed by T"), a
 * cycle ("cycle: a -> b -> a"), or a bad name.
 */
struct guest_graph *guest_graph_new(const struct guest_task *tasks, size_t n,
                                    const char *inputs);

void guest_graph_free(struct guest_graph *g);

/* Number of tasks, and the i-th in execution order (borrowed; valid
 * until guest_graph_free()). */
size_t guest_graph_count(const struct guest_graph *g);
struct guest_task_run *guest_graph_task(struct guest_graph *g, size_t i);

/* The run of the task called name, or NULL. Borrowed. */
struct guest_task_run *guest_graph_find(struct guest_graph *g,
                                        const char *name);

/* Do not run this task (its outcome is GUEST_NOT_REQUESTED, and so is
 * that of every task that needs what it would have produced). Returns 0, or -1 (logged) for an unknown name. */
int guest_graph_disable(struct guest_graph *g, const char *name);

/* The job's own deadline (monotonic ms, 0: none): no task's deadline
 * passes it, and a task that would start after it is skipped ("no time
 * left before the job's deadline"). */
void guest_graph_set_deadline(struct guest_graph *g, int64_t mono_ms);

/* The agent's own work done inside task tr took ms (making the build
 * venv): it does not count against the package's limit. tr's deadline
 * moves ms later, never past the job's deadline; a no-op for a task
 * without a deadline. */
void guest_task_credit(struct guest_task_run *tr, int64_t ms);

/* With a job deadline: each task, when it starts, gets shares[task
 * index] (permille) of the time left among the tasks still to run (what
 * earlier tasks did not use rolls over), at least a minute, never more
 * than its own limit. */
void guest_graph_set_shares(struct guest_graph *g, const int *permille);

/* 1 if the task exists and was not disabled. */
int guest_graph_has_enabled(const struct guest_graph *g, const char *name);

/* Replace a task's limits (before guest_graph_run). -1 if unknown. */
int guest_graph_set_limits(struct guest_graph *g, const char *name,
                           const struct guest_limits *l);

/*
 * Run every task in order, calling hooks (may be NULL) with hook_arg, and
 * passing task_arg to each task. Returns the number of tasks whose outcome
 * is not GUEST_OK and not GUEST_SKIPPED (0: all fine); never fails: a
 * task that cannot run is GUEST_ERROR.
 */
int guest_graph_run(struct guest_graph *g, const struct guest_hooks *hooks,
                    void *hook_arg, void *task_arg);

/* 1 if the datum is available (a job input or produced so far), else 0. */
int guest_graph_has(const struct guest_graph *g, const char *datum);

/*
 * Mark datum as produced by the running task. It must be one of the
 * task's declared products: returns 0, or -1 (logged) otherwise.
 */
int guest_task_produce(struct guest_task_run *tr, const char *datum);

/* Set the task's reason (printf-style, truncated to fit). */
void guest_task_reason(struct guest_task_run *tr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* How guest_task_exec() runs a command. */
struct guest_cmd {
	const char *const *argv; /* argv[0] is a path: no PATH search */
	const char *const *envp; /* NULL: an empty environment */
	const char *cwd; /* NULL: inherit */
	uid_t uid; /* run as this uid/gid ... */
	gid_t gid;
	int drop; /* ... when set (the agent runs as root) */
	int reap_uid; /* after the command, SIGKILL every process
				     of uid (escaped daemons); needs
				     uid != 0. Also when not dropping: a
				     command (strace -u) may switch to uid
				     itself */
	int detach_check; /* end the command (and report it in
				     tr->detached) as soon as one of its
				     processes detaches: a new session, or
				     reparented to the agent */
};

/*
 * Run a command under the task's limits, appending its output (stdout and
 * stderr together) to tr->log up to the cap. The command runs in a cgroup
 * of its own when guest_cg_init() succeeded (cgroup.h); every process in
 * it is killed when the command ends (and with cmd->reap_uid, every
 * process of the uid as well). The time left is the task's:
 * tr->deadline. On timeout the process group is killed (SIGKILL) and
 * tr->timed_out set. The graph's tick hook is called while it waits.
 * Returns the exit status (0..255), 128 + N when killed
 * by signal N, or -1 (logged, nothing ran) when the command could not be
 * started. tr->exit_status and tr->signal are updated. A status lost to
 * ECHILD (someone else reaped the command) returns 255 with
 * tr->lost_status set and tr->exit_status -1.
 */
int guest_task_exec(struct guest_task_run *tr, const struct guest_cmd *cmd);

#endif
