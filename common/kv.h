/*
 * The LMDB wrapper: an environment (a directory) with named sub-databases,
 * reads that copy values out, iteration with a callback, and writes as
 * batches that survive a full map.
 *
 * LMDB hands out pointers into its memory map that die with their
 * transaction; this wrapper never lets one escape. kv_get() copies into a
 * struct buf, kv_each() lends key and value to a callback for the length
 * of one call only.
 *
 * Writes go through a struct kv_batch: the caller queues puts and deletes
 * (copied), then kv_batch_commit() applies them in one write transaction.
 * When LMDB says the map is full (MDB_MAP_FULL), the transaction is
 * aborted, the map grown (doubled) and the whole batch replayed, so callers
 * never see MAP_FULL and the map can start small. A batch is atomic: after
 * a crash either all of it or none of it is in the database.
 *
 *	const char *const dbs[] = { "projects", "state" };
 *	struct kv *kv = kv_open("/var/lib/pyti/mirror", dbs, 2, 0);
 *	struct kv_batch *b = kv_batch_new();
 *	kv_batch_put(b, 0, "foo", 3, "{}", 2);
 *	if (kv_batch_commit(kv, b))
 *		...;
 *
 * One struct kv per process and thread. Other processes may read the same
 * environment at the same time (LMDB's readers never block the writer);
 * one process at a time may open it for writing (a lock, below).
 *
 * Readers beside a writer. The writer grows the map as it fills; a
 * reader in another process notices at its next transaction and adopts
 * the new size, which LMDB allows only while the reader has no
 * transaction open. This wrapper keeps that rule by itself:
 *
 *   - each kv_get(), kv_count() and kv_each() is one short read
 *     transaction, ended before it returns: between calls, none is open;
 *   - a kv_get() or kv_count() (or a nested kv_each()) inside a kv_each()
 *     callback reuses the walk's transaction instead of beginning one:
 *     the same snapshot, and no adoption while the walk's cursor points
 *     into the old map;
 *   - writing inside a walk (kv_batch_commit() from a callback) fails:
 *     queue the writes and commit after the walk.
 *
 * So the reader pattern is: walk with kv_each(), read what else you need
 * with kv_get() from inside the callback, copy out what you keep, never
 * hold LMDB pointers past the callback. A long walk holds one snapshot
 * (the writer's new pages go to fresh space; the file grows meanwhile);
 * walk in chunks (kv_each() from a start key, stop after N) when the
 * walk is slow. kv_open() clears the reader slots of dead processes
 * (mdb_reader_check), which would otherwise pin old pages for ever.
 */
#ifndef PYTI_KV_H
#define PYTI_KV_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct kv;
struct kv_batch;

/* Returned by lookups when the key is absent: not an error. */
#define KV_NOTFOUND 1

enum kv_flags {
	KV_RDONLY = 1 << 0, /* open read-only; the directory must exist */
	KV_NOMETASYNC = 1 << 1, /* one fsync per commit, not two: a system
				   crash may undo the last commit, never
				   corrupts (MDB_NOMETASYNC) */
	KV_NOSYNC = 1 << 2, /* no fsync at commit; kv_sync() to flush.
				   A process crash loses nothing, a system
				   crash may lose or corrupt (MDB_NOSYNC) */
	KV_NORDAHEAD = 1 << 3, /* no kernel readahead on the map: random
				   access to a database larger than the
				   working set (MDB_NORDAHEAD) */
	KV_UNMAP = 1 << 4, /* keep the process's resident set small: drop
			      its mappings of the map's pages after every
			      batch commit and every KV_UNMAP_EVERY records
			      of a kv_each() walk (see kv_unmap()) */
};

/* Records of a kv_each() walk between two kv_unmap() (KV_UNMAP). */
#define KV_UNMAP_EVERY 4096

/* Most named databases one environment may hold. */
#define KV_MAX_DBS 16

/* The initial map size when kv_open() is given 0. */
#define KV_DEFAULT_MAP_SIZE ((size_t)64 << 20)

