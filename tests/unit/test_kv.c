/* Unit tests for common/kv.c: open/create, copy-out reads, ordered
 * iteration, batches, the map growing under MDB_MAP_FULL, and a reader
 * walking while a writer process grows the map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "kv.h"
#include "log.h"

static const char *const dbs[] = {"a", "b"};

static char *
tmpdir(void)
{
	char *d = strdup("/tmp/test_kv.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void
rmdir_all(char *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(d);
}

static void
test_kv_put_get_delete(void **state)
{
	char *d = tmpdir();
	struct kv *kv = kv_open(d, dbs, 2, 0, 0);
	struct kv_batch *b = kv_batch_new();
	struct buf v = BUF_INIT(0);

	assert_non_null(kv);
	kv_batch_put(b, 0, "k1", 2, "one", 3);
	kv_batch_put(b, 1, "k1", 2, "other", 5);
	kv_batch_put(b, 0, "k2", 2, "two", 3);
	kv_batch_put(b, 0, "k2", 2, "TWO", 3);
	assert_int_equal(kv_batch_ops(b), 4);
	assert_int_equal(kv_batch_commit(kv, b), 0);
	assert_int_equal(kv_batch_ops(b), 0);

	assert_int_equal(kv_get(kv, 0, "k1", 2, &v), 0);
	assert_string_equal(buf_cstr(&v), "one");
	assert_int_equal(kv_get(kv, 1, "k1", 2, &v), 0);
	assert_string_equal(buf_cstr(&v), "other");
	assert_int_equal(kv_get(kv, 0, "k2", 2, &v), 0);
	assert_string_equal(buf_cstr(&v), "TWO");
	assert_int_equal(kv_get(kv, 1, "k2", 2, &v), KV_NOTFOUND);

	kv_batch_del(b, 0, "k1", 2);
	kv_batch_del(b, 0, "absent", 6);
	assert_int_equal(kv_batch_commit(kv, b), 0);
	assert_int_equal(kv_get(kv, 0, "k1", 2, &v), KV_NOTFOUND);

	buf_release(&v);
	kv_batch_free(b);
	kv_close(kv);
	rmdir_all(d);
}

static void
test_kv_get_value_too_large(void **state)
{
	char *d = tmpdir();
	struct kv *kv = kv_open(d, dbs, 2, 0, 0);
	struct kv_batch *b = kv_batch_new();
	struct buf v = BUF_INIT(4);

	kv_batch_put(b, 0, "k", 1, "12345", 5);
	assert_int_equal(kv_batch_commit(kv, b), 0);
	assert_int_equal(kv_get(kv, 0, "k", 1, &v), -1);
	assert_int_equal(kv_get(kv, 5, "k", 1, &v), -1);
	buf_release(&v);
	kv_batch_free(b);
	kv_close(kv);
	rmdir_all(d);
}

struct seen {
	char keys[16][8];
	int n;
	int stop_at;
};

static int
collect(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
	struct seen *s = arg;

	assert_true(klen < 8);
	memcpy(s->keys[s->n], key, klen);
	s->keys[s->n][klen] = '\0';
	s->n++;
	return s->n == s->stop_at ? 42 : 0;
}

static void
test_kv_each_order_start_stop(void **state)
{
	char *d = tmpdir();
	struct kv *kv = kv_open(d, dbs, 2, 0, 0);
	struct kv_batch *b = kv_batch_new();
	struct seen s = {.n = 0, .stop_at = -1};
	uint64_t n;

	kv_batch_put(b, 0, "c", 1, "", 0);
	kv_batch_put(b, 0, "a", 1, "", 0);
	kv_batch_put(b, 0, "bb", 2, "", 0);
	kv_batch_put(b, 0, "b", 1, "", 0);
	assert_int_equal(kv_batch_commit(kv, b), 0);
	assert_int_equal(kv_each(kv, 0, NULL, 0, collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.keys[0], "a");
	assert_string_equal(s.keys[1], "b");
	assert_string_equal(s.keys[2], "bb");
	assert_string_equal(s.keys[3], "c");

	s.n = 0;
	assert_int_equal(kv_each(kv, 0, "ba", 2, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.keys[0], "bb");

	s.n = 0;
	s.stop_at = 2;
	assert_int_equal(kv_each(kv, 0, NULL, 0, collect, &s), 42);
	assert_int_equal(s.n, 2);

	assert_int_equal(kv_count(kv, 0, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(kv_count(kv, 1, &n), 0);
	assert_int_equal(n, 0);
	kv_batch_free(b);
	kv_close(kv);
	rmdir_all(d);
}

/* A map of 64 KiB fills after a few puts: the batch must be replayed
 * after growth, and every value must be there, whole. */
