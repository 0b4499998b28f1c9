/*
 * The mirror's read side, through common/kv (see mirror.h: temporary
 * until the mirror API moves to common/).
 */
#include "mirror.h"

#include "buf.h"
#include "jx.h"
#include "kv.h"
#include "log.h"

#include <string.h>

enum { DB_PROJECTS, DB_SERIALS, DB_PENDING, DB_STATE, DB_N };
static const char *const db_names[DB_N] = {"projects", "serials", "pending",
                                           "state"};

/* Largest record read (the crawler's own page cap is lower). */
#define RECORD_MAX ((size_t)256 << 20)

int
sched_mirror_open(struct sched_mirror *m, const char *dir)
{
	m->kv = kv_open(dir, db_names, DB_N, KV_RDONLY | KV_NORDAHEAD | KV_UNMAP,
	                0);
	return m->kv ? 0 : -1;
}

void
sched_mirror_close(struct sched_mirror *m)
{
	kv_close(m->kv);
	m->kv = NULL;
}

json_t *
sched_mirror_get(struct sched_mirror *m, const char *norm, int *found)
{
	struct buf b = BUF_INIT(RECORD_MAX);
	json_t *j = NULL;
	int r = kv_get(m->kv, DB_PROJECTS, norm, strlen(norm), &b);
	*found = r == 0 ? 1 : r == KV_NOTFOUND ? 0 : -1;
	if (r == 0) {
		char what[320];
		snprintf(what, sizeof(what), "mirror record '%.256s'", norm);
		j = jx_parse(b.data ? b.data : "", b.len, what);
		if (!j || !json_is_object(j)) {
			json_decref(j);
			j = NULL;
			*found = -1;
		}
	}
	buf_release(&b);
	return j;
}

int
sched_mirror_serial(struct sched_mirror *m, const char *norm, int64_t *serial)
{
	struct buf b = BUF_INIT(64);
	int rc = -1;
	if (kv_get(m->kv, DB_SERIALS, norm, strlen(norm), &b) == 0 &&
	    b.len == 9) {
		const unsigned char *v = (const unsigned char *)b.data;
		uint64_t s = 0;
		for (int i = 7; i >= 0; i--)
			s = (s << 8) | v[i];
		*serial = (int64_t)s;
		rc = 0;
	}
	buf_release(&b);
	return rc;
}

struct each {
	sched_mirror_fn fn;
	void *arg;
};

static int
each_one(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
	struct each *e = arg;
	char name[512];
	if (klen >= sizeof(name) || vlen < 9)
		return 0;
	memcpy(name, key, klen);
	name[klen] = 0;
	const unsigned char *v = val;
	uint64_t s = 0;
	for (int i = 7; i >= 0; i--)
		s = (s << 8) | v[i];
	return e->fn(name, (int64_t)s, v[8] == 'd', e->arg);
}

int
sched_mirror_each(struct sched_mirror *m, sched_mirror_fn fn, void *arg)
{
	struct each e = {fn, arg};
	return kv_each(m->kv, DB_SERIALS, NULL, 0, each_one, &e);
}
