/*
 * The daemon's threads and the one-job command. Slot threads block
 * nothing but themselves: a slot waits on its VM and its own database
 * connection, so a wedged VM or a slow query delays only its slot. All
 * signals are taken by the main thread (sigtimedwait); slot threads read
 * the stop flag at every claim and every tick of a running job.
 */
#include "daemon.h"
#include "buf.h"
#include "jx.h"
#include "limits.h"
#include "log.h"
#include "os.h"
#include "pool.h"
#include "queue.h"
#include "sha256.h"
#include "spool.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct daemon;

struct slot {
	struct daemon *d;
	pthread_t thread;
	struct run_executor x;
	struct run_pool *pool; /* NULL with exec */
	const char *python; /* the Python its jobs must ask for, or NULL */
	struct run_queue *q;
	int host_failures; /* consecutive: this slot's backoff */
	/* The running job, for the heartbeat thread (under d->lock). */
	int64_t job_id, fence, last_beat, renew_until;
	int active;
	int lost; /* atomic: the heartbeat found the lease gone */
	int busy; /* atomic: a job is running */
	int64_t last_work; /* atomic: when it last claimed or finished */
};

struct daemon {
	const struct run_settings *s;
	const struct run_daemon_options *o;
	struct run_limits lim;
	struct run_pool **pools;
	struct slot *slots;
	int nslots;
	int stop; /* atomic */
	int stop_beats; /* atomic: the heartbeat thread ends */
	pthread_mutex_t lock; /* the slots' job fields */
	int host_failures; /* atomic: consecutive, any slot: the runner's */
	int64_t broken_logged; /* atomic: when "broken" was last said */
};

/* Host failures in a row, on any slot, after which the runner checks its
 * health before every claim and stops claiming while it fails. */
#define BROKEN_AFTER 3
/* Backoff after host failures: 5 s doubling to a minute. */
#define BACKOFF_FIRST_MS 5000
#define BACKOFF_MAX_MS 60000
/* Free space the spool needs to take a job's results. */
#define SPOOL_FREE_MIN ((uint64_t)RUN_SPOOL_FILE_MAX + (1u << 20))

static int
stopping(const struct daemon *d)
{
	return __atomic_load_n(&d->stop, __ATOMIC_ACQUIRE);
}

/*
 * Called by a running job about once a second: stop when the runner stops
 * (on-stop = return) or when the heartbeat thread found the lease gone.
 */
static int
tick(void *arg)
{
	struct slot *sl = arg;

	if (stopping(sl->d) && !sl->d->s->finish_on_stop)
		return 1;
	return __atomic_load_n(&sl->lost, __ATOMIC_ACQUIRE);
}

/*
 * The heartbeat thread renews the lease of every running job, apart from
 * the slot threads, so a slow restore or a blocking libvirt call cannot
 * let a lease lapse. It renews a job only until its own deadline (every
 * try's timeouts with some slack): a slot wedged for good stops being
 * renewed, and the rescuer hands its job to someone else.
 */
static void *
heartbeat_main(void *arg)
{
	struct daemon *d = arg;
	const struct run_settings *s = d->s;
	struct run_queue *q = run_queue_new(s->conninfo, s->name);

	while (!__atomic_load_n(&d->stop_beats, __ATOMIC_ACQUIRE)) {
		int i;

		for (i = 0; i < d->nslots; i++) {
			struct slot *sl = &d->slots[i];
			int64_t now = os_mono_ms(), id, fence;
			int due;

			pthread_mutex_lock(&d->lock);
			due = sl->active && now < sl->renew_until &&
			      now - sl->last_beat >= s->heartbeat_s * 1000;
			if (due)
				sl->last_beat = now;
			id = sl->job_id;
			fence = sl->fence;
			pthread_mutex_unlock(&d->lock);
			if (!due)
				continue;
			if (run_queue_heartbeat(q, id, fence, s->lease_s) ==
			    RUN_QUEUE_LOST) {
				log_warn("job %lld: lease lost (rescued and "
				         "handed on); abandoning it",
				         (long long)id);
				__atomic_store_n(&sl->lost, 1,
				                 __ATOMIC_RELEASE);
			}
			/* -1: the database is down; the completion will tell */
		}
		usleep(250000);
	}
	run_queue_free(q);
	return NULL;
}

