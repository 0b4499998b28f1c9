/*
 * The mirror's LMDB layout (mirror.h). Records are JSON so that the
 * scheduler, a person with mdb_dump and the dump command all read the
 * same thing; the serials database duplicates the one number the nightly
 * diff needs in fixed binary form, so comparing 886k serials never parses
 * a record.
 */
#include "mirror.h"
#include "jx.h"
#include "log.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The largest record a project may have (a 50k-file page is ~20 MB). */
#define MIRROR_MAX_RECORD ((size_t)256 << 20)

static const char *const db_names[MIRROR_NDB] = {
    "projects", "serials", "pending", "state", "downloads"};

static void
put_le64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(u >> (8 * i));
}

static int64_t
get_le64(const unsigned char *p)
{
	uint64_t u = 0;
	int i;

	for (i = 0; i < 8; i++)
		u |= (uint64_t)p[i] << (8 * i);
	return (int64_t)u;
}

int
mirror_open(struct mirror *m, const char *dir, int rdonly, const char *sync)
{
	/* Random access over a map that outgrows any working set: no
	 * readahead, and mapped pages dropped after each commit and during
	 * long walks, so the resident set does not grow with the mirror
	 * (docs/crawler.md, "Memory"). */
	unsigned flags = KV_NORDAHEAD | KV_UNMAP;
	char *fmt;

	memset(m, 0, sizeof(*m));
	if (rdonly)
		flags |= KV_RDONLY;
	if (!sync || !strcmp(sync, "meta"))
		flags |= KV_NOMETASYNC;
	else if (!strcmp(sync, "none"))
		flags |= KV_NOSYNC;
	else if (strcmp(sync, "full"))
		return log_error("invalid sync mode '%s' (full, meta or none)",
		                 sync);
	m->kv = kv_open(dir, db_names, rdonly ? MIRROR_NDB - 1 : MIRROR_NDB,
	                flags, 0);
	if (!m->kv)
		return -1;
	m->batch = kv_batch_new();
	fmt = mirror_state_get(m, "format");
	if (fmt && strcmp(fmt, MIRROR_FORMAT)) {
		log_error("mirror '%s' has format %s, this pyti reads %s", dir,
		          fmt, MIRROR_FORMAT);
		free(fmt);
		mirror_close(m);
		return -1;
	}
	if (!fmt && !rdonly)
		mirror_state_put(m, "format", MIRROR_FORMAT);
	free(fmt);
	return 0;
}

int
mirror_commit(struct mirror *m)
{
	if (!kv_batch_ops(m->batch))
		return 0;
	return kv_batch_commit(m->kv, m->batch);
}

void
mirror_close(struct mirror *m)
{
	if (m->kv && m->batch)
		mirror_commit(m);
	kv_batch_free(m->batch);
	kv_close(m->kv);
	memset(m, 0, sizeof(*m));
}

static void
put_serial(struct mirror *m, const char *norm, int64_t serial, int status)
{
	unsigned char v[9];

	put_le64(v, serial);
	v[8] = (unsigned char)status;
	kv_batch_put(m->batch, MIRROR_SERIALS, norm, strlen(norm), v, 9);
}

void
mirror_put_project(struct mirror *m, const char *norm, const char *display,
                   int64_t serial, const char *etag, json_t *files,
                   const char *pstatus, const char *preason)
{
	json_t *rec = json_object();
	char *text;
	int quarantined = pstatus && !strcmp(pstatus, "quarantined");

	jx_set(rec, "name", json_string(display));
	jx_set(rec, "serial", json_integer(serial));
	jx_set(rec, "status", json_string("active"));
	jx_set(rec, "project_status",
	       json_string(pstatus ? pstatus : "active"));
	if (preason)
		jx_set(rec, "project_status_reason", json_string(preason));
	jx_set(rec, "etag", jx_string_or_null(etag));
	jx_set(rec, "fetched_at", json_integer((json_int_t)time(NULL)));
	jx_set(rec, "files", json_incref(files));
	text = jx_dumps(rec);
	kv_batch_put(m->batch, MIRROR_PROJECTS, norm, strlen(norm), text,
	             strlen(text));
	put_serial(m, norm, serial,
	           quarantined ? MIRROR_QUARANTINED : MIRROR_ACTIVE);
	mirror_unpend(m, norm);
	free(text);
	json_decref(rec);
}

