/*
 * One job: check and load its files, run attempts on an executor until a
 * package outcome comes back or the infrastructure retries are spent, and
 * build the raw results document. Everything the guest (or the exec
 * command) sends is untrusted: frames are capped by chan, JSON is parsed
 * strictly, log bytes are turned into valid UTF-8 text before they go
 * into JSON, names are checked.
 */
#include "job.h"
#include "buf.h"
#include "cas.h"
#include "chan.h"
#include "distfile.h"
#include "gjson.h"
#include "jx.h"
#include "limits.h"
#include "log.h"
#include "os.h"
#include "pep503.h"
#include "pool.h"
#include "sha256.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILE_MAX (64u << 20)
#define FILES_TOTAL_MAX (512u << 20)
#define DEPS_MAX 256
#define EXEC_OUT_MAX (8u << 20)
#define EXEC_ERR_MAX (64u << 10)
#define DETAIL_MAX 2048
#define HANDIN_MS 60000

struct file {
	char *name;
	struct buf data;
};

/*
 * What the job may hand back in an ARTF frame: only the first stage of a
 * two-stage job ("stage": "build") sends one, the wheel it built, which
 * must be a wheel of the job's own project.
 */
struct artifact_rule {
	int allowed; /* the spec's "stage" is "build" */
	char project[DISTFILE_MAX_LEN + 1]; /* PEP 503 normalized, or "" */
};

/* One attempt's outcome, before classification. */
struct attempt {
	enum run_infra infra;
	char detail[DETAIL_MAX];
	json_t *artifact; /* {name, size, sha256} or {name, size, error},
			     new reference, or NULL: no ARTF */
	json_t *result; /* RSLT, new reference, or NULL */
	json_t *agent_error; /* ERR_, new reference, or NULL */
	json_t *logs; /* object: name -> {truncated, bytes, text} */
	size_t logs_bytes; /* log text kept so far, as encoded JSON */
	int aborted;
	int64_t reset_ms, restore_ms, handin_ms, run_ms, handout_ms;
};

void
run_outcome_release(struct run_outcome *o)
{
	free(o->outcome);
	free(o->raw_text);
	json_decref(o->raw);
	memset(o, 0, sizeof(*o));
}

