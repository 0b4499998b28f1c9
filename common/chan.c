/*
 * Frame I/O for the host <-> guest channel. The reader checks the type
 * code and the announced length against the type's cap before it reads
 * the payload, so a forged or corrupt header costs 8 bytes, never an
 * allocation. Every wait goes through poll() on a non-blocking fd.
 */
#include "chan.h"
#include "log.h"
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KIB 1024u
#define MIB (1024u * 1024u)

static const struct {
	char code[5];
	size_t max;
	int dir; /* enum chan_dir: who may receive it */
} types[CHAN_NTYPES] = {
    [CHAN_HELO] = {"HELO", 4 * KIB, CHAN_FROM_HOST | CHAN_FROM_GUEST},
    [CHAN_JOB] = {"JOB_", 1 * MIB, CHAN_FROM_HOST},
    [CHAN_FILE] = {"FILE", 64 * MIB + 256, CHAN_FROM_HOST},
    [CHAN_END] = {"END_", 0, CHAN_FROM_HOST},
    [CHAN_TASK] = {"TASK", 4 * KIB, CHAN_FROM_GUEST},
    [CHAN_BEAT] = {"BEAT", 0, CHAN_FROM_GUEST},
    [CHAN_LOG] = {"LOG_", 4 * MIB + 256, CHAN_FROM_GUEST},
    [CHAN_RSLT] = {"RSLT", 8 * MIB, CHAN_FROM_GUEST},
    [CHAN_ERR] = {"ERR_", 64 * KIB, CHAN_FROM_GUEST},
    [CHAN_DONE] = {"DONE", 4 * KIB, CHAN_FROM_GUEST},
    [CHAN_ARTF] = {"ARTF", CHAN_ARTIFACT_MAX + CHAN_NAME_MAX + 2,
                   CHAN_FROM_GUEST},
};

const char *
chan_type_code(enum chan_type t)
{
	return (unsigned)t < CHAN_NTYPES ? types[t].code : "????";
}

size_t
chan_type_max(enum chan_type t)
{
	return (unsigned)t < CHAN_NTYPES ? types[t].max : 0;
}

void
chan_init(struct chan *c, int fd, enum chan_dir accept)
{
	int fl = fcntl(fd, F_GETFL);

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->accept = accept;
	c->stall_ms = 30000;
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void
chan_frame_release(struct chan_frame *f)
{
	buf_release(&f->payload);
}

int
chan_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > CHAN_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '+' || ch == '~' || ch == '-')
			continue;
		return 0;
	}
	return 1;
}

int64_t
chan_now_ms(void)
{
	return os_mono_ms();
}

const char *
chan_err_text(enum chan_err e)
{
	switch (e) {
	case CHAN_E_NONE:
		return "no error";
	case CHAN_E_IO:
		return "I/O error";
	case CHAN_E_MAGIC:
		return "not a pyti frame";
	case CHAN_E_TYPE:
		return "frame type not allowed in this direction";
	case CHAN_E_TOOBIG:
		return "frame above its type's maximum";
	case CHAN_E_TRUNCATED:
		return "truncated";
	case CHAN_E_STALL:
		return "peer stalled";
	case CHAN_E_NAME:
		return "bad blob name";
	case CHAN_E_LIMIT:
		return "connection byte budget spent";
	case CHAN_E_DEADLINE:
		return "deadline passed";
	case CHAN_E_SLOW:
		return "frame took too long";
	case CHAN_E_ABORT:
		return "aborted";
	}
	return "?";
}

/*
 * Wait for `events` on the channel's fd for at most ms (-1: forever),
 * never past c->deadline nor frame_end (0: none), polling c->abort_fn at
 * least every second. Returns 1 when ready (or hung up: the read/write
 * then says what happened), 0 when ms passed, -1 with c->err set (I/O,
 * deadline, slow frame, abort).
 */
