/*
 * A string -> int64 hash map (open addressing, keys copied): the
 * scheduler's sets and indexes (projects a sweep has done, serials, ranks,
 * the resolver's caches by name and by sha256).
 */
#ifndef PYTI_SCHED_MAP_H
#define PYTI_SCHED_MAP_H

#include <stddef.h>
#include <stdint.h>

struct sched_map {
	char **k;
	int64_t *v;
	size_t n, cap;
};

#define SCHED_MAP_INIT                                                         \
	{                                                                      \
		NULL, NULL, 0, 0                                               \
	}

/* Set k to v (k copied). */
void sched_map_put(struct sched_map *m, const char *k, int64_t v);

/* 1 and *v when k is present, else 0. */
int sched_map_get(const struct sched_map *m, const char *k, int64_t *v);

/* Free everything; the map is empty and reusable. */
void sched_map_release(struct sched_map *m);

#endif
