/* Unit tests for guest/trace.c: strace output (as strace 6.1 prints it
 * with -f -y) into findings, including split lines, relative paths,
 * hostile strings and the allowed places. The traces that need only their
 * findings and counts checked are data, tests/fixtures/trace/<case>.strace
 * beside <case>.strace.expected: adding one needs no C. No tracing happens
 * here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../guest/trace.h"
#include "buf.h"
#include "fixtures.h"
#include "jx.h"
#include "log.h"

static const char *const allow[] = {"/home/pyti/venv", "/home/pyti/work",
                                    "/tmp", "/home/pyti/.cache", NULL};
static const char *const canaries[] = {"/home/pyti/.ssh/id_rsa",
                                       "/home/pyti/.aws/credentials", NULL};
static const char *const exec_ok[] = {"python3*", "gcc", "x86_64-linux-gnu-*",
                                      NULL};
static const struct guest_trace_policy pol = {
    "install", "/home/pyti", allow, canaries, exec_ok, 53, NULL, NULL};

static struct guest_findings
parse(const char *text, struct guest_trace_stats *st)
{
	struct guest_findings f;

	guest_findings_init(&f);
	guest_trace_parse_text(text, strlen(text), &pol, &f, st);
	return f;
}

/* The finding of kind whose detail contains what, or NULL. */
static json_t *
finding(const struct guest_findings *f, const char *kind, const char *what)
{
	size_t i;
	json_t *v;

	json_array_foreach(f->list, i, v) {
		if (!strcmp(jx_str(v, "kind"), kind) &&
		    strstr(jx_str(v, "detail"), what))
			return v;
	}
	return NULL;
}

/*
 * Run the case tests/fixtures/trace/<name> (strace output, as the agent's
 * trace file holds it) and compare what it yields with <name>.expected:
 * one line "KIND DETAIL" a finding, in order, then "critical N" and the
 * stats line; lines starting with '#' there say what the case is about.
 * Returns 0 when it matched, printing both if not.
 */
static int
run_case(const char *dir, const char *name)
{
	struct buf text = BUF_INIT(1 << 20), want = BUF_INIT(1 << 20),
	           got = BUF_INIT(1 << 20);
	struct guest_trace_stats st = {0};
	struct guest_findings f;
	const char *line, *nl;
	size_t i;
	json_t *v;
	int ok;

	if (fixtures_read(dir, name, &text, &want)) {
		buf_release(&text);
		buf_release(&want);
		return -1;
	}
	guest_findings_init(&f);
	guest_trace_parse_text(buf_cstr(&text), text.len, &pol, &f, &st);
	json_array_foreach(f.list, i, v) {
		buf_addf(&got, "%s %s\n", jx_str(v, "kind"),
		         jx_str(v, "detail"));
	}
	buf_addf(&got, "critical %d\n", f.critical);
	buf_addf(&got,
	         "stats lines=%d calls=%d execs=%d writes=%d connects=%d\n",
	         st.lines, st.calls, st.execs, st.writes, st.connects);
	guest_findings_release(&f);
	/* the comments of the expected file are not the parser's */
	for (line = buf_cstr(&want); *line == '#'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			line += strlen(line);
			break;
		}
	}
	ok = !strcmp(buf_cstr(&got), line);
	if (!ok)
		fprintf(stderr, "# %s:\n# got:\n%.4000s# want:\n%.4000s", name,
		        buf_cstr(&got), line);
	buf_release(&text);
	buf_release(&want);
	buf_release(&got);
	return ok ? 0 : -1;
}

static void
test_guest_trace_fixtures(void **state)
{
	static const char *const exts[] = {".strace", NULL};
	int cases;

	assert_int_equal(fixtures_run("trace", exts, run_case, &cases), 0);
	assert_true(cases >= 7);
}

