/*
 * tests/helper/chan-guest SOCKET: a stand-in for the guest agent's side of
 * the channel, built on common/chan.c, so that tests/helper/guest-job (the
 * Python host side the VM tests use) is checked against the C protocol
 * implementation with no VM (t0020). It listens on the unix socket
 * SOCKET, accepts one connection, answers the host's HELO with its nonce,
 * reads JOB_, every FILE (each checked against the spec's size and
 * sha256) and END_, then sends TASK, BEAT, LOG_ "fake.log", ARTF
 * "fake-1.0-py3-none-any.whl" (the bytes "artifact\n"), RSLT (naming each
 * file it got and whether it matched) and DONE. Every read is the
 * strict one of chan.c: a frame guest-job frames wrongly fails here.
 * Exit 0 when the whole exchange went through, 1 otherwise. Bounded:
 * 30 s for the connection, 10 s per frame.
 */
#include "buf.h"
#include "chan.h"
#include "jx.h"
#include "log.h"
#include "sha256.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define WAIT_MS 10000

static int
accept_one(const char *path)
{
	struct sockaddr_un a;
	struct pollfd p;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), fd = -1;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (s < 0 || strlen(path) >= sizeof(a.sun_path))
		return log_error("cannot make a socket at '%s'", path);
	memcpy(a.sun_path, path, strlen(path));
	unlink(path);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1)) {
		close(s);
		return log_error("cannot listen on '%s'", path);
	}
	p.fd = s;
	p.events = POLLIN;
	if (poll(&p, 1, 30000) == 1)
		fd = accept(s, NULL, NULL);
	close(s);
	if (fd < 0)
		return log_error("no connection on '%s'", path);
	return fd;
}

/* Read one frame of type want. Returns 0 or -1 (logged). */
static int
expect(struct chan *c, struct chan_frame *f, enum chan_type want)
{
	if (chan_read(c, f, WAIT_MS) != 0)
		return log_error("no frame %s", chan_type_code(want));
	if (f->type != want)
		return log_error("frame %s where %s was due",
		                 chan_type_code(f->type), chan_type_code(want));
	return 0;
}

/* The entry of spec (dist or deps[]) named name, or NULL (borrowed). */
static json_t *
entry(json_t *spec, const char *name)
{
	json_t *deps = json_object_get(spec, "deps"), *e;
	size_t i;

	e = json_object_get(spec, "dist");
	if (e && !strcmp(jx_str_or(e, "name", ""), name))
		return e;
	json_array_foreach(deps, i, e)
		if (!strcmp(jx_str_or(e, "name", ""), name))
			return e;
	return NULL;
}

static int
serve(struct chan *c)
{
	struct chan_frame f = CHAN_FRAME_INIT;
	json_t *hello = NULL, *spec = NULL, *files = json_array(), *res;
	char *text = NULL, hex[SHA256_HEX_LEN + 1];
	int ret = -1;

	if (expect(c, &f, CHAN_HELO))
		goto out;
	hello = jx_parse(f.payload.data, f.payload.len, "host HELO");
	if (!hello)
		goto out;
	res = json_pack("{s:i,s:O}", "version", 1, "nonce",
	                json_object_get(hello, "nonce"));
	text = jx_dumps(res);
	json_decref(res);
	if (chan_write(c, CHAN_HELO, text, strlen(text), WAIT_MS) ||
	    expect(c, &f, CHAN_JOB))
		goto out;
	spec = jx_parse(f.payload.data, f.payload.len, "job spec");
	if (!spec)
		goto out;
	for (;;) {
		struct chan_blob b;
		json_t *e;
		int64_t size;

		if (chan_read(c, &f, WAIT_MS) != 0)
			goto out;
		if (f.type == CHAN_END)
			break;
		if (f.type != CHAN_FILE || chan_blob_parse(c, &f, &b))
			goto out;
		sha256_hex(b.data ? b.data : "", b.len, hex);
		e = entry(spec, b.name);
		json_array_append_new(
		    files, json_pack("{s:s,s:b}", "name", b.name, "ok",
		                     e && !jx_int(e, "size", &size) &&
		                         size == (int64_t)b.len &&
		                         jx_str(e, "sha256") &&
		                         !strcmp(jx_str(e, "sha256"), hex)));
	}
	free(text);
	res = json_pack("{s:i,s:O,s:O}", "version", 1, "job_id",
	                json_object_get(spec, "job_id"), "files", files);
	text = jx_dumps(res);
	json_decref(res);
	if (chan_write(c, CHAN_TASK, "{\"task\":\"fake\"}", 15, WAIT_MS) ||
	    chan_write(c, CHAN_BEAT, "", 0, WAIT_MS) ||
	    chan_write_blob(c, CHAN_LOG, "fake.log", 0, "fake log\n", 9,
	                    WAIT_MS) ||
	    chan_write_blob(c, CHAN_ARTF, "fake-1.0-py3-none-any.whl", 0,
	                    "artifact\n", 9, WAIT_MS) ||
	    chan_write(c, CHAN_RSLT, text, strlen(text), WAIT_MS) ||
	    chan_write(c, CHAN_DONE, "{}", 2, WAIT_MS))
		goto out;
	ret = 0;
out:
	free(text);
	json_decref(hello);
	json_decref(spec);
	json_decref(files);
	chan_frame_release(&f);
	return ret;
}

int
main(int argc, char **argv)
{
	struct chan c;
	int fd, ret;

	log_set_prog("chan-guest");
	if (argc != 2) {
		fprintf(stderr, "usage: chan-guest SOCKET\n");
		return 2;
	}
	fd = accept_one(argv[1]);
	if (fd < 0)
		return 1;
	chan_init(&c, fd, CHAN_FROM_HOST);
	ret = serve(&c) ? 1 : 0;
	close(fd);
	return ret;
}
