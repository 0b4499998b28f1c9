/*
 * One job's life on this runner: reset a VM, hand the job and its files
 * in, wait for the results under an overall timeout and a no-output
 * timeout, take the results out, classify; retry infrastructure failures
 * on a freshly reset VM up to a limit. The result is one raw results
 * document (docs/runner.md, "raw document") plus its classification,
 * ready for the spool and the queue.
 *
 * Two executors run an attempt: a pool VM (production, `pyti-run test`)
 * or a command (`--executor=exec:CMD`: the same queue protocol, no VM;
 * for queue tests and for trying the runner without images).
 */
#ifndef PYTI_RUN_JOB_H
#define PYTI_RUN_JOB_H

#include <jansson.h>
#include <stdint.h>

#include "classify.h"

struct run_vm;

struct run_limits {
	int64_t timeout_ms; /* overall, from END_ to DONE */
	int64_t silence_ms; /* most time without a frame from the agent */
	int64_t hello_ms; /* restore to HELO */
	int64_t frame_ms; /* most time for one frame (0: RUN_FRAME_MS) */
	uint64_t max_in; /* most bytes accepted from the guest */
	int infra_retries; /* extra attempts after infra failures */
	const char *store; /* content-addressed file store, or NULL */
	int local_paths; /* accept "path" in file entries (pyti-run test) */
};

/*
 * Called about once a second while an attempt runs. Return 0 to go on,
 * non-zero to abort the attempt (lease lost, shutting down).
 */
typedef int (*run_tick_fn)(void *arg);

/* How to run one attempt. */
struct run_executor {
	struct run_vm *vm; /* a pool slot, or NULL for exec */
	const char *platform;
	const char *exec_cmd; /* with vm == NULL: /bin/sh -c CMD */
	int chan; /* exec_cmd speaks the agent's side of the channel on
		     its stdin/stdout (tests: a misbehaving agent without
		     a VM, through the same code as a VM's channel) */
};

/* Seconds the agent keeps from the job timeout to hand results out. */
#define RUN_HANDOUT_MARGIN_S 120

/*
 * The "deadline_s" of the agent's spec: seconds from JOB_ until the
 * runner gives up, minus the hand-out margin (at least 60). The agent
 * fits its task limits inside it.
 */
int64_t run_deadline_s(const struct run_limits *lim);

/* The end of a job on this runner. */
struct run_outcome {
	const char *cls; /* "package" or "infra" (static) */
	char *outcome; /* package or infra outcome name (owned) */
	enum run_infra infra; /* the last infra failure, or NONE */
	int infra_retries; /* infra failures retried on the way */
	int aborted; /* the tick asked to stop: not an outcome */
	int64_t duration_ms;
	json_t *raw; /* the raw results document (new reference) */
	char *raw_text; /* raw as JSON text, made once (owned) */
};

void run_outcome_release(struct run_outcome *o);

/*
 * Run the job whose queue spec is `spec` (JSON text) with id job_id and
 * attempt number `attempt` on executor x. Always fills *out (even for an
 * infrastructure outcome); returns 0, or 1 when the tick aborted it (then
 * out->aborted is set and nothing should be completed).
 */
int run_job_run(const struct run_executor *x, const struct run_limits *lim,
                int64_t job_id, int attempt, const char *spec, run_tick_fn tick,
                void *tick_arg, struct run_outcome *out);

#endif
