/*
 * The agent's side of the protocol (docs/raw-data.md): find the
 * virtio-serial port, wait for the host, answer its HELO, take one job
 * and its files, run it, and send the results. The runner saves the VM
 * while this code waits for a job and restores that state for every job,
 * so waiting must survive being frozen and thawed any number of times:
 * the host speaks first on every connection, and a HELO at any point
 * before END_ starts a new session.
 *
 * While the host is not connected the port reads EOF and polls POLLHUP at
 * once, so the wait between connections is a sigtimedwait() on SIGIO
 * (which the virtio console driver raises when the host side opens),
 * with a short timeout in case the signal was missed.
 */
#include "session.h"
#include "buf.h"
#include "chan.h"
#include "job.h"
#include "jx.h"
#include "log.h"
#include "cgroup.h"
#include "os.h"
#include "sha256.h"
#include "verdict.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORT_NAME "org.pyti.agent.0"
#define IO_TIMEOUT_MS 30000
#define LOG_FRAME_MAX (1024u * 1024u)

struct session {
	struct chan c;
	int fd;
	char platform[64], python[16], kernel[128];
	int64_t last_sent; /* monotonic ms of the last frame sent */
	struct guest_job *job; /* borrowed: the job running, or NULL */
};

/* ---- the port ---- */

static int
find_port(char *dev, size_t n)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		char p[512], name[64] = "";
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/class/virtio-ports/%s/name",
		         de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
		if (!strcmp(name, PORT_NAME)) {
			snprintf(dev, n, "/dev/%s", de->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

static int
open_port(struct session *s)
{
	char dev[300];
	int64_t end = os_mono_ms() + 60000;

	while (!find_port(dev, sizeof(dev))) {
		struct timespec ts = {0, 100 * 1000000};

		if (os_mono_ms() > end)
			return log_error("no virtio port named '%s' after "
			                 "60 s",
			                 PORT_NAME);
		nanosleep(&ts, NULL);
	}
	/* root only: package code (uid pyti) must not reach the host in
	 * the agent's name; the fd is close-on-exec as a second lock */
	chmod(dev, 0600);
	s->fd = open(dev, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (s->fd < 0)
		return log_error("cannot open '%s': %s", dev, strerror(errno));
	fcntl(s->fd, F_SETOWN, getpid());
	fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_ASYNC | O_NONBLOCK);
	chan_init(&s->c, s->fd, CHAN_FROM_HOST);
	log_info("channel on %s", dev);
	return 0;
}

/* The host is not connected: sleep until it is (SIGIO) or a moment. */
static void
wait_host(void)
{
	sigset_t set;
	struct timespec ts = {0, 200 * 1000000};

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigtimedwait(&set, NULL, &ts);
}

static int
send_json(struct session *s, enum chan_type t, json_t *j)
{
	char *text = jx_dumps(j);
	int r = chan_write(&s->c, t, text, strlen(text), IO_TIMEOUT_MS);

	free(text);
	s->last_sent = os_mono_ms();
	return r;
}

static void
send_error(struct session *s, const char *msg)
{
	json_t *e = json_object(), *d = json_object();

	log_error("refusing the job: %s", msg);
	jx_set(e, "error", guest_jstr(msg, strlen(msg)));
	send_json(s, CHAN_ERR, e);
	jx_set(d, "logs", json_integer(0));
	send_json(s, CHAN_DONE, d);
	json_decref(e);
	json_decref(d);
}

/* ---- hello ---- */

static void
read_platform(struct session *s)
{
	static const char *const files[] = {
	    "/etc/pyti/platform.json", "/usr/lib/pyti/platform.json", NULL};
	char link[64];
	ssize_t n;
	FILE *f;

	snprintf(s->platform, sizeof(s->platform), "unknown");
	n = readlink("/usr/bin/python3", link, sizeof(link) - 1);
	if (n > 7 && !strncmp(link, "python", 6)) {
		link[n] = '\0';
		snprintf(s->python, sizeof(s->python), "%.15s", link + 6);
	} else {
		snprintf(s->python, sizeof(s->python), "unknown");
	}
	for (int i = 0; files[i]; i++) {
		json_t *j = jx_load_file(files[i], 4096);

		if (!j)
			continue;
		if (jx_str(j, "platform"))
			snprintf(s->platform, sizeof(s->platform), "%s",
			         jx_str(j, "platform"));
		if (jx_str(j, "python"))
			snprintf(s->python, sizeof(s->python), "%s",
			         jx_str(j, "python"));
		json_decref(j);
		break;
	}
	f = fopen("/proc/sys/kernel/osrelease", "r");
	if (f) {
		if (fgets(s->kernel, sizeof(s->kernel), f))
			s->kernel[strcspn(s->kernel, "\n")] = '\0';
		fclose(f);
	}
}

static int
answer_hello(struct session *s, const struct chan_frame *f)
{
	json_t *h =
	    jx_parse(buf_cstr(&f->payload), f->payload.len, "host hello");
	json_t *r;
	const char *nonce;
	int64_t version = 0, t = 0;
	int ret;

	if (!h)
		return -1;
	nonce = jx_str(h, "nonce");
	if (jx_int(h, "version", &version) != 0 || version != CHAN_VERSION ||
	    !nonce || strlen(nonce) > 64) {
		json_decref(h);
		return log_error("host hello without version %d or nonce",
		                 CHAN_VERSION);
	}
	/* a restored guest's clock continues from the save */
	if (jx_int(h, "time_ms", &t) == 0 && t > 1577836800000LL) {
		struct timespec ts = {(time_t)(t / 1000),
		                      (long)(t % 1000) * 1000000};

		clock_settime(CLOCK_REALTIME, &ts);
	}
	r = json_object();
	jx_set(r, "version", json_integer(CHAN_VERSION));
	jx_set(r, "nonce", json_string(nonce));
	jx_set(r, "agent", json_string("pyti-agent 1"));
	jx_set(r, "platform", json_string(s->platform));
	jx_set(r, "python", json_string(s->python));
	jx_set(r, "kernel", guest_jstr(s->kernel, strlen(s->kernel)));
	ret = send_json(s, CHAN_HELO, r);
	json_decref(r);
	json_decref(h);
	return ret;
}

/* ---- job hand-in ---- */

struct want {
	char name[CHAN_NAME_MAX + 1];
	char sha[65];
	int64_t size;
	int got;
};

static void
remove_inputs(void)
{
	DIR *d = opendir(GUEST_IN);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char p[GUEST_PATH_LEN];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), GUEST_IN "/%s", de->d_name);
		unlink(p);
	}
	closedir(d);
}

