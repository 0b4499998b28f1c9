/*
 * The framed channel between the runner and the guest agent (protocol
 * version 1, docs/raw-data.md). A frame is a 4-byte ASCII type, a 4-byte
 * big-endian payload length and the payload. Each type has a maximum
 * payload size, checked before a byte of payload is read, and each side
 * accepts only the types the other side may send, so a hostile guest (or a
 * confused host) cannot make the reader allocate without bound or accept a
 * frame it should never see. Reads and writes poll with timeouts: a peer
 * that goes silent mid-frame is an error, not a hang. Beyond the per-byte
 * stall bound, a reader may set an absolute deadline (no wait of any read
 * or write passes it), a bound on the time one frame may take from its
 * first byte to its last (a peer that drip-feeds a byte every few seconds
 * cannot hold the reader), and an abort check polled at least once a
 * second during every wait (lease lost, shutting down).
 *
 *	struct chan c;
 *	struct chan_frame f = CHAN_FRAME_INIT;
 *	chan_init(&c, fd, CHAN_FROM_GUEST);
 *	switch (chan_read(&c, &f, 5000)) { case 0: ... case CHAN_EOF: ... }
 *	chan_frame_release(&f);
 *
 * Used by both pyti-run and pyti-agent; plain libc plus buf/log, so the
 * statically linked agent can carry it.
 */
#ifndef PYTI_CHAN_H
#define PYTI_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CHAN_VERSION 1

/* Frame types. The wire codes are in chan_type_code(). */
enum chan_type {
	CHAN_HELO = 0, /* both directions: JSON hello */
	CHAN_JOB, /* host -> guest: JSON job spec */
	CHAN_FILE, /* host -> guest: named blob */
	CHAN_END, /* host -> guest: empty, run the job */
	CHAN_TASK, /* guest -> host: JSON task progress */
	CHAN_BEAT, /* guest -> host: empty heartbeat */
	CHAN_LOG, /* guest -> host: named blob */
	CHAN_RSLT, /* guest -> host: JSON raw results */
	CHAN_ERR, /* guest -> host: JSON error */
	CHAN_DONE, /* guest -> host: JSON, nothing follows */
	CHAN_ARTF, /* guest -> host: named blob, a built file (the wheel of
		      a two-stage job's first stage) */
	CHAN_NTYPES
};

/* Which types a reader accepts: what the other side may send. */
enum chan_dir {
	CHAN_FROM_HOST = 1, /* the guest reads: HELO JOB_ FILE END_ */
	CHAN_FROM_GUEST = 2, /* the host reads: HELO TASK BEAT LOG_ RSLT
				ERR_ DONE ARTF */
};

/* chan_read() results other than 0 and -1. */
#define CHAN_EOF 1 /* the peer closed the stream at a frame boundary */
#define CHAN_TIMEOUT 2 /* no byte of a new frame arrived in time */

/* Why the last call failed (struct chan.err), for callers and tests. */
enum chan_err {
	CHAN_E_NONE = 0,
	CHAN_E_IO, /* read/write/poll failed (errno in the message) */
	CHAN_E_MAGIC, /* unknown type code: not a frame */
	CHAN_E_TYPE, /* a valid type this side must not receive */
	CHAN_E_TOOBIG, /* length above the type's maximum */
	CHAN_E_TRUNCATED, /* EOF inside a frame */
	CHAN_E_STALL, /* the peer stopped sending/reading mid-frame */
	CHAN_E_NAME, /* a named blob with a bad name or layout */
	CHAN_E_LIMIT, /* the connection's total byte budget is spent */
	CHAN_E_DEADLINE, /* struct chan.deadline passed during a wait */
	CHAN_E_SLOW, /* one frame took longer than struct chan.frame_ms */
	CHAN_E_ABORT, /* struct chan.abort_fn asked to stop */
};

/* Longest valid blob name, see chan_name_valid(). */
#define CHAN_NAME_MAX 128

/* Most data bytes of an ARTF blob (the frame's cap is this plus the
 * largest name header), checked on the announced length before a byte of
 * payload is read. */
#define CHAN_ARTIFACT_MAX (64u * 1024u * 1024u)

/* Blob flags (byte after the name). */
#define CHAN_BLOB_TRUNCATED 0x01

