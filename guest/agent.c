/*
 * pyti-agent: the job supervisor inside a pyti guest VM. The guest's init
 * (/usr/lib/pyti/init) execs it as PID 1 after setting up the overlay; it
 * talks to the runner over the virtio-serial port org.pyti.agent.0, runs
 * one job's task graph and sends the raw results. It refuses to run
 * anywhere else: package code never runs on a host.
 */
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "job.h"
#include "log.h"
#include "session.h"

/* A crash of PID 1 panics the kernel: leave a backtrace on the console
 * first (addresses; resolve them with addr2line -e bin/pyti-agent). */
static void
on_crash(int sig)
{
	void *frames[32];
	int n = backtrace(frames, 32);

	backtrace_symbols_fd(frames, n, 2);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: pyti-agent [--version]\n"
	           "Runs inside a pyti guest as PID 1 (started by "
	           "/usr/lib/pyti/init);\n"
	           "see docs/guest.md. It does nothing anywhere else.\n");
}

int
main(int argc, char **argv)
{
	log_set_prog("pyti-agent");
	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[1], "--version")) {
			printf("pyti-agent 1 (protocol 1, results schema 1)\n");
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (!guest_job_in_guest()) {
		log_error("not PID 1 of a pyti guest (no %s): refusing to run "
		          "package code here",
		          GUEST_UPPER);
		return 1;
	}
	signal(SIGABRT, on_crash);
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	guest_session_serve();
	/* PID 1 must not exit (the kernel would panic with a less useful
	 * message): say why, then power off so the host sees it. */
	log_error("agent cannot serve: powering off");
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
