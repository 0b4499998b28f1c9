/*
 * The string map of map.h: FNV-1a hashing, linear probing, doubling at
 * half full.
 */
#include "map.h"

#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void
sched_map_put(struct sched_map *m, const char *k, int64_t v)
{
	if (2 * (m->n + 1) > m->cap) {
		struct sched_map o = *m;
		m->cap = o.cap ? o.cap * 2 : 1024;
		m->k = xcalloc(m->cap, sizeof(char *));
		m->v = xcalloc(m->cap, sizeof(int64_t));
		m->n = 0;
		for (size_t i = 0; i < o.cap; i++)
			if (o.k[i]) {
				size_t j = str_hash(o.k[i]) & (m->cap - 1);
				while (m->k[j])
					j = (j + 1) & (m->cap - 1);
				m->k[j] = o.k[i];
				m->v[j] = o.v[i];
				m->n++;
			}
		free(o.k);
		free(o.v);
	}
	size_t j = str_hash(k) & (m->cap - 1);
	while (m->k[j] && strcmp(m->k[j], k))
		j = (j + 1) & (m->cap - 1);
	if (!m->k[j]) {
		m->k[j] = xstrdup(k);
		m->n++;
	}
	m->v[j] = v;
}

int
sched_map_get(const struct sched_map *m, const char *k, int64_t *v)
{
	if (!m->cap)
		return 0;
	size_t j = str_hash(k) & (m->cap - 1);
	while (m->k[j]) {
		if (!strcmp(m->k[j], k)) {
			*v = m->v[j];
			return 1;
		}
		j = (j + 1) & (m->cap - 1);
	}
	return 0;
}

void
sched_map_release(struct sched_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->k[i]);
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}
