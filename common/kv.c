/*
 * LMDB, made hard to misuse: values are copied out, writes are batched
 * and replayed after the map grows. See kv.h for the contract.
 */
#include "kv.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Growth stops here: past this the disk is the problem, not the map. */
#define KV_MAX_MAP_SIZE ((size_t)1 << 40)

struct kv {
	MDB_env *env;
	MDB_dbi dbi[KV_MAX_DBS];
	char *names[KV_MAX_DBS];
	size_t ndb;
	size_t map_size;
	char *dir;
	unsigned flags;
	/* Where the map is in this process (KV_UNMAP), found in
	 * /proc/self/maps: LMDB does not say (mdb_env_info's me_mapaddr is
	 * only set with MDB_FIXEDMAP). Looked up again after the map moves
	 * (growth); map_addr NULL: not known, kv_unmap() does nothing. */
	void *map_addr;
	size_t map_len;
	/* The read transaction of the kv_each() walk in progress, if any:
	 * reads inside the walk's callback use it (see txn_begin()). */
	MDB_txn *walk;
	int walk_depth;
	int lock_fd; /* the writer lock (not KV_RDONLY), or -1 */
};

enum { OP_PUT = 1, OP_DEL = 2 };

/* A queued operation in the batch's arena: this header, key, value. */
struct op_head {
	unsigned char op;
	unsigned char db;
	uint32_t klen;
	uint32_t vlen;
};

struct kv_batch {
	struct buf arena;
	size_t ops;
};

/* LMDB's MDB_val is not const-correct; it never writes through keys. */
static void *
unconst(const void *p)
{
	return (void *)(uintptr_t)p;
}

static int
mdb_fail(const struct kv *kv, const char *what, int rc)
{
	return log_error("lmdb '%s': %s: %s", kv ? kv->dir : "?", what,
	                 mdb_strerror(rc));
}

void
kv_close(struct kv *kv)
{
	size_t i;

	if (!kv)
		return;
	if (kv->env)
		mdb_env_close(kv->env);
	if (kv->lock_fd >= 0)
		close(kv->lock_fd); /* releases the writer lock */
	for (i = 0; i < kv->ndb; i++)
		free(kv->names[i]);
	free(kv->dir);
	free(kv);
}

/* Find the mapping of data.mdb (by device and inode) in /proc/self/maps. */
static void
find_map(struct kv *kv)
{
	struct stat st;
	char line[4096];
	FILE *f;
	int fd;

	kv->map_addr = NULL;
	kv->map_len = 0;
	if (!(kv->flags & KV_UNMAP) || mdb_env_get_fd(kv->env, &fd) ||
	    fstat(fd, &st))
		return;
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, ino;
		unsigned maj, min;

		if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &lo, &hi, &maj,
		           &min, &ino) != 5)
			continue;
		if (ino == (unsigned long)st.st_ino &&
		    maj == major(st.st_dev) && min == minor(st.st_dev)) {
			kv->map_addr = (void *)(uintptr_t)lo;
			kv->map_len = hi - lo;
			break;
		}
	}
	fclose(f);
}

void
kv_unmap(struct kv *kv)
{
	if (kv->map_addr)
		madvise(kv->map_addr, kv->map_len, MADV_DONTNEED);
}

static int
open_dbs(struct kv *kv, const char *const *names, size_t n, unsigned flags)
{
	MDB_txn *txn = NULL;
	unsigned tflags = (flags & KV_RDONLY) ? MDB_RDONLY : 0;
	unsigned dflags = (flags & KV_RDONLY) ? 0 : MDB_CREATE;
	size_t i;
	int rc;

	rc = mdb_txn_begin(kv->env, NULL, tflags, &txn);
	if (rc)
		return mdb_fail(kv, "cannot begin transaction", rc);
	for (i = 0; i < n; i++) {
		rc = mdb_dbi_open(txn, names[i], dflags, &kv->dbi[i]);
		if (rc == MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			return log_error("lmdb '%s': no database '%s' (not a "
			                 "pyti mirror, or never written)",
			                 kv->dir, names[i]);
		}
		if (rc) {
			mdb_txn_abort(txn);
			return mdb_fail(kv, names[i], rc);
		}
		kv->names[i] = xstrdup(names[i]);
		kv->ndb = i + 1;
	}
	rc = mdb_txn_commit(txn);
	if (rc)
		return mdb_fail(kv, "cannot commit", rc);
	return 0;
}

