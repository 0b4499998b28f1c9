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
#include "jx.h"
#include "log.h"
#include "num.h"
#include "os.h"
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

/* 16 MiB of logs (x3 at worst as text) + 8 MiB of results, with room */
#define SPOOL_FILE_MAX (128u << 20)

static pthread_mutex_t deliver_lock = PTHREAD_MUTEX_INITIALIZER;

int
run_spool_init(const char *dir)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/pending", dir);
	if (os_mkdir_p(p, 0755))
		return -1;
	snprintf(p, sizeof(p), "%s/rejected", dir);
	return os_mkdir_p(p, 0755);
}

char *
run_spool_write(const char *dir, int64_t id, int64_t fence,
                const struct run_outcome *o)
{
	char path[4200];
	json_t *doc = json_object();
	char *text;
	int ok;

	snprintf(path, sizeof(path), "%s/pending/%lld-%lld.json", dir,
	         (long long)id, (long long)fence);
	jx_set(doc, "job_id", json_integer(id));
	jx_set(doc, "fence", json_integer(fence));
	jx_set(doc, "class", json_string(o->cls));
	jx_set(doc, "outcome", json_string(o->outcome));
	jx_set(doc, "infra_retries", json_integer(o->infra_retries));
	jx_set(doc, "duration_ms", json_integer(o->duration_ms));
	jx_set(doc, "raw", json_incref(o->raw));
	text = jx_dumps(doc);
	json_decref(doc);
	ok = os_write_atomic(path, text, strlen(text), 0644) == 0;
	free(text);
	return ok ? xstrdup(path) : NULL;
}

static int
deliver_locked(const char *dir, const char *path, struct run_queue *q)
{
	json_t *doc = jx_load_file(path, SPOOL_FILE_MAX), *raw;
	struct run_completion c;
	int64_t id, fence, retries = 0, dur = 0;
	char *rawtext = NULL;
	int r, ret = -1;

	if (!doc) {
		/* Unreadable: keep it aside for a human, do not loop on it. */
		char dst[8400], *slash = strrchr(path, '/');

		snprintf(dst, sizeof(dst), "%s/rejected/%s", dir,
		         slash ? slash + 1 : path);
		rename(path, dst);
		return 0;
	}
	raw = json_object_get(doc, "raw");
	if (jx_int(doc, "job_id", &id) || jx_int(doc, "fence", &fence) ||
	    !jx_str(doc, "class") || !jx_str(doc, "outcome") || !raw) {
		log_error("spool file '%s' is incomplete", path);
		goto out;
	}
	jx_int(doc, "infra_retries", &retries);
	jx_int(doc, "duration_ms", &dur);
	rawtext = jx_dumps(raw);
	c.cls = jx_str(doc, "class");
	c.outcome = jx_str(doc, "outcome");
	c.infra_retries = (int)retries;
	c.duration_ms = dur;
	c.raw = rawtext;
	r = run_queue_complete(q, id, fence, &c);
	if (r == 0) {
		log_info("job %lld done: %s %s", (long long)id, c.cls,
		         c.outcome);
		if (unlink(path) && errno != ENOENT)
			log_warn("cannot remove '%s': %s", path,
			         strerror(errno));
		ret = 0;
	} else if (r == RUN_QUEUE_LOST) {
		char dst[8400], *slash = strrchr(path, '/');

		log_warn("job %lld: completion refused, fence %lld is stale "
		         "(the job was rescued and handed on)",
		         (long long)id, (long long)fence);
		snprintf(dst, sizeof(dst), "%s/rejected/%s", dir,
		         slash ? slash + 1 : path);
		if (rename(path, dst))
			log_warn("cannot move '%s': %s", path, strerror(errno));
		ret = 0;
	}
out:
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
