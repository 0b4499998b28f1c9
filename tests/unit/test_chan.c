/* Unit tests for common/chan.c: round trips over a socketpair, and every
 * way a frame can be wrong -- truncated, oversized, bad magic, wrong
 * direction, bad blob names, a silent or stalling peer; the artifact
 * frame and its cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"

struct pair {
	int host, guest; /* socket ends */
	struct chan h, g; /* h reads guest frames, g reads host frames */
};

static void
pair_open(struct pair *p)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->host = sv[0];
	p->guest = sv[1];
	chan_init(&p->h, p->host, CHAN_FROM_GUEST);
	chan_init(&p->g, p->guest, CHAN_FROM_HOST);
	p->h.stall_ms = 200;
	p->g.stall_ms = 200;
}

static void
pair_close(struct pair *p)
{
	if (p->host >= 0)
		close(p->host);
	if (p->guest >= 0)
		close(p->guest);
}

static void
raw(int fd, const void *p, size_t n)
{
	assert_int_equal(write(fd, p, n), (ssize_t)n);
}

static void
test_chan_roundtrip_json_and_blob(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;
	struct chan_blob b;

	pair_open(&p);
	assert_int_equal(
	    chan_write(&p.h, CHAN_HELO, "{\"version\":1}", 13, 1000), 0);
	assert_int_equal(chan_write_blob(&p.h, CHAN_FILE, "foo-1.0.tar.gz", 0,
	                                 "abc", 3, 1000),
	                 0);
	assert_int_equal(chan_write(&p.h, CHAN_END, NULL, 0, 1000), 0);

	assert_int_equal(chan_read(&p.g, &f, 1000), 0);
	assert_int_equal(f.type, CHAN_HELO);
	assert_string_equal(buf_cstr(&f.payload), "{\"version\":1}");
	assert_int_equal(chan_read(&p.g, &f, 1000), 0);
	assert_int_equal(f.type, CHAN_FILE);
	assert_int_equal(chan_blob_parse(&p.g, &f, &b), 0);
	assert_string_equal(b.name, "foo-1.0.tar.gz");
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "abc", 3);
	assert_int_equal(chan_read(&p.g, &f, 1000), 0);
	assert_int_equal(f.type, CHAN_END);
	assert_int_equal(f.payload.len, 0);
	assert_int_equal(p.g.bytes_in, 13 + 3 + 16);

	/* the peer closes: EOF at a frame boundary is not an error */
	close(p.host);
	p.host = -1;
	assert_int_equal(chan_read(&p.g, &f, 1000), CHAN_EOF);
	chan_frame_release(&f);
	pair_close(&p);
}

static void
test_chan_read_timeout_when_silent(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;

	pair_open(&p);
	assert_int_equal(chan_read(&p.g, &f, 50), CHAN_TIMEOUT);
	assert_int_equal(p.g.err, CHAN_E_NONE);
	chan_frame_release(&f);
	pair_close(&p);
}

static void
test_chan_read_truncated_frame(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;

	pair_open(&p);
	raw(p.host, "JOB_\0\0\0\x10{\"a\":", 13);
	close(p.host);
	p.host = -1;
	assert_int_equal(chan_read(&p.g, &f, 1000), -1);
	assert_int_equal(p.g.err, CHAN_E_TRUNCATED);
	assert_int_equal(f.payload.len, 0);
	pair_close(&p);

	/* and a header cut short */
	pair_open(&p);
	raw(p.host, "JOB", 3);
	close(p.host);
	p.host = -1;
	assert_int_equal(chan_read(&p.g, &f, 1000), -1);
	assert_int_equal(p.g.err, CHAN_E_TRUNCATED);
	chan_frame_release(&f);
	pair_close(&p);
}

static void
test_chan_read_stall_mid_frame(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;

	pair_open(&p);
	raw(p.host, "JOB_\0\0\0\x10{", 9);
	assert_int_equal(chan_read(&p.g, &f, 1000), -1);
	assert_int_equal(p.g.err, CHAN_E_STALL);
	chan_frame_release(&f);
	pair_close(&p);
}

static void
test_chan_read_oversized(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;

	pair_open(&p);
	/* 8 MiB + 1 of results: one byte over the cap, refused from the
	 * header alone */
	raw(p.guest, "RSLT\0\x80\0\x01", 8);
	assert_int_equal(chan_read(&p.h, &f, 1000), -1);
	assert_int_equal(p.h.err, CHAN_E_TOOBIG);
	/* END_ carries nothing */
	raw(p.host, "END_\0\0\0\x01x", 9);
	assert_int_equal(chan_read(&p.g, &f, 1000), -1);
	assert_int_equal(p.g.err, CHAN_E_TOOBIG);
	/* the writer refuses too */
	assert_int_equal(chan_write(&p.h, CHAN_END, "x", 1, 1000), -1);
	assert_int_equal(p.h.err, CHAN_E_TOOBIG);
	chan_frame_release(&f);
	pair_close(&p);
}