/*
 * One writer per environment: an exclusive flock(2) on <dir>/writer.lock,
 * held until kv_close() (or the process's death: the kernel drops it).
 * LMDB serialises write transactions itself, but two crawls interleaving
 * their batches would each believe they own the pending queue.
 */
static int
lock_writer(struct kv *kv)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/writer.lock", kv->dir);
	kv->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (kv->lock_fd < 0)
		return log_error("cannot open '%s': %s", path, strerror(errno));
	if (flock(kv->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return log_error("lmdb '%s': another process is writing it "
		                 "(%s is locked)",
		                 kv->dir, path);
	return log_error("cannot lock '%s': %s", path, strerror(errno));
}

/*
 * A reader of a directory whose data.mdb is absent or empty: a writer was
 * killed between creating the directory (or the file) and writing the
 * first meta pages. Say so, rather than LMDB's "No such file or
 * directory" or "Bad file descriptor", and leave the directory as it is
 * (mdb_env_open would create lock.mdb in it).
 */
static int
never_written(const char *dir)
{
	char path[4200];
	struct stat st;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return 0; /* mdb_env_open() names what is wrong */
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &st) ? errno != ENOENT : st.st_size > 0)
		return 0;
	return log_error("lmdb '%s': no data.mdb, or an empty one (not a "
	                 "pyti mirror, or never written)",
	                 dir);
}

struct kv *
kv_open(const char *dir, const char *const *names, size_t n, unsigned flags,
        size_t map_size)
{
	struct kv *kv = xcalloc(1, sizeof(*kv));
	unsigned eflags = MDB_NOTLS;
	MDB_envinfo info;
	int rc, dead = 0;

	kv->dir = xstrdup(dir);
	kv->flags = flags;
	kv->lock_fd = -1;
	if (n > KV_MAX_DBS) {
		log_error("lmdb '%s': %zu databases, at most %d", dir, n,
		          KV_MAX_DBS);
		goto fail;
	}
	if (!(flags & KV_RDONLY) && mkdir(dir, 0755) && errno != EEXIST) {
		log_error("cannot create '%s': %s", dir, strerror(errno));
		goto fail;
	}
	if (!(flags & KV_RDONLY) && lock_writer(kv))
		goto fail;
	if ((flags & KV_RDONLY) && never_written(dir))
		goto fail;
	if (flags & KV_RDONLY)
		eflags |= MDB_RDONLY;
	if (flags & KV_NOMETASYNC)
		eflags |= MDB_NOMETASYNC;
	if (flags & KV_NOSYNC)
		eflags |= MDB_NOSYNC;
	if (flags & KV_NORDAHEAD)
		eflags |= MDB_NORDAHEAD;
	rc = mdb_env_create(&kv->env);
	if (rc) {
		mdb_fail(kv, "cannot create environment", rc);
		kv->env = NULL;
		goto fail;
	}
	mdb_env_set_maxdbs(kv->env, KV_MAX_DBS);
	mdb_env_set_mapsize(kv->env, map_size ? map_size : KV_DEFAULT_MAP_SIZE);
	rc = mdb_env_open(kv->env, dir, eflags, 0644);
	if (rc) {
		log_error("cannot open lmdb environment '%s': %s", dir,
		          mdb_strerror(rc));
		goto fail;
	}
	/* Reader slots of processes that died inside a read transaction
	 * pin old pages (the file grows) until someone clears them. */
	rc = mdb_reader_check(kv->env, &dead);
	if (rc)
		log_warn("lmdb '%s': cannot check for stale readers: %s", dir,
		         mdb_strerror(rc));
	else if (dead > 0)
		log_info("lmdb '%s': cleared %d stale reader slot%s", dir, dead,
		         dead == 1 ? "" : "s");
	/* The file may record a larger map than asked for: LMDB uses it. */
	mdb_env_info(kv->env, &info);
	kv->map_size = info.me_mapsize;
	if (open_dbs(kv, names, n, flags))
		goto fail;
	find_map(kv);
	return kv;
fail:
	kv_close(kv);
	return NULL;
}

int
kv_sync(struct kv *kv)
{
	int rc = mdb_env_sync(kv->env, 1);

	return rc ? mdb_fail(kv, "cannot sync", rc) : 0;
}

size_t
kv_map_size(const struct kv *kv)
{
	return kv->map_size;
}