int
mirror_mark_gone(struct mirror *m, const char *norm, const char *display,
                 int64_t serial, const char *reason)
{
	int found;
	json_t *rec = mirror_get_project(m, norm, &found);
	char *text;

	if (found < 0)
		return -1;
	if (!found) {
		rec = json_object();
		jx_set(rec, "name", json_string(display));
		jx_set(rec, "etag", json_null());
		jx_set(rec, "fetched_at",
		       json_integer((json_int_t)time(NULL)));
		jx_set(rec, "files", json_array());
	}
	if (json_is_integer(json_object_get(rec, "serial")) &&
	    json_integer_value(json_object_get(rec, "serial")) > serial)
		serial = json_integer_value(json_object_get(rec, "serial"));
	jx_set(rec, "serial", json_integer(serial));
	jx_set(rec, "status", json_string("deleted"));
	jx_set(rec, "status_reason", json_string(reason));
	text = jx_dumps(rec);
	kv_batch_put(m->batch, MIRROR_PROJECTS, norm, strlen(norm), text,
	             strlen(text));
	put_serial(m, norm, serial, MIRROR_DELETED);
	mirror_unpend(m, norm);
	free(text);
	json_decref(rec);
	return 0;
}

void
mirror_put_record(struct mirror *m, const char *norm, json_t *rec)
{
	char *text = jx_dumps(rec);

	kv_batch_put(m->batch, MIRROR_PROJECTS, norm, strlen(norm), text,
	             strlen(text));
	free(text);
}

int
mirror_project_schedulable(const json_t *rec)
{
	const char *st = json_string_value(json_object_get(rec, "status"));
	const char *ps =
	    json_string_value(json_object_get(rec, "project_status"));

	return st && !strcmp(st, "active") &&
	       !(ps && !strcmp(ps, "quarantined"));
}

json_t *
mirror_get_project(struct mirror *m, const char *norm, int *found)
{
	struct buf v = BUF_INIT(MIRROR_MAX_RECORD);
	json_t *rec = NULL;
	char what[600];
	int rc;

	*found = -1;
	rc = kv_get(m->kv, MIRROR_PROJECTS, norm, strlen(norm), &v);
	if (rc == KV_NOTFOUND) {
		*found = 0;
	} else if (rc == 0) {
		snprintf(what, sizeof(what), "mirror record '%.500s'", norm);
		rec = jx_parse(v.data, v.len, what);
		if (rec)
			*found = 1;
	}
	buf_release(&v);
	return rec;
}

int
mirror_mark_deleted(struct mirror *m, const char *norm)
{
	int found;
	json_t *rec = mirror_get_project(m, norm, &found);
	json_int_t serial = 0;
	char *text;

	if (found < 0)
		return -1;
	mirror_unpend(m, norm);
	if (!found) {
		/* Listed once, never fetched: nothing to keep but the fact. */
		kv_batch_del(m->batch, MIRROR_SERIALS, norm, strlen(norm));
		return 0;
	}
	if (json_is_integer(json_object_get(rec, "serial")))
		serial = json_integer_value(json_object_get(rec, "serial"));
	jx_set(rec, "status", json_string("deleted"));
	text = jx_dumps(rec);
	kv_batch_put(m->batch, MIRROR_PROJECTS, norm, strlen(norm), text,
	             strlen(text));
	put_serial(m, norm, serial, MIRROR_DELETED);
	free(text);
	json_decref(rec);
	return 0;
}

void
mirror_pend(struct mirror *m, const char *norm, int64_t target,
            const char *display)
{
	size_t dlen = strlen(display);
	unsigned char *v = xmalloc(8 + dlen);

	put_le64(v, target);
	memcpy(v + 8, display, dlen);
	kv_batch_put(m->batch, MIRROR_PENDING, norm, strlen(norm), v, 8 + dlen);
	free(v);
}

void
mirror_unpend(struct mirror *m, const char *norm)
{
	kv_batch_del(m->batch, MIRROR_PENDING, norm, strlen(norm));
}

void
mirror_queue_download(struct mirror *m, const char *norm)
{
	kv_batch_put(m->batch, MIRROR_DOWNLOADS, norm, strlen(norm), "", 0);
}

void
mirror_unqueue_download(struct mirror *m, const char *norm)
{
	kv_batch_del(m->batch, MIRROR_DOWNLOADS, norm, strlen(norm));
}

int
mirror_pending_decode(const void *val, size_t vlen, int64_t *target,
                      const char **display, size_t *dlen)
{
	if (vlen < 8)
		return -1;
	*target = get_le64(val);
	*display = (const char *)val + 8;
	*dlen = vlen - 8;
	return 0;
}

int
mirror_serial_decode(const void *val, size_t vlen, int64_t *serial, int *status)
{
	const unsigned char *p = val;

	if (vlen != 9 || (p[8] != MIRROR_ACTIVE && p[8] != MIRROR_DELETED &&
	                  p[8] != MIRROR_QUARANTINED))
		return -1;
	*serial = get_le64(p);
	*status = p[8];
	return 0;
}

