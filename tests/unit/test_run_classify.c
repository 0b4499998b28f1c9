/* Unit tests for runner/classify.c: package outcomes vs infrastructure
 * outcomes, from agent results, agent errors and libvirt domain states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libvirt/libvirt.h>
#include <string.h>

#include "classify.h"
#include "jx.h"

static const char *
outcome_of(const char *json, const char **why)
{
	static json_t *keep;
	json_t *j = jx_parse(json, strlen(json), "test");

	json_decref(keep);
	keep = j;
	*why = NULL;
	return run_classify_result(j, why);
}

static void
test_run_classify_result_package_outcomes(void **state)
{
	const char *why;

	assert_string_equal(outcome_of("{\"outcome\":\"passed\"}", &why),
	                    "passed");
	assert_string_equal(outcome_of("{\"outcome\":\"tests_failed\"}", &why),
	                    "tests_failed");
	assert_string_equal(
	    outcome_of("{\"outcome\":\"resource_exceeded\"}", &why),
	    "resource_exceeded");
	assert_string_equal(outcome_of("{\"outcome\":\"install_failed\","
	                               "\"hostile\":true}",
	                               &why),
	                    "install_failed");
	/* the agent's newer outcomes (docs/raw-data.md 4.3) */
	assert_string_equal(outcome_of("{\"outcome\":\"deps_missing\"}", &why),
	                    "deps_missing");
	assert_string_equal(
	    outcome_of("{\"outcome\":\"tests_usage_error\"}", &why),
	    "tests_usage_error");
	assert_string_equal(outcome_of("{\"outcome\":\"not_requested\"}", &why),
	                    "not_requested");
}

static void
test_run_classify_result_garbage_is_not_the_package(void **state)
{
	const char *why;

	assert_null(outcome_of("{\"outcome\":\"vm-crashed\"}", &why));
	assert_non_null(why);
	assert_null(outcome_of("{\"outcome\":7}", &why));
	assert_string_equal(why, "results have no outcome");
	assert_null(outcome_of("{}", &why));
	assert_null(outcome_of("[\"passed\"]", &why));
	assert_string_equal(why, "results are not a JSON object");
	assert_null(run_classify_result(NULL, &why));
}

static void
test_run_classify_agent_error_kinds(void **state)
{
	assert_int_equal(run_classify_agent_error(
	                     "cannot write /tmp/x: No space left on device"),
	                 RUN_INFRA_DISK_FULL);
	assert_int_equal(
	    run_classify_agent_error("fork: Cannot allocate memory"),
	    RUN_INFRA_OOM);
	assert_int_equal(run_classify_agent_error("sha256 mismatch for x.whl"),
	                 RUN_INFRA_AGENT_ERROR);
	assert_int_equal(run_classify_agent_error(NULL), RUN_INFRA_AGENT_ERROR);
}

static void
test_run_classify_domain_states(void **state)
{
	assert_int_equal(run_classify_domain(VIR_DOMAIN_RUNNING, 0),
	                 RUN_INFRA_NONE);
	assert_int_equal(run_classify_domain(VIR_DOMAIN_CRASHED,
	                                     VIR_DOMAIN_CRASHED_PANICKED),
	                 RUN_INFRA_VM_CRASHED);
	assert_int_equal(
	    run_classify_domain(VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_CRASHED),
	    RUN_INFRA_VM_CRASHED);
	assert_int_equal(
	    run_classify_domain(VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER),
	    RUN_INFRA_NONE);
	assert_int_equal(
	    run_classify_domain(VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_CRASHED),
	    RUN_INFRA_VM_CRASHED);
	assert_int_equal(run_classify_domain(VIR_DOMAIN_SHUTOFF,
	                                     VIR_DOMAIN_SHUTOFF_DESTROYED),
	                 RUN_INFRA_VM_DIED);
	assert_int_equal(run_classify_domain(VIR_DOMAIN_NOSTATE, 0),
	                 RUN_INFRA_VM_DIED);
}

static void
test_run_infra_names_and_retry(void **state)
{
	int i;

	for (i = 0; i < RUN_INFRA_COUNT; i++) {
		assert_non_null(run_infra_name(i));
		assert_string_not_equal(run_infra_name(i), "unknown");
	}
	assert_string_equal(run_infra_name(RUN_INFRA_VM_CRASHED), "vm-crashed");
	assert_string_equal(run_infra_name(RUN_INFRA_COUNT), "unknown");
	assert_true(run_infra_retryable(RUN_INFRA_AGENT_SILENT));
	assert_true(run_infra_retryable(RUN_INFRA_VM_DIED));
	assert_false(run_infra_retryable(RUN_INFRA_HOST));
	assert_false(run_infra_retryable(RUN_INFRA_NONE));
	/* a spec no host can run: never retried, refunded, or requeued */
	assert_string_equal(run_infra_name(RUN_INFRA_BAD_SPEC), "bad-spec");
	assert_false(run_infra_retryable(RUN_INFRA_BAD_SPEC));
	assert_false(run_infra_is_host(RUN_INFRA_BAD_SPEC));
	assert_true(run_infra_is_final(RUN_INFRA_BAD_SPEC));
	assert_false(run_infra_is_final(RUN_INFRA_HOST));
	assert_false(run_infra_is_final(RUN_INFRA_TIMEOUT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_classify_result_package_outcomes),
	    cmocka_unit_test(
	        test_run_classify_result_garbage_is_not_the_package),
	    cmocka_unit_test(test_run_classify_agent_error_kinds),
	    cmocka_unit_test(test_run_classify_domain_states),
	    cmocka_unit_test(test_run_infra_names_and_retry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
