/*
 * Spool files: write-then-rename with fsyncs, so a file in pending/ is
 * always complete. Why a spool and the database both: the transaction
 * makes "done" and "results stored" one fact in PostgreSQL (the reporter
 * reads results from there, on any host); the spool makes a finished
 * job survive what the transaction cannot, a database that is down or a
 * runner killed between the VM's last frame and COMMIT. An fsync error
 * is fatal for that file (fsyncgate): it is removed, never retried.
 */
#include "spool.h"
#include "buf.h"
#include "gjson.h"
#include "jx.h"
#include "limits.h"
#include "log.h"
#include "num.h"
#include "os.h"
#include "num.h"
#include "queue.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t deliver_lock = PTHREAD_MUTEX_INITIALIZER;

int
run_spool_init(const char *dir)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/pending", dir);
	if (os_mkdir_p(p, 0755))
		return -1;
	snprintf(p, sizeof(p), "%s/rejected", dir);
	if (os_mkdir_p(p, 0755))
		return -1;
	snprintf(p, sizeof(p), "%s/quarantine", dir);
	return os_mkdir_p(p, 0755);
}

char *
run_spool_write(const char *dir, int64_t id, int64_t fence,
                const struct run_outcome *o)
{
	char path[4200];
	json_t *doc = json_object();
	char *head, *rawtext = NULL, *text = NULL;
	size_t len;
	int ok;

	snprintf(path, sizeof(path), "%s/pending/%lld-%lld.json", dir,
	         (long long)id, (long long)fence);
	/* The envelope, then the raw document spliced in as the last key:
	 * the raw text is made once (o->raw_text) and never re-parsed. */
	jx_set(doc, "job_id", json_integer(id));
	jx_set(doc, "fence", json_integer(fence));
	jx_set(doc, "class", json_string(o->cls));
	jx_set(doc, "outcome", json_string(o->outcome));
	jx_set(doc, "infra_retries", json_integer(o->infra_retries));
	jx_set(doc, "duration_ms", json_integer(o->duration_ms));
	head = jx_dumps(doc);
	json_decref(doc);
	if (!o->raw_text)
		rawtext = jx_dumps(o->raw);
	{
		const char *r = o->raw_text ? o->raw_text : rawtext;
		size_t hl = strlen(head), rl = strlen(r);

		len = hl + rl + 7;
		if (len > RUN_SPOOL_FILE_MAX) {
			log_error("job %lld: results of %zu bytes pass the "
			          "spool's %u",
			          (long long)id, len, RUN_SPOOL_FILE_MAX);
			free(head);
			free(rawtext);
			return NULL;
		}
		text = xmalloc(len + 1);
		memcpy(text, head, hl - 1);
		memcpy(text + hl - 1, ",\"raw\":", 7);
		memcpy(text + hl + 6, r, rl);
		text[hl + 6 + rl] = '}';
		text[hl + 7 + rl] = '\0';
		len = hl + 7 + rl;
	}
	free(head);
	free(rawtext);
	ok = os_write_atomic(path, text, len, 0644) == 0;
	free(text);
	return ok ? xstrdup(path) : NULL;
}

/*
 * Move a spool file aside to quarantine/ with a .reason file beside it,
 * and mark its job: released with the reason as last_error and the
 * attempt refunded, so it runs again (the host failed it, not the
 * package). Never reported as delivered.
 */
static void
quarantine(const char *dir, const char *path, const char *reason,
           struct run_queue *q)
{
	char dst[8400], rpath[8500];
	const char *slash = strrchr(path, '/'),
	           *name = slash ? slash + 1 : path;
	long long id = 0, fence = 0;
	FILE *f;

	snprintf(dst, sizeof(dst), "%s/quarantine/%s", dir, name);
	snprintf(rpath, sizeof(rpath), "%s.reason", dst);
	log_error("spool file '%s' cannot be delivered (%s): quarantined "
	          "as '%s'",
	          path, reason, dst);
	f = fopen(rpath, "w");
	if (f) {
		fprintf(f, "%s\n", reason);
		fclose(f);
	}
	if (rename(path, dst))
		log_error("cannot move '%s': %s", path, strerror(errno));
	if (sscanf(name, "%lld-%lld.json", &id, &fence) == 2 && id > 0) {
		char err[1200];

		snprintf(err, sizeof(err),
		         "host-error: results quarantined on runner: %.1000s",
		         reason);
		struct run_release rel = {.error = err,
		                          .refund = 1,
		                          .host = 1,
		                          .outcome = "host-error",
		                          .detail = err};

		if (run_queue_release(q, id, fence, &rel, NULL) == 0)
			log_warn("job %lld returned to the queue (its results "
			         "were quarantined)",
			         id);
	}
}

