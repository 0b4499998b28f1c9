/*
 * libFuzzer target: PEP 508 requirements and markers. What parses is
 * evaluated, printed with pep508_marker_str(), and the printed form must
 * parse again to a marker that evaluates the same (a round trip).
 */
#include "pep508.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_marker(const struct pep508_marker *m, const struct pep508_env *env)
{
	struct pep508_marker *again;
	char *s = pep508_marker_str(m);
	int r = pep508_marker_eval(m, env);

	if (r != 0 && r != 1 && r != PEP508_UNDEFINED)
		abort();
	/* A printed literal may hold a quote of the other kind, which the
	 * printer does not escape (neither does packaging): only round-trip
	 * what can be quoted. */
	if (!strchr(s, '\'') &&
	    pep508_marker_parse(s, strlen(s), &again, NULL) == 0) {
		if (pep508_marker_eval(again, env) != r)
			abort();
		pep508_marker_free(again);
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *extras[] = {"test", "docs"};
	struct pep508_env env;
	struct pep508_marker *m;
	struct pep508_req *r;

	pep508_env_cpython(&env, "3.11", NULL, "linux", NULL);
	if (pep508_marker_parse(s, size, &m, NULL) == 0) {
		check_marker(m, &env);
		pep508_marker_eval_extras(m, &env, extras, 2);
		pep508_marker_free(m);
	}
	if (pep508_req_parse(s, size, &r, NULL) == 0) {
		if (r->marker)
			check_marker(r->marker, &env);
		pep508_req_free(r);
	}
	return 0;
}
