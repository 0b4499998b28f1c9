/* Unit tests for scheduler/artifact.c: a first stage's returned wheel is
 * used by the second stage only when this host's store holds exactly its
 * bytes under its sha256 and its name is a wheel of the cell's project. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artifact.h"
#include "log.h"
#include "sha256.h"
#include "tmpstore.h"

static char store[] = "/tmp/test_sched_artifact.XXXXXX";
static const char wheel[] = "PK\003\004 the wheel";
static char sha[SHA256_HEX_LEN + 1];
static const char name[] = "Foo_Bar-1.0-py3-none-any.whl";

static void
put(const char *key, const char *data, size_t len)
{
	assert_int_equal(tmpstore_put(store, key, data, len), 0);
}

static int
check(const char *project, const char *n, const char *s, int64_t size,
      char *why)
{
	return sched_artifact_check(store, project, n, s, size, why, 512);
}

static void
test_sched_artifact_check_usable(void **state)
{
	char why[512] = "";
	char upper[SHA256_HEX_LEN + 1];

	put(sha, wheel, sizeof(wheel) - 1);
	assert_int_equal(
	    check("foo-bar", name, sha, (int64_t)sizeof(wheel) - 1, why), 0);
	/* any spelling of the project, any case of the digest */
	for (size_t i = 0; i <= SHA256_HEX_LEN; i++)
		upper[i] =
		    (char)(sha[i] >= 'a' && sha[i] <= 'f' ? sha[i] - 'a' + 'A'
		                                          : sha[i]);
	assert_int_equal(
	    check("Foo.Bar", name, upper, (int64_t)sizeof(wheel) - 1, why), 0);
}

static void
test_sched_artifact_check_refused(void **state)
{
	char why[512] = "", other[SHA256_HEX_LEN + 1];
	int64_t n = (int64_t)sizeof(wheel) - 1;

	put(sha, wheel, sizeof(wheel) - 1);
	/* no artifact at all */
	assert_int_equal(check("foo-bar", NULL, NULL, -1, why),
	                 SCHED_ARTIFACT_UNUSABLE);
	/* another project's wheel, not a wheel, a path */
	assert_int_equal(check("foo", name, sha, n, why),
	                 SCHED_ARTIFACT_UNUSABLE);
	assert_non_null(strstr(why, "is not a wheel of 'foo'"));
	assert_int_equal(check("foo-bar", "foo_bar-1.0.tar.gz", sha, n, why),
	                 SCHED_ARTIFACT_UNUSABLE);
	assert_non_null(strstr(why, "not a wheel filename"));
	assert_int_equal(
	    check("foo-bar", "../foo_bar-1.0-py3-none-any.whl", sha, n, why),
	    SCHED_ARTIFACT_UNUSABLE);
	/* a bad digest, a size the file does not have */
	assert_int_equal(check("foo-bar", name, "abc", n, why),
	                 SCHED_ARTIFACT_UNUSABLE);
	assert_int_equal(check("foo-bar", name, sha, n + 1, why),
	                 SCHED_ARTIFACT_UNUSABLE);
	assert_non_null(strstr(why, "size"));
	/* not in this host's store */
	sha256_hex("other bytes", 11, other);
	assert_int_equal(check("foo-bar", name, other, 11, why),
	                 SCHED_ARTIFACT_UNUSABLE);
	assert_non_null(strstr(why, "not in this host's store"));
	/* in the store under its name, but the bytes changed since */
	put(other, "other byteZ", 11);
	assert_int_equal(check("foo-bar", name, other, 11, why),
	                 SCHED_ARTIFACT_UNUSABLE);
	assert_non_null(strstr(why, "does not match its sha256"));
	/* no store */
	assert_int_equal(
	    sched_artifact_check(NULL, "foo-bar", name, sha, n, why, 512),
	    SCHED_ARTIFACT_UNUSABLE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sched_artifact_check_usable),
	    cmocka_unit_test(test_sched_artifact_check_refused),
	};
	int ret;

	log_set_prog("test_sched_artifact");
	log_set_level(LOG_ERROR + (getenv("V") ? 3 : 0));
	if (!mkdtemp(store))
		return 1;
	sha256_hex(wheel, sizeof(wheel) - 1, sha);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (tmpstore_remove(store))
		ret = 1;
	return ret;
}
