/*
 * One job inside the guest: the spec the host sent, the files it
 * delivered, and everything the tasks learn on the way (the wheel, the
 * installed top-level modules, findings, test results). The task table in
 * tasks.c fills it; guest_job_results() turns it into the raw results
 * document of docs/raw-data.md.
 *
 * Only the agent running as PID 1 inside a pyti guest runs jobs: package
 * code never runs on a host (see guest_job_in_guest()).
 */
#ifndef PYTI_GUEST_JOB_H
#define PYTI_GUEST_JOB_H

#include <jansson.h>
#include <stdint.h>

#include "findings.h"
#include "fsdiff.h"
#include "taskgraph.h"

#define GUEST_PATH_LEN 4096
#define GUEST_MAX_TOP 32

/* Where things live in the guest. Fixed: the image is built for them. */
#define GUEST_HOME "/home/pyti"
#define GUEST_WORK GUEST_HOME "/work"
#define GUEST_IN GUEST_WORK "/in"
#define GUEST_SRC GUEST_WORK "/src"
#define GUEST_WHEELS GUEST_WORK "/wheels"
#define GUEST_TESTRUN GUEST_WORK "/testrun"
#define GUEST_VENV GUEST_HOME "/venv"
/* The build frontend's own venv: pip from the image's wheels
 * (ensurepip), no system site-packages, so an isolated build sees only
 * the delivered build deps (Debian's dist-packages would shadow them) */
#define GUEST_BUILDVENV GUEST_HOME "/buildvenv"
#define GUEST_PRIV "/run/pyti" /* root only: traces, DNS log */
#define GUEST_UPPER "/.pyti/rw/upper" /* the overlay's upper dir */
#define GUEST_LOWER "/.pyti/lower" /* the read-only image */
#define GUEST_UID 1000
#define GUEST_GID 1000

struct guest_job {
	json_t *spec; /* owned: the JOB_ document */
	char job_id[65];
	char dist[129]; /* the distribution's file name */
	int is_wheel;
	int dist_refused; /* not a file name pip accepts: invalid_dist */
	char tests_source[129]; /* role "tests_source": the release's sdist
				   delivered with a wheel job, "" */
	int build_deps; /* deps with role "build" delivered */
	int test_deps; /* deps with role "test" delivered */
	int64_t t_job_mono; /* JOB_ receipt, monotonic ms */
	/* the agent's heartbeat (BEAT, sampling): called during the
	 * agent's own long work; may be NULL */
	void (*beat)(void *arg);
	void *beat_arg;
	char platform[64], python[16];

	/* learned by the tasks */
	char src_dir[GUEST_PATH_LEN]; /* unpacked sdist top dir, "" */
	char wheel[GUEST_PATH_LEN]; /* wheel to install */
	char name[129]; /* distribution name */
	char site_packages[1024];
	char top[GUEST_MAX_TOP][129]; /* top-level import names */
	int ntop;
	/* links in the testrun to the installed tops (task_tests) */
	char toplinks[GUEST_MAX_TOP][192]; /* testrun (23) + / + top (128) + .py */
	int ntoplinks;
	int no_tests; /* tests found nothing to run */
	const char *tests_outcome; /* pytest's status as a package
				      outcome (guest_pytest_verdict()) */
	json_t *info; /* owned: installed dist's info */
	struct guest_fsnap *before; /* upper dir before package code */
	int strace_ok; /* /usr/bin/strace is usable */

	/* results */
	struct guest_findings findings;
	json_t *data; /* owned: per-task "data" by name */
	json_t *sections; /* owned: tests, coverage, lint, ... */
	json_t *logs; /* owned: [{name, text, truncated}] */
	int64_t t_job, t_files, t_first, t_last, t_ready;
	struct guest_graph *graph; /* owned */
	int dns_seen; /* DNS log bytes already read */
	uint64_t disk_free_before, disk_free_min; /* overlay tmpfs, bytes */
};

/* 1 if this process may run package code: PID 1 of a pyti guest (the
 * overlay's upper directory exists). 0 on any host. */
int guest_job_in_guest(void);

/*
 * Check the spec (job id, dist and deps with names, sizes and sha256) and
 * set up the job. Takes ownership of spec in every case. Returns 0, or -1
 * with the reason in err (for the ERR_ frame).
 */
int guest_job_init(struct guest_job *job, json_t *spec, char *err,
                   size_t errlen);

void guest_job_release(struct guest_job *job);

/*
 * Prepare the guest for the job's files: directories, the venv. Returns
 * 0 or -1 (logged).
 */
int guest_job_prepare(struct guest_job *job);

/* Build the task graph and run it, calling hooks with arg (the tasks get
 * the job). The spec's "tasks" disables the others (not_requested), its
 * "limits" lower the time limits, and its "deadline_s" (seconds from
 * JOB_ receipt until the host gives up) shares what is left among the
 * tasks (guest_fit_deadline()). Returns 0, or -1 (logged) if the graph
 * cannot load. */
int guest_job_run(struct guest_job *job, const struct guest_hooks *hooks,
                  void *arg);

/* Sample what a running command does to the guest (free space on the
 * overlay's tmpfs): call it often while commands run (the tick hook). */
void guest_job_sample(struct guest_job *job);

/* The raw results document. New reference. */
json_t *guest_job_results(struct guest_job *job);

#endif