static void
test_chan_read_connection_budget(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;

	pair_open(&p);
	p.h.max_in = 10;
	assert_int_equal(chan_write(&p.g, CHAN_TASK, "12345678", 8, 1000), 0);
	assert_int_equal(chan_write(&p.g, CHAN_TASK, "12345678", 8, 1000), 0);
	assert_int_equal(chan_read(&p.h, &f, 1000), 0);
	assert_int_equal(chan_read(&p.h, &f, 1000), -1);
	assert_int_equal(p.h.err, CHAN_E_LIMIT);
	chan_frame_release(&f);
	pair_close(&p);
}

static void
test_chan_read_bad_magic(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;

	pair_open(&p);
	raw(p.host, "GET / HTTP/1.0\r\n", 16);
	assert_int_equal(chan_read(&p.g, &f, 1000), -1);
	assert_int_equal(p.g.err, CHAN_E_MAGIC);
	pair_close(&p);
	pair_open(&p);
	raw(p.host, "helo\0\0\0\0", 8);
	assert_int_equal(chan_read(&p.g, &f, 1000), -1);
	assert_int_equal(p.g.err, CHAN_E_MAGIC);
	chan_frame_release(&f);
	pair_close(&p);
}

static void
test_chan_read_wrong_direction(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;

	pair_open(&p);
	/* a guest must not send a job to the host, nor results to itself */
	assert_int_equal(chan_write(&p.g, CHAN_JOB, "{}", 2, 1000), 0);
	assert_int_equal(chan_read(&p.h, &f, 1000), -1);
	assert_int_equal(p.h.err, CHAN_E_TYPE);
	assert_int_equal(chan_write(&p.h, CHAN_RSLT, "{}", 2, 1000), 0);
	assert_int_equal(chan_read(&p.g, &f, 1000), -1);
	assert_int_equal(p.g.err, CHAN_E_TYPE);
	chan_frame_release(&f);
	pair_close(&p);
}

static void
test_chan_blob_bad_names(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;
	struct chan_blob b;

	pair_open(&p);
	assert_int_equal(
	    chan_write_blob(&p.h, CHAN_FILE, "../etc", 0, "x", 1, 1000), -1);
	assert_int_equal(p.h.err, CHAN_E_NAME);
	/* forge them on the wire: slash, dot-dot, NUL, name longer than
	 * the payload, empty name */
	raw(p.host,
	    "FILE\0\0\0\x08\x05"
	    "a/b.c\0x",
	    16);
	raw(p.host, "FILE\0\0\0\x05\x02..\0", 13);
	raw(p.host,
	    "FILE\0\0\0\x05\x02"
	    "a\0\0",
	    13);
	raw(p.host,
	    "FILE\0\0\0\x03\x09"
	    "ab",
	    11);
	raw(p.host, "FILE\0\0\0\x02\x00\0", 10);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(chan_read(&p.g, &f, 1000), 0);
		assert_int_equal(chan_blob_parse(&p.g, &f, &b), -1);
		assert_int_equal(p.g.err, CHAN_E_NAME);
	}
	/* a LOG_ with the truncated flag */
	assert_int_equal(chan_write_blob(&p.g, CHAN_LOG, "install.log",
	                                 CHAN_BLOB_TRUNCATED, "out", 3, 1000),
	                 0);
	assert_int_equal(chan_read(&p.h, &f, 1000), 0);
	assert_int_equal(chan_blob_parse(&p.h, &f, &b), 0);
	assert_string_equal(b.name, "install.log");
	assert_int_equal(b.flags, CHAN_BLOB_TRUNCATED);
	chan_frame_release(&f);
	pair_close(&p);
}

