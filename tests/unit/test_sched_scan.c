/*
 * Unit tests of the record scanner (scheduler/scan.h): the fields it
 * keeps agree with what jansson reads from the same text (escapes,
 * surrogates, duplicate keys, types), and malformed text is refused
 * with a reason, as jansson refuses it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

static const char *
str_or_null(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
same_str(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* Scan text and check every kept field against jansson's reading. */
static void
agree(const char *text)
{
	struct sched_rec r;
	char err[200];
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	int rc = sched_rec_scan(&r, text, strlen(text), err, sizeof(err));
	if (!j || !json_is_object(j)) {
		if (rc != -1)
			fprintf(stderr, "accepted what jansson refuses: %s\n",
			        text);
		assert_int_equal(rc, -1);
		assert_true(strlen(err) > 0);
		json_decref(j);
		return;
	}
	assert_int_equal(rc, 0);
	same_str(r.name, str_or_null(j, "name"));
	same_str(r.status, str_or_null(j, "status"));
	json_t *serial = json_object_get(j, "serial");
	assert_int_equal(r.serial, json_is_integer(serial)
	                               ? json_integer_value(serial)
	                               : -1);
	json_t *files = json_object_get(j, "files");
	assert_int_equal(r.has_files, json_is_array(files));
	if (!json_is_array(files))
		goto out;
	assert_int_equal(r.nfiles, json_array_size(files));
	for (size_t i = 0; i < r.nfiles; i++) {
		json_t *f = json_array_get(files, i);
		const struct sched_rec_file *g = &r.files[i];
		assert_int_equal(g->is_object, json_is_object(f));
		if (!json_is_object(f))
			continue;
		same_str(g->filename, str_or_null(f, "filename"));
		same_str(g->sha256, str_or_null(f, "sha256"));
		same_str(g->url, str_or_null(f, "url"));
		same_str(g->requires_python, str_or_null(f, "requires_python"));
		json_t *y = json_object_get(f, "yanked");
		assert_int_equal(g->yanked,
		                 y && !json_is_false(y) && !json_is_null(y));
		json_t *sz = json_object_get(f, "size");
		assert_int_equal(g->size, json_is_integer(sz) &&
		                                  json_integer_value(sz) >= 0
		                              ? json_integer_value(sz)
		                              : -1);
		json_t *cm = json_object_get(f, "core_metadata");
		const char *want =
		    json_is_object(cm) ? str_or_null(cm, "sha256")
		    : json_is_true(cm) ? str_or_null(f, "core_metadata_sha256")
		                       : NULL;
		same_str(g->metadata_sha256, want);
	}
out:
	json_decref(j);
	if (rc == 0)
		sched_rec_release(&r);
}

static void
test_sched_scan_agrees(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    "{}",
	    "{\"name\":\"Foo\",\"serial\":12,\"status\":\"active\","
	    "\"files\":[]}",
	    " { \"files\" : [ { \"filename\" : \"foo-1.0.tar.gz\" , "
	    "\"size\" : 408 } ] , \"name\" : \"x\" } ",
	    "{\"files\":[{\"filename\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"}]}",
	    "{\"files\":[{\"filename\":\"\\u00e9\\u20ac\\ud83d\\ude00x\"}]}",
	    "{\"files\":[{\"filename\":\"caf\xc3\xa9-1.0.tar.gz\"}]}",
	    "{\"files\":[{\"yanked\":\"broken\"},{\"yanked\":false},"
	    "{\"yanked\":null},{\"yanked\":0},{\"yanked\":true}]}",
	    "{\"files\":[{\"size\":-1},{\"size\":1.5},{\"size\":1e3},"
	    "{\"size\":\"12\"},{\"size\":9223372036854775807}]}",
	    "{\"files\":[{\"core_metadata\":{\"sha256\":\"ab\"}},"
	    "{\"core_metadata\":true,\"core_metadata_sha256\":\"cd\"},"
	    "{\"core_metadata_sha256\":\"ef\",\"core_metadata\":true},"
	    "{\"core_metadata\":false,\"core_metadata_sha256\":\"gh\"},"
	    "{\"core_metadata\":{\"x\":[1,{\"y\":null}]}}]}",
	    "{\"files\":[1,\"x\",null,[],{\"filename\":null}]}",
	    "{\"name\":\"a\",\"name\":\"b\",\"files\":[],\"files\":"
	    "[{\"filename\":\"z\"}]}",
	    "{\"files\":{\"filename\":\"x\"}}",
	    "{\"serial\":-0,\"other\":[[[[]]]],\"o\":{\"p\":{}}}",
	    "{\"serial\":99999999999999999999}",
	    "{\"serial\":-9223372036854775808}",
	    "{\"serial\":9223372036854775808}",
	    /* malformed: jansson refuses each, so must the scanner */
	    "",
	    "[]",
	    "{\"files\":[}",
	    "{\"files\":[{\"filename\":\"x\"}]",
	    "{\"files\":[{\"filename\":\"x\"}]} x",
	    "{\"a\":\"\\x\"}",
	    "{\"a\":\"\\u12\"}",
	    "{\"a\":\"\\ud800\"}",
	    "{\"a\":\"\\udc00\"}",
	    "{\"a\":\"\\u0000\"}",
	    "{\"a\":\"tab\there\"}",
	    "{\"a\":01}",
	    "{\"a\":1.}",
	    "{\"a\":-}",
	    "{\"a\":tru}",
	    "{\"a\" 1}",
	    "{\"a\":1,}",
	    "{a:1}",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		agree(cases[i]);
}

static void
test_sched_scan_bounds(void **state)
{
	(void)state;
	struct sched_rec r;
	char err[200];
	/* nesting past the bound is refused, not recursed into */
	size_t n = 10000;
	char *deep = malloc(2 * n + 16);
	memcpy(deep, "{\"x\":", 5);
	memset(deep + 5, '[', n);
	memset(deep + 5 + n, ']', n);
	size_t l = 5 + 2 * n;
	deep[l++] = '}';
	deep[l] = 0;
	assert_int_equal(sched_rec_scan(&r, deep, l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nested deeper"));
	free(deep);
	/* a record truncated anywhere is refused */
	const char *t = "{\"files\":[{\"filename\":\"a\\u00e9\",\"size\":1}]}";
	for (size_t k = 0; k < strlen(t); k++)
		assert_int_equal(sched_rec_scan(&r, t, k, err, sizeof(err)),
		                 -1);
	assert_int_equal(sched_rec_scan(&r, t, strlen(t), err, sizeof(err)), 0);
	assert_string_equal(r.files[0].filename, "a\xc3\xa9");
	sched_rec_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sched_scan_agrees),
	    cmocka_unit_test(test_sched_scan_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