static void
test_kv_batch_commit_map_full_grows(void **state)
{
	char *d = tmpdir();
	struct kv *kv = kv_open(d, dbs, 2, 0, 64 * 1024);
	struct kv_batch *b = kv_batch_new();
	struct buf v = BUF_INIT(0);
	char key[32], val[1000];
	size_t before;
	int i;

	assert_non_null(kv);
	before = kv_map_size(kv);
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "key%05d", i);
		memset(val, 'a' + i % 26, sizeof(val));
		kv_batch_put(b, 0, key, strlen(key), val, sizeof(val));
	}
	assert_int_equal(kv_batch_commit(kv, b), 0);
	assert_true(kv_map_size(kv) > before);
	assert_true(kv_map_size(kv) >= 2000 * 1000);
	for (i = 0; i < 2000; i += 97) {
		snprintf(key, sizeof(key), "key%05d", i);
		assert_int_equal(kv_get(kv, 0, key, strlen(key), &v), 0);
		assert_int_equal(v.len, 1000);
		assert_int_equal(v.data[999], 'a' + i % 26);
	}
	kv_close(kv);

	/* Reopened with a small size, the environment keeps its size. */
	kv = kv_open(d, dbs, 2, 0, 64 * 1024);
	assert_non_null(kv);
	assert_true(kv_map_size(kv) >= 2000 * 1000);
	assert_int_equal(kv_get(kv, 0, "key01999", 8, &v), 0);
	buf_release(&v);
	kv_batch_free(b);
	kv_close(kv);
	rmdir_all(d);
}

static void
test_kv_open_readonly_missing(void **state)
{
	char *d = tmpdir();
	char path[256];
	struct kv *kv;
	const char *const other[] = {"zzz"};

	snprintf(path, sizeof(path), "%s/nope", d);
	assert_null(kv_open(path, dbs, 2, KV_RDONLY, 0));
	/* A writer killed after mkdir (or after creating data.mdb, before
	 * its meta pages): never written, and the reader creates nothing. */
	assert_int_equal(mkdir(path, 0755), 0);
	assert_null(kv_open(path, dbs, 2, KV_RDONLY, 0));
	snprintf(path, sizeof(path), "%s/nope/data.mdb", d);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof(path), "%s/nope", d);
	assert_null(kv_open(path, dbs, 2, KV_RDONLY, 0));
	snprintf(path, sizeof(path), "%s/nope/lock.mdb", d);
	assert_int_equal(access(path, F_OK), -1);
	kv = kv_open(d, dbs, 2, 0, 0);
	assert_non_null(kv);
	kv_close(kv);
	assert_null(kv_open(d, other, 1, KV_RDONLY, 0));
	kv = kv_open(d, dbs, 2, KV_RDONLY, 0);
	assert_non_null(kv);
	kv_close(kv);
	kv_close(NULL);
	rmdir_all(d);
}

/* Resident kB of this process's mappings of path (/proc/self/smaps). */
static long
mapped_rss_kb(const char *path)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[4096];
	unsigned long lo, hi;
	long total = 0, kb;
	size_t p = strlen(path);
	int in = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");

		line[n] = '\0';
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = n >= p && !strcmp(line + n - p, path);
		else if (in && sscanf(line, "Rss: %ld kB", &kb) == 1)
			total += kb;
	}
	fclose(f);
	return total;
}

struct check {
	long n;
};

static int
check_value(const void *key, size_t klen, const void *val, size_t vlen,
            void *arg)
{
	struct check *c = arg;
	char want[64];

	snprintf(want, sizeof(want), "value of %.*s", (int)klen,
	         (const char *)key);
	assert_int_equal(vlen, strlen(want));
	assert_memory_equal(val, want, vlen);
	c->n++;
	return 0;
}