char *
mirror_state_get(struct mirror *m, const char *key)
{
	struct buf v = BUF_INIT(1 << 16);
	char *s = NULL;

	if (kv_get(m->kv, MIRROR_STATE, key, strlen(key), &v) == 0)
		s = xmemdup0(v.data ? v.data : "", v.len);
	buf_release(&v);
	return s;
}

void
mirror_state_put(struct mirror *m, const char *key, const char *value)
{
	if (value)
		kv_batch_put(m->batch, MIRROR_STATE, key, strlen(key), value,
		             strlen(value));
	else
		kv_batch_del(m->batch, MIRROR_STATE, key, strlen(key));
}

static int
dump_one(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
	FILE *out = arg;
	json_t *rec, *line;
	char what[600];
	int ret;

	snprintf(what, sizeof(what), "mirror record '%.*s'",
	         (int)(klen > 500 ? 500 : klen), (const char *)key);
	rec = jx_parse(val, vlen, what);
	if (!rec)
		return -1;
	line = json_object();
	jx_set(line, "name", json_stringn(key, klen));
	jx_set(line, "display_name", json_incref(json_object_get(rec, "name")));
	jx_set(line, "serial", json_incref(json_object_get(rec, "serial")));
	jx_set(line, "status", json_incref(json_object_get(rec, "status")));
	if (json_object_get(rec, "status_reason"))
		jx_set(line, "status_reason",
		       json_incref(json_object_get(rec, "status_reason")));
	/* Records written before PEP 792 was kept say nothing: active. */
	jx_set(line, "project_status",
	       json_object_get(rec, "project_status")
	           ? json_incref(json_object_get(rec, "project_status"))
	           : json_string("active"));
	if (json_object_get(rec, "project_status_reason"))
		jx_set(line, "project_status_reason",
		       json_incref(
		           json_object_get(rec, "project_status_reason")));
	jx_set(line, "files", json_incref(json_object_get(rec, "files")));
	ret = jx_write_line(out, line);
	json_decref(line);
	json_decref(rec);
	return ret;
}

int
mirror_dump(struct mirror *m, FILE *out)
{
	int rc = kv_each(m->kv, MIRROR_PROJECTS, NULL, 0, dump_one, out);

	if (rc == 0 && fflush(out))
		return log_error("cannot write the dump");
	return rc ? -1 : 0;
}

struct stats {
	uint64_t active, deleted, quarantined;
};

static int
count_status(const char *norm, size_t nlen, int64_t serial, int status,
             void *arg)
{
	struct stats *st = arg;

	if (status == MIRROR_ACTIVE)
		st->active++;
	else if (status == MIRROR_QUARANTINED)
		st->quarantined++;
	else
		st->deleted++;
	return 0;
}

int
mirror_stats(struct mirror *m, FILE *out)
{
	struct stats st = {0, 0, 0};
	uint64_t projects, pending;
	char *serial = mirror_state_get(m, "root-serial");

	if (kv_count(m->kv, MIRROR_PROJECTS, &projects) ||
	    kv_count(m->kv, MIRROR_PENDING, &pending) ||
	    mirror_each_serial(m, NULL, count_status, &st)) {
		free(serial);
		return -1;
	}
	fprintf(out,
	        "projects %llu\nactive %llu\ndeleted %llu\nquarantined "
	        "%llu\npending %llu\nroot-serial %s\nmap-size %zu\n",
	        (unsigned long long)projects, (unsigned long long)st.active,
	        (unsigned long long)st.deleted,
	        (unsigned long long)st.quarantined, (unsigned long long)pending,
	        serial ? serial : "none", kv_map_size(m->kv));
	free(serial);
	return 0;
}

struct each_serial {
	mirror_serial_fn fn;
	void *arg;
};

static int
serial_one(const void *key, size_t klen, const void *val, size_t vlen,
           void *arg)
{
	struct each_serial *e = arg;
	int64_t serial;
	int status;

	if (mirror_serial_decode(val, vlen, &serial, &status))
		return log_error("malformed serial record '%.*s'",
		                 (int)(klen > 200 ? 200 : klen),
		                 (const char *)key);
	return e->fn(key, klen, serial, status, e->arg);
}

int
mirror_each_serial(struct mirror *m, const char *from, mirror_serial_fn fn,
                   void *arg)
{
	struct each_serial e = {fn, arg};

	return kv_each(m->kv, MIRROR_SERIALS, from, from ? strlen(from) : 0,
	               serial_one, &e);
}