static int
store_file(struct want *w, size_t nw, const struct chan_blob *b, char *err,
           size_t errlen)
{
	struct want *hit = NULL;
	char path[GUEST_PATH_LEN], hex[65];
	int fd;

	for (size_t i = 0; i < nw; i++)
		if (!strcmp(w[i].name, b->name))
			hit = &w[i];
	if (!hit) {
		snprintf(err, errlen, "file '%s' is not in the job spec",
		         b->name);
		return -1;
	}
	if (hit->got) {
		snprintf(err, errlen, "file '%s' sent twice", b->name);
		return -1;
	}
	sha256_hex(b->data, b->len, hex);
	if ((int64_t)b->len != hit->size || !guest_hex_equal(hex, hit->sha)) {
		snprintf(err, errlen,
		         "file '%s': %zu bytes with sha256 %s, the spec says "
		         "%lld bytes with %s",
		         b->name, b->len, hex, (long long)hit->size, hit->sha);
		return -1;
	}
	snprintf(path, sizeof(path), GUEST_IN "/%s", b->name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, b->data, b->len) != (ssize_t)b->len) {
		snprintf(err, errlen, "cannot store '%s': %s", b->name,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	hit->got = 1;
	return 0;
}

static size_t
wanted_files(const json_t *spec, struct want **out)
{
	json_t *deps = json_object_get(spec, "deps");
	size_t n = 1 + json_array_size(deps), i, k = 0;
	struct want *w = xcalloc(n, sizeof(*w));

	for (i = 0; i < n; i++) {
		const json_t *d = i == 0 ? json_object_get(spec, "dist")
		                         : json_array_get(deps, i - 1);

		snprintf(w[k].name, sizeof(w[k].name), "%s", jx_str(d, "name"));
		snprintf(w[k].sha, sizeof(w[k].sha), "%s", jx_str(d, "sha256"));
		jx_int(d, "size", &w[k].size);
		k++;
	}
	*out = w;
	return k;
}

/* A job for another Python than the image's must not run silently on
 * this one: "3.11" matches the image's 3.11 (and "3.11.2"). */
static int
python_mismatch(const struct guest_job *job, const char *image, char *err,
                size_t errlen)
{
	const char *want = jx_str(job->spec, "python");
	size_t n;

	if (!want || !want[0])
		return 0;
	n = strlen(want);
	if (!strncmp(image, want, n) && (image[n] == '\0' || image[n] == '.'))
		return 0;
	snprintf(err, errlen,
	         "the job is for Python %.15s, this image has Python %s", want,
	         image);
	return 1;
}

/* ---- running and reporting ---- */

static void
hook_started(const struct guest_task_run *tr, void *arg)
{
	struct session *s = arg;
	json_t *j = json_object();

	log_info("task %s started", tr->task->name);
	jx_set(j, "task", json_string(tr->task->name));
	jx_set(j, "state", json_string("started"));
	send_json(s, CHAN_TASK, j);
	json_decref(j);
}

static void
hook_ended(const struct guest_task_run *tr, void *arg)
{
	struct session *s = arg;
	json_t *j = json_object();

	log_info("task %s: %s%s%s", tr->task->name,
	         guest_outcome_name(tr->outcome), tr->reason[0] ? ": " : "",
	         tr->reason);
	jx_set(j, "task", json_string(tr->task->name));
	jx_set(j, "state", json_string("ended"));
	jx_set(j, "outcome", json_string(guest_outcome_name(tr->outcome)));
	send_json(s, CHAN_TASK, j);
	json_decref(j);
}

static void
hook_tick(void *arg)
{
	struct session *s = arg;

	if (s->job)
		guest_job_sample(s->job);
	if (os_mono_ms() - s->last_sent >= 5000) {
		chan_write(&s->c, CHAN_BEAT, NULL, 0, IO_TIMEOUT_MS);
		s->last_sent = os_mono_ms();
	}
}

/*
 * The first stage of a two-stage job hands the wheel it built back to the
 * host in one ARTF frame, before the RSLT that names it, so the second
 * stage installs it instead of building the sdist again. What stopped it
 * goes into built.artifact_error; the results go out either way. The
 * wheel was written by package code, whose processes are all gone by
 * now: it is opened without following a link or blocking on a FIFO, and
 * read whole (at most the frame's cap) before a byte is sent.
 */
static void
send_artifact(struct session *s, struct guest_job *job, json_t *built)
{
	const char *name = strrchr(job->wheel, '/');
	struct buf data = BUF_INIT(CHAN_ARTIFACT_MAX);
	char why[256] = "", chunk[65536];
	struct stat st;
	int fd;

	name = name ? name + 1 : job->wheel;
	if (!chan_name_valid(name)) {
		snprintf(why, sizeof(why),
		         "the wheel's name is not one the channel carries");
		goto out;
	}
	fd = open(job->wheel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, sizeof(why), "cannot open the wheel: %s",
		         fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, sizeof(why), "cannot read the wheel: %s",
			         strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (buf_add(&data, chunk, (size_t)n)) {
			snprintf(why, sizeof(why),
			         "the wheel has %lld bytes, more than the "
			         "artifact cap of %u",
			         (long long)st.st_size, CHAN_ARTIFACT_MAX);
			break;
		}
	}
	close(fd);
	if (*why)
		goto out;
	if (chan_write_blob(&s->c, CHAN_ARTF, name, 0,
	                    data.len ? data.data : "", data.len, IO_TIMEOUT_MS))
		snprintf(why, sizeof(why), "cannot send it: %s",
		         chan_err_text(s->c.err));
	s->last_sent = os_mono_ms();
out:
	if (*why)
		jx_set(built, "artifact_error", json_string(why));
	else
		jx_set(built, "artifact", json_string(name));
	buf_release(&data);
}

static int
send_results(struct session *s, struct guest_job *job)
{
	json_t *r = guest_job_results(job), *done;
	json_t *built = json_object_get(r, "built");
	int logs = 0;
	char *text;

	if (json_is_object(built) && *job->wheel)
		send_artifact(s, job, built);

	for (size_t i = 0; i < guest_graph_count(job->graph) && logs < 64;
	     i++) {
		struct guest_task_run *tr = guest_graph_task(job->graph, i);
		char name[64];
		size_t n = tr->log.len;
		unsigned flags = tr->output_capped ? CHAN_BLOB_TRUNCATED : 0;

		if (!n)
			continue;
		if (n > LOG_FRAME_MAX) {
			n = LOG_FRAME_MAX;
			flags = CHAN_BLOB_TRUNCATED;
		}
		snprintf(name, sizeof(name), "%s.log", tr->task->name);
		if (chan_write_blob(&s->c, CHAN_LOG, name, flags,
		                    buf_cstr(&tr->log), n, IO_TIMEOUT_MS) == 0)
			logs++;
	}
	text = jx_dumps(r);
	if (strlen(text) > chan_type_max(CHAN_RSLT)) {
		/* the per-case list is the only part that grows with the
		 * package: drop it and say so */
		json_t *t = json_object_get(r, "tests");

		free(text);
		if (t) {
			jx_set(t, "cases_dropped",
			       json_integer((json_int_t)json_array_size(
			           json_object_get(t, "cases"))));
			jx_set(t, "cases", json_array());
		}
		text = jx_dumps(r);
	}
	if (strlen(text) > chan_type_max(CHAN_RSLT)) {
		free(text);
		json_decref(r);
		send_error(s, "results larger than the RSLT frame cap");
		return -1;
	}
	chan_write(&s->c, CHAN_RSLT, text, strlen(text), IO_TIMEOUT_MS);
	free(text);
	json_decref(r);
	done = json_object();
	jx_set(done, "logs", json_integer(logs));
	send_json(s, CHAN_DONE, done);
	json_decref(done);
	return 0;
}

/* ---- guest setup: loopback and the DNS stub ---- */

static void
loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
			log_warn("cannot bring lo up: %s", strerror(errno));
	}
	close(fd);
}

