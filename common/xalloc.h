/*
 * Allocation that never returns NULL. Running out of memory is not an error
 * pyti can recover from, so these abort with a message instead of making
 * every caller check. Sizes that come from outside must be bounded before
 * they reach here (see buf.h): xmalloc is for memory we decided to use.
 */
#ifndef PYTI_XALLOC_H
#define PYTI_XALLOC_H

#include <stddef.h>

/* malloc(n), aborting on failure. xmalloc(0) returns a unique pointer. */
void *xmalloc(size_t n);

/* calloc(nmemb, size), aborting on failure or overflow of nmemb * size. */
void *xcalloc(size_t nmemb, size_t size);

/* realloc(p, nmemb * size), aborting on failure or overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);

/* strdup(s) / strndup(s, n), aborting on failure. Free with free(). */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A newly allocated copy of n bytes at p, NUL-terminated (n + 1 bytes). */
char *xmemdup0(const void *p, size_t n);

/*
 * Grow an array so it holds at least n elements: `x` is the pointer,
 * `alloc` the current capacity, both updated (git's ALLOC_GROW).
 */
#define XGROW(x, n, alloc)                                                     \
	do {                                                                   \
		if ((size_t)(n) > (alloc)) {                                   \
			size_t xg_new_ = (alloc) < 8 ? 8 : (alloc)*2;          \
			if (xg_new_ < (size_t)(n))                             \
				xg_new_ = (size_t)(n);                         \
			(x) = xreallocarray((x), xg_new_, sizeof(*(x)));       \
			(alloc) = xg_new_;                                     \
		}                                                              \
	} while (0)

#endif