static int
chan_wait(struct chan *c, short events, int ms, int64_t frame_end)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	int64_t end = ms < 0 ? 0 : chan_now_ms() + ms;

	for (;;) {
		int64_t now = chan_now_ms(), left = -1;
		int r;

		if (c->abort_fn && c->abort_fn(c->abort_arg)) {
			c->err = CHAN_E_ABORT;
			return -1;
		}
		if (c->deadline && now >= c->deadline) {
			c->err = CHAN_E_DEADLINE;
			return -1;
		}
		if (frame_end && now >= frame_end) {
			c->err = CHAN_E_SLOW;
			return -1;
		}
		if (end && now >= end)
			return 0;
		if (end)
			left = end - now;
		if (c->deadline && (left < 0 || c->deadline - now < left))
			left = c->deadline - now;
		if (frame_end && (left < 0 || frame_end - now < left))
			left = frame_end - now;
		if (c->abort_fn && (left < 0 || left > 1000))
			left = 1000;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR) {
			c->err = CHAN_E_IO;
			return -1;
		}
	}
}

/*
 * Read exactly n bytes. `first` is the wait for the first byte of the
 * frame (-1: forever); once *saw_any is set, waits are stall_ms, and
 * *frame_end (set at the first byte when frame_ms is) bounds them all.
 * Returns 0 when all n are read, CHAN_EOF on EOF before any byte of the
 * frame, CHAN_TIMEOUT when nothing came within `first`, -1 on error with
 * c->err set (not logged: the caller names the frame).
 */
static int
read_full(struct chan *c, char *p, size_t n, int first, int *saw_any,
          int64_t *frame_end)
{
	size_t got = 0;

	while (got < n) {
		int w = chan_wait(c, POLLIN, *saw_any ? c->stall_ms : first,
		                  *frame_end);
		ssize_t r;

		if (w < 0)
			return -1;
		if (w == 0) {
			if (*saw_any)
				c->err = CHAN_E_STALL;
			return *saw_any ? -1 : CHAN_TIMEOUT;
		}
		r = read(c->fd, p + got, n - got);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			c->err = CHAN_E_IO;
			return -1;
		}
		if (r == 0) {
			if (!*saw_any)
				return CHAN_EOF;
			c->err = CHAN_E_TRUNCATED;
			return -1;
		}
		if (!*saw_any && c->frame_ms > 0)
			*frame_end = chan_now_ms() + c->frame_ms;
		*saw_any = 1;
		got += (size_t)r;
	}
	return 0;
}

static int
type_from_code(const char *code)
{
	for (int t = 0; t < CHAN_NTYPES; t++)
		if (!memcmp(types[t].code, code, 4))
			return t;
	return -1;
}

/* Printable form of a 4-byte code from the wire, for messages. */
static void
code_text(const unsigned char *code, char out[17])
{
	char *o = out;

	for (int i = 0; i < 4; i++) {
		if (code[i] >= 0x21 && code[i] < 0x7f && code[i] != '\\')
			*o++ = (char)code[i];
		else
			o += snprintf(o, 5, "\\x%02x", code[i]);
	}
	*o = '\0';
}