/* Complete one job from its spool file's fields; see run_spool_deliver. */
static int
complete_file(const char *dir, const char *path, int64_t id, int64_t fence,
              const struct run_completion *c, struct run_queue *q)
{
	int r = run_queue_complete(q, id, fence, c);

	if (r == 0) {
		log_info("job %lld done: %s %s", (long long)id, c->cls,
		         c->outcome);
		if (unlink(path) && errno != ENOENT)
			log_warn("cannot remove '%s': %s", path,
			         strerror(errno));
		return 0;
	}
	if (r == RUN_QUEUE_LOST) {
		char dst[8400], *slash = strrchr(path, '/');

		log_warn("job %lld: completion refused, fence %lld is stale "
		         "(the job was rescued and handed on)",
		         (long long)id, (long long)fence);
		snprintf(dst, sizeof(dst), "%s/rejected/%s", dir,
		         slash ? slash + 1 : path);
		if (rename(path, dst))
			log_warn("cannot move '%s': %s", path, strerror(errno));
		return 0;
	}
	if (r == RUN_QUEUE_REFUSED) {
		quarantine(dir, path,
		           "the database refused the completion permanently "
		           "(see the runner's log)",
		           q);
		return 0;
	}
	return -1;
}

static int
deliver_locked(const char *dir, const char *path, struct run_queue *q)
{
	struct buf text = BUF_INIT(RUN_SPOOL_FILE_MAX);
	struct run_completion c;
	json_t *doc = NULL, *raw;
	int64_t id, fence, retries = 0, dur = 0;
	char *rawtext = NULL, why[300];
	struct stat st;
	int ret = -1;

	if (stat(path, &st))
		return errno == ENOENT ? 0 : -1;
	if ((uint64_t)st.st_size > RUN_SPOOL_FILE_MAX) {
		snprintf(why, sizeof(why), "larger than %u bytes",
		         RUN_SPOOL_FILE_MAX);
		goto bad;
	}
	if (os_read_file(path, &text))
		return -1; /* an I/O error: try again later */
	doc = run_gjson_parse(text.data ? text.data : "", text.len,
	                      "spool file", RUN_RAW_NODES_MAX,
	                      RUN_RAW_DEPTH_MAX, why, sizeof(why));
	if (!doc)
		goto bad;
	raw = json_object_get(doc, "raw");
	if (jx_int(doc, "job_id", &id) || jx_int(doc, "fence", &fence) ||
	    !jx_str(doc, "class") || !jx_str(doc, "outcome") || !raw) {
		snprintf(why, sizeof(why),
		         "incomplete: no job_id, fence, "
		         "class, outcome or raw");
		goto bad;
	}
	jx_int(doc, "infra_retries", &retries);
	jx_int(doc, "duration_ms", &dur);
	rawtext = jx_dumps(raw);
	c.cls = jx_str(doc, "class");
	c.outcome = jx_str(doc, "outcome");
	c.infra_retries = (int)retries;
	c.duration_ms = dur;
	c.raw = rawtext;
	ret = complete_file(dir, path, id, fence, &c, q);
	goto out;
bad:
	/* Unreadable: keep it aside for a human, never loop on it. */
	quarantine(dir, path, why, q);
	ret = 0;
out:
	buf_release(&text);
	free(rawtext);
	json_decref(doc);
	return ret;
}

int
run_spool_deliver(const char *dir, const char *path, struct run_queue *q)
{
	int r;

	pthread_mutex_lock(&deliver_lock);
	r = access(path, F_OK) ? 0 : deliver_locked(dir, path, q);
	pthread_mutex_unlock(&deliver_lock);
	return r;
}

int
run_spool_deliver_outcome(const char *dir, const char *path, int64_t id,
                          int64_t fence, const struct run_outcome *o,
                          struct run_queue *q)
{
	struct run_completion c = {o->cls, o->outcome, o->infra_retries,
	                           o->duration_ms, o->raw_text};
	int r;

	if (!o->raw_text)
		return run_spool_deliver(dir, path, q);
	pthread_mutex_lock(&deliver_lock);
	r = access(path, F_OK) ? 0 : complete_file(dir, path, id, fence, &c, q);
	pthread_mutex_unlock(&deliver_lock);
	return r;
}

int
run_spool_flush(const char *dir, struct run_queue *q)
{
	char pending[4096], path[8400];
	struct dirent *e;
	DIR *d;
	int left = 0;

	snprintf(pending, sizeof(pending), "%s/pending", dir);
	d = opendir(pending);
	if (!d)
		return log_error("cannot open '%s': %s", pending,
		                 strerror(errno));
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pending, e->d_name);
		if (run_spool_deliver(dir, path, q))
			left++;
	}
	closedir(d);
	return left;
}
