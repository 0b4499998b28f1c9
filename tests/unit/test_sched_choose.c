/*
 * Unit tests of the scheduler's pure parts: Requires-Python as pip 23.0.1
 * decides it (packaging 21.3's legacy clauses, invalid values ignored),
 * the file choice on small records (build tags, yanked, pre-releases,
 * the release's sdist), the priority formula and the string map.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "choose.h"
#include "jx.h"
#include "log.h"
#include "map.h"
#include "platform.h"
#include "queue.h"

static void
test_sched_requires_python(void **state)
{
	(void)state;
	assert_true(sched_requires_python_ok(">=3.8", "3.11.2"));
	assert_false(sched_requires_python_ok(">=3.12", "3.11.2"));
	assert_true(sched_requires_python_ok("", "3.11.2"));
	/* not a specifier set: pip ignores it */
	assert_true(sched_requires_python_ok("3.6", "3.11.2"));
	assert_true(sched_requires_python_ok("~=3.6.*", "3.9.2"));
	/* LegacySpecifier clauses compare LegacyVersion keys */
	assert_true(sched_requires_python_ok(">=3.6.*", "3.11.2"));
	assert_false(sched_requires_python_ok(">=3.12.*", "3.11.2"));
	assert_false(sched_requires_python_ok("<=3.10.*", "3.11.2"));
	assert_true(
	    sched_requires_python_ok(">=2.7, !=3.0.*, !=3.1.*", "3.9.2"));
	assert_false(sched_requires_python_ok("!=3.11.*", "3.11.2"));
	assert_false(sched_requires_python_ok(">3.11.2", "3.11.2"));
}

static void
load(struct sched_project *p, const char *files_json)
{
	char text[4096];
	snprintf(text, sizeof(text), "{\"name\":\"Foo\",\"files\":%s}",
	         files_json);
	json_t *rec = jx_parse(text, strlen(text), "record");
	assert_non_null(rec);
	assert_int_equal(sched_project_load(p, "foo", rec), 0);
	json_decref(rec);
}

static const char *
choose(const char *files, const struct sched_platform *pl, enum sched_pre pre,
       char *reason, size_t rl)
{
	static char name[256];
	struct sched_project p;
	struct sched_choice ch;
	struct sched_choose_opts o = {pre, SCHED_YANKED_FALLBACK, 0};
	load(&p, files);
	sched_choose(&p, pl, &o, &ch);
	snprintf(name, sizeof(name), "%s",
	         ch.file >= 0 ? p.files[ch.file].name : "-");
	if (reason)
		snprintf(reason, rl, "%s", ch.reason);
	sched_project_release(&p);
	return name;
}

#define F(n) "{\"filename\":\"" n "\",\"sha256\":null,\"yanked\":false}"
#define FY(n) "{\"filename\":\"" n "\",\"yanked\":\"bad\"}"
#define FR(n, rp) "{\"filename\":\"" n "\",\"requires_python\":\"" rp "\"}"

/* One case of the choice on debian-12: the record's files, the
 * pre-release rule, the file chosen ("-": none) and a part of the reason
 * (NULL: not checked). */