int
chan_read(struct chan *c, struct chan_frame *f, int timeout_ms)
{
	unsigned char hdr[8];
	char text[17];
	uint32_t len;
	int64_t frame_end = 0;
	int saw_any = 0, r, t;

	c->err = CHAN_E_NONE;
	buf_release(&f->payload);
	r = read_full(c, (char *)hdr, sizeof(hdr), timeout_ms, &saw_any,
	              &frame_end);
	if (r == CHAN_EOF || r == CHAN_TIMEOUT)
		return r;
	if (r < 0 && c->err == CHAN_E_ABORT)
		return -1;
	if (r < 0)
		goto fail_io;
	t = type_from_code((const char *)hdr);
	if (t < 0) {
		c->err = CHAN_E_MAGIC;
		code_text(hdr, text);
		return log_error("channel: bad frame type '%s': not a pyti "
		                 "frame",
		                 text);
	}
	if (!(types[t].dir & c->accept)) {
		c->err = CHAN_E_TYPE;
		return log_error("channel: frame '%s' not allowed in this "
		                 "direction",
		                 types[t].code);
	}
	len = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 |
	      (uint32_t)hdr[6] << 8 | hdr[7];
	if (len > types[t].max) {
		c->err = CHAN_E_TOOBIG;
		return log_error("channel: frame '%s' of %u bytes exceeds its "
		                 "maximum of %zu",
		                 types[t].code, len, types[t].max);
	}
	if (c->max_in && c->bytes_in + len > c->max_in) {
		c->err = CHAN_E_LIMIT;
		return log_error("channel: frame '%s' of %u bytes passes the "
		                 "connection's budget of %llu bytes",
		                 types[t].code, len,
		                 (unsigned long long)c->max_in);
	}
	buf_init(&f->payload, types[t].max);
	if (len) {
		/* Grow as bytes arrive, not to the announced length: a
		 * header that lies about its size costs nothing. */
		char chunk[65536];
		uint32_t left = len;

		while (left) {
			size_t n = left < sizeof(chunk) ? left : sizeof(chunk);

			r = read_full(c, chunk, n, c->stall_ms, &saw_any,
			              &frame_end);
			if (r != 0) {
				if (r == CHAN_TIMEOUT)
					c->err = CHAN_E_STALL;
				buf_release(&f->payload);
				if (c->err == CHAN_E_ABORT)
					return -1;
				goto fail_payload;
			}
			buf_add(&f->payload, chunk, n);
			left -= (uint32_t)n;
		}
	}
	f->type = (enum chan_type)t;
	c->bytes_in += len;
	c->frames_in++;
	return 0;

fail_payload:
	return log_error(
	    "channel: frame '%s' of %u bytes: %s", types[t].code, len,
	    c->err == CHAN_E_IO ? strerror(errno) : chan_err_text(c->err));
fail_io:
	if (c->err == CHAN_E_IO)
		return log_error("channel: cannot read: %s", strerror(errno));
	return log_error("channel: frame header: %s", chan_err_text(c->err));
}

static int
write_full(struct chan *c, const char *p, size_t n, int64_t end)
{
	size_t done = 0;
	int use_send = 1;

	while (done < n) {
		int left = -1, w;
		ssize_t r;

		if (end) {
			int64_t d = end - chan_now_ms();

			left = d < 0 ? 0 : (int)d;
		}
		w = chan_wait(c, POLLOUT, left, 0);
		if (w < 0) {
			if (c->err == CHAN_E_ABORT)
				return -1;
			if (c->err != CHAN_E_IO)
				return log_error("channel: write: %s",
				                 chan_err_text(c->err));
			return log_error("channel: cannot poll: %s",
			                 strerror(errno));
		}
		if (w == 0) {
			c->err = CHAN_E_STALL;
			return log_error("channel: peer is not reading "
			                 "(%zu of %zu bytes written)",
			                 done, n);
		}
		if (use_send) {
			r = send(c->fd, p + done, n - done, MSG_NOSIGNAL);
			if (r < 0 && errno == ENOTSOCK) {
				use_send = 0;
				continue;
			}
		} else {
			r = write(c->fd, p + done, n - done);
		}
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			c->err = CHAN_E_IO;
			return log_error("channel: cannot write: %s",
			                 strerror(errno));
		}
		done += (size_t)r;
		c->bytes_out += (size_t)r;
	}
	return 0;
}

