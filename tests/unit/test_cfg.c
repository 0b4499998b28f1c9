/* Unit tests for common/cfg.c and common/num.c: parsing, errors with
 * file:line, overrides, typed getters. */
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
#include "cfg.h"
#include "log.h"
#include "num.h"

/* Capture stderr into a file so error messages can be checked. */
static char errpath[] = "/tmp/test_cfg.XXXXXX";
static int saved_stderr = -1;

static void
capture_start(void)
{
	int fd = mkstemp(errpath);

	assert_true(fd >= 0);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *
capture_end(void)
{
	static char text[4096];
	FILE *f;
	size_t n;

	dup2(saved_stderr, 2);
	close(saved_stderr);
	f = fopen(errpath, "r");
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(errpath);
	memcpy(errpath, "/tmp/test_cfg.XXXXXX", sizeof(errpath));
	return text;
}

static void
test_cfg_load_string_sections_and_values(void **state)
{
	struct cfg *c = cfg_new();

	assert_int_equal(cfg_load_string(c, "t",
	                                 "# comment\n"
	                                 "[crawler]\n"
	                                 "index = https://x/simple/  \n"
	                                 "max-in-flight=64\n"
	                                 "\n"
	                                 "[platform debian-12]\n"
	                                 "python = 3.11\n"
	                                 "label = \"  spaced  \"\n"),
	                 0);
	assert_string_equal(cfg_get(c, "crawler", "index", NULL),
	                    "https://x/simple/");
	assert_string_equal(cfg_get(c, "platform debian-12", "python", NULL),
	                    "3.11");
	assert_string_equal(cfg_get(c, "platform debian-12", "label", NULL),
	                    "  spaced  ");
	assert_string_equal(cfg_get(c, "crawler", "nope", "def"), "def");
	cfg_free(c);
}

static void
test_cfg_load_string_error_names_line(void **state)
{
	struct cfg *c = cfg_new();
	char *err;

	capture_start();
	assert_int_equal(
	    cfg_load_string(c, "my.conf", "[a]\nk = 1\nthis is wrong\n"), -1);
	err = capture_end();
	assert_non_null(strstr(err, "my.conf:3: expected 'key = value'"));
	cfg_free(c);
}

static void
test_cfg_load_string_rejects_duplicates_and_orphans(void **state)
{
	struct cfg *c = cfg_new();
	char *err;

	capture_start();
	assert_int_equal(cfg_load_string(c, "f", "[a]\nk=1\nk=2\n"), -1);
	err = capture_end();
	assert_non_null(strstr(err, "f:3: 'k' set twice in [a]"));

	capture_start();
	assert_int_equal(cfg_load_string(c, "g", "k=1\n"), -1);
	err = capture_end();
	assert_non_null(strstr(err, "g:1: key 'k' outside any [section]"));

	capture_start();
	assert_int_equal(cfg_load_string(c, "h", "[bad section!]\n"), -1);
	err = capture_end();
	assert_non_null(strstr(err, "h:1:"));
	cfg_free(c);
}

static void
test_cfg_set_override_replaces(void **state)
{
	struct cfg *c = cfg_new();

	assert_int_equal(cfg_load_string(c, "t", "[runner]\nvms = 2\n"), 0);
	assert_int_equal(cfg_set_override(c, "runner.vms=4"), 0);
	assert_string_equal(cfg_get(c, "runner", "vms", NULL), "4");
	assert_int_equal(cfg_set_override(c, "platform debian-13.python=3.13"),
	                 0);
	assert_string_equal(cfg_get(c, "platform debian-13", "python", NULL),
	                    "3.13");
	capture_start();
	assert_int_equal(cfg_set_override(c, "novalue"), -1);
	assert_int_equal(cfg_set_override(c, "nosection=1"), -1);
	capture_end();
	cfg_free(c);
}

static void
test_cfg_get_int_range(void **state)
{
	struct cfg *c = cfg_new();
	int64_t v = 0;
	char *err;

	cfg_load_string(c, "t", "[s]\na = 12\nb = 99999\nc = x1\n");
	assert_int_equal(cfg_get_int(c, "s", "a", 0, 0, 100, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(cfg_get_int(c, "s", "missing", 7, 0, 100, &v), 0);
	assert_int_equal(v, 7);
	capture_start();
	assert_int_equal(cfg_get_int(c, "s", "b", 0, 0, 100, &v), -1);
	assert_int_equal(cfg_get_int(c, "s", "c", 0, 0, 100, &v), -1);
	err = capture_end();
	assert_non_null(strstr(err, "[s] b: '99999'"));
	cfg_free(c);
}

static void
test_cfg_get_bool_size_duration(void **state)
{
	struct cfg *c = cfg_new();
	uint64_t u = 0;
	int b = -1;

	cfg_load_string(c, "t",
	                "[s]\nyes = on\nno = false\nbad = maybe\n"
	                "sz = 64M\nd = 250ms\nd2 = 2m\nd3 = 5\n");
	assert_int_equal(cfg_get_bool(c, "s", "yes", 0, &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(cfg_get_bool(c, "s", "no", 1, &b), 0);
	assert_int_equal(b, 0);
	capture_start();
	assert_int_equal(cfg_get_bool(c, "s", "bad", 1, &b), -1);
	capture_end();
	assert_int_equal(cfg_get_size(c, "s", "sz", 0, &u), 0);
	assert_int_equal(u, 64ULL << 20);
	assert_int_equal(cfg_get_duration_ms(c, "s", "d", 0, &u), 0);
	assert_int_equal(u, 250);
	assert_int_equal(cfg_get_duration_ms(c, "s", "d2", 0, &u), 0);
	assert_int_equal(u, 120000);
	assert_int_equal(cfg_get_duration_ms(c, "s", "d3", 0, &u), 0);
	assert_int_equal(u, 5000);
	cfg_free(c);
}

static int
collect(const char *section, void *arg)
{
	return buf_addf(arg, "%s;", section);
}

static void
test_cfg_each_section_in_file_order(void **state)
{
	struct cfg *c = cfg_new();
	struct buf seen = BUF_INIT(256);

	cfg_load_string(c, "t",
	                "[platform b]\nx=1\ny=2\n[other]\nz=1\n"
	                "[platform a]\nx=1\n");
	assert_int_equal(cfg_each_section(c, "platform ", collect, &seen), 0);
	assert_string_equal(buf_cstr(&seen), "platform b;platform a;");
	buf_release(&seen);
	cfg_free(c);
}

static void
test_num_parse_rejects_junk(void **state)
{
	uint64_t u;
	int64_t i;

	assert_int_equal(num_parse_u64("18446744073709551615", UINT64_MAX, &u),
	                 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(num_parse_u64("18446744073709551616", UINT64_MAX, &u),
	                 -1);
	assert_int_equal(num_parse_u64("", 10, &u), -1);
	assert_int_equal(num_parse_u64("1 ", 10, &u), -1);
	assert_int_equal(num_parse_u64("-1", 10, &u), -1);
	assert_int_equal(num_parse_u64("11", 10, &u), -1);
	assert_int_equal(
	    num_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(num_parse_i64("-5", 0, 10, &i), -1);
	assert_int_equal(num_parse_size("1G", &u), 0);
	assert_true(u == 1ULL << 30);
	assert_int_equal(num_parse_size("1X", &u), -1);
	assert_int_equal(num_parse_duration_ms("ms", &u), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cfg_load_string_sections_and_values),
	    cmocka_unit_test(test_cfg_load_string_error_names_line),
	    cmocka_unit_test(
	        test_cfg_load_string_rejects_duplicates_and_orphans),
	    cmocka_unit_test(test_cfg_set_override_replaces),
	    cmocka_unit_test(test_cfg_get_int_range),
	    cmocka_unit_test(test_cfg_get_bool_size_duration),
	    cmocka_unit_test(test_cfg_each_section_in_file_order),
	    cmocka_unit_test(test_num_parse_rejects_junk),
	};

	log_set_prog("test_cfg");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