static const struct choose_case {
	const char *files;
	enum sched_pre pre;
	const char *want;
	const char *why;
} choose_cases[] = {
    /* build tags as numbers, then their rest */
    {"[" F("foo-1.0-2-py3-none-any.whl") "," F(
         "foo-1.0-10-py3-none-any.whl") "," F("foo-1.0-py3-none-any.whl") "]",
     SCHED_PRE_FALLBACK, "foo-1.0-10-py3-none-any.whl", NULL},
    /* a better tag beats a build tag; a wheel beats the sdist */
    {"[" F("foo-1.0-9-py3-none-any.whl") "," F(
         "foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl") "," F("foo-1.0.tar."
                                                                "gz") "]",
     SCHED_PRE_FALLBACK, "foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", NULL},
    /* yanked only when nothing else, even over a newer version */
    {"[" FY("foo-2.0.tar.gz") "," F("foo-1.0.tar.gz") "]", SCHED_PRE_FALLBACK,
     "foo-1.0.tar.gz", NULL},
    {"[" FY("foo-2.0.tar.gz") "]", SCHED_PRE_FALLBACK, "foo-2.0.tar.gz", NULL},
    /* pre-releases only when there is nothing else */
    {"[" F("foo-2.0b1.tar.gz") "," F("foo-1.0.tar.gz") "]", SCHED_PRE_FALLBACK,
     "foo-1.0.tar.gz", NULL},
    {"[" F("foo-2.0b1.tar.gz") "]", SCHED_PRE_FALLBACK, "foo-2.0b1.tar.gz",
     NULL},
    {"[" F("foo-2.0b1.tar.gz") "]", SCHED_PRE_NEVER, "-", "only pre-releases"},
    /* an older release when the newest has nothing for the cell */
    {"[" F("foo-2.0-cp313-cp313-manylinux_2_17_x86_64.whl") "," F(
         "foo-1.0-py3-none-any.whl") "]",
     SCHED_PRE_FALLBACK, "foo-1.0-py3-none-any.whl", NULL},
    /* nothing: the reason names the rule */
    {"[" FR("foo-1.0.tar.gz", ">=3.12") "]", SCHED_PRE_FALLBACK, "-",
     "requires-python excludes"},
    {"[" FR("foo-1.0.tar.gz", ">=3.12") "]", SCHED_PRE_FALLBACK, "-", ">=3.12"},
    {"[" F("foo-1.0-cp311-cp311-win_amd64.whl") "]", SCHED_PRE_FALLBACK, "-",
     "no compatible wheel and no sdist"},
    {"[" F("bar-1.0.tar.gz") "," F("foo-1.0.egg") "]", SCHED_PRE_FALLBACK, "-",
     NULL},
    {"[]", SCHED_PRE_FALLBACK, "-", "no files"},
};

static void
test_sched_choose_rules(void **state)
{
	struct sched_platforms ps;
	struct cfg *c = cfg_new();
	char why[512];
	(void)state;
	assert_int_equal(sched_platforms_load(&ps, c, "debian-12"), 0);
	const struct sched_platform *pl = &ps.v[0];
	assert_string_equal(pl->python_full, "3.11.2");
	assert_string_equal(pl->tag_platform, "manylinux_2_36_x86_64");
	for (size_t i = 0; i < sizeof(choose_cases) / sizeof(*choose_cases);
	     i++) {
		const struct choose_case *k = &choose_cases[i];
		const char *got =
		    choose(k->files, pl, k->pre, why, sizeof(why));
		if (strcmp(got, k->want) || (k->why && !strstr(why, k->why)))
			print_message("case %zu: %s: chose '%s', reason '%s'\n",
			              i, k->files, got, why);
		assert_string_equal(got, k->want);
		if (k->why)
			assert_non_null(strstr(why, k->why));
	}
	sched_platforms_release(&ps);
	cfg_free(c);
}

/* [schedule] no-binary: the release's sdist, an older release's when the
 * newest has only wheels, and a reason naming the rule when no release
 * has one; pip's order otherwise. */
static void
test_sched_choose_no_binary(void **state)
{
	static const struct {
		const char *files, *want, *why;
	} cases[] = {
	    {"[" F("foo-1.0-py3-none-any.whl") "," F("foo-1.0.tar.gz") "]",
	     "foo-1.0.tar.gz", NULL},
	    {"[" F("foo-2.0-py3-none-any.whl") "," F("foo-1.0.tar.gz") "]",
	     "foo-1.0.tar.gz", NULL},
	    {"[" F("foo-1.0-py3-none-any.whl") "]", "-", "no sdist"},
	    {"[" F("foo-1.0-py3-none-any.whl") "]", "-", "no-binary"},
	};
	struct sched_platforms ps;
	struct cfg *c = cfg_new();
	(void)state;
	assert_int_equal(sched_platforms_load(&ps, c, "debian-12"), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sched_project p;
		struct sched_choice ch;
		struct sched_choose_opts o = {0};
		o.no_binary = 1;
		load(&p, cases[i].files);
		sched_choose(&p, &ps.v[0], &o, &ch);
		assert_string_equal(ch.file >= 0 ? p.files[ch.file].name : "-",
		                    cases[i].want);
		if (cases[i].why)
			assert_non_null(strstr(ch.reason, cases[i].why));
		sched_project_release(&p);
	}
	sched_platforms_release(&ps);
	cfg_free(c);
}