/* KV_NORDAHEAD | KV_UNMAP: a map that grows (and moves) many times,
 * walks across several unmap points, reads after commits all see the
 * right data; after a walk none of the map is resident. */
static void
test_kv_unmap(void **state)
{
	char *d = tmpdir();
	char path[300], key[32], val[64];
	struct kv *kv = kv_open(d, dbs, 2, KV_NORDAHEAD | KV_UNMAP, 64 * 1024);
	struct kv_batch *b = kv_batch_new();
	struct buf v = BUF_INIT(0);
	struct check c = {0};
	long i, n = 3 * KV_UNMAP_EVERY + 7;

	(void)state;
	assert_non_null(kv);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%07ld", i);
		snprintf(val, sizeof(val), "value of %s", key);
		kv_batch_put(b, 0, key, strlen(key), val, strlen(val));
		if (i % 1000 == 999)
			assert_int_equal(kv_batch_commit(kv, b), 0);
	}
	assert_int_equal(kv_batch_commit(kv, b), 0);
	assert_true(kv_map_size(kv) > 64 * 1024);
	assert_int_equal(kv_each(kv, 0, NULL, 0, check_value, &c), 0);
	assert_int_equal(c.n, n);
	snprintf(path, sizeof(path), "%s/data.mdb", d);
	assert_int_equal(mapped_rss_kb(path), 0);
	assert_int_equal(kv_get(kv, 0, "k0000005", 8, &v), 0);
	assert_memory_equal(v.data, "value of k0000005", v.len);
	assert_true(mapped_rss_kb(path) > 0);
	kv_unmap(kv);
	assert_int_equal(mapped_rss_kb(path), 0);
	buf_release(&v);
	kv_batch_free(b);
	kv_close(kv);
	rmdir_all(d);
}

/*
 * The writer of the reader-beside-writer test, in its own process: on
 * each 'g' from req it commits batches of 1 KiB records (keys "rNNNNNNN"
 * in db 0, the total in db 1 "count") until its map has grown, then
 * answers 'd' on ack. Exits on EOF.
 */
static void
writer(const char *d, int req, int ack)
{
	struct kv *kv = kv_open(d, dbs, 2, 0, 64 << 10);
	struct kv_batch *b = kv_batch_new();
	char key[24], val[1024], cnt[32];
	long n = 0;
	char c;

	if (!kv)
		_exit(3);
	memset(val, 'x', sizeof(val));
	while (read(req, &c, 1) == 1) {
		size_t before = kv_map_size(kv);

		while (kv_map_size(kv) == before) {
			for (int i = 0; i < 64; i++, n++) {
				snprintf(key, sizeof(key), "r%07ld", n);
				char num[24];

				snprintf(num, sizeof(num), "%015ld", n);
				memcpy(val, num, 16);
				kv_batch_put(b, 0, key, 8, val, sizeof(val));
			}
			snprintf(cnt, sizeof(cnt), "%ld", n);
			kv_batch_put(b, 1, "count", 5, cnt, strlen(cnt));
			if (kv_batch_commit(kv, b))
				_exit(4);
		}
		if (write(ack, "d", 1) != 1)
			_exit(5);
	}
	kv_batch_free(b);
	kv_close(kv);
	_exit(0);
}

struct walk {
	struct kv *kv;
	int req, ack;
	long seen, count, grown;
	int bad;
};

static long
read_count(struct kv *kv)
{
	struct buf v = BUF_INIT(64);
	long n = -1;

	if (kv_get(kv, 1, "count", 5, &v) == 0)
		n = strtol(buf_cstr(&v), NULL, 10);
	buf_release(&v);
	return n;
}

static int
walk_one(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
	struct walk *w = arg;
	char c, k[9];

	if (w->seen == 0) {
		/* Inside the walk: have the writer grow the map now. */
		w->count = read_count(w->kv);
		if (write(w->req, "g", 1) != 1 || read(w->ack, &c, 1) != 1)
			return -1;
		w->grown++;
	}
	/* A nested read after the growth: it must see the walk's snapshot
	 * (and must not move the map under this walk's cursor). */
	if (read_count(w->kv) != w->count)
		w->bad++;
	if (vlen != 1024 || klen != 8) {
		w->bad++;
	} else {
		memcpy(k, key, 8);
		k[8] = '\0';
		if (strtol(k + 1, NULL, 10) != w->seen ||
		    strtol(val, NULL, 10) != w->seen)
			w->bad++;
	}
	w->seen++;
	return 0;
}