/* The question name of a DNS query as dotted text; 0 or -1. */
static int
dns_qname(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	size_t i = 12, o = 0;

	if (n < 17)
		return -1;
	while (i < n && p[i]) {
		size_t len = p[i++];

		if (len > 63 || i + len > n)
			return -1;
		for (size_t k = 0; k < len && o + 5 < outlen; k++) {
			unsigned char ch = p[i + k];

			if (ch > 0x20 && ch < 0x7f && ch != '\\')
				out[o++] = (char)ch;
			else
				o += (size_t)snprintf(out + o, outlen - o,
				                      "\\%03o", ch);
		}
		if (o + 1 < outlen)
			out[o++] = '.';
		i += len;
	}
	out[o] = '\0';
	return i < n ? (int)i + 1 : -1;
}

static void
dns_stub(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int logfd = open(GUEST_PRIV "/dns.log",
	                 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || logfd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		log_warn("DNS stub disabled: %s", strerror(errno));
		_exit(1);
	}
	for (;;) {
		unsigned char q[512];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, q, sizeof(q), 0,
		                     (struct sockaddr *)&from, &fl);
		char name[1100];
		int end;

		if (n <= 0)
			continue;
		end = dns_qname(q, (size_t)n, name, sizeof(name) - 2);
		if (end < 0)
			continue;
		{
			size_t len = strlen(name);

			name[len] = '\n';
			if (write(logfd, name, len + 1) < 0)
				continue;
		}
		/* NXDOMAIN: the question echoed, no answers */
		if ((size_t)end + 4 <= (size_t)n) {
			q[2] = 0x81;
			q[3] = 0x83;
			q[6] = q[7] = q[8] = q[9] = q[10] = q[11] = 0;
			sendto(fd, q, (size_t)end + 4, 0,
			       (struct sockaddr *)&from, fl);
		}
	}
}

