/*
 * One set of limits for what the guest sends, from the moment a frame is
 * accepted to the moment its results are delivered to PostgreSQL. Every
 * later stage (the raw document, the spool file, its replay) is sized
 * from these, so what the job loop accepted always fits the spool and
 * always reloads from it (docs/runner.md, "Limits").
 */
#ifndef PYTI_RUN_LIMITS_H
#define PYTI_RUN_LIMITS_H

#define RUN_MIB (1024u * 1024u)

/* Guest JSON (RSLT, ERR_, TASK, DONE): values and nesting, counted before
 * jansson allocates anything. jansson takes ~65 bytes per value of a
 * realistic result and ~200 per empty object: at most ~100 MiB. An honest
 * result (<= 500 findings, tasks, test cases) stays far below. */
#define RUN_JSON_NODES_MAX 500000
#define RUN_JSON_DEPTH_MAX 64

/* RSLT as re-encoded by the runner (numbers may grow when re-encoded:
 * "1e-300" is 6 bytes in and 23 out). */
#define RUN_RESULT_TEXT_MAX (16u * RUN_MIB)
/* ERR_ as re-encoded. */
#define RUN_ERROR_TEXT_MAX (256u * 1024u)
/* Log text kept per job, counted as encoded JSON (a control byte costs 6
 * bytes, an invalid byte 3); a log cut by it is marked truncated. */
#define RUN_LOGS_TEXT_MAX (16u * RUN_MIB)
#define RUN_LOGS_MAX 64

/* Frames per job beyond the per-type size caps of chan: a guest cannot
 * keep a host core busy with empty frames. BEAT: one per second of job
 * timeout plus RUN_BEATS_SLACK (the agent sends one every 10 s). */
#define RUN_BEATS_SLACK 64
#define RUN_TASK_FRAMES_MAX 4096
#define RUN_ERR_FRAMES_MAX 16

/* Most time one frame may take from its first byte to its last (virtio
 * moves 20 MiB in ~60 ms; 8 MiB in a minute is a guest stalling). */
#define RUN_FRAME_MS 60000

/* The raw results document as text: the parts above plus the runner's
 * own (attempts, details), and the spool file around it. */
#define RUN_RAW_TEXT_MAX                                                       \
	(RUN_RESULT_TEXT_MAX + RUN_LOGS_TEXT_MAX + RUN_ERROR_TEXT_MAX + RUN_MIB)
#define RUN_SPOOL_FILE_MAX (RUN_RAW_TEXT_MAX + 64u * 1024u)
/* Nodes and depth of a whole raw document or spool file: RSLT + ERR_ at
 * their bound, the logs and attempts, and the two enclosing levels. */
#define RUN_RAW_NODES_MAX (2 * RUN_JSON_NODES_MAX + 8192)
#define RUN_RAW_DEPTH_MAX (RUN_JSON_DEPTH_MAX + 8)

#endif
