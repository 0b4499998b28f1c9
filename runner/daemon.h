/*
 * The runner daemon and the one-job command. The daemon owns a pool of
 * VMs per platform and one thread per VM slot; each slot thread claims a
 * job of its platform, runs it (job.c), spools the results and completes
 * the job, heartbeating the lease meanwhile. The main thread waits for
 * signals, rescues expired leases (of any runner) and replays the spool.
 */
#ifndef PYTI_RUN_DAEMON_H
#define PYTI_RUN_DAEMON_H

#include "settings.h"

struct run_daemon_options {
	const char *exec_cmd; /* --executor=exec:CMD, or NULL for VMs */
	int exec_chan; /* chan:CMD: the command speaks the channel */
	int exec_slots; /* slots per platform with exec */
	int exit_idle_s; /* exit after this long with nothing to do
				   (0: run until signalled) */
};

/*
 * Run until SIGTERM/SIGINT (then finish or return the running jobs, per
 * [runner] on-stop) or until idle for exit_idle_s. Returns 0 on a clean
 * stop, -1 (logged) when it could not start.
 */
int run_daemon(const struct run_settings *s,
               const struct run_daemon_options *o);

/*
 * pyti-run test: run one job made of the local files paths[0] (the
 * distribution) and paths[1..n-1] (its dependencies) on a fresh VM of
 * `platform`, print the raw results document on stdout. Returns 0 for a
 * package outcome, 1 for an infrastructure outcome, -1 (logged) when the
 * VM could not be set up.
 */
int run_test(const struct run_settings *s, const char *platform,
             char *const *paths, int n, int nmi_after_s);

#endif