static void
start_dns_stub(void)
{
	pid_t p;

	mkdir(GUEST_PRIV, 0700);
	loopback_up();
	p = fork();
	if (p == 0)
		dns_stub();
	if (p < 0)
		log_warn("cannot start the DNS stub: %s", strerror(errno));
}

/* The venv and directories are made once, at boot: they are then in the
 * saved state every job is restored from, and cost a job nothing. */
static int
boot_setup(void)
{
	struct guest_job tmp;
	int r;

	memset(&tmp, 0, sizeof(tmp));
	/* a cgroup per task when the kernel has cgroup2 (cgroup.h) */
	if (guest_job_in_guest() &&
	    guest_cg_init("/sys/fs/cgroup", "pyti", 1) == 0)
		log_info("tasks run in cgroups under /sys/fs/cgroup/pyti");
	start_dns_stub();
	r = guest_job_prepare(&tmp);
	return r;
}

/* ---- the loop ---- */

enum state { WAIT_HELO, WAIT_JOB, WAIT_FILES, USED };

int
guest_session_serve(void)
{
	struct session s;
	struct chan_frame f = CHAN_FRAME_INIT;
	struct guest_job job;
	struct want *want = NULL;
	size_t nwant = 0;
	enum state st = WAIT_HELO;
	int have_job = 0;
	sigset_t set;

	memset(&s, 0, sizeof(s));
	memset(&job, 0, sizeof(job));
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	read_platform(&s);
	if (boot_setup())
		log_error("job setup failed at boot; jobs will fail");
	if (open_port(&s))
		return -1;
	log_info("ready: %s, python %s", s.platform, s.python);
	for (;;) {
		int r = chan_read(&s.c, &f, 1000);
		char err[512];

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (r == CHAN_TIMEOUT)
			continue;
		if (r == CHAN_EOF || r < 0) {
			if (r < 0) {
				/* a bad frame: the stream is out of step;
				 * reopening the port drops what is queued */
				close(s.fd);
				if (open_port(&s))
					return -1;
			}
			if (st == WAIT_JOB || st == WAIT_FILES) {
				remove_inputs();
				if (have_job)
					guest_job_release(&job);
				have_job = 0;
				free(want);
				want = NULL;
				st = WAIT_HELO;
			}
			if (r == CHAN_EOF)
				wait_host();
			continue;
		}
		if (f.type == CHAN_HELO) {
			if (st == USED) {
				send_error(&s, "this VM already ran a job: "
				               "restore it before the next");
				continue;
			}
			if (have_job) {
				guest_job_release(&job);
				have_job = 0;
			}
			remove_inputs();
			free(want);
			want = NULL;
			if (answer_hello(&s, &f) == 0)
				st = WAIT_JOB;
			continue;
		}
		if (st == WAIT_JOB && f.type == CHAN_JOB) {
			json_t *spec = jx_parse(buf_cstr(&f.payload),
			                        f.payload.len, "job spec");
			int64_t t0 = os_wall_ms();

			if (!spec) {
				send_error(&s, "job spec is not valid JSON");
				st = WAIT_HELO;
				continue;
			}
			have_job = 1;
			if (guest_job_init(&job, spec, err, sizeof(err))) {
				send_error(&s, err);
				guest_job_release(&job);
				have_job = 0;
				st = WAIT_HELO;
				continue;
			}
			job.t_job = t0;
			job.t_job_mono = os_mono_ms();
			job.beat = hook_tick;
			job.beat_arg = &s;
			if (python_mismatch(&job, s.python, err, sizeof(err))) {
				send_error(&s, err);
				guest_job_release(&job);
				have_job = 0;
				st = WAIT_HELO;
				continue;
			}
			snprintf(job.platform, sizeof(job.platform), "%s",
			         s.platform);
			snprintf(job.python, sizeof(job.python), "%s",
			         s.python);
			nwant = wanted_files(job.spec, &want);
			log_info("job %s: %s and %zu more files", job.job_id,
			         job.dist, nwant - 1);
			st = WAIT_FILES;
			continue;
		}
		if (st == WAIT_FILES && f.type == CHAN_FILE) {
			struct chan_blob b;

			if (chan_blob_parse(&s.c, &f, &b) ||
			    store_file(want, nwant, &b, err, sizeof(err))) {
				if (s.c.err == CHAN_E_NAME)
					snprintf(
					    err, sizeof(err),
					    "a FILE frame with a bad name");
				send_error(&s, err);
				st = USED;
			}
			continue;
		}
		if (st == WAIT_FILES && f.type == CHAN_END) {
			struct guest_hooks hooks = {hook_started, hook_ended,
			                            hook_tick};
			size_t i;

			for (i = 0; i < nwant && want[i].got; i++)
				;
			if (i < nwant) {
				snprintf(err, sizeof(err),
				         "file '%s' was never sent",
				         want[i].name);
				send_error(&s, err);
				st = USED;
				continue;
			}
			job.t_files = os_wall_ms();
			st = USED;
			if (!guest_job_in_guest()) {
				/* never run package code on a host */
				send_error(&s, "not inside a pyti guest");
				continue;
			}
			s.job = &job;
			r = guest_job_run(&job, &hooks, &s);
			s.job = NULL;
			if (r != 0) {
				send_error(&s, "the task graph cannot load");
				continue;
			}
			send_results(&s, &job);
			log_info("job %s done", job.job_id);
			continue;
		}
		log_warn("ignoring a '%s' frame", chan_type_code(f.type));
	}
}