static void
test_guest_trace_hostile_text(void **state)
{
	char big[40000], *dump;
	struct guest_findings f;

	/* an unclosed quote, invalid UTF-8 in a path, a huge line, a line
	 * that is not a call, a resumed line with nothing pending */
	memset(big, 'A', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	f = parse("1 execve(\"/usr/bin/python3\", [], 0) = 0\n"
	          "1 openat(AT_FDCWD</>, \"/etc/x\\377\\300y, O_WRONLY) = 3\n"
	          "1 openat(AT_FDCWD</>, \"/etc/\\377\\300y\", O_WRONLY) = "
	          "3</etc/\\377\\300y>\n"
	          "2 <... openat resumed>) = 0\n"
	          "garbage\n"
	          "3 --- SIGCHLD {si_signo=SIGCHLD} ---\n",
	          NULL);
	assert_int_equal(guest_findings_count(&f, "file.write_outside"), 1);
	dump = json_dumps(f.list, 0); /* valid UTF-8 JSON */
	assert_non_null(dump);
	free(dump);
	guest_findings_release(&f);
	f = parse(big, NULL);
	assert_int_equal(json_array_size(f.list), 0);
	guest_findings_release(&f);
}

static void
test_guest_persistence_and_pth(void **state)
{
	assert_string_equal(
	    guest_persistence_kind("/home/pyti/.profile", "/home/pyti"),
	    "persistence.bashrc");
	assert_string_equal(
	    guest_persistence_kind("/etc/cron.d/x", "/home/pyti"),
	    "persistence.crontab");
	assert_null(
	    guest_persistence_kind("/home/pyti/venv/x.py", "/home/pyti"));
	/* pip's build isolation writes its own sitecustomize.py: not
	 * persistence (it flagged every isolated build as hostile) */
	assert_null(guest_persistence_kind(
	    "/tmp/pip-build-env-_us3gf8e/site/sitecustomize.py", "/home/pyti"));
	assert_string_equal(
	    guest_persistence_kind(
	        "/tmp/pip-build-env-x/site/lib/sitecustomize.py", "/home/pyti"),
	    "persistence.sitecustomize");
	assert_string_equal(
	    guest_persistence_kind("/tmp/sitecustomize.py", "/home/pyti"),
	    "persistence.sitecustomize");
	assert_true(
	    guest_pth_executable("./lib\nimport os; os.system('x')\n", 31));
	assert_false(
	    guest_pth_executable("./lib\n# import os\nimportlib\n", 27));
}

static void
test_guest_findings_cap_dedupe_and_utf8(void **state)
{
	struct guest_findings f;
	json_t *j;

	guest_findings_init(&f);
	assert_int_equal(
	    guest_finding_add(&f, "network.connect", NULL, "t", NULL, "same"),
	    1);
	assert_int_equal(
	    guest_finding_add(&f, "network.connect", NULL, "t", NULL, "same"),
	    0);
	/* the same detail in another task is another finding */
	assert_int_equal(
	    guest_finding_add(&f, "network.connect", NULL, "u", NULL, "same"),
	    1);
	for (int i = 0; i < GUEST_FINDINGS_MAX + 10; i++)
		guest_finding_add(&f, "process.exec", NULL, "t", NULL, "n%d",
		                  i);
	assert_int_equal(json_array_size(f.list), GUEST_FINDINGS_MAX);
	assert_int_equal(f.dropped, 12);
	assert_int_equal(f.critical, 2);
	guest_findings_release(&f);
	j = guest_jstr("a\xff\xc3\xa9\0b", 6);
	assert_string_equal(json_string_value(j), "a?\xc3\xa9?b");
	json_decref(j);
}

static void
test_guest_trace_refused_attempts_are_findings(void **state)
{
	struct guest_trace_stats st = {0};
	struct guest_findings f = parse(
	    /* sh -c 'echo x > /etc/cron.d/pyti': the redirection */
	    "200 execve(\"/bin/sh\", [\"sh\", \"-c\", \"echo x > "
	    "/etc/cron.d/pyti\"], 0x1 /* 1 vars */) = 0\n"
	    "200 openat(AT_FDCWD</tmp>, \"/etc/cron.d/pyti\", "
	    "O_WRONLY|O_CREAT|O_TRUNC, 0666) = -1 EACCES (Permission "
	    "denied)\n"
	    /* shutil.copy of the interpreter into /usr/local/bin */
	    "201 openat(AT_FDCWD</tmp>, \"/usr/local/bin/python3\", "
	    "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = -1 EACCES "
	    "(Permission denied)\n"
	    "201 rename(\"/tmp/x\", \"/usr/bin/pip\") = -1 EACCES "
	    "(Permission denied)\n"
	    "201 unlinkat(AT_FDCWD</tmp>, \"/etc/hosts\", 0) = -1 EPERM "
	    "(Operation not permitted)\n"
	    "201 chmod(\"/usr/lib/x\", 0777) = -1 EROFS (Read-only file "
	    "system)\n"
	    /* not an attempt worth a finding: the place does not exist */
	    "201 openat(AT_FDCWD</tmp>, \"/nonexistent/x\", "
	    "O_WRONLY|O_CREAT, 0666) = -1 ENOENT (No such file or "
	    "directory)\n"
	    /* a persistence place the image lacks: still an attempt */
	    "201 openat(AT_FDCWD</tmp>, \"/etc/cron.d/pyti-x\", "
	    "O_WRONLY|O_CREAT|O_TRUNC, 0666) = -1 ENOENT (No such file or "
	    "directory)\n"
	    /* refused inside an allowed place: nothing */
	    "201 openat(AT_FDCWD</tmp>, \"/tmp/ro\", O_WRONLY, 0666) = -1 "
	    "EACCES (Permission denied)\n",
	    &st);
	json_t *v;

	v = finding(&f, "persistence.crontab", "/etc/cron.d/pyti");
	assert_non_null(v);
	assert_true(json_is_true(
	    json_object_get(json_object_get(v, "evidence"), "attempted")));
	assert_string_equal(jx_str(json_object_get(v, "evidence"), "errno"),
	                    "EACCES");
	v = finding(&f, "file.write_outside", "/usr/local/bin/python3");
	assert_non_null(v);
	assert_true(json_is_true(
	    json_object_get(json_object_get(v, "evidence"), "attempted")));
	assert_non_null(strstr(jx_str(v, "detail"), "tried to write"));
	assert_non_null(finding(&f, "file.write_outside", "/usr/bin/pip"));
	assert_non_null(finding(&f, "file.delete_outside", "/etc/hosts"));
	assert_non_null(finding(&f, "file.write_outside", "/usr/lib/x"));
	assert_null(finding(&f, "file.write_outside", "/nonexistent"));
	v = finding(&f, "persistence.crontab", "/etc/cron.d/pyti-x");
	assert_non_null(v);
	assert_true(json_is_true(
	    json_object_get(json_object_get(v, "evidence"), "attempted")));
	assert_null(finding(&f, "file.write_outside", "/tmp/ro"));
	assert_int_equal(st.writes, 0);
	guest_findings_release(&f);
}

static void
test_guest_trace_truncated_is_a_finding(void **state)
{
	char path[] = "/tmp/pyti-trace-XXXXXX";
	int fd = mkstemp(path);
	struct guest_findings f;
	struct guest_trace_stats st = {0};
	json_t *v;
	const char *line = "300 openat(AT_FDCWD</tmp>, \"/tmp/pad\", "
	                   "O_RDONLY) = 3</tmp/pad>\n";

	assert_true(fd >= 0);
	for (int i = 0; i < 200; i++)
		assert_true(write(fd, line, strlen(line)) ==
		            (ssize_t)strlen(line));
	/* what the package did after the padding */
	{
		const char *late = "300 openat(AT_FDCWD</tmp>, "
		                   "\"/home/pyti/.bashrc\", O_WRONLY|O_APPEND) "
		                   "= 3</home/pyti/.bashrc>\n";

		assert_true(write(fd, late, strlen(late)) ==
		            (ssize_t)strlen(late));
	}
	close(fd);
	guest_findings_init(&f);
	assert_int_equal(guest_trace_parse_file(path, &pol, &f, &st, 4096), 0);
	assert_true(st.truncated);
	v = finding(&f, "trace.truncated", "trace");
	assert_non_null(v);
	assert_string_equal(jx_str(v, "severity"), "warning");
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(v, "evidence"), "parsed")),
	                 4096);
	assert_true(json_integer_value(json_object_get(
	                json_object_get(v, "evidence"), "bytes")) >
	            200 * (json_int_t)strlen(line));
	guest_findings_release(&f);
	/* the whole file: no truncation finding, the late write seen */
	guest_findings_init(&f);
	guest_trace_parse_file(path, &pol, &f, &st, 1 << 20);
	assert_null(finding(&f, "trace.truncated", "trace"));
	assert_non_null(finding(&f, "persistence.bashrc", ".bashrc"));
	guest_findings_release(&f);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_guest_trace_fixtures),
	    cmocka_unit_test(test_guest_trace_hostile_text),
	    cmocka_unit_test(test_guest_persistence_and_pth),
	    cmocka_unit_test(test_guest_findings_cap_dedupe_and_utf8),
	    cmocka_unit_test(test_guest_trace_refused_attempts_are_findings),
	    cmocka_unit_test(test_guest_trace_truncated_is_a_finding),
	};

	log_set_prog("test_guest_trace");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