/*
 * Begin a read transaction, or reuse the one of the walk in progress.
 *
 * Another process may have grown the map since we opened it; LMDB then
 * refuses with MDB_MAP_RESIZED until we adopt the new size, and adopting
 * it (mdb_env_set_mapsize) is only allowed while this process has no
 * transaction open: it moves the map under any pointer into it. So a read
 * inside a kv_each() callback never begins a transaction of its own: it
 * uses the walk's (the same snapshot, which the old map covers), and the
 * only transactions this process begins are begun with none open.
 * *own says whether the caller must end it.
 */
static int
txn_begin(struct kv *kv, unsigned flags, MDB_txn **txn, int *own)
{
	int rc;

	*own = 0;
	if (kv->walk && (flags & MDB_RDONLY)) {
		*txn = kv->walk;
		return 0;
	}
	if (kv->walk)
		return log_error("lmdb '%s': a write inside a walk (kv_each "
		                 "callbacks must not write)",
		                 kv->dir);
	rc = mdb_txn_begin(kv->env, NULL, flags, txn);
	if (rc == MDB_MAP_RESIZED) {
		MDB_envinfo info;

		rc = mdb_env_set_mapsize(kv->env, 0);
		if (rc)
			return mdb_fail(kv, "cannot adopt new map size", rc);
		mdb_env_info(kv->env, &info);
		kv->map_size = info.me_mapsize;
		find_map(kv);
		rc = mdb_txn_begin(kv->env, NULL, flags, txn);
	}
	if (rc)
		return mdb_fail(kv, "cannot begin transaction", rc);
	*own = 1;
	return 0;
}

static void
txn_end(MDB_txn *txn, int own)
{
	if (own)
		mdb_txn_abort(txn);
}

static int
check_db(const struct kv *kv, unsigned db)
{
	if (db >= kv->ndb)
		return log_error("lmdb '%s': no database number %u", kv->dir,
		                 db);
	return 0;
}

int
kv_get(struct kv *kv, unsigned db, const void *key, size_t klen,
       struct buf *out)
{
	MDB_txn *txn = NULL;
	MDB_val k = {klen, unconst(key)}, v;
	int rc, own, ret = -1;

	if (check_db(kv, db) || txn_begin(kv, MDB_RDONLY, &txn, &own))
		return -1;
	rc = mdb_get(txn, kv->dbi[db], &k, &v);
	if (rc == MDB_NOTFOUND) {
		ret = KV_NOTFOUND;
	} else if (rc) {
		mdb_fail(kv, kv->names[db], rc);
	} else {
		buf_reset(out);
		if (buf_add(out, v.mv_data, v.mv_size)) {
			log_error("lmdb '%s': value in '%s' is %zu bytes, more "
			          "than %zu",
			          kv->dir, kv->names[db], v.mv_size, out->max);
		} else {
			ret = 0;
		}
	}
	txn_end(txn, own);
	return ret;
}

int
kv_each(struct kv *kv, unsigned db, const void *start, size_t slen,
        kv_each_fn fn, void *arg)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k = {slen, unconst(start)}, v;
	size_t seen = 0;
	int rc, own, ret = -1;

	if (check_db(kv, db) || txn_begin(kv, MDB_RDONLY, &txn, &own))
		return -1;
	kv->walk = txn;
	kv->walk_depth++;
	rc = mdb_cursor_open(txn, kv->dbi[db], &cur);
	if (rc) {
		mdb_fail(kv, "cannot open cursor", rc);
		goto out;
	}
	rc = mdb_cursor_get(cur, &k, &v, start ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0) {
		ret = fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size, arg);
		if (ret)
			goto out;
		if (++seen % KV_UNMAP_EVERY == 0)
			kv_unmap(kv);
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND)
		ret = 0;
	else
		ret = mdb_fail(kv, kv->names[db], rc);
out:
	if (cur)
		mdb_cursor_close(cur);
	if (--kv->walk_depth == 0)
		kv->walk = NULL;
	txn_end(txn, own);
	kv_unmap(kv);
	return ret;
}

int
kv_count(struct kv *kv, unsigned db, uint64_t *out)
{
	MDB_txn *txn = NULL;
	MDB_stat st;
	int rc, own;

	if (check_db(kv, db) || txn_begin(kv, MDB_RDONLY, &txn, &own))
		return -1;
	rc = mdb_stat(txn, kv->dbi[db], &st);
	txn_end(txn, own);
	if (rc)
		return mdb_fail(kv, kv->names[db], rc);
	*out = st.ms_entries;
	return 0;
}

struct kv_batch *
kv_batch_new(void)
{
	struct kv_batch *b = xcalloc(1, sizeof(*b));

	buf_init(&b->arena, 0);
	return b;
}

