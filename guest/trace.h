/*
 * Reading strace output into findings. The agent runs package code under
 *
 *	strace -f -qq -y -s 256 --seccomp-bpf -e signal=SIGXFSZ
 *	       -e trace=GUEST_TRACE_SYSCALLS -o FILE CMD...
 *
 * (--seccomp-bpf: only the listed syscalls stop the tracee, ~2x instead of
 * ~5x; -y: fds and AT_FDCWD carry their paths, so relative paths resolve).
 * Each line is "PID name(args) = ret [ERRNO (text)]", possibly split into
 * "<unfinished ...>" and "<... name resumed>" halves when processes run
 * concurrently. The parser joins halves per pid and turns the calls the
 * policy cares about into findings: connects with their destination, DNS
 * attempts, programs executed, writes/deletes outside the allowed places,
 * canary and channel-device opens, persistence files, fork failures, and
 * SIGXFSZ (a write past the file size limit, which Python ignores and a
 * package can hide: its "--- SIGXFSZ ... ---" line is a resource.disk).
 *
 * Everything in the file is package-influenced (paths, argv): lines are
 * bounded, parsing never trusts a quote to be closed, and the text goes
 * into findings only through guest_jstr().
 */
#ifndef PYTI_GUEST_TRACE_H
#define PYTI_GUEST_TRACE_H

#include <stddef.h>

#include "findings.h"

#define GUEST_TRACE_SYSCALLS                                                   \
	"execve,execveat,open,openat,openat2,creat,unlink,unlinkat,rename,"    \
	"renameat,renameat2,mkdir,mkdirat,rmdir,symlink,symlinkat,link,"       \
	"linkat,chmod,fchmodat,truncate,connect,bind,sendto,sendmsg,clone,"    \
	"clone3,fork,vfork,ptrace,setuid,setgid"

struct guest_trace_policy {
	const char *task; /* the task the trace belongs to */
	const char *home; /* the job user's home */
	const char *const *allow; /* path prefixes where writing is
					    normal; NULL-terminated */
	const char *const *canaries; /* planted credential paths */
	const char *const *exec_ok; /* program basenames (or prefixes
					    ending in '*') a build/install
					    may run without a finding */
	int dns_stub_port; /* port of the stub on 127.0.0.1 */
	void (*tick)(void *); /* called every few thousand lines (the
					agent's heartbeat); may be NULL */
	void *tick_arg;
};

struct guest_trace_stats {
	int lines; /* lines read */
	int calls; /* complete calls parsed */
	int execs; /* execve calls after the first */
	int writes; /* successful opens for writing */
	int connects; /* connect/sendto with an inet address */
	int truncated; /* the file was larger than the cap */
};

/*
 * Parse the strace output file at path (at most max_bytes of it) into
 * findings under pol. The first execve in the file -- the traced command
 * itself -- is not a finding. Returns 0, or -1 (logged) if the file cannot
 * be read. stats may be NULL. A file longer than max_bytes is cut there
 * and a "trace.truncated" finding (warning) gives both byte counts.
 *
 * Writes (open for writing, rename, unlink, chmod, mkdir, links) count
 * whether they succeeded or were refused with EACCES, EPERM or EROFS: a
 * refused one is the same finding with "attempted": true in its
 * evidence.
 */
int guest_trace_parse_file(const char *path,
                           const struct guest_trace_policy *pol,
                           struct guest_findings *f,
                           struct guest_trace_stats *stats, size_t max_bytes);

/* The same over text in memory (tests). */
int guest_trace_parse_text(const char *text, size_t len,
                           const struct guest_trace_policy *pol,
                           struct guest_findings *f,
                           struct guest_trace_stats *stats);

#endif