/*
 * Open (creating the directory and the named databases unless KV_RDONLY)
 * the environment in dir. A writer (not KV_RDONLY) takes an exclusive
 * lock on <dir>/writer.lock for the life of the kv: a second writer of the
 * same environment fails to open ("another process is writing it"). names[0..n-1] are the sub-database names; later
 * calls refer to them by index. map_size is the initial map size in bytes
 * (0: KV_DEFAULT_MAP_SIZE, or the size the file already has if larger);
 * it grows as needed. Returns a new kv (kv_close()), or NULL with the
 * reason logged (an absent database in read-only mode is named).
 */
struct kv *kv_open(const char *dir, const char *const *names, size_t n,
                   unsigned flags, size_t map_size);

/* Close the environment (flushing first); kv_close(NULL) is a no-op. */
void kv_close(struct kv *kv);

/* Flush committed writes to disk (after KV_NOSYNC). Returns 0 or -1. */
int kv_sync(struct kv *kv);

/*
 * Drop this process's page-table entries for the memory map (Linux
 * madvise MADV_DONTNEED), so pages read through it stop counting in the
 * resident set; the data stays in the kernel's page cache and the next
 * access maps it again. Safe at any moment, even with pointers into the
 * map in use: the map is a read-only shared file mapping (this wrapper
 * never asks for MDB_WRITEMAP), so there is nothing to lose, only to
 * fault in again. Called by kv itself when opened with KV_UNMAP; a no-op
 * when the map cannot be found in /proc/self/maps.
 */
void kv_unmap(struct kv *kv);

/* The current map size in bytes. */
size_t kv_map_size(const struct kv *kv);

/*
 * Look up key in database db and copy its value into out (replacing what
 * out held; out's max applies, a larger value is an error). Returns 0,
 * KV_NOTFOUND (out untouched), or -1 (logged).
 */
int kv_get(struct kv *kv, unsigned db, const void *key, size_t klen,
           struct buf *out);

/*
 * Called by kv_each() for each record. key and val are borrowed from LMDB
 * and valid only until the callback returns: copy what you keep. Return 0
 * to go on, anything else to stop (kv_each() then returns that value).
 */
typedef int (*kv_each_fn)(const void *key, size_t klen, const void *val,
                          size_t vlen, void *arg);

/*
 * Call fn for the records of db in key order (bytewise), starting at the
 * first key >= start (start NULL: from the first record), all within one
 * read transaction (a consistent snapshot). Returns 0 when all were seen,
 * fn's non-zero value when it stopped, or -1 (logged) on a database error.
 * fn may read kv (kv_get(), kv_count(), kv_each(): the same snapshot) and
 * must not write to it (a commit fails; use a batch committed after the
 * walk).
 */
int kv_each(struct kv *kv, unsigned db, const void *start, size_t slen,
            kv_each_fn fn, void *arg);

/* The number of records in db, in *out. Returns 0 or -1 (logged). */
int kv_count(struct kv *kv, unsigned db, uint64_t *out);

/* A new, empty batch (kv_batch_free()). */
struct kv_batch *kv_batch_new(void);

/* Free a batch and what it queued; kv_batch_free(NULL) is a no-op. */
void kv_batch_free(struct kv_batch *b);

/* Queue a put (key and value are copied). Last write of a key wins. */
void kv_batch_put(struct kv_batch *b, unsigned db, const void *key, size_t klen,
                  const void *val, size_t vlen);

/* Queue a delete; deleting an absent key is not an error. */
void kv_batch_del(struct kv_batch *b, unsigned db, const void *key,
                  size_t klen);

/* Operations and bytes queued (to decide when to commit). */
size_t kv_batch_ops(const struct kv_batch *b);
size_t kv_batch_bytes(const struct kv_batch *b);

/*
 * Apply the batch in one write transaction, in queue order, growing the
 * map and retrying on MDB_MAP_FULL. On success the batch is emptied and 0
 * returned; on failure nothing was written, the batch is kept and -1
 * returned (logged).
 */
int kv_batch_commit(struct kv *kv, struct kv_batch *b);

/* Empty the batch without writing. */
void kv_batch_clear(struct kv_batch *b);

#endif