static void
test_chan_name_valid_cases(void **state)
{
	char longname[CHAN_NAME_MAX + 2];

	assert_true(chan_name_valid("requests-2.31.0-py3-none-any.whl"));
	assert_true(chan_name_valid("torch-2.1.0+cpu-cp311.whl"));
	assert_false(chan_name_valid(""));
	assert_false(chan_name_valid("."));
	assert_false(chan_name_valid(".."));
	assert_false(chan_name_valid(".hidden"));
	assert_false(chan_name_valid("-rf"));
	assert_false(chan_name_valid("a/b"));
	assert_false(chan_name_valid("a\\b"));
	assert_false(chan_name_valid("a b"));
	assert_false(chan_name_valid("a\nb"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(chan_name_valid(longname));
	longname[CHAN_NAME_MAX] = '\0';
	assert_true(chan_name_valid(longname));
}

static void
test_chan_write_timeout_when_peer_not_reading(void **state)
{
	struct pair p;
	static char big[4 * 1024 * 1024];
	int sz = 4096;

	pair_open(&p);
	setsockopt(p.host, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(p.guest, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	assert_int_equal(
	    chan_write_blob(&p.g, CHAN_LOG, "x.log", 0, big, sizeof(big), 100),
	    -1);
	assert_int_equal(p.g.err, CHAN_E_STALL);
	pair_close(&p);
}

/* A peer that drip-feeds a frame: each byte comes well inside stall_ms,
 * so only the per-frame bound ends it (issue 13: a guest announcing an
 * 8 MiB RSLT and sending a byte every 29 s held its slot for good). */
static void
test_chan_read_drip_fed_frame_is_bounded(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;
	int64_t t0;
	pid_t pid;

	pair_open(&p);
	p.h.stall_ms = 400;
	p.h.frame_ms = 300;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		raw(p.guest, "RSLT\0\0\0\x40", 8);
		for (int i = 0; i < 40; i++) {
			if (write(p.guest, "x", 1) != 1)
				_exit(0);
			usleep(50000);
		}
		_exit(0);
	}
	t0 = chan_now_ms();
	assert_int_equal(chan_read(&p.h, &f, 1000), -1);
	assert_int_equal(p.h.err, CHAN_E_SLOW);
	assert_true(chan_now_ms() - t0 < 1500);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	chan_frame_release(&f);
	pair_close(&p);
}

/* The deadline bounds a wait inside a frame, where stall_ms alone would
 * wait longer. */
static void
test_chan_read_deadline_mid_frame(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;

	pair_open(&p);
	p.h.stall_ms = 60000;
	p.h.deadline = chan_now_ms() + 200;
	raw(p.guest, "RSLT\0\0\0\x40{", 9);
	assert_int_equal(chan_read(&p.h, &f, 1000), -1);
	assert_int_equal(p.h.err, CHAN_E_DEADLINE);
	/* and before a frame starts, too */
	pair_close(&p);
	pair_open(&p);
	p.h.deadline = chan_now_ms() + 100;
	assert_int_equal(chan_read(&p.h, &f, 60000), -1);
	assert_int_equal(p.h.err, CHAN_E_DEADLINE);
	chan_frame_release(&f);
	pair_close(&p);
}

static int abort_calls;

static int
abort_after_three(void *arg)
{
	return ++abort_calls > 3;
}

/* The abort check runs during waits inside a frame (lease lost, SIGTERM),
 * at least once a second. */
static void
test_chan_read_abort_mid_frame(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;
	int64_t t0;

	pair_open(&p);
	p.h.stall_ms = 60000;
	p.h.abort_fn = abort_after_three;
	abort_calls = 0;
	raw(p.guest, "LOG_\0\0\0\x40", 8);
	t0 = chan_now_ms();
	assert_int_equal(chan_read(&p.h, &f, 60000), -1);
	assert_int_equal(p.h.err, CHAN_E_ABORT);
	assert_true(chan_now_ms() - t0 < 5000);
	/* a writer the peer does not read from stops too */
	abort_calls = 0;
	p.g.abort_fn = abort_after_three;
	{
		static char big[4 * 1024 * 1024];

		assert_int_equal(chan_write_blob(&p.g, CHAN_LOG, "x.log", 0,
		                                 big, sizeof(big), -1),
		                 -1);
		assert_int_equal(p.g.err, CHAN_E_ABORT);
	}
	chan_frame_release(&f);
	pair_close(&p);
}

/* ARTF: the guest hands the host one built file. Only the guest sends it,
 * its cap is checked on the announced length before a byte of payload is
 * read, and it counts in the connection's budget like every frame. */
static void
test_chan_artifact_roundtrip(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;
	struct chan_blob b;

	pair_open(&p);
	assert_int_equal(chan_write_blob(&p.g, CHAN_ARTF,
	                                 "foo-1.0-py3-none-any.whl", 0,
	                                 "PK\3\4", 4, 1000),
	                 0);
	assert_int_equal(chan_read(&p.h, &f, 1000), 0);
	assert_int_equal(f.type, CHAN_ARTF);
	assert_string_equal(chan_type_code(CHAN_ARTF), "ARTF");
	assert_int_equal(chan_blob_parse(&p.h, &f, &b), 0);
	assert_string_equal(b.name, "foo-1.0-py3-none-any.whl");
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "PK\3\4", 4);
	/* the host never sends one, and a guest does not accept one */
	assert_int_equal(
	    chan_write_blob(&p.h, CHAN_ARTF, "x.whl", 0, "x", 1, 1000), 0);
	assert_int_equal(chan_read(&p.g, &f, 1000), -1);
	assert_int_equal(p.g.err, CHAN_E_TYPE);
	/* nor a name with a path in it */
	assert_int_equal(
	    chan_write_blob(&p.g, CHAN_ARTF, "../x.whl", 0, "x", 1, 1000), -1);
	assert_int_equal(p.g.err, CHAN_E_NAME);
	chan_frame_release(&f);
	pair_close(&p);
}

static void
test_chan_artifact_cap(void **state)
{
	struct pair p;
	struct chan_frame f = CHAN_FRAME_INIT;
	struct chan_blob b;
	unsigned char hdr[8] = {'A', 'R', 'T', 'F'};
	uint32_t over = CHAN_ARTIFACT_MAX + CHAN_NAME_MAX + 3;
	static const char one[1];

	assert_int_equal(chan_type_max(CHAN_ARTF),
	                 CHAN_ARTIFACT_MAX + CHAN_NAME_MAX + 2);
	pair_open(&p);
	/* the writer refuses data above the cap before it sends anything
	 * (the length alone is checked: no byte of data is read) */
	assert_int_equal(chan_write_blob(&p.g, CHAN_ARTF, "x.whl", 0, one,
	                                 (size_t)CHAN_ARTIFACT_MAX + 1, 1000),
	                 -1);
	assert_int_equal(p.g.err, CHAN_E_TOOBIG);
	assert_int_equal(p.g.bytes_out, 0);
	/* a header announcing more than the frame's cap: refused on the
	 * header, nothing allocated for it */
	hdr[4] = (unsigned char)(over >> 24);
	hdr[5] = (unsigned char)(over >> 16);
	hdr[6] = (unsigned char)(over >> 8);
	hdr[7] = (unsigned char)over;
	raw(p.guest, hdr, sizeof(hdr));
	assert_int_equal(chan_read(&p.h, &f, 1000), -1);
	assert_int_equal(p.h.err, CHAN_E_TOOBIG);
	assert_int_equal(f.payload.len, 0);
	pair_close(&p);

	/* within the frame's cap but a short name: the data passes the
	 * artifact's cap, which the blob parse refuses */
	f.type = CHAN_ARTF;
	buf_init(&f.payload, 0);
	buf_addc(&f.payload, 1);
	buf_addc(&f.payload, 'x');
	buf_addc(&f.payload, 0);
	{
		char *big = calloc(1, (size_t)CHAN_ARTIFACT_MAX + 1);

		assert_non_null(big);
		buf_add(&f.payload, big, (size_t)CHAN_ARTIFACT_MAX + 1);
		free(big);
	}
	assert_int_equal(chan_blob_parse(NULL, &f, &b), -1);
	chan_frame_release(&f);

	/* an artifact counts in the connection's budget */
	pair_open(&p);
	p.h.max_in = 1000;
	{
		static char data[2000];

		assert_int_equal(chan_write_blob(&p.g, CHAN_ARTF, "x.whl", 0,
		                                 data, sizeof(data), 1000),
		                 0);
	}
	assert_int_equal(chan_read(&p.h, &f, 1000), -1);
	assert_int_equal(p.h.err, CHAN_E_LIMIT);
	chan_frame_release(&f);
	pair_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chan_roundtrip_json_and_blob),
	    cmocka_unit_test(test_chan_read_timeout_when_silent),
	    cmocka_unit_test(test_chan_read_truncated_frame),
	    cmocka_unit_test(test_chan_read_stall_mid_frame),
	    cmocka_unit_test(test_chan_read_oversized),
	    cmocka_unit_test(test_chan_read_connection_budget),
	    cmocka_unit_test(test_chan_read_bad_magic),
	    cmocka_unit_test(test_chan_read_wrong_direction),
	    cmocka_unit_test(test_chan_blob_bad_names),
	    cmocka_unit_test(test_chan_name_valid_cases),
	    cmocka_unit_test(test_chan_write_timeout_when_peer_not_reading),
	    cmocka_unit_test(test_chan_read_drip_fed_frame_is_bounded),
	    cmocka_unit_test(test_chan_read_deadline_mid_frame),
	    cmocka_unit_test(test_chan_read_abort_mid_frame),
	    cmocka_unit_test(test_chan_artifact_roundtrip),
	    cmocka_unit_test(test_chan_artifact_cap),
	};

	signal(SIGPIPE, SIG_IGN);
	log_set_prog("test_chan");
	log_set_level(LOG_ERROR + (getenv("V") ? 3 : 0));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