static void
test_sched_choose_hostile(void **state)
{
	struct sched_platforms ps;
	struct cfg *c = cfg_new();
	struct sched_project p;
	(void)state;
	assert_int_equal(sched_platforms_load(&ps, c, NULL), 0);
	assert_int_equal(ps.n, 3);
	/* malformed entries are kept as non-candidates, never a crash */
	load(
	    &p,
	    "[1, {}, {\"filename\": 5}, {\"filename\": \"\"}," F(
	        "foo-1.0-py3-"
	        "none-any-x."
	        "whl") "," F("foo-1.0-p.y.3-n.o.n.e-a.n.y.whl") "," F("foo-."
	                                                              "tar.gz") "," F("-1.0.tar.gz") "]");
	for (size_t i = 0; i < ps.n; i++) {
		struct sched_choice ch;
		struct sched_choose_opts o = {0};
		sched_choose(&p, &ps.v[i], &o, &ch);
		assert_int_equal(ch.file, -1);
		assert_true(strlen(ch.reason) > 0);
	}
	sched_project_release(&p);
	json_t *rec = json_pack("{s:s}", "name", "x");
	assert_int_equal(sched_project_load(&p, "x", rec), -1);
	json_decref(rec);
	sched_platforms_release(&ps);
	/* a platform without a known glibc is refused with its name */
	assert_int_equal(
	    cfg_load_string(c, "t", "[platform odd]\npython = 3.12\n"), 0);
	assert_int_equal(sched_platforms_load(&ps, c, NULL), -1);
	cfg_free(c);
}

static void
test_sched_priority(void **state)
{
	(void)state;
	/* rank 1 beats rank 1000 beats unranked, all else equal */
	assert_true(sched_priority(1, 1, 0, 0) > sched_priority(1000, 1, 0, 0));
	assert_true(sched_priority(1000, 1, 0, 0) > sched_priority(0, 1, 0, 0));
	/* a regression comes before a top-ranked steady cell */
	assert_true(sched_priority(0, 1, 1, 0) > sched_priority(1, 1, 0, 0));
	/* never tested comes before tested today; age is capped */
	assert_true(sched_priority(0, 0, 0, 0) > sched_priority(0, 1, 0, 0));
	assert_int_equal(sched_priority(0, 1, 0, 86400 * 30),
	                 sched_priority(0, 1, 0, 86400 * 365));
	assert_int_equal(sched_priority(1, 0, 0, 0), 900);
}

static void
test_sched_map(void **state)
{
	struct sched_map m = SCHED_MAP_INIT;
	int64_t v;
	char k[32];
	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		sched_map_put(&m, k, i);
	}
	sched_map_put(&m, "k7", 70);
	assert_true(sched_map_get(&m, "k4999", &v));
	assert_int_equal(v, 4999);
	assert_true(sched_map_get(&m, "k7", &v));
	assert_int_equal(v, 70);
	assert_false(sched_map_get(&m, "nope", &v));
	assert_int_equal(m.n, 5000);
	sched_map_release(&m);
	assert_false(sched_map_get(&m, "k1", &v));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sched_requires_python),
	    cmocka_unit_test(test_sched_choose_rules),
	    cmocka_unit_test(test_sched_choose_no_binary),
	    cmocka_unit_test(test_sched_choose_hostile),
	    cmocka_unit_test(test_sched_priority),
	    cmocka_unit_test(test_sched_map),
	};

	log_set_prog("test_sched_choose");
	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
