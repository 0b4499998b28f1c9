/*
 * The simple repository API's two documents, parsed: the root listing
 * (every project with its last serial) and a project page (its files).
 * JSON (PEP 691) and HTML (PEP 503, with the PEP 592/658/714 attributes)
 * give the same results, except that HTML carries no sizes, upload times
 * or per-project serials in the root.
 *
 * Pages are untrusted: a body with a NUL byte, invalid UTF-8, a JSON or
 * HTML parser error, a missing required field or a field of the wrong type
 * fails the whole page with a message naming the page and the problem.
 * Nothing is returned for a failed page, so nothing partial reaches the
 * mirror.
 */
#ifndef PYTI_CRAWLER_SIMPLE_H
#define PYTI_CRAWLER_SIMPLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Media types, and pip's Accept header (JSON first, HTML as fallback). */
#define SIMPLE_JSON_TYPE "application/vnd.pypi.simple.v1+json"
#define SIMPLE_ACCEPT                                                          \
	"application/vnd.pypi.simple.v1+json, "                                \
	"application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"

/* The serial of a page or project when the index gives none. */
#define SIMPLE_NO_SERIAL (-1)

struct simple_project {
	const char *norm; /* normalized name; borrowed from the root */
	const char *display; /* name as listed; borrowed from the root */
	int64_t serial; /* _last-serial, or SIMPLE_NO_SERIAL */
};

/*
 * The root listing. Strings live in one arena, so 886k projects cost
 * about 60 bytes each. Projects are sorted by normalized name (bytewise),
 * without duplicates.
 */
struct simple_root {
	struct simple_project *projects;
	size_t n;
	int64_t serial; /* meta._last-serial or header, or SIMPLE_NO_SERIAL */
	size_t alloc;
	size_t skipped; /* entries with invalid names, skipped (warned) */
	char **chunks; /* owned; the projects' strings, never moved */
	size_t nchunks, chunk_used;
};

/*
 * Parse a root listing of len bytes served as content_type from url.
 * Fills *root (release with simple_root_release()). Returns 0 or -1
 * (logged, *root empty).
 */
int simple_parse_root(const char *body, size_t len, const char *content_type,
                      const char *url, struct simple_root *root);

/* Free what a root holds; safe on a zeroed or released root. */
void simple_root_release(struct simple_root *root);

/*
 * Find a project of the root by normalized name (binary search). Returns
 * a pointer into root, or NULL.
 */
const struct simple_project *simple_root_find(const struct simple_root *root,
                                              const char *norm);

struct simple_page {
	json_t *files; /* new reference: array of file objects in dump
			   shape, sorted by filename */
	int64_t serial; /* meta._last-serial / <!--SERIAL n-->, or
			   SIMPLE_NO_SERIAL */
	char *name; /* the page's own name if it gives one, or NULL;
			   owned */
	char *status; /* PEP 792 project status (active, archived,
			   quarantined, deprecated), or NULL; owned */
	char *status_reason; /* its reason, or NULL; owned */
};

/*
 * Parse a project page of len bytes served as content_type from url (the
 * URL after redirects: relative file URLs resolve against it, or against
 * an HTML <base href>). Fills *page (simple_page_release()). Returns 0 or
 * -1 (logged naming url).
 */
int simple_parse_page(const char *body, size_t len, const char *content_type,
                      const char *url, struct simple_page *page);

/* Free what a page holds; safe on a zeroed or released page. */
void simple_page_release(struct simple_page *page);

/*
 * Check that len bytes are text a parser may see: valid UTF-8 (no
 * overlong forms, surrogates or code points past U+10FFFF) and no NUL.
 * Returns 0, or -1 logged as "<what>: <reason> at byte N".
 */
int simple_check_text(const char *body, size_t len, const char *what);

/*
 * Whether a Content-Type (parameters allowed) names JSON (1), HTML (0),
 * or neither (-1).
 */
int simple_content_kind(const char *content_type);

#endif