static void
test_kv_reader_walks_while_writer_grows_map(void **state)
{
	char *d = tmpdir();
	int req[2], ack[2], st;
	struct walk w;
	struct kv *kv;
	size_t first;
	pid_t pid;
	char c;

	assert_int_equal(pipe(req), 0);
	assert_int_equal(pipe(ack), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(req[1]);
		close(ack[0]);
		writer(d, req[0], ack[1]);
	}
	close(req[0]);
	close(ack[1]);
	/* Some data first, then a reader with the map of that moment. */
	assert_int_equal(write(req[1], "g", 1), 1);
	assert_int_equal(read(ack[0], &c, 1), 1);
	/* A small map, as the writer's: the reader must adopt each growth
	 * (MDB_MAP_RESIZED), as pyti-schedule does beside a crawl. */
	kv = kv_open(d, dbs, 2, KV_RDONLY, 64 << 10);
	assert_non_null(kv);
	first = kv_map_size(kv);
	memset(&w, 0, sizeof(w));
	w.kv = kv;
	w.req = req[1];
	w.ack = ack[0];
	/* Four whole walks, each with the map grown under it, each one
	 * consistent: every record of its snapshot, in order, none torn. */
	for (int i = 0; i < 4; i++) {
		w.seen = 0;
		assert_int_equal(kv_each(kv, 0, NULL, 0, walk_one, &w), 0);
		assert_int_equal(w.bad, 0);
		assert_true(w.count > 0);
		assert_int_equal(w.seen, w.count);
	}
	assert_int_equal(w.grown, 4);
	/* Between walks the reader adopted the grown map. */
	assert_true(read_count(kv) > w.count);
	assert_true(kv_map_size(kv) >= first * 16);
	kv_close(kv);
	close(req[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(ack[0]);
	rmdir_all(d);
}

static int
commit_inside(const void *key, size_t klen, const void *val, size_t vlen,
              void *arg)
{
	struct kv **kv = arg;
	struct kv_batch *b = kv_batch_new();
	int rc;

	kv_batch_put(b, 1, "x", 1, "y", 1);
	rc = kv_batch_commit(*kv, b);
	kv_batch_free(b);
	return rc == -1 ? 7 : 0;
}

static void
test_kv_one_writer_no_write_in_walk(void **state)
{
	char *d = tmpdir();
	struct kv *kv = kv_open(d, dbs, 2, 0, 0), *second;
	struct kv_batch *b = kv_batch_new();
	struct buf v = BUF_INIT(0);

	assert_non_null(kv);
	/* A second writer of the same environment is refused... */
	second = kv_open(d, dbs, 2, 0, 0);
	assert_null(second);
	/* ...a reader is not. */
	second = kv_open(d, dbs, 2, KV_RDONLY, 0);
	assert_non_null(second);
	kv_close(second);
	kv_batch_put(b, 0, "k", 1, "v", 1);
	assert_int_equal(kv_batch_commit(kv, b), 0);
	/* A commit from inside a walk fails and writes nothing. */
	assert_int_equal(kv_each(kv, 0, NULL, 0, commit_inside, &kv), 7);
	assert_int_equal(kv_get(kv, 1, "x", 1, &v), KV_NOTFOUND);
	/* After close, the next writer gets the lock. */
	kv_close(kv);
	kv = kv_open(d, dbs, 2, 0, 0);
	assert_non_null(kv);
	kv_close(kv);
	kv_batch_free(b);
	buf_release(&v);
	rmdir_all(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kv_put_get_delete),
	    cmocka_unit_test(test_kv_get_value_too_large),
	    cmocka_unit_test(test_kv_each_order_start_stop),
	    cmocka_unit_test(test_kv_batch_commit_map_full_grows),
	    cmocka_unit_test(test_kv_open_readonly_missing),
	    cmocka_unit_test(test_kv_unmap),
	    cmocka_unit_test(test_kv_reader_walks_while_writer_grows_map),
	    cmocka_unit_test(test_kv_one_writer_no_write_in_walk),
	};

	log_set_prog("test_kv");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
