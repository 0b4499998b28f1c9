/*
 * A small, bounded reader for the JUnit XML pytest writes (--junitxml):
 * <testsuites><testsuite ...><testcase classname= name= time=> with an
 * optional <failure>, <error> or <skipped> child. The agent must not need
 * libxml2 (it is linked statically), and this subset is all pytest emits.
 * The file is package-influenced (test names, messages): attribute values
 * are length-capped and sanitized into valid UTF-8.
 */
#ifndef PYTI_GUEST_JUNIT_H
#define PYTI_GUEST_JUNIT_H

#include <jansson.h>
#include <stddef.h>

#define GUEST_JUNIT_MAX_CASES 5000

/*
 * Parse len bytes of JUnit XML into a new JSON object
 * {"totals":{tests,passed,failed,errors,skipped,duration_ms},
 *  "cases":[{classname,name,outcome,duration_ms,message}],
 *  "cases_dropped":N}. Returns a new reference, or NULL (logged) when the
 * text holds no <testsuite> or <testcase> at all.
 */
json_t *guest_junit_parse(const char *xml, size_t len);

#endif