void
kv_batch_free(struct kv_batch *b)
{
	if (!b)
		return;
	buf_release(&b->arena);
	free(b);
}

void
kv_batch_clear(struct kv_batch *b)
{
	buf_reset(&b->arena);
	b->ops = 0;
}

size_t
kv_batch_ops(const struct kv_batch *b)
{
	return b->ops;
}

size_t
kv_batch_bytes(const struct kv_batch *b)
{
	return b->arena.len;
}

static void
batch_add(struct kv_batch *b, unsigned char op, unsigned db, const void *key,
          size_t klen, const void *val, size_t vlen)
{
	struct op_head h = {op, (unsigned char)db, (uint32_t)klen,
	                    (uint32_t)vlen};

	if (db > 255 || klen > UINT32_MAX || vlen > UINT32_MAX) {
		log_die("kv batch: operation too large (%zu + %zu bytes)", klen,
		        vlen);
	}
	/* The arena has no max, so these cannot fail. */
	buf_add(&b->arena, &h, sizeof(h));
	buf_add(&b->arena, key, klen);
	if (vlen)
		buf_add(&b->arena, val, vlen);
	b->ops++;
}

void
kv_batch_put(struct kv_batch *b, unsigned db, const void *key, size_t klen,
             const void *val, size_t vlen)
{
	batch_add(b, OP_PUT, db, key, klen, val, vlen);
}

void
kv_batch_del(struct kv_batch *b, unsigned db, const void *key, size_t klen)
{
	batch_add(b, OP_DEL, db, key, klen, NULL, 0);
}

/* Apply every queued operation in txn. Returns 0 or an LMDB code. */
static int
batch_apply(struct kv *kv, const struct kv_batch *b, MDB_txn *txn,
            const char **what)
{
	const char *p = b->arena.data, *end = p + b->arena.len;

	while (p < end) {
		struct op_head h;
		MDB_val k, v;
		int rc;

		memcpy(&h, p, sizeof(h));
		p += sizeof(h);
		k.mv_size = h.klen;
		k.mv_data = unconst(p);
		p += h.klen;
		v.mv_size = h.vlen;
		v.mv_data = unconst(p);
		p += h.vlen;
		*what = kv->names[h.db];
		if (h.op == OP_PUT)
			rc = mdb_put(txn, kv->dbi[h.db], &k, &v, 0);
		else
			rc = mdb_del(txn, kv->dbi[h.db], &k, NULL);
		if (rc && !(h.op == OP_DEL && rc == MDB_NOTFOUND))
			return rc;
	}
	return 0;
}

static int
grow(struct kv *kv)
{
	size_t want = kv->map_size * 2;
	MDB_envinfo info;
	int rc;

	if (want > KV_MAX_MAP_SIZE || want < kv->map_size)
		return log_error("lmdb '%s': map full at %zu bytes", kv->dir,
		                 kv->map_size);
	rc = mdb_env_set_mapsize(kv->env, want);
	if (rc)
		return mdb_fail(kv, "cannot grow the map", rc);
	mdb_env_info(kv->env, &info);
	kv->map_size = info.me_mapsize;
	find_map(kv);
	log_debug("lmdb '%s': map grown to %zu bytes", kv->dir, kv->map_size);
	return 0;
}

int
kv_batch_commit(struct kv *kv, struct kv_batch *b)
{
	const char *p, *end;

	/* Validate every db index once, before LMDB sees anything. */
	for (p = b->arena.data, end = p + b->arena.len; p < end;) {
		struct op_head h;

		memcpy(&h, p, sizeof(h));
		if (check_db(kv, h.db))
			return -1;
		p += sizeof(h) + h.klen + h.vlen;
	}
	for (;;) {
		MDB_txn *txn = NULL;
		const char *what = "commit";
		int rc, own;

		/* Never inside a walk (txn_begin() refuses): growing the
		 * map below would move it under the walk's cursor. */
		if (txn_begin(kv, 0, &txn, &own))
			return -1;
		rc = batch_apply(kv, b, txn, &what);
		if (rc) {
			mdb_txn_abort(txn);
		} else {
			what = "commit";
			rc = mdb_txn_commit(txn);
		}
		if (rc == 0)
			break;
		if (rc != MDB_MAP_FULL)
			return mdb_fail(kv, what, rc);
		if (grow(kv))
			return -1;
	}
	kv_batch_clear(b);
	kv_unmap(kv);
	return 0;
}