static void set_infra(struct attempt *a, enum run_infra i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_infra(struct attempt *a, enum run_infra i, const char *fmt, ...)
{
	va_list ap;

	if (a->infra != RUN_INFRA_NONE)
		return; /* the first cause is the one that counts */
	a->infra = i;
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
}

/*
 * Untrusted bytes as a JSON string: invalid UTF-8 and NUL (which
 * PostgreSQL's jsonb refuses) become U+FFFD. At most *budget bytes of
 * encoded JSON text are produced (a control byte costs 6, an escaped
 * quote 2, U+FFFD 3); *budget is lowered by what was used and *used (may
 * be NULL) gets the number of input bytes taken. New reference.
 */
static json_t *
text_json_cut(const char *s, size_t n, size_t *budget, size_t *used)
{
	struct buf b = BUF_INIT(0);
	size_t i = 0, left = *budget;
	json_t *j;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = 0, k, cost;
		unsigned cp = 0;

		if (c >= 0x01 && c < 0x80) {
			if (c == '"' || c == '\\' || c == '\n' || c == '\t' ||
			    c == '\r' || c == '\b' || c == '\f')
				cost = 2;
			else
				cost = c < 0x20 ? 6 : 1;
			if (cost > left)
				break;
			left -= cost;
			buf_addc(&b, (char)c);
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		for (k = 1; len && k < len; k++) {
			if (i + k >= n ||
			    ((unsigned char)s[i + k] & 0xc0) != 0x80) {
				len = 0;
				break;
			}
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
		}
		if (len && ((len == 3 &&
		             (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		            (len == 4 && (cp < 0x10000 || cp > 0x10ffff))))
			len = 0;
		cost = len ? len : 3;
		if (cost > left)
			break;
		left -= cost;
		if (!len) {
			buf_adds(&b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		buf_add(&b, s + i, len);
		i += len;
	}
	*budget = left;
	if (used)
		*used = i;
	j = json_stringn(buf_cstr(&b), b.len);
	buf_release(&b);
	if (!j)
		j = json_string("");
	return j;
}

/* text_json_cut without a bound (callers bound n). */
static json_t *
text_json(const char *s, size_t n)
{
	size_t budget = (size_t)-1;

	return text_json_cut(s, n, &budget, NULL);
}

/* --- the job's files ------------------------------------------------- */

static void
files_free(struct file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(files[i].name);
		buf_release(&files[i].data);
	}
	free(files);
}

/*
 * Check one file entry of the spec, before any file is read: a name the
 * channel can carry, a sha256, a size within FILE_MAX and, added to
 * *total, within FILES_TOTAL_MAX. Returns 0, or -1 with why filled: the
 * entry itself is wrong, so no host can ever run the job.
 */
static int
check_entry(const json_t *entry, uint64_t *total, char *why, size_t whylen)
{
	const char *name = jx_str(entry, "name"),
	           *sha = jx_str(entry, "sha256");
	int64_t size;

	if (!json_is_object(entry) || !name || !chan_name_valid(name) || !sha ||
	    !sha256_is_hex(sha) || jx_int(entry, "size", &size) || size < 0 ||
	    size > FILE_MAX) {
		snprintf(why, whylen,
		         "a file entry of the spec is invalid "
		         "(name, size <= 64 MiB, sha256)");
		return -1;
	}
	*total += (uint64_t)size;
	if (*total > FILES_TOTAL_MAX) {
		snprintf(why, whylen,
		         "the spec's files come to more than %u MiB",
		         FILES_TOTAL_MAX >> 20);
		return -1;
	}
	return 0;
}

/*
 * Load one checked file entry from this host's store (or its local path)
 * and verify its size and sha256; strip host-only keys from the entry.
 * Returns 0, or -1 with why filled: this host lacks the file or holds
 * another (a host failure: another runner, or this one later, may have
 * it).
 */
static int
load_file(json_t *entry, const struct run_limits *lim, struct file *out,
          char *why, size_t whylen)
{
	const char *name = jx_str(entry, "name"),
	           *sha = jx_str(entry, "sha256");
	const char *path = jx_str(entry, "path");
	char hex[SHA256_HEX_LEN + 1], *p = NULL;
	int64_t size = 0;

	(void)jx_int(entry, "size", &size);
	if (path && lim->local_paths) {
		p = xstrdup(path);
	} else if (lim->store) {
		struct buf sp = BUF_INIT(0);

		cas_path(lim->store, sha, &sp);
		p = buf_detach(&sp, NULL);
	} else {
		snprintf(why, whylen, "no file store configured for '%s'",
		         name);
		return -1;
	}
	buf_init(&out->data, FILE_MAX);
	out->name = xstrdup(name);
	if (os_read_file(p, &out->data)) {
		snprintf(why, whylen, "cannot read '%s' for '%s'", p, name);
		free(p);
		return -1;
	}
	free(p);
	if ((int64_t)out->data.len != size) {
		snprintf(why, whylen, "'%s' has %zu bytes, the spec says %lld",
		         name, out->data.len, (long long)size);
		return -1;
	}
	sha256_hex(out->data.data ? out->data.data : "", out->data.len, hex);
	if (strcasecmp(hex, sha) != 0) {
		snprintf(why, whylen, "'%s' does not match its sha256", name);
		return -1;
	}
	json_object_del(entry, "path");
	return 0;
}

/* Whether deps[i]'s name is the dist's or an earlier dep's (all checked). */
static int
listed_before(const json_t *spec, const json_t *deps, size_t i)
{
	const char *name = jx_str(json_array_get(deps, i), "name");
	size_t k;

	if (strcmp(name, jx_str(json_object_get(spec, "dist"), "name")) == 0)
		return 1;
	for (k = 0; k < i; k++)
		if (strcmp(name, jx_str(json_array_get(deps, k), "name")) == 0)
			return 1;
	return 0;
}

/*
 * Parse the queue spec, check it, load its files, and build the agent's
 * spec (new reference). Returns RUN_INFRA_NONE, or with why filled
 * RUN_INFRA_BAD_SPEC (the spec itself can never run: not an object, deps
 * not an array or too many, an invalid entry, a name listed twice, too
 * many bytes in all; checked before any file is read) or RUN_INFRA_HOST
 * (a file this host cannot supply).
 */
static enum run_infra
prepare(const char *spec, int64_t job_id, int attempt,
        const struct run_limits *lim, json_t **agent_spec, struct file **files,
        size_t *nfiles, char *why, size_t whylen)
{
	json_t *j = jx_parse(spec, strlen(spec), "job spec"), *deps, *e;
	struct file *f = NULL;
	uint64_t total = 0;
	size_t n = 0, i, ndeps = 0;
	enum run_infra bad = RUN_INFRA_BAD_SPEC;
	char id[64];

	if (!j || !json_is_object(j)) {
		snprintf(why, whylen, "the job spec is not a JSON object");
		goto fail;
	}
	deps = json_object_get(j, "deps");
	if (deps && !json_is_array(deps)) {
		snprintf(why, whylen, "the job spec's deps is not an array");
		goto fail;
	}
	ndeps = deps ? json_array_size(deps) : 0;
	if (ndeps > DEPS_MAX) {
		snprintf(why, whylen, "more than %d deps", DEPS_MAX);
		goto fail;
	}
	/* The spec first: a job that can never run fails here, whatever
	 * this host's store holds. */
	if (check_entry(json_object_get(j, "dist"), &total, why, whylen))
		goto fail;
	json_array_foreach(deps, i, e) {
		if (check_entry(e, &total, why, whylen))
			goto fail;
		if (listed_before(j, deps, i)) {
			snprintf(why, whylen, "'%s' is listed twice",
			         jx_str(e, "name"));
			goto fail;
		}
	}
	bad = RUN_INFRA_HOST;
	f = xcalloc(ndeps + 1, sizeof(*f));
	if (load_file(json_object_get(j, "dist"), lim, &f[n++], why, whylen))
		goto fail;
	json_array_foreach(deps, i, e) {
		if (load_file(e, lim, &f[n++], why, whylen))
			goto fail;
	}
	snprintf(id, sizeof(id), "%lld-%d", (long long)job_id, attempt);
	jx_set(j, "version", json_integer(1));
	jx_set(j, "job_id", json_string(id));
	jx_set(j, "deadline_s", json_integer(run_deadline_s(lim)));
	*agent_spec = j;
	*files = f;
	*nfiles = n;
	return RUN_INFRA_NONE;
fail:
	if (f)
		files_free(f, ndeps + 1);
	json_decref(j);
	return bad;
}

int64_t
run_deadline_s(const struct run_limits *lim)
{
	int64_t s = lim->timeout_ms / 1000 - RUN_HANDOUT_MARGIN_S;

	return s < 60 ? 60 : s;
}

/* --- an attempt on a VM ----------------------------------------------- */

static int
tick_due(int64_t *last, run_tick_fn tick, void *arg)
{
	int64_t now = os_mono_ms();

	if (!tick || now - *last < 1000)
		return 0;
	*last = now;
	return tick(arg);
}

/*
 * Keep a LOG_ frame: at most RUN_LOGS_MAX logs and RUN_LOGS_TEXT_MAX bytes
 * of encoded log text per job (a log past the budget is cut and marked
 * truncated), so the raw document stays inside the spool's limits
 * (limits.h) however the bytes escape.
 */
static void
take_log(struct attempt *a, struct chan *c, const struct chan_frame *f)
{
	struct chan_blob blob;
	size_t keep, budget;
	json_t *l, *text;

	if (chan_blob_parse(c, f, &blob)) {
		set_infra(a, RUN_INFRA_PROTOCOL, "a malformed LOG_ frame");
		return;
	}
	if (json_object_size(a->logs) >= RUN_LOGS_MAX) {
		set_infra(a, RUN_INFRA_PROTOCOL, "more than %d logs",
		          RUN_LOGS_MAX);
		return;
	}
	if (json_object_get(a->logs, blob.name)) {
		set_infra(a, RUN_INFRA_PROTOCOL, "log '%s' sent twice",
		          blob.name);
		return;
	}
	budget = RUN_LOGS_TEXT_MAX - a->logs_bytes;
	text = text_json_cut(blob.data, blob.len, &budget, &keep);
	a->logs_bytes = RUN_LOGS_TEXT_MAX - budget;
	l = json_object();
	jx_set(l, "truncated",
	       json_boolean((blob.flags & CHAN_BLOB_TRUNCATED) ||
	                    keep < blob.len));
	jx_set(l, "bytes", json_integer((json_int_t)blob.len));
	jx_set(l, "text", text);
	jx_set(a->logs, blob.name, l);
}

/*
 * Put len bytes whose sha256 is hex into the store, atomically (a
 * temporary file beside the final name, fsync, rename): the final name
 * only ever holds the bytes it promises. A file already there with these
 * bytes is kept. The slots of one runner write under one lock, so two of
 * them storing the same wheel do not share a temporary file. Returns 0,
 * or -1 (logged).
 */
static int
store_artifact(const char *store, const char *hex, const char *data, size_t len)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct buf path = BUF_INIT(0), old = BUF_INIT(len);
	char have[SHA256_HEX_LEN + 1], *slash;
	struct stat st;
	int ret = -1;

	if (cas_path(store, hex, &path))
		return log_error("artifact: bad sha256 '%s'", hex);
	pthread_mutex_lock(&lock);
	if (stat(buf_cstr(&path), &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == len &&
	    os_read_file(buf_cstr(&path), &old) == 0 && old.len == len) {
		sha256_hex(old.data ? old.data : "", old.len, have);
		if (!strcmp(have, hex)) {
			ret = 0;
			goto out;
		}
	}
	slash = strrchr(path.data, '/');
	*slash = '\0';
	if (os_mkdir_p(buf_cstr(&path), 0755))
		goto out;
	*slash = '/';
	ret = os_write_atomic(buf_cstr(&path), data, len, 0644);
out:
	pthread_mutex_unlock(&lock);
	buf_release(&path);
	buf_release(&old);
	return ret;
}

static void artifact_refuse(json_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record why an artifact was not stored (its name and size stay). */
static void
artifact_refuse(json_t *o, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	jx_set(o, "error", json_string(why));
}

/*
 * Take an ARTF frame: at most one per job, only from a first stage (else
 * the attempt is a protocol error). Its name is a valid blob name (no
 * path, no control bytes: chan_blob_parse), and it is stored only when it
 * is a wheel filename of the job's own project; the host hashes the bytes
 * itself and stores them under that sha256. What was refused is recorded
 * with the reason, never stored.
 */
static void
take_artifact(struct attempt *a, struct chan *c, const struct chan_frame *f,
              const struct artifact_rule *rule, const char *store)
{
	struct chan_blob blob;
	struct distfile_wheel w;
	const char *why = NULL;
	char hex[SHA256_HEX_LEN + 1];
	json_t *o;

	if (!rule->allowed) {
		set_infra(a, RUN_INFRA_PROTOCOL,
		          "an ARTF frame from a job that is not a build stage");
		return;
	}
	if (a->artifact) {
		set_infra(a, RUN_INFRA_PROTOCOL, "two ARTF frames");
		return;
	}
	if (chan_blob_parse(c, f, &blob)) {
		set_infra(a, RUN_INFRA_PROTOCOL, "a malformed ARTF frame");
		return;
	}
	o = a->artifact = json_object();
	jx_set(o, "name", json_string(blob.name));
	jx_set(o, "size", json_integer((json_int_t)blob.len));
	if (distfile_wheel_parse(blob.name, strlen(blob.name), &w, &why)) {
		artifact_refuse(o, "not a wheel filename: %s",
		                why ? why : "invalid");
		return;
	}
	if (!*rule->project || strcmp(w.name, rule->project) != 0) {
		artifact_refuse(o,
		                "a wheel of '%s', not of the job's project "
		                "'%s'",
		                w.name, *rule->project ? rule->project : "?");
		distfile_wheel_release(&w);
		return;
	}
	distfile_wheel_release(&w);
	if (!store) {
		artifact_refuse(o, "this runner has no store");
		return;
	}
	sha256_hex(blob.len ? blob.data : "", blob.len, hex);
	if (store_artifact(store, hex, blob.data, blob.len)) {
		artifact_refuse(o, "cannot write it into the store");
		return;
	}
	jx_set(o, "sha256", json_string(hex));
}

/* The tick as a channel abort check: called on every wait, passed on
 * to the tick about once a second. */
struct tick_gate {
	run_tick_fn tick;
	void *arg;
	int64_t last;
	int fired;
};

static int
gate_abort(void *arg)
{
	struct tick_gate *g = arg;

	if (!g->fired && tick_due(&g->last, g->tick, g->arg))
		g->fired = 1;
	return g->fired;
}

/*
 * In the child of an executor's fork(): its own process group (the job
 * timeout kills the group), the job's environment, CMD run by /bin/sh.
 * Never returns.
 */
static void
exec_command(const char *cmd, int64_t job_id, int attempt,
             const char *platform)
{
	char sid[32], satt[16];

	snprintf(sid, sizeof(sid), "%lld", (long long)job_id);
	snprintf(satt, sizeof(satt), "%d", attempt);
	setpgid(0, 0);
	setenv("PYTI_JOB_ID", sid, 1);
	setenv("PYTI_ATTEMPT", satt, 1);
	setenv("PYTI_PLATFORM", platform, 1);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/*
 * Start the chan executor's command with one end of a socketpair as its
 * stdin and stdout: it speaks the agent's side of the channel. Returns
 * the host's end, or -1 (logged).
 */
static int
spawn_chan(const char *cmd, int64_t job_id, int attempt, const char *platform,
           pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return log_error("socketpair: %s", strerror(errno));
	*pid = fork();
	if (*pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return log_error("fork: %s", strerror(errno));
	}
	if (*pid == 0) {
		dup2(sv[1], 0);
		dup2(sv[1], 1);
		exec_command(cmd, job_id, attempt, platform);
	}
	setpgid(*pid, *pid);
	close(sv[1]);
	return sv[0];
}

/* The state of the attempt's "machine": the VM's, or the command's. */
static enum run_infra
machine_check(struct run_vm *vm, pid_t pid)
{
	if (vm)
		return run_vm_check(vm);
	if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid)
		return RUN_INFRA_VM_DIED;
	return RUN_INFRA_NONE;
}

/* Parse guest JSON under the node and depth bounds; NULL: infra set. */
static json_t *
guest_json(struct attempt *a, const struct chan_frame *f, const char *what)
{
	char why[256];
	json_t *j = run_gjson_parse(f->payload.data, f->payload.len, what,
	                            RUN_JSON_NODES_MAX, RUN_JSON_DEPTH_MAX, why,
	                            sizeof(why));

	if (!j)
		set_infra(a, RUN_INFRA_PROTOCOL, "%s", why);
	return j;
}

/* 1 if j re-encodes to more than max bytes (then infra is set). */
static int
too_big_encoded(struct attempt *a, const json_t *j, size_t max,
                const char *what)
{
	size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);

	if (n <= max)
		return 0;
	set_infra(a, RUN_INFRA_PROTOCOL,
	          "%s re-encode to %zu bytes, more than %zu", what, n, max);
	return 1;
}

/*
 * One attempt over the channel: a pool VM (vm != NULL) or the chan
 * executor's command. Every wait -- hand-in, each frame and inside each
 * frame -- is bounded by the job's deadline, the silence timeout and
 * RUN_FRAME_MS, and polls the tick, so a guest cannot hold the slot past
 * them whatever it sends, and lease loss or shutdown act within a second.
 */
static void
attempt_chan(struct run_vm *vm, const char *cmd, const char *platform,
             int64_t job_id, int attempt, const char *spec,
             const struct file *files, size_t nfiles,
             const struct artifact_rule *rule, const struct run_limits *lim,
             run_tick_fn tick, void *arg, struct attempt *a)
{
	struct chan c;
	struct chan_frame f = CHAN_FRAME_INIT;
	struct tick_gate gate = {tick, arg, os_mono_ms(), 0};
	enum run_infra infra;
	int64_t t0, start, job_end, last_frame, last_check, first_out = 0;
	int64_t beats = 0, tasks = 0, errs = 0, beats_max;
	uint64_t handin_bytes = strlen(spec);
	size_t i;
	pid_t pid = -1;
	int fd, done = 0;
	char why[256], want_id[64];

	snprintf(want_id, sizeof(want_id), "%lld-%d", (long long)job_id,
	         attempt);
	t0 = os_mono_ms();
	if (vm) {
		fd = run_vm_reset(vm, &a->restore_ms);
		if (fd < 0) {
			set_infra(a, RUN_INFRA_LIBVIRT, "cannot reset '%s'",
			          run_vm_name(vm));
			return;
		}
	} else {
		fd = spawn_chan(cmd, job_id, attempt, platform, &pid);
		if (fd < 0) {
			set_infra(a, RUN_INFRA_HOST, "cannot start '%s'", cmd);
			return;
		}
		a->restore_ms = os_mono_ms() - t0;
	}
	if (run_vm_hello(fd, vm, platform, (int)lim->hello_ms, &infra)) {
		enum run_infra st = machine_check(vm, pid);

		set_infra(a, st != RUN_INFRA_NONE ? st : infra,
		          "no HELO after the restore");
		goto out;
	}
	a->reset_ms = os_mono_ms() - t0;
	chan_init(&c, fd, CHAN_FROM_GUEST);
	c.max_in = lim->max_in;
	c.frame_ms = lim->frame_ms > 0 ? (int)lim->frame_ms : RUN_FRAME_MS;
	c.abort_fn = gate_abort;
	c.abort_arg = &gate;
	t0 = os_mono_ms();
	/* One hand-in deadline for all frames: a minute plus 1 s per MiB. */
	for (i = 0; i < nfiles; i++)
		handin_bytes += files[i].data.len;
	c.deadline = t0 + HANDIN_MS + (int64_t)(handin_bytes >> 20) * 1000;
	if (chan_write(&c, CHAN_JOB, spec, strlen(spec), -1))
		goto io;
	for (i = 0; i < nfiles; i++)
		if (chan_write_blob(&c, CHAN_FILE, files[i].name, 0,
		                    files[i].data.data ? files[i].data.data
		                                       : "",
		                    files[i].data.len, -1))
			goto io;
	if (chan_write(&c, CHAN_END, "", 0, -1))
		goto io;
	start = last_frame = last_check = os_mono_ms();
	job_end = start + lim->timeout_ms;
	beats_max = lim->timeout_ms / 1000 + RUN_BEATS_SLACK;
	a->handin_ms = start - t0;
	while (!done) {
		int64_t now = os_mono_ms(),
		        silent_end = last_frame + lim->silence_ms;
		int r;

		if (now >= job_end) {
			set_infra(a, RUN_INFRA_TIMEOUT,
			          "no results after %lld s",
			          (long long)(lim->timeout_ms / 1000));
			break;
		}
		if (now >= silent_end) {
			set_infra(a, RUN_INFRA_AGENT_SILENT,
			          "no frame from the agent for %lld s",
			          (long long)(lim->silence_ms / 1000));
			break;
		}
		if (now - last_check >= 1000) {
			last_check = now;
			infra = machine_check(vm, pid);
			if (infra != RUN_INFRA_NONE) {
				set_infra(a, infra, "the VM stopped mid-job");
				break;
			}
		}
		/* The next frame, and every byte of it, by the earlier of
		 * the job's end and the silence timeout. */
		c.deadline = job_end < silent_end ? job_end : silent_end;
		r = chan_read(&c, &f, 1000);
		if (r == CHAN_TIMEOUT)
			continue;
		if (r < 0 && c.err == CHAN_E_ABORT) {
			a->aborted = 1;
			break;
		}
		if (r < 0 && c.err == CHAN_E_DEADLINE) {
			if (os_mono_ms() >= job_end)
				set_infra(a, RUN_INFRA_TIMEOUT,
				          "no results after %lld s (inside a "
				          "frame)",
				          (long long)(lim->timeout_ms / 1000));
			else
				set_infra(a, RUN_INFRA_AGENT_SILENT,
				          "no complete frame from the agent "
				          "for %lld s",
				          (long long)(lim->silence_ms / 1000));
			break;
		}
		if (r == CHAN_EOF || r < 0) {
			enum chan_err e = c.err;

			/* Let libvirt see the crash first: the channel's EOF
			 * can come before the domain's new state (seconds on a
			 * loaded host). */
			for (int k = 0; k < 25; k++) {
				usleep(200000);
				infra = machine_check(vm, pid);
				if (infra != RUN_INFRA_NONE || !vm)
					break;
			}
			if (infra != RUN_INFRA_NONE)
				set_infra(a, infra, "the VM stopped mid-job");
			else if (r == CHAN_EOF)
				set_infra(a, RUN_INFRA_PROTOCOL,
				          "the agent closed the channel");
			else
				set_infra(a, RUN_INFRA_PROTOCOL,
				          "a bad frame from the agent: %s",
				          chan_err_text(e));
			break;
		}
		last_frame = os_mono_ms();
		switch (f.type) {
		case CHAN_TASK:
			if (++tasks > RUN_TASK_FRAMES_MAX)
				set_infra(a, RUN_INFRA_PROTOCOL,
				          "more than %d TASK frames",
				          RUN_TASK_FRAMES_MAX);
			break;
		case CHAN_BEAT:
			if (++beats > beats_max)
				set_infra(a, RUN_INFRA_PROTOCOL,
				          "more than %lld BEAT frames",
				          (long long)beats_max);
			break;
		case CHAN_LOG:
			if (!first_out)
				first_out = last_frame;
			take_log(a, &c, &f);
			break;
		case CHAN_ARTF:
			if (!first_out)
				first_out = last_frame;
			take_artifact(a, &c, &f, rule, lim->store);
			break;
		case CHAN_RSLT:
			if (!first_out)
				first_out = last_frame;
			if (a->result) {
				set_infra(a, RUN_INFRA_PROTOCOL,
				          "two RSLT frames");
				break;
			}
			a->result = guest_json(a, &f, "agent results");
			if (a->result &&
			    too_big_encoded(a, a->result, RUN_RESULT_TEXT_MAX,
			                    "agent results")) {
				json_decref(a->result);
				a->result = NULL;
			}
			if (a->result) {
				const char *rid = jx_str(a->result, "job_id");

				if (!rid || strcmp(rid, want_id) != 0) {
					set_infra(
					    a, RUN_INFRA_PROTOCOL,
					    "results for job '%.80s', not "
					    "'%s'",
					    rid ? rid : "(none)", want_id);
					json_decref(a->result);
					a->result = NULL;
				}
			}
			break;
		case CHAN_ERR:
			if (++errs > RUN_ERR_FRAMES_MAX) {
				set_infra(a, RUN_INFRA_PROTOCOL,
				          "more than %d ERR_ frames",
				          RUN_ERR_FRAMES_MAX);
				break;
			}
			json_decref(a->agent_error);
			a->agent_error = run_gjson_parse(
			    f.payload.data, f.payload.len, "agent error",
			    RUN_JSON_NODES_MAX, RUN_JSON_DEPTH_MAX, why,
			    sizeof(why));
			if (a->agent_error &&
			    json_dumpb(a->agent_error, NULL, 0, JSON_COMPACT) >
			        RUN_ERROR_TEXT_MAX) {
				json_decref(a->agent_error);
				a->agent_error = NULL;
			}
			if (!a->agent_error)
				a->agent_error =
				    text_json(f.payload.data, f.payload.len);
			break;
		case CHAN_DONE:
			done = 1;
			break;
		default:
			set_infra(a, RUN_INFRA_PROTOCOL, "unexpected %s frame",
			          chan_type_code(f.type));
			break;
		}
		if (a->infra != RUN_INFRA_NONE)
			break;
	}
	if (done) {
		int64_t end = os_mono_ms();

		a->run_ms = (first_out ? first_out : end) - start;
		a->handout_ms = first_out ? end - first_out : 0;
		if (a->agent_error && !a->result) {
			const char *e = jx_str(a->agent_error, "error");

			set_infra(a, run_classify_agent_error(e),
			          "agent: %.1000s", e ? e : "error");
		}
	}
	goto out;
io:
	if (c.err == CHAN_E_ABORT) {
		a->aborted = 1;
		goto out;
	}
	infra = machine_check(vm, pid);
	set_infra(a, infra != RUN_INFRA_NONE ? infra : RUN_INFRA_PROTOCOL,
	          "cannot hand the job in: %s", chan_err_text(c.err));
out:
	chan_frame_release(&f);
	close(fd);
	if (vm) {
		run_vm_stop(vm);
	} else if (pid > 0) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
}

/* --- an attempt through a command ------------------------------------- */

static void
attempt_exec(const char *cmd, const char *spec, int64_t job_id, int attempt,
             const char *platform, const struct run_limits *lim,
             run_tick_fn tick, void *arg, struct attempt *a)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	struct buf ob = BUF_INIT(EXEC_OUT_MAX), eb = BUF_INIT(EXEC_ERR_MAX);
	int64_t start = os_mono_ms(), last_tick = start;
	int status = 0, open_fds = 2, killed = 0;
	size_t off = 0, len = strlen(spec);
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
	    pipe2(err, O_CLOEXEC)) {
		set_infra(a, RUN_INFRA_HOST, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		set_infra(a, RUN_INFRA_HOST, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		exec_command(cmd, job_id, attempt, platform);
	}
	setpgid(pid, pid);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	in[0] = out[1] = err[1] = -1;
	/* The spec is small (<= 1 MiB): write it, then read to the end. */
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	while (open_fds > 0 || in[1] >= 0) {
		struct pollfd p[3] = {{out[0], POLLIN, 0},
		                      {err[0], POLLIN, 0},
		                      {in[1], POLLOUT, 0}};
		char chunk[65536];
		int i;

		if (os_mono_ms() - start > lim->timeout_ms) {
			set_infra(a, RUN_INFRA_TIMEOUT,
			          "no results after %lld s",
			          (long long)(lim->timeout_ms / 1000));
			break;
		}
		if (tick_due(&last_tick, tick, arg)) {
			a->aborted = 1;
			break;
		}
		if (poll(p, 3, 250) < 0 && errno != EINTR)
			break;
		if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR))) {
			ssize_t w = write(in[1], spec + off, len - off);

			if (w > 0)
				off += (size_t)w;
			if (w < 0 || off == len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(p[i].fd, chunk, sizeof(chunk));
			if (n <= 0) {
				close(i ? err[0] : out[0]);
				if (i)
					err[0] = -1;
				else
					out[0] = -1;
				open_fds--;
				continue;
			}
			if (buf_add(i ? &eb : &ob, chunk, (size_t)n) && !i)
				set_infra(a, RUN_INFRA_PROTOCOL,
				          "output passed %u bytes",
				          EXEC_OUT_MAX);
		}
		if (a->infra != RUN_INFRA_NONE)
			break;
	}
	if (a->infra != RUN_INFRA_NONE || a->aborted) {
		kill(-pid, SIGKILL);
		killed = 1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL); /* stragglers of its process group */
	a->run_ms = os_mono_ms() - start;
	if (killed)
		goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		a->result = jx_parse(buf_cstr(&ob), ob.len, "command results");
		if (!a->result)
			set_infra(a, RUN_INFRA_PROTOCOL,
			          "command output is not JSON");
	} else {
		char *e = xstrndup(buf_cstr(&eb), 1000);

		e[strcspn(e, "\n")] = '\0';
		if (WIFEXITED(status))
			set_infra(a, RUN_INFRA_EXEC, "exit status %d: %s",
			          WEXITSTATUS(status), e);
		else
			set_infra(a, RUN_INFRA_EXEC, "killed by signal %d",
			          WTERMSIG(status));
		free(e);
	}
out:
	if (eb.len) {
		json_t *l = json_object();

		jx_set(l, "truncated", json_false());
		jx_set(l, "bytes", json_integer((json_int_t)eb.len));
		jx_set(l, "text", text_json(buf_cstr(&eb), eb.len));
		jx_set(a->logs, "stderr", l);
	}
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (err[0] >= 0)
		close(err[0]);
	if (err[1] >= 0)
		close(err[1]);
	buf_release(&ob);
	buf_release(&eb);
}

/* --- the job ---------------------------------------------------------- */

/* The artifact rule of an agent spec: a build stage may return a wheel of
 * its project (the spec's "project", else the sdist's name). */
static void
artifact_rule_of(const json_t *spec, struct artifact_rule *rule)
{
	const char *stage = jx_str(spec, "stage"),
	           *project = jx_str(spec, "project"),
	           *dist = jx_str(json_object_get(spec, "dist"), "name");
	struct distfile_sdist sd;

	memset(rule, 0, sizeof(*rule));
	rule->allowed = stage && !strcmp(stage, "build");
	if (project && *project && strlen(project) <= DISTFILE_MAX_LEN &&
	    pep503_valid(project, strlen(project))) {
		pep503_normalize_to(rule->project, project, strlen(project));
	} else if (dist && distfile_sdist_parse(dist, strlen(dist), NULL, &sd,
	                                        NULL) == 0) {
		snprintf(rule->project, sizeof(rule->project), "%s", sd.name);
		distfile_sdist_release(&sd);
	}
}

static json_t *
attempt_json(const struct attempt *a)
{
	json_t *j = json_object();

	jx_set(j, "infra", json_string(run_infra_name(a->infra)));
	jx_set(j, "detail", text_json(a->detail, strlen(a->detail)));
	jx_set(j, "reset_ms", json_integer(a->reset_ms));
	jx_set(j, "restore_ms", json_integer(a->restore_ms));
	jx_set(j, "handin_ms", json_integer(a->handin_ms));
	jx_set(j, "run_ms", json_integer(a->run_ms));
	jx_set(j, "handout_ms", json_integer(a->handout_ms));
	return j;
}

static void
attempt_release(struct attempt *a)
{
	json_decref(a->artifact);
	json_decref(a->result);
	json_decref(a->agent_error);
	json_decref(a->logs);
	memset(a, 0, sizeof(*a));
}

int
run_job_run(const struct run_executor *x, const struct run_limits *lim,
            int64_t job_id, int attempt, const char *spec, run_tick_fn tick,
            void *tick_arg, struct run_outcome *out)
{
	int64_t start = os_mono_ms();
	struct attempt a;
	json_t *agent_spec = NULL, *history = json_array(), *runner;
	struct file *files = NULL;
	size_t nfiles = 0;
	char *agent_text = NULL;
	const char *outcome = NULL, *why = NULL;
	struct artifact_rule rule;
	int try;

	memset(out, 0, sizeof(*out));
	memset(&rule, 0, sizeof(rule));
	memset(&a, 0, sizeof(a));
	a.logs = json_object();
	if (x->vm || x->chan)
		a.infra = prepare(spec, job_id, attempt, lim, &agent_spec,
		                  &files, &nfiles, a.detail, sizeof(a.detail));
	if (a.infra != RUN_INFRA_NONE) {
		jx_append(history, attempt_json(&a));
		goto finish;
	}
	if (agent_spec) {
		agent_text = jx_dumps(agent_spec);
		artifact_rule_of(agent_spec, &rule);
	}
	for (try = 0;; try++) {
		if (try > 0) {
			attempt_release(&a);
			a.logs = json_object();
		}
		if (x->vm || x->chan)
			attempt_chan(x->vm, x->exec_cmd, x->platform, job_id,
			             attempt, agent_text, files, nfiles, &rule,
			             lim, tick, tick_arg, &a);
		else
			attempt_exec(x->exec_cmd, spec, job_id, attempt,
			             x->platform, lim, tick, tick_arg, &a);
		if (a.aborted) {
			out->aborted = 1;
			break;
		}
		if (a.infra == RUN_INFRA_NONE) {
			outcome = run_classify_result(a.result, &why);
			if (!outcome)
				set_infra(&a, RUN_INFRA_PROTOCOL, "%s", why);
		}
		jx_append(history, attempt_json(&a));
		if (a.infra == RUN_INFRA_NONE)
			break;
		log_warn("job %lld: %s: %s%s", (long long)job_id,
		         run_infra_name(a.infra), a.detail,
		         run_infra_retryable(a.infra) &&
		                 try < lim->infra_retries
		             ? " (retrying on a fresh VM)"
		             : "");
		if (!run_infra_retryable(a.infra) || try >= lim->infra_retries)
			break;
		out->infra_retries++;
	}
finish:
	out->infra = a.infra;
	if (a.infra == RUN_INFRA_NONE && !out->aborted) {
		out->cls = "package";
		out->outcome = xstrdup(outcome);
	} else {
		out->cls = "infra";
		out->outcome = xstrdup(run_infra_name(a.infra));
	}
	out->duration_ms = os_mono_ms() - start;
	runner = json_object();
	jx_set(runner, "class", json_string(out->cls));
	jx_set(runner, "outcome", json_string(out->outcome));
	jx_set(runner, "infra", json_string(run_infra_name(a.infra)));
	jx_set(runner, "infra_detail", text_json(a.detail, strlen(a.detail)));
	jx_set(runner, "infra_retries", json_integer(out->infra_retries));
	jx_set(runner, "duration_ms", json_integer(out->duration_ms));
	jx_set(runner, "attempts", history);
	out->raw = json_object();
	jx_set(out->raw, "raw_version", json_integer(1));
	jx_set(out->raw, "job_id", json_integer(job_id));
	jx_set(out->raw, "attempt", json_integer(attempt));
	jx_set(out->raw, "platform", json_string(x->platform));
	jx_set(out->raw, "runner", runner);
	jx_set(out->raw, "result",
	       a.result ? json_incref(a.result) : json_null());
	jx_set(out->raw, "agent_error",
	       a.agent_error ? json_incref(a.agent_error) : json_null());
	jx_set(out->raw, "logs", json_incref(a.logs));
	if (a.artifact)
		jx_set(out->raw, "artifact", json_incref(a.artifact));
	out->raw_text = jx_dumps(out->raw);
	if (strlen(out->raw_text) > RUN_RAW_TEXT_MAX) {
		/* The parts are bounded so that this cannot happen; if it
		 * does, keep the verdict and say what was dropped. */
		log_error("job %lld: raw document of %zu bytes: logs dropped",
		          (long long)job_id, strlen(out->raw_text));
		jx_set(out->raw, "logs", json_object());
		jx_set(runner, "logs_dropped", json_true());
		free(out->raw_text);
		out->raw_text = jx_dumps(out->raw);
	}
	attempt_release(&a);
	free(agent_text);
	json_decref(agent_spec);
	if (files)
		files_free(files, nfiles);
	return out->aborted ? 1 : 0;
}
