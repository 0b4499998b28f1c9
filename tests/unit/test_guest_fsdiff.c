/* Unit tests for guest/fsdiff.c on a fake overlay (an "upper" and a
 * "lower" directory under /tmp): additions, real modifications versus
 * unchanged copy-ups, whiteouts, and diffs against a snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../guest/fsdiff.h"
#include "log.h"

static char root[] = "/tmp/test_guest_fsdiff.XXXXXX";
static char seen[4096];

static void
put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, 0644);
}

static void
record(const char *path, enum guest_fschange c, const char *sha, void *arg)
{
	char line[600];

	snprintf(line, sizeof(line), "%s %s%s\n", guest_fschange_name(c), path,
	         sha[0] ? " h" : "");
	strncat(seen, line, sizeof(seen) - strlen(seen) - 1);
}

static void
test_guest_fsdiff_overlay_changes(void **state)
{
	char up[256], low[256], p[512], cmd[600];
	struct guest_fsnap *s;
	int n;

	assert_non_null(mkdtemp(root));
	snprintf(up, sizeof(up), "%s/upper", root);
	snprintf(low, sizeof(low), "%s/lower", root);
	mkdir(up, 0755);
	mkdir(low, 0755);
	snprintf(p, sizeof(p), "%s/etc", up);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc", low);
	mkdir(p, 0755);
	put("lower/etc/same", "same\n");
	put("upper/etc/same", "same\n"); /* an unchanged copy-up */
	put("lower/etc/changed", "old\n");
	put("upper/etc/changed", "new\n");
	put("lower/etc/gone", "x\n");
	snprintf(p, sizeof(p), "%s/etc/gone", up);
	if (mknod(p, S_IFCHR | 0000, makedev(0, 0)) != 0) {
		skip(); /* no CAP_MKNOD: whiteouts cannot be faked here */
		return;
	}
	snprintf(p, sizeof(p), "%s/new", up);
	mkdir(p, 0755);
	put("upper/new/file", "n\n");

	seen[0] = '\0';
	n = guest_fsdiff(NULL, up, low, record, NULL);
	assert_int_equal(n, 4);
	assert_non_null(strstr(seen, "modified /etc/changed h\n"));
	assert_non_null(strstr(seen, "deleted /etc/gone\n"));
	assert_non_null(strstr(seen, "added /new\n"));
	assert_non_null(strstr(seen, "added /new/file h\n"));
	assert_null(strstr(seen, "/etc/same"));
	assert_null(strstr(seen, "added /etc\n"));

	/* against a snapshot: only what came after it */
	s = guest_fsnap_take(up, 1000);
	assert_int_equal(guest_fsnap_count(s, NULL), 6);
	put("upper/new/later", "l\n");
	seen[0] = '\0';
	n = guest_fsdiff(s, up, low, record, NULL);
	assert_int_equal(n, 1);
	assert_string_equal(seen, "added /new/later h\n");
	guest_fsnap_free(s);

	/* a capped snapshot says so */
	s = guest_fsnap_take(up, 2);
	{
		int capped = 0;

		assert_int_equal(guest_fsnap_count(s, &capped), 2);
		assert_true(capped);
	}
	guest_fsnap_free(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static int asked, allow;

/* The agent's heartbeat and time check: called before every entry. */
static int
more(void *arg)
{
	asked++;
	return asked <= allow;
}

static void
test_guest_fsdiff_bounded_beats_and_stops(void **state)
{
	char tmpl[] = "/tmp/test_guest_fsdiff_b.XXXXXX", p[600], cmd[700];
	int n, stopped = 0;

	assert_non_null(mkdtemp(tmpl));
	for (int i = 0; i < 20; i++) {
		FILE *f;

		snprintf(p, sizeof(p), "%s/f%02d", tmpl, i);
		f = fopen(p, "w");
		assert_non_null(f);
		fputs("x\n", f);
		fclose(f);
	}
	/* asked before each entry: the heartbeat runs through a long diff */
	asked = 0;
	allow = 1000;
	seen[0] = '\0';
	n = guest_fsdiff_bounded(NULL, tmpl, "/nonexistent-lower", record, NULL,
	                         more, &stopped);
	assert_int_equal(n, 20);
	assert_int_equal(asked, 20);
	assert_false(stopped);
	/* past its time: stops, says so, keeps what it saw */
	asked = 0;
	allow = 5;
	n = guest_fsdiff_bounded(NULL, tmpl, "/nonexistent-lower", record, NULL,
	                         more, &stopped);
	assert_int_equal(n, 5);
	assert_true(stopped);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_guest_fsdiff_overlay_changes),
	    cmocka_unit_test(test_guest_fsdiff_bounded_beats_and_stops),
	};

	log_set_prog("test_guest_fsdiff");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