static int
write_frame(struct chan *c, enum chan_type t, const char *head, size_t headlen,
            const void *data, size_t len, int timeout_ms)
{
	unsigned char hdr[8];
	size_t total = headlen + len;
	int64_t end = timeout_ms < 0 ? 0 : chan_now_ms() + timeout_ms;

	c->err = CHAN_E_NONE;
	if ((unsigned)t >= CHAN_NTYPES)
		return log_error("channel: no frame type %d", (int)t);
	if (total > types[t].max) {
		c->err = CHAN_E_TOOBIG;
		return log_error("channel: frame '%s' of %zu bytes exceeds its "
		                 "maximum of %zu",
		                 types[t].code, total, types[t].max);
	}
	memcpy(hdr, types[t].code, 4);
	hdr[4] = (unsigned char)(total >> 24);
	hdr[5] = (unsigned char)(total >> 16);
	hdr[6] = (unsigned char)(total >> 8);
	hdr[7] = (unsigned char)total;
	if (end == 0 && timeout_ms >= 0)
		end = 1;
	if (write_full(c, (const char *)hdr, sizeof(hdr), end) ||
	    (headlen && write_full(c, head, headlen, end)) ||
	    (len && write_full(c, data, len, end)))
		return -1;
	return 0;
}

int
chan_write(struct chan *c, enum chan_type t, const void *payload, size_t len,
           int timeout_ms)
{
	return write_frame(c, t, NULL, 0, payload, len, timeout_ms);
}

int
chan_write_blob(struct chan *c, enum chan_type t, const char *name,
                unsigned flags, const void *data, size_t len, int timeout_ms)
{
	char head[CHAN_NAME_MAX + 2];
	size_t n = strlen(name);

	if (t != CHAN_FILE && t != CHAN_LOG && t != CHAN_ARTF)
		return log_error("channel: '%s' frames carry no name",
		                 chan_type_code(t));
	if (t == CHAN_ARTF && len > CHAN_ARTIFACT_MAX) {
		c->err = CHAN_E_TOOBIG;
		return log_error("channel: artifact '%.*s' of %zu bytes "
		                 "exceeds the maximum of %u",
		                 CHAN_NAME_MAX, name, len, CHAN_ARTIFACT_MAX);
	}
	if (!chan_name_valid(name)) {
		c->err = CHAN_E_NAME;
		return log_error("channel: invalid blob name '%.*s'",
		                 CHAN_NAME_MAX, name);
	}
	head[0] = (char)n;
	memcpy(head + 1, name, n);
	head[n + 1] = (char)(flags & 0xff);
	return write_frame(c, t, head, n + 2, data, len, timeout_ms);
}

int
chan_blob_parse(struct chan *c, const struct chan_frame *f,
                struct chan_blob *out)
{
	const unsigned char *p = (const unsigned char *)buf_cstr(&f->payload);
	size_t len = f->payload.len, n;

	if (f->type != CHAN_FILE && f->type != CHAN_LOG &&
	    f->type != CHAN_ARTF) {
		if (c)
			c->err = CHAN_E_NAME;
		return log_error("channel: '%s' frame is not a named blob",
		                 chan_type_code(f->type));
	}
	if (len < 2 || p[0] == 0 || (size_t)p[0] + 2 > len ||
	    p[0] > CHAN_NAME_MAX) {
		if (c)
			c->err = CHAN_E_NAME;
		return log_error("channel: '%s' frame with a malformed name "
		                 "header",
		                 chan_type_code(f->type));
	}
	n = p[0];
	memcpy(out->name, p + 1, n);
	out->name[n] = '\0';
	if (memchr(p + 1, '\0', n) || !chan_name_valid(out->name)) {
		if (c)
			c->err = CHAN_E_NAME;
		return log_error("channel: '%s' frame with an invalid name",
		                 chan_type_code(f->type));
	}
	if (f->type == CHAN_ARTF && len - n - 2 > CHAN_ARTIFACT_MAX) {
		if (c)
			c->err = CHAN_E_TOOBIG;
		return log_error("channel: artifact '%s' of %zu bytes exceeds "
		                 "the maximum of %u",
		                 out->name, len - n - 2, CHAN_ARTIFACT_MAX);
	}
	out->flags = p[n + 1];
	out->data = (const char *)p + n + 2;
	out->len = len - n - 2;
	return 0;
}
