/* Unit tests for common/os.c: bounded reads, mkdir -p, atomic writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "os.h"

static char dir[64];

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_os.XXXXXX");
	log_set_level(LOG_ERROR);
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

/* How many entries dir d holds. */
static int
entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;

	assert_non_null(dp);
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void
test_os_write_atomic_and_read(void **state)
{
	char p[128];
	struct buf b = BUF_INIT(8);

	path(p, sizeof(p), "f");
	assert_int_equal(os_write_atomic(p, "hello", 5, 0600), 0);
	/* Replacing leaves only the new file, no temporary beside it. */
	assert_int_equal(os_write_atomic(p, "123456", 6, 0600), 0);
	assert_int_equal(entries(dir), 1);
	assert_int_equal(buf_adds(&b, "ab"), 0);
	/* 2 + 6 = 8 fits exactly; one more byte does not, and a failed
	 * read leaves the buffer as it was. */
	assert_int_equal(os_read_file(p, &b), 0);
	assert_string_equal(buf_cstr(&b), "ab123456");
	buf_truncate(&b, 3);
	assert_int_equal(os_read_file(p, &b), -1);
	assert_string_equal(buf_cstr(&b), "ab1");
	path(p, sizeof(p), "absent");
	assert_int_equal(os_read_file(p, &b), -1);
	assert_string_equal(buf_cstr(&b), "ab1");
	buf_release(&b);
}

static void
test_os_mkdir_p(void **state)
{
	char p[128];
	struct stat st;

	path(p, sizeof(p), "a/b/c/");
	assert_int_equal(os_mkdir_p(p, 0700), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	path(p, sizeof(p), "a/b/c");
	assert_int_equal(os_mkdir_p(p, 0700), 0); /* exists: fine */
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* A file in the way is a failure. */
	path(p, sizeof(p), "file");
	assert_int_equal(os_write_atomic(p, "", 0, 0644), 0);
	path(p, sizeof(p), "file/sub");
	assert_int_equal(os_mkdir_p(p, 0755), -1);
	path(p, sizeof(p), "file");
	assert_int_equal(os_mkdir_p(p, 0755), -1);
}

static void
test_os_write_atomic_fails_cleanly(void **state)
{
	char p[128], d[128];

	path(p, sizeof(p), "nodir/f");
	assert_int_equal(os_write_atomic(p, "x", 1, 0644), -1);
	/* A directory at the target: the rename fails, no temporary stays. */
	path(d, sizeof(d), "sub");
	assert_int_equal(os_mkdir_p(d, 0755), 0);
	path(p, sizeof(p), "sub/target");
	assert_int_equal(os_mkdir_p(p, 0755), 0);
	assert_int_equal(os_write_atomic(p, "x", 1, 0644), -1);
	assert_int_equal(entries(d), 1);
	assert_int_equal(os_sync_dir(d), 0);
	path(p, sizeof(p), "nodir");
	assert_int_equal(os_sync_dir(p), -1);
}

static void
test_os_clocks(void **state)
{
	int64_t a = os_mono_ms(), b = os_mono_ms();

	assert_true(b >= a);
	/* After 2020-01-01 and before 2100. */
	assert_true(os_wall_ms() > INT64_C(1577836800000));
	assert_true(os_wall_ms() < INT64_C(4102444800000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_os_write_atomic_and_read,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_os_mkdir_p, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_os_write_atomic_fails_cleanly,
	                                    setup, teardown),
	    cmocka_unit_test(test_os_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
