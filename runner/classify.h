/*
 * Whose fault was it? A job ends either with a package outcome -- the
 * agent ran the task graph and said what the distribution did (passed,
 * tests_failed, install_failed, ...; docs/raw-data.md 4.3) -- or with an
 * infrastructure outcome: the VM crashed or panicked, the agent went
 * silent, the job ran out of time, the VM ran out of memory or disk, the
 * hypervisor failed, the guest broke the protocol. Infrastructure outcomes
 * are retried on a freshly reset VM and never reported as the package's
 * fault. These functions are pure: they only look at what they are given.
 */
#ifndef PYTI_RUN_CLASSIFY_H
#define PYTI_RUN_CLASSIFY_H

#include <jansson.h>

enum run_infra {
	RUN_INFRA_NONE = 0, /* not an infrastructure outcome */
	RUN_INFRA_VM_CRASHED, /* guest kernel panic / crash event */
	RUN_INFRA_VM_DIED, /* the domain stopped: destroyed, QEMU died */
	RUN_INFRA_AGENT_SILENT, /* no frame for the no-output timeout */
	RUN_INFRA_TIMEOUT, /* the overall job timeout passed */
	RUN_INFRA_OOM, /* the guest ran out of memory */
	RUN_INFRA_DISK_FULL, /* the guest's overlay/tmpfs filled up */
	RUN_INFRA_LIBVIRT, /* a libvirt call failed (restore, ...) */
	RUN_INFRA_PROTOCOL, /* bad frame, bad JSON, cap exceeded */
	RUN_INFRA_AGENT_ERROR, /* the agent said it could not run the job */
	RUN_INFRA_HOST, /* this host cannot run it (file missing) */
	RUN_INFRA_EXEC, /* exec executor: the command failed */
	RUN_INFRA_BAD_SPEC, /* the job's spec can never run, on any host */
	RUN_INFRA_COUNT
};

/* The stable name of an infrastructure outcome ("vm-crashed", ...);
 * "none" for RUN_INFRA_NONE. Static string. */
const char *run_infra_name(enum run_infra i);

/*
 * Whether an infrastructure outcome is worth retrying on a fresh VM of
 * this runner. RUN_INFRA_HOST is not (the job goes back to the queue for
 * another runner), nor a final one. 1 or 0.
 */
int run_infra_retryable(enum run_infra i);

/*
 * Whether an infrastructure outcome is this host's fault, not the job's
 * nor its guest's (libvirt failed, a store file missing, the spool
 * full): such a release does not consume the job's attempt. 1 or 0.
 */
int run_infra_is_host(enum run_infra i);

/*
 * Whether an infrastructure outcome is final: the job itself cannot run
 * anywhere (RUN_INFRA_BAD_SPEC: its spec is not an object, names a file
 * twice, too many deps...), so it is dead-lettered at once, never
 * retried nor refunded. 1 or 0.
 */
int run_infra_is_final(enum run_infra i);

/*
 * The package outcome of an agent's raw results object (RSLT): returns
 * its "outcome" string (borrowed from rslt) when it is one of the known
 * package outcomes, else NULL and *why set to a static reason: a result
 * we cannot read is the agent's failure, not the package's.
 */
const char *run_classify_result(const json_t *rslt, const char **why);

/*
 * The infrastructure outcome an agent's ERR_ text stands for: out of
 * memory and disk full are recognised from the errno texts the agent
 * quotes; anything else is RUN_INFRA_AGENT_ERROR.
 */
enum run_infra run_classify_agent_error(const char *text);

/*
 * Classify a domain that is no longer running, from libvirt's state and
 * reason (virDomainGetState): crashed or panicked -> RUN_INFRA_VM_CRASHED,
 * any other stop -> RUN_INFRA_VM_DIED; RUN_INFRA_NONE while it runs or
 * is paused without a crash (a hung guest: the no-output timeout decides).
 */
enum run_infra run_classify_domain(int state, int reason);

#endif