struct chan {
	int fd; /* borrowed: the caller closes it */
	int accept; /* enum chan_dir of the frames this side reads */
	int stall_ms; /* most wait without progress inside a frame;
			     default 30000 */
	uint64_t max_in; /* most payload bytes read in all; 0: no limit */
	uint64_t bytes_in, bytes_out;
	uint64_t frames_in; /* frames read, headers included */
	int64_t deadline; /* chan_now_ms() after which every wait fails
			     (CHAN_E_DEADLINE); 0: none */
	int frame_ms; /* most time from a frame's first byte to its
			     last (CHAN_E_SLOW); 0: none */
	int (*abort_fn)(void *arg); /* non-zero: stop (CHAN_E_ABORT);
				       polled at least every second */
	void *abort_arg;
	enum chan_err err; /* why the last failing call failed */
};

struct chan_frame {
	enum chan_type type;
	struct buf payload; /* owned; released by chan_frame_release() */
};

#define CHAN_FRAME_INIT                                                        \
	{                                                                      \
		CHAN_HELO, BUF_INIT(0)                                         \
	}

/* A named blob inside a FILE, LOG_ or ARTF frame. data points into the frame's
 * payload: borrowed, valid while the frame is unchanged. */
struct chan_blob {
	char name[CHAN_NAME_MAX + 1];
	unsigned flags;
	const char *data;
	size_t len;
};

/*
 * Set up a channel over fd, reading the frames of direction `accept`. The
 * fd is switched to O_NONBLOCK so every wait is bounded by poll().
 */
void chan_init(struct chan *c, int fd, enum chan_dir accept);

/*
 * Read one frame into f (its previous payload is released). Waits up to
 * timeout_ms (-1: forever) for the first byte, then at most stall_ms
 * between bytes and frame_ms for the whole frame, never past deadline.
 * Returns 0 with f filled; CHAN_EOF if the stream ended before a frame
 * started; CHAN_TIMEOUT if nothing arrived (neither logged); or -1 (c->err
 * says why; logged except for CHAN_E_ABORT) for every protocol or I/O
 * error, a passed deadline and an abort, after which the stream must be
 * dropped.
 */
int chan_read(struct chan *c, struct chan_frame *f, int timeout_ms);

/*
 * Write one frame of type t with len bytes of payload. Waits at most
 * timeout_ms (-1: forever) for the peer to take it all, never past
 * deadline, polling abort_fn. Returns 0, or -1
 * (logged, c->err set) on error, timeout or a payload above the type's
 * maximum. Never raises SIGPIPE on sockets; on other fds callers ignore
 * SIGPIPE.
 */
int chan_write(struct chan *c, enum chan_type t, const void *payload,
               size_t len, int timeout_ms);

/*
 * Write a named blob frame (CHAN_FILE, CHAN_LOG or CHAN_ARTF): name
 * (checked with chan_name_valid()), flags byte, data (an ARTF's at most
 * CHAN_ARTIFACT_MAX bytes). As chan_write.
 */
int chan_write_blob(struct chan *c, enum chan_type t, const char *name,
                    unsigned flags, const void *data, size_t len,
                    int timeout_ms);

/*
 * Split a FILE, LOG_ or ARTF frame into *out (name copied, data borrowed
 * from f). Returns 0, or -1 (logged, c->err = CHAN_E_NAME when c is not
 * NULL) for a malformed blob, an invalid name, or an ARTF whose data
 * passes CHAN_ARTIFACT_MAX (c->err = CHAN_E_TOOBIG).
 */
int chan_blob_parse(struct chan *c, const struct chan_frame *f,
                    struct chan_blob *out);

/* Release the frame's payload. */
void chan_frame_release(struct chan_frame *f);

/*
 * 1 if name is a valid file or log name: 1..CHAN_NAME_MAX bytes of
 * [A-Za-z0-9._+~-], not starting with '.' or '-' (so never "." or "..",
 * no '/', no control bytes). 0 otherwise.
 */
int chan_name_valid(const char *name);

/* The 4-byte wire code of t ("HELO", "JOB_", ...), NUL-terminated, static. */
const char *chan_type_code(enum chan_type t);

/* The largest payload a frame of type t may carry. */
size_t chan_type_max(enum chan_type t);

/* Monotonic milliseconds: the clock of struct chan.deadline. */
int64_t chan_now_ms(void);

/* A short static text for an enum chan_err ("peer stalled", ...). */
const char *chan_err_text(enum chan_err e);

#endif
