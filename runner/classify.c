/*
 * Outcome classification. The tables are the contract with the agent
 * (docs/raw-data.md 4.3) and with the reporter (docs/runner.md): a new
 * package outcome must be added here before the runner accepts it.
 */
#include "classify.h"

#include <libvirt/libvirt.h>
#include <string.h>

static const char *const infra_names[RUN_INFRA_COUNT] = {
    [RUN_INFRA_NONE] = "none",
    [RUN_INFRA_VM_CRASHED] = "vm-crashed",
    [RUN_INFRA_VM_DIED] = "vm-died",
    [RUN_INFRA_AGENT_SILENT] = "agent-silent",
    [RUN_INFRA_TIMEOUT] = "timeout",
    [RUN_INFRA_OOM] = "out-of-memory",
    [RUN_INFRA_DISK_FULL] = "disk-full",
    [RUN_INFRA_LIBVIRT] = "libvirt-error",
    [RUN_INFRA_PROTOCOL] = "protocol-error",
    [RUN_INFRA_AGENT_ERROR] = "agent-error",
    [RUN_INFRA_HOST] = "host-error",
    [RUN_INFRA_EXEC] = "exec-error",
    [RUN_INFRA_BAD_SPEC] = "bad-spec",
};

static const char *const package_outcomes[] = {
    "passed",
    "tests_failed",
    "tests_timeout",
    "no_tests",
    "import_failed",
    "install_failed",
    "build_failed",
    "invalid_dist",
    "resource_exceeded",
    /* docs/raw-data.md 4.3: pyti's gap (a dependency not delivered),
       pytest's own failures (not the package's), an empty task list */
    "deps_missing",
    "tests_interrupted",
    "tests_internal_error",
    "tests_usage_error",
    "tests_deps_missing",
    "not_requested",
};

const char *
run_infra_name(enum run_infra i)
{
	if ((int)i < 0 || i >= RUN_INFRA_COUNT)
		return "unknown";
	return infra_names[i];
}

int
run_infra_is_host(enum run_infra i)
{
	return i == RUN_INFRA_HOST || i == RUN_INFRA_LIBVIRT;
}

int
run_infra_is_final(enum run_infra i)
{
	return i == RUN_INFRA_BAD_SPEC;
}

int
run_infra_retryable(enum run_infra i)
{
	return i != RUN_INFRA_NONE && i != RUN_INFRA_HOST &&
	       !run_infra_is_final(i);
}

const char *
run_classify_result(const json_t *rslt, const char **why)
{
	const json_t *o;
	const char *s;
	size_t i;

	if (!json_is_object(rslt)) {
		*why = "results are not a JSON object";
		return NULL;
	}
	o = json_object_get(rslt, "outcome");
	if (!json_is_string(o)) {
		*why = "results have no outcome";
		return NULL;
	}
	s = json_string_value(o);
	for (i = 0; i < sizeof(package_outcomes) / sizeof(*package_outcomes);
	     i++)
		if (strcmp(s, package_outcomes[i]) == 0)
			return s;
	*why = "results carry an unknown outcome";
	return NULL;
}

enum run_infra
run_classify_agent_error(const char *text)
{
	if (!text)
		return RUN_INFRA_AGENT_ERROR;
	if (strstr(text, "No space left") || strstr(text, "ENOSPC") ||
	    strstr(text, "Disk quota exceeded"))
		return RUN_INFRA_DISK_FULL;
	if (strstr(text, "Cannot allocate memory") || strstr(text, "ENOMEM") ||
	    strstr(text, "Out of memory") || strstr(text, "out of memory"))
		return RUN_INFRA_OOM;
	return RUN_INFRA_AGENT_ERROR;
}

enum run_infra
run_classify_domain(int state, int reason)
{
	switch (state) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		return RUN_INFRA_NONE;
	case VIR_DOMAIN_CRASHED:
	case VIR_DOMAIN_PMSUSPENDED:
		return RUN_INFRA_VM_CRASHED;
	case VIR_DOMAIN_PAUSED:
		/* Paused but alive (suspended, I/O error): a hung guest,
		 * which the no-output timeout reports as agent-silent. */
		return reason == VIR_DOMAIN_PAUSED_CRASHED
		           ? RUN_INFRA_VM_CRASHED
		           : RUN_INFRA_NONE;
	case VIR_DOMAIN_SHUTOFF:
		return reason == VIR_DOMAIN_SHUTOFF_CRASHED
		           ? RUN_INFRA_VM_CRASHED
		           : RUN_INFRA_VM_DIED;
	default:
		return RUN_INFRA_VM_DIED;
	}
}