static void
sleep_ms(int64_t ms, const struct daemon *d)
{
	while (ms > 0 && !stopping(d)) {
		int64_t step = ms < 200 ? ms : 200;

		usleep((useconds_t)step * 1000);
		ms -= step;
	}
}

/* A host failure on this slot: count it for the slot and the runner. */
static void
host_failed(struct slot *sl, const char *why)
{
	int n = __atomic_add_fetch(&sl->d->host_failures, 1, __ATOMIC_ACQ_REL);

	sl->host_failures++;
	if (n >= BROKEN_AFTER)
		log_error("runner: %d host failures in a row (last: %s); "
		          "checking the host before every claim",
		          n, why);
}

static void
host_ok(struct slot *sl)
{
	sl->host_failures = 0;
	__atomic_store_n(&sl->d->host_failures, 0, __ATOMIC_RELEASE);
}

static int64_t
backoff_ms(int failures)
{
	int64_t ms = BACKOFF_FIRST_MS;

	while (--failures > 0 && ms < BACKOFF_MAX_MS)
		ms *= 2;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

/*
 * Can this host take a job now? libvirt reachable (reconnecting if the
 * connection broke), the spool writable with room for a result, the store
 * readable. Returns 0, or -1 with why filled.
 */
static int
healthy(struct slot *sl, char *why, size_t n)
{
	const struct run_settings *s = sl->d->s;
	struct statvfs v;

	if (sl->pool && run_pool_health(sl->pool)) {
		snprintf(why, n, "libvirt at '%s' is unreachable", s->uri);
		return -1;
	}
	if (statvfs(s->spool_dir, &v)) {
		snprintf(why, n, "spool '%s': %s", s->spool_dir,
		         strerror(errno));
		return -1;
	}
	if ((uint64_t)v.f_bavail * v.f_frsize < SPOOL_FREE_MIN) {
		snprintf(
		    why, n, "spool '%s' has %llu MiB free, needs %llu",
		    s->spool_dir,
		    (unsigned long long)((uint64_t)v.f_bavail * v.f_frsize >>
		                         20),
		    (unsigned long long)(SPOOL_FREE_MIN >> 20));
		return -1;
	}
	if ((sl->x.vm || sl->x.chan) && access(s->store, R_OK | X_OK)) {
		snprintf(why, n, "store '%s': %s", s->store, strerror(errno));
		return -1;
	}
	return 0;
}

static void
finish(struct slot *sl, const struct run_claim *c, struct run_outcome *o)
{
	const struct run_settings *s = sl->d->s;
	int dead = 0;

	if (o->aborted) {
		if (__atomic_load_n(&sl->lost, __ATOMIC_ACQUIRE))
			return;
		/* Shutting down: give it back without counting the try. */
		struct run_release rel = {.error = "runner stopped",
		                          .refund = 1};

		if (run_queue_release(sl->q, c->id, c->fence, &rel, NULL) == 0)
			log_info("job %lld returned to the queue",
			         (long long)c->id);
		return;
	}
	if (strcmp(o->cls, "package") == 0) {
		char *path = run_spool_write(s->spool_dir, c->id, c->fence, o);

		if (!path) {
			/* The host failed (disk full, I/O error): the job goes
			 * back without losing an attempt; what it produced is
			 * kept as the attempt's evidence. */
			struct run_release rel = {
			    .error = "host-error: cannot spool results",
			    .refund = 1,
			    .host = 1,
			    .delay_s = s->release_delay_s,
			    .outcome = "host-error",
			    .detail = "cannot spool results",
			    .evidence = o->raw_text};

			if (run_queue_release(sl->q, c->id, c->fence, &rel,
			                      NULL) == 0)
				log_warn("job %lld: cannot spool results: "
				         "returned (attempt refunded)",
				         (long long)c->id);
			host_failed(sl, "cannot spool results");
			return;
		}
		host_ok(sl);
		if (run_spool_deliver_outcome(s->spool_dir, path, c->id,
		                              c->fence, o, sl->q))
			log_warn("job %lld: results spooled, completion "
			         "deferred until the database is back",
			         (long long)c->id);
		free(path);
		return;
	}
	{
		const json_t *r = json_object_get(o->raw, "runner");
		const char *detail = r ? jx_str(r, "infra_detail") : NULL;
		char err[1200];

		int host = run_infra_is_host(o->infra);
		struct run_release rel = {.error = err,
		                          .refund = host,
		                          .host = host,
		                          .final = run_infra_is_final(o->infra),
		                          .delay_s = s->release_delay_s,
		                          .outcome = o->outcome,
		                          .detail = detail,
		                          .evidence = o->raw_text};

		snprintf(err, sizeof(err), "%s: %s", o->outcome,
		         detail ? detail : "");
		/* A host failure does not consume the job's attempt; a job
		 * that can never run (a bad spec) is dead at once. */
		if (run_queue_release(sl->q, c->id, c->fence, &rel, &dead) == 0)
			log_info("job %lld %s: %s", (long long)c->id,
			         dead   ? "dead-lettered"
			         : host ? "returned (attempt refunded)"
			                : "returned",
			         err);
		if (host)
			host_failed(sl, err);
		else
			host_ok(sl);
		return;
	}
}

static void *
slot_main(void *arg)
{
	struct slot *sl = arg;
	struct daemon *d = sl->d;
	const struct run_settings *s = d->s;
	int64_t backoff = 500;

	while (!stopping(d)) {
		struct run_claim c;
		struct run_outcome o;
		char why[512];
		int r;

		{
			/* Per slot and per runner: whichever waits longer. */
			int rf = __atomic_load_n(&d->host_failures,
			                         __ATOMIC_ACQUIRE);
			int64_t wait = sl->host_failures
			                   ? backoff_ms(sl->host_failures)
			                   : 0;

			if (rf >= BROKEN_AFTER &&
			    backoff_ms(rf - BROKEN_AFTER + 1) > wait)
				wait = backoff_ms(rf - BROKEN_AFTER + 1);
			sleep_ms(wait, d);
		}
		if (stopping(d))
			break;
		if (healthy(sl, why, sizeof(why))) {
			int64_t now = os_mono_ms();

			/* Broken: claim nothing, say so loudly, once a
			 * minute, and look again with backoff. */
			if (now - __atomic_load_n(&d->broken_logged,
			                          __ATOMIC_ACQUIRE) >=
			    60000) {
				__atomic_store_n(&d->broken_logged, now,
				                 __ATOMIC_RELEASE);
				log_error("runner '%s' is BROKEN and claims no "
				          "jobs: %s",
				          s->name, why);
			}
			sl->host_failures++;
			continue;
		}
		if (__atomic_load_n(&d->broken_logged, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&d->broken_logged, 0,
			                 __ATOMIC_RELEASE);
			log_info("runner '%s': the host is healthy again",
			         s->name);
			sl->host_failures = 0;
		}
		r = run_queue_claim(sl->q, &sl->x.platform, 1, sl->python,
		                    s->lease_s, &c);
		if (r < 0) {
			sleep_ms(backoff, d);
			backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
			continue;
		}
		backoff = 500;
		if (r == RUN_QUEUE_EMPTY) {
			sleep_ms(s->poll_ms, d);
			continue;
		}
		if (sl->python && strcmp(c.python, sl->python) != 0) {
			/* Not this pool's interpreter: give it back untouched
			 * (attempt refunded) for a pool that has it. */
			snprintf(why, sizeof(why),
			         "host-error: the job asks for Python %.20s; "
			         "runner '%s' platform '%s' runs Python %s",
			         c.python, s->name, sl->x.platform, sl->python);
			log_error("job %lld: %s", (long long)c.id, why);
			{
				struct run_release rel = {
				    .error = why,
				    .refund = 1,
				    .delay_s = s->release_delay_s};

				run_queue_release(sl->q, c.id, c.fence, &rel,
				                  NULL);
			}
			run_claim_release(&c);
			sleep_ms(1000, d);
			continue;
		}
		__atomic_store_n(&sl->busy, 1, __ATOMIC_RELEASE);
		log_info("job %lld attempt %d/%d on %s", (long long)c.id,
		         c.attempt, c.max_attempts,
		         sl->x.vm ? run_vm_name(sl->x.vm) : "exec");
		__atomic_store_n(&sl->lost, 0, __ATOMIC_RELEASE);
		pthread_mutex_lock(&d->lock);
		sl->job_id = c.id;
		sl->fence = c.fence;
		sl->last_beat = os_mono_ms();
		sl->renew_until =
		    sl->last_beat + (d->lim.infra_retries + 1) *
		                        (d->lim.timeout_ms + d->lim.hello_ms +
		                         s->boot_ms + 60000);
		sl->active = 1;
		pthread_mutex_unlock(&d->lock);
		run_job_run(&sl->x, &d->lim, c.id, c.attempt, c.spec, tick, sl,
		            &o);
		pthread_mutex_lock(&d->lock);
		sl->active = 0;
		pthread_mutex_unlock(&d->lock);
		finish(sl, &c, &o);
		run_outcome_release(&o);
		run_claim_release(&c);
		__atomic_store_n(&sl->last_work, os_mono_ms(),
		                 __ATOMIC_RELEASE);
		__atomic_store_n(&sl->busy, 0, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void
limits_from(const struct run_settings *s, struct run_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->timeout_ms = s->job_timeout_ms;
	lim->silence_ms = s->silence_ms;
	lim->hello_ms = s->hello_ms;
	lim->frame_ms = s->frame_ms;
	lim->max_in = (uint64_t)s->max_in;
	lim->infra_retries = s->infra_retries;
	lim->store = s->store;
}

static struct run_pool *
open_pool(const struct run_settings *s, const struct run_platform *pl,
          const char *name, int vms, int kvm)
{
	struct run_pool_config pc = {
	    .uri = s->uri,
	    .name = name,
	    .platform = pl->name,
	    .image_dir = s->image_dir,
	    .state_dir = s->state_dir,
	    .vms = vms,
	    .vcpus = pl->vcpus,
	    .memory_mib = pl->memory_mib,
	    .kvm = kvm,
	    .boot_timeout_ms = (int)s->boot_ms,
	    .boot_per_job = s->boot_per_job,
	};
	struct run_pool *p = run_pool_new(&pc);

	if (p && run_pool_prepare(p)) {
		run_pool_free(p);
		p = NULL;
	}
	return p;
}

/*
 * Rescue expired leases of any runner, never the jobs this runner's slots
 * are running (a lease of ours that lapsed while the database was away is
 * renewed by the heartbeat, not rescued), and only a heartbeat period
 * after expiry, so a runner that is merely slow to renew keeps its job.
 */
static int
own_rescue(struct daemon *d, struct run_queue *q)
{
	int64_t *keep = xcalloc((size_t)d->nslots + 1, sizeof(*keep));
	int i, n = 0, r;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nslots; i++)
		if (d->slots[i].active)
			keep[n++] = d->slots[i].job_id;
	pthread_mutex_unlock(&d->lock);
	r = run_queue_rescue(q, d->s->heartbeat_s, d->s->release_delay_s, keep,
	                     n);
	free(keep);
	return r;
}

/* No job of our platforms is queued or running, by anyone. */
static int
queue_drained(const struct run_settings *s, struct run_queue *q)
{
	const char **names = xcalloc((size_t)s->nplatforms, sizeof(*names));
	int64_t n;
	int i;

	for (i = 0; i < s->nplatforms; i++)
		names[i] = s->platforms[i].name;
	n = run_queue_pending(q, names, s->nplatforms);
	free(names);
	return n == 0;
}

int
run_daemon(const struct run_settings *s, const struct run_daemon_options *o)
{
	struct daemon d;
	struct run_queue *mq = NULL;
	sigset_t set;
	int i, j, n = 0, ret = -1, kvm = 0, hb_started = 0;
	pthread_t hb;
	int64_t last_rescue = 0, last_flush = 0, rescue_hold = 0;
	int db_down = 0;

	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.lock, NULL);
	d.s = s;
	d.o = o;
	limits_from(s, &d.lim);
	if (s->nplatforms == 0)
		return log_error("no platforms: add a [platform NAME] section "
		                 "or pass --platform");
	if (run_spool_init(s->spool_dir))
		return -1;
	/* Signals go to the main thread only; threads inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!o->exec_cmd) {
		if (os_mkdir_p(s->state_dir, 0755))
			return -1;
		kvm = run_settings_kvm(s);
	}
	d.pools = xcalloc((size_t)s->nplatforms, sizeof(*d.pools));
	for (i = 0; i < s->nplatforms; i++)
		n += o->exec_cmd ? o->exec_slots : s->platforms[i].vms;
	d.slots = xcalloc((size_t)n, sizeof(*d.slots));
	for (i = 0; i < s->nplatforms; i++) {
		const struct run_platform *pl = &s->platforms[i];
		int k = o->exec_cmd ? o->exec_slots : pl->vms;

		if (!o->exec_cmd) {
			d.pools[i] = open_pool(s, pl, s->name, pl->vms, kvm);
			if (!d.pools[i])
				goto out;
		}
		for (j = 0; j < k; j++) {
			struct slot *sl = &d.slots[d.nslots++];

			sl->d = &d;
			sl->x.platform = pl->name;
			sl->x.exec_cmd = o->exec_cmd;
			sl->x.chan = o->exec_chan;
			sl->x.vm =
			    d.pools[i] ? run_pool_vm(d.pools[i], j) : NULL;
			sl->pool = d.pools[i];
			sl->python = d.pools[i] ? run_pool_python(d.pools[i])
			                        : pl->python;
			if (sl->python && !*sl->python)
				sl->python = pl->python;
			sl->q = run_queue_new(s->conninfo, s->name);
			sl->last_work = os_mono_ms();
		}
	}
	mq = run_queue_new(s->conninfo, s->name);
	run_spool_flush(s->spool_dir, mq);
	for (i = 0; i < d.nslots; i++)
		if (pthread_create(&d.slots[i].thread, NULL, slot_main,
		                   &d.slots[i])) {
			log_error("cannot start a slot thread");
			__atomic_store_n(&d.stop, 1, __ATOMIC_RELEASE);
			d.nslots = i;
			goto join;
		}
	if (pthread_create(&hb, NULL, heartbeat_main, &d)) {
		log_error("cannot start the heartbeat thread");
		__atomic_store_n(&d.stop, 1, __ATOMIC_RELEASE);
		goto join;
	}
	hb_started = 1;
	log_info("runner '%s' started: %d slot%s, lease %llds", s->name,
	         d.nslots, d.nslots == 1 ? "" : "s", (long long)s->lease_s);
	for (;;) {
		struct timespec ts = {1, 0};
		int64_t now = os_mono_ms();
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig > 0) {
			log_info("signal %d: stopping (%s running jobs)", sig,
			         s->finish_on_stop ? "finishing" : "returning");
			break;
		}
		/* Deliver what finished before rescuing anything: a result
		 * spooled during an outage is completed, not rescued. */
		if (now - last_flush >= 5000) {
			last_flush = now;
			run_spool_flush(s->spool_dir, mq);
		}
		if (db_down) {
			/* The database is back after an outage during which
			 * no lease could be renewed, ours and other runners'
			 * alike: give every runner one lease to renew them
			 * before an expired lease counts. */
			if (run_queue_connect(mq) == 0) {
				db_down = 0;
				rescue_hold = now + s->lease_s * 1000;
				last_flush = 0;
				log_info(
				    "database back: rescuing expired leases "
				    "again in %llds",
				    (long long)s->lease_s);
			}
		} else if (now - last_rescue >= s->rescue_s * 1000 &&
		           now >= rescue_hold) {
			last_rescue = now;
			if (own_rescue(&d, mq) < 0)
				db_down = 1;
		}
		if (o->exit_idle_s > 0) {
			int idle = 1;

			for (i = 0; i < d.nslots; i++)
				if (__atomic_load_n(&d.slots[i].busy,
				                    __ATOMIC_ACQUIRE) ||
				    now - __atomic_load_n(&d.slots[i].last_work,
				                          __ATOMIC_ACQUIRE) <
				        o->exit_idle_s * 1000)
					idle = 0;
			if (idle && run_spool_flush(s->spool_dir, mq) == 0 &&
			    queue_drained(s, mq)) {
				log_info("idle for %ds: stopping",
				         o->exit_idle_s);
				break;
			}
		}
	}
	__atomic_store_n(&d.stop, 1, __ATOMIC_RELEASE);
join:
	for (i = 0; i < d.nslots; i++)
		pthread_join(d.slots[i].thread, NULL);
	__atomic_store_n(&d.stop_beats, 1, __ATOMIC_RELEASE);
	if (hb_started)
		pthread_join(hb, NULL);
	run_spool_flush(s->spool_dir, mq);
	ret = 0;
out:
	for (i = 0; i < d.nslots; i++)
		run_queue_free(d.slots[i].q);
	for (i = 0; i < s->nplatforms; i++)
		run_pool_free(d.pools[i]);
	run_queue_free(mq);
	free(d.pools);
	free(d.slots);
	if (!ret)
		log_info("runner '%s' stopped", s->name);
	return ret;
}

/* --- pyti-run test ---------------------------------------------------- */

static json_t *
local_entry(const char *path)
{
	struct sha256 h;
	char hex[SHA256_HEX_LEN + 1], chunk[65536], abs[PATH_MAX];
	char *copy = xstrdup(path);
	const char *name = basename(copy);
	json_t *e = NULL;
	uint64_t size = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_error("cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	sha256_init(&h);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		sha256_update(&h, chunk, (size_t)n);
		size += (uint64_t)n;
	}
	close(fd);
	if (n < 0) {
		log_error("cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!realpath(path, abs)) {
		log_error("cannot resolve '%s': %s", path, strerror(errno));
		goto out;
	}
	sha256_final_hex(&h, hex);
	e = json_pack("{s:s,s:I,s:s,s:s}", "name", name, "size",
	              (json_int_t)size, "sha256", hex, "path", abs);
out:
	free(copy);
	return e;
}

struct nmi_arg {
	struct run_vm *vm;
	int64_t at;
	int done;
};

static int
nmi_tick(void *arg)
{
	struct nmi_arg *a = arg;

	if (!a->done && a->at && os_mono_ms() >= a->at) {
		a->done = 1;
		log_info("injecting an NMI into '%s'", run_vm_name(a->vm));
		run_vm_inject_nmi(a->vm);
	}
	return 0;
}

int
run_test(const struct run_settings *s, const char *platform, char *const *paths,
         int n, int nmi_after_s)
{
	struct run_platform pl = {NULL, NULL, 1, 1, 1024};
	char pname[65];
	struct run_executor x;
	struct run_limits lim;
	struct run_outcome o;
	struct run_pool *pool = NULL;
	json_t *spec = json_object(), *deps = json_array(), *e;
	char name[64], *text = NULL;
	struct nmi_arg na = {NULL, 0, 0};
	int i, ret = -1;

	snprintf(pname, sizeof(pname), "%s", platform);
	pl.name = pname;
	for (i = 0; i < s->nplatforms; i++)
		if (strcmp(s->platforms[i].name, platform) == 0)
			pl = s->platforms[i];
	for (i = 0; i < n; i++) {
		e = local_entry(paths[i]);
		if (!e)
			goto out;
		if (i == 0)
			jx_set(spec, "dist", e);
		else
			jx_append(deps, e);
	}
	jx_set(spec, "deps", json_incref(deps));
	text = jx_dumps(spec);
	if (os_mkdir_p(s->state_dir, 0755))
		goto out;
	signal(SIGPIPE, SIG_IGN);
	snprintf(name, sizeof(name), "%.30s-test", s->name);
	pool = open_pool(s, &pl, name, 1, run_settings_kvm(s));
	if (!pool)
		goto out;
	limits_from(s, &lim);
	lim.local_paths = 1;
	lim.store = NULL;
	memset(&x, 0, sizeof(x));
	x.vm = run_pool_vm(pool, 0);
	x.platform = platform;
	na.vm = x.vm;
	na.at = nmi_after_s > 0 ? os_mono_ms() + nmi_after_s * 1000 : 0;
	run_job_run(&x, &lim, 0, 1, text, nmi_tick, &na, &o);
	jx_write_line(stdout, o.raw);
	fflush(stdout);
	log_info("%s outcome: %s", o.cls, o.outcome);
	ret = strcmp(o.cls, "package") == 0 ? 0 : 1;
	run_outcome_release(&o);
out:
	run_pool_free(pool);
	json_decref(spec);
	json_decref(deps);
	free(text);
	return ret;
}
