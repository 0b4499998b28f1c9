/*
 * Data-driven tests of crawler/simple.c: every file in
 * tests/fixtures/simple/ is parsed (root-* as a root listing, others as a
 * project page; .json as PEP 691, .html as PEP 503) with the page URL
 * https://example.org/simple/case/, and the result compared with the file
 * beside it named <file>.expected: either "serial N", for a page a line
 * "status S REASON" when its PEP 792 status is not plain active, and one
 * line per project/file, or "error <text>" where <text> must appear in the
 * logged message. Adding a case needs no C.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fixtures.h"
#include "jx.h"
#include "log.h"
#include "os.h"
#include "simple.h"

#define URL "https://example.org/simple/case/"

/* Run one case; returns 0 when it matched, printing a diagnosis if not. */
static int
run_case(const char *dir, const char *name)
{
	char errpath[] = "/tmp/test_crawl_simple.XXXXXX";
	struct buf body = BUF_INIT(0), want = BUF_INIT(0), got = BUF_INIT(0),
	           err = BUF_INIT(0);
	const char *ext = strrchr(name, '.');
	const char *ct = !strcmp(ext, ".json") ? SIMPLE_JSON_TYPE : "text/html";
	int is_root = !strncmp(name, "root-", 5);
	int fd, saved, rc, ok;
	size_t i;

	if (fixtures_read(dir, name, &body, &want)) {
		buf_release(&body);
		buf_release(&want);
		return -1;
	}

	fd = mkstemp(errpath);
	saved = dup(2);
	dup2(fd, 2);
	if (is_root) {
		struct simple_root r;

		rc = simple_parse_root(body.data, body.len, ct, URL, &r);
		if (rc == 0) {
			buf_addf(&got, "serial %lld\n", (long long)r.serial);
			for (i = 0; i < r.n; i++)
				buf_addf(&got, "%s %s %lld\n",
				         r.projects[i].norm,
				         r.projects[i].display,
				         (long long)r.projects[i].serial);
		}
		simple_root_release(&r);
	} else {
		struct simple_page p;

		rc = simple_parse_page(body.data, body.len, ct, URL, &p);
		if (rc == 0) {
			buf_addf(&got, "serial %lld\n", (long long)p.serial);
			/* PEP 792, when it is more than the default */
			if ((p.status && strcmp(p.status, "active")) ||
			    p.status_reason)
				buf_addf(&got, "status %s %s\n",
				         p.status ? p.status : "-",
				         p.status_reason ? p.status_reason
				                         : "-");
			for (i = 0; i < json_array_size(p.files); i++) {
				char *s = jx_dumps(json_array_get(p.files, i));

				buf_addf(&got, "%s\n", s);
				free(s);
			}
		}
		simple_page_release(&p);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	os_read_file(errpath, &err);
	unlink(errpath);

	if (!strncmp(buf_cstr(&want), "error ", 6)) {
		char *nl = strchr(want.data, '\n');

		if (nl)
			*nl = '\0';
		ok = rc == -1 && strstr(buf_cstr(&err), want.data + 6);
	} else {
		ok = rc == 0 && !strcmp(buf_cstr(&got), buf_cstr(&want));
	}
	if (!ok)
		fprintf(stderr,
		        "# %s: rc %d\n# got:\n%.2000s# want:\n%.2000s# "
		        "log:\n%.2000s",
		        name, rc, buf_cstr(&got), buf_cstr(&want),
		        buf_cstr(&err));
	buf_release(&body);
	buf_release(&want);
	buf_release(&got);
	buf_release(&err);
	return ok ? 0 : -1;
}

static void
test_simple_fixtures(void **state)
{
	static const char *const exts[] = {".json", ".html", NULL};
	int cases;

	assert_int_equal(fixtures_run("simple", exts, run_case, &cases), 0);
	assert_true(cases >= 20);
}

static void
test_simple_content_kind(void **state)
{
	assert_int_equal(simple_content_kind(SIMPLE_JSON_TYPE), 1);
	assert_int_equal(
	    simple_content_kind(SIMPLE_JSON_TYPE "; charset=utf-8"), 1);
	assert_int_equal(simple_content_kind("text/html; charset=UTF-8"), 0);
	assert_int_equal(
	    simple_content_kind("application/vnd.pypi.simple.v1+html"), 0);
	assert_int_equal(simple_content_kind("text/plain"), -1);
	assert_int_equal(simple_content_kind(NULL), -1);
}

static void
test_simple_root_find(void **state)
{
	const char *json = "{\"projects\":[{\"name\":\"B\",\"_last-serial\":2},"
	                   "{\"name\":\"a\",\"_last-serial\":1}]}";
	struct simple_root r;
	const struct simple_project *p;

	assert_int_equal(
	    simple_parse_root(json, strlen(json), SIMPLE_JSON_TYPE, URL, &r),
	    0);
	p = simple_root_find(&r, "b");
	assert_non_null(p);
	assert_string_equal(p->display, "B");
	assert_int_equal(p->serial, 2);
	assert_null(simple_root_find(&r, "c"));
	simple_root_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simple_fixtures),
	    cmocka_unit_test(test_simple_content_kind),
	    cmocka_unit_test(test_simple_root_find),
	};

	log_set_prog("test_crawl_simple");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
