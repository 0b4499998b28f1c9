/*
 * Tests of common/store.c without a network: the path of a digest, the
 * streaming writer (verify while writing, caps, reset before a retry,
 * commit only on a match) and the removal of dead processes' temporary
 * files when a store is opened, and store_get() where no byte crosses
 * the network (a file already stored, an invalid digest, a refused
 * connection). What crosses HTTP is in tests/t/t0030-store-get.sh and
 * tests/t/t0205-crawl-download.sh.
 */
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
#include "sha256.h"
#include "../helper/common/quickfetch.h"
#include "store.h"

/* sha256("abc"), FIPS 180-4. */
#define ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

struct env {
	char dir[64];
	struct store *s;
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct store_opts o;

	snprintf(e->dir, sizeof(e->dir), "/tmp/test_store.XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	o.dir = e->dir;
	o.max_metadata = 1024;
	o.max_dist = 1024;
	e->s = store_open(&o);
	*state = e;
	return e->s ? 0 : -1;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	store_close(e->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd))
		return -1;
	free(e);
	return 0;
}

static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
tmp_entries(const struct env *e)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/tmp", e->dir);
	return entries(p);
}

static void
test_store_writer_commit(void **state)
{
	struct env *e = *state;
	char err[256];
	struct store_writer *w;
	struct buf p = BUF_INIT(0);
	FILE *f;
	char got[8] = "";

	assert_int_equal(store_has(e->s, ABC, -1), 0);
	w = store_writer_new(e->s, ABC, 3, 1024, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(tmp_entries(e), 1);
	assert_int_equal(store_writer_write(w, "a", 1), 0);
	assert_int_equal(store_writer_write(w, "bc", 2), 0);
	assert_int_equal(store_writer_commit(w), 0);
	assert_int_equal(store_writer_bytes(w), 3);
	store_writer_free(w);
	assert_int_equal(tmp_entries(e), 0);
	assert_int_equal(store_has(e->s, ABC, -1), 1);
	assert_int_equal(store_has(e->s, ABC, 3), 1);
	assert_int_equal(store_has(e->s, ABC, 4), 0);
	cas_path(e->dir, ABC, &p);
	f = fopen(buf_cstr(&p), "rb");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, sizeof(got) - 1, f), 3);
	fclose(f);
	assert_string_equal(got, "abc");
	buf_release(&p);
}

