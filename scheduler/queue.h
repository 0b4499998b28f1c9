/*
 * The sweep in PostgreSQL (sql/002-scheduler.sql): open or continue the
 * sweep, decide which projects it still wants, and write a project's
 * releases, files, cells and jobs in one transaction with the mark that
 * the sweep has done it, so a crash resumes and a second run enqueues
 * nothing new.
 */
#ifndef PYTI_SCHED_QUEUE_H
#define PYTI_SCHED_QUEUE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "choose.h"
#include "platform.h"

struct cfg;
struct sched_queue;

enum sched_sweep_kind {
	SCHED_SWEEP_INCREMENTAL,
	SCHED_SWEEP_FULL,
	SCHED_SWEEP_PACKAGES,
	SCHED_SWEEP_FOLLOWUPS, /* no sweep opened: second stages only */
};

/* Connect ([database] conninfo), continue the newest sweep in state
 * 'scheduling' or open one of this kind. With SCHED_SWEEP_FOLLOWUPS no
 * sweep is opened or changed: the queue names the newest sweep and is
 * only for sched_queue_followups and sched_queue_stage2. Returns a queue
 * or NULL (logged). */
struct sched_queue *sched_queue_open(const struct cfg *c,
                                     enum sched_sweep_kind kind,
                                     const struct sched_platforms *ps);
void sched_queue_close(struct sched_queue *q);

/* The sweep's id. */
long long sched_queue_sweep(const struct sched_queue *q);

/* Whether the sweep still wants project norm at this mirror serial (not
 * done in this sweep; for an incremental sweep, changed since the last
 * scheduled serial). */
int sched_queue_wants(struct sched_queue *q, const char *norm, int64_t serial);

/* Write the project's cells (array of cell JSON objects, one per
 * platform), their jobs, releases and files, and the project's mark, in
 * one transaction. *jobs is the number enqueued. Returns 0 or -1. */
int sched_queue_project(struct sched_queue *q, const struct sched_project *p,
                        int64_t serial, json_t *cells, size_t *jobs);

/* Mark the sweep scheduled (state 'running'). Returns 0 or -1. */
int sched_queue_finish(struct sched_queue *q);

/* A two-stage job's finished first stage whose second stage is not
 * enqueued yet. Strings borrowed for the callback. */
struct sched_followup {
	long long job_id, cell_id;
	const char *project, *platform, *python, *file_sha256;
	const char *metadata; /* the built wheel's METADATA, as reported */
	size_t metadata_len;
	int priority;
	/* The wheel the first stage handed back, as the runner stored it
	 * (raw "artifact"): NULL name or sha256 when there is none (or it
	 * was refused); size -1 when unknown. */
	const char *artifact_name, *artifact_sha256;
	int64_t artifact_size;
	int clean; /* the first stage reported no finding at all */
};

typedef int (*sched_followup_fn)(struct sched_queue *q,
                                 const struct sched_followup *f, void *arg);

/* Call fn for each such first stage (result.built.metadata reported).
 * Returns 0, fn's non-zero value, or -1. */
int sched_queue_followups(struct sched_queue *q, sched_followup_fn fn,
                          void *arg);

/* Enqueue the second stage (the first stage's spec with the new deps,
 * "stage_of": its id) and record the deps on the cell. With artifact
 * (the first stage's wheel, checked by sched_artifact_check()), the
 * stage's distribution is that wheel: the build deps are dropped and the
 * cell's sdist goes along as "tests_source"; artifact NULL: the sdist is
 * built again. Returns 0 or -1. */
int sched_queue_stage2(struct sched_queue *q, const struct sched_followup *f,
                       json_t *cell, int artifact);

/* The priority formula (see queue.c, docs/scheduler.md): rank is the
 * download rank (0: unranked), tested whether the cell has a result,
 * regressed whether it passed before and failed last time, age_s seconds
 * since its last result. */
int sched_priority(int64_t rank, int tested, int regressed, int64_t age_s);

#endif