static void
test_store_writer_mismatch(void **state)
{
	struct env *e = *state;
	char err[256];
	struct store_writer *w;

	w = store_writer_new(e->s, ABC, -1, 1024, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(store_writer_write(w, "abd", 3), 0);
	assert_int_equal(store_writer_commit(w), -1);
	assert_non_null(strstr(store_writer_error(w),
	                       "sha256 mismatch: expected " ABC ", got "));
	store_writer_free(w);
	assert_int_equal(store_has(e->s, ABC, -1), 0);
	assert_int_equal(tmp_entries(e), 0);
	assert_int_equal(entries(e->dir), 1); /* only tmp/ */
}

static void
test_store_writer_truncated(void **state)
{
	struct env *e = *state;
	char err[256];
	struct store_writer *w;

	w = store_writer_new(e->s, ABC, 3, 1024, err, sizeof(err));
	assert_int_equal(store_writer_write(w, "ab", 2), 0);
	assert_int_equal(store_writer_commit(w), -1);
	assert_string_equal(store_writer_error(w), "truncated: 2 of 3 bytes");
	store_writer_free(w);
	assert_int_equal(store_has(e->s, ABC, -1), 0);
	assert_int_equal(tmp_entries(e), 0);
}

static void
test_store_writer_caps(void **state)
{
	struct env *e = *state;
	char err[256], big[600];
	struct store_writer *w;

	memset(big, 'x', sizeof(big));
	/* Over the index's size. */
	w = store_writer_new(e->s, ABC, 3, 1024, err, sizeof(err));
	assert_int_equal(store_writer_write(w, "abcd", 4), -1);
	assert_string_equal(store_writer_error(w),
	                    "longer than the index's size of 3 bytes");
	assert_int_equal(store_writer_write(w, "a", 1), -1);
	assert_int_equal(store_writer_commit(w), -1);
	store_writer_free(w);
	/* Over the cap, size unknown. */
	w = store_writer_new(e->s, ABC, -1, 1000, err, sizeof(err));
	assert_int_equal(store_writer_write(w, big, sizeof(big)), 0);
	assert_int_equal(store_writer_write(w, big, sizeof(big)), -1);
	assert_string_equal(store_writer_error(w),
	                    "larger than the cap of 1000 bytes");
	store_writer_free(w);
	assert_int_equal(store_has(e->s, ABC, -1), 0);
	assert_int_equal(tmp_entries(e), 0);
}

static void
test_store_writer_reset(void **state)
{
	struct env *e = *state;
	char err[256];
	struct store_writer *w;

	/* A first try sends garbage and is cut; the retry starts over. */
	w = store_writer_new(e->s, ABC, 3, 1024, err, sizeof(err));
	assert_int_equal(store_writer_write(w, "zz", 2), 0);
	store_writer_reset(w);
	assert_int_equal(store_writer_bytes(w), 0);
	assert_int_equal(store_writer_write(w, "abc", 3), 0);
	assert_int_equal(store_writer_commit(w), 0);
	store_writer_free(w);
	assert_int_equal(store_has(e->s, ABC, 3), 1);
}

static void
test_store_writer_bad_sha(void **state)
{
	struct env *e = *state;
	char err[256];

	assert_null(store_writer_new(e->s, "zz", -1, 10, err, sizeof(err)));
	assert_string_equal(err, "invalid sha256 'zz'");
	assert_null(store_writer_new(e->s, NULL, -1, 10, err, sizeof(err)));
}

static void
test_store_open_cleans_tmp(void **state)
{
	struct env *e = *state;
	struct store_opts o = {e->dir, 10, 10};
	struct store *s2;
	char p[256];
	FILE *f;

	/* A dead process's file (pid 999999999 cannot exist on Linux,
	 * pid_max is at most 2^22), a malformed name, and one of a live
	 * process (ours). */
	snprintf(p, sizeof(p), "%s/tmp/999999999.1.0123456789abcdef", e->dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/tmp/junk", e->dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/tmp/%ld.77.0123456789abcdef", e->dir,
	         (long)getpid());
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	s2 = store_open(&o);
	assert_non_null(s2);
	assert_int_equal(tmp_entries(e), 1);
	assert_int_equal(access(p, F_OK), 0);
	unlink(p);
	store_close(s2);
}

static void
test_store_get_present(void **state)
{
	struct env *e = *state;
	struct store_writer *w;
	struct fetch *f = quick_fetch("test_store", 5000);
	struct buf path = BUF_INIT(0);
	char err[256], want[256];

	w = store_writer_new(e->s, ABC, 3, 10, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(store_writer_write(w, "abc", 3), 0);
	assert_int_equal(store_writer_commit(w), 0);
	store_writer_free(w);
	/* Port 1 refuses: a path back means no request was made. The
	 * digest in capitals is the same file. */
	assert_int_equal(store_get(e->s, f, "http://127.0.0.1:1/abc.metadata",
	                           "BA7816BF8F01CFEA414140DE5DAE2223B00361A396"
	                           "177A9CB410FF61F20015AD",
	                           STORE_METADATA, &path, err, sizeof(err)),
	                 0);
	snprintf(want, sizeof(want), "%s/ba/%s", e->dir, ABC);
	assert_string_equal(buf_cstr(&path), want);
	buf_release(&path);
	fetch_free(f);
}

static void
test_store_get_invalid(void **state)
{
	struct env *e = *state;
	struct fetch *f = quick_fetch("test_store", 5000);
	struct buf path = BUF_INIT(0);
	char err[256];

	buf_adds(&path, "untouched");
	assert_int_equal(store_get(e->s, f, "http://127.0.0.1:1/x", "abc",
	                           STORE_METADATA, &path, err, sizeof(err)),
	                 1);
	assert_string_equal(err, "invalid sha256 'abc'");
	assert_int_equal(store_get(e->s, f, "http://127.0.0.1:1/x", NULL,
	                           STORE_METADATA, &path, err, sizeof(err)),
	                 1);
	assert_string_equal(buf_cstr(&path), "untouched");
	buf_release(&path);
	fetch_free(f);
}

static void
test_store_get_refused(void **state)
{
	struct env *e = *state;
	struct fetch *f = quick_fetch("test_store", 5000);
	struct buf path = BUF_INIT(0);
	char err[256];

	assert_int_equal(store_get(e->s, f, "http://127.0.0.1:1/abc.metadata",
	                           ABC, STORE_METADATA, &path, err,
	                           sizeof(err)),
	                 1);
	assert_true(strlen(err) > 0);
	assert_int_equal(store_has(e->s, ABC, -1), 0);
	assert_int_equal(tmp_entries(e), 0);
	assert_int_equal(path.len, 0);
	buf_release(&path);
	fetch_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_store_writer_commit, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_writer_mismatch, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_writer_truncated, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_writer_caps, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_writer_reset, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_writer_bad_sha, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_open_cleans_tmp, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_get_present, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_get_invalid, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_store_get_refused, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
