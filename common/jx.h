/*
 * JSON helpers over jansson. Everything pyti parses -- index pages, job
 * specs, guest results -- is untrusted, so parsing is strict: duplicate
 * object keys are rejected (two parsers could otherwise disagree about a
 * document), NUL bytes in strings are rejected, and the input size is the
 * caller's bound (read it through a struct buf with a max).
 *
 * jansson's reference rules apply: "new reference" results are released
 * with json_decref(); "borrowed" ones live as long as their parent.
 */
#ifndef PYTI_JX_H
#define PYTI_JX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Parse len bytes as one JSON document. `what` names the input in the
 * error message ("page 'https://...'"). Returns a new reference, or NULL
 * with "cannot parse <what>: line L column C: reason" logged.
 */
json_t *jx_parse(const char *data, size_t len, const char *what);

/*
 * Parse the file at path, refusing files larger than max bytes. As
 * jx_parse; the message names the path.
 */
json_t *jx_load_file(const char *path, size_t max);

/* obj[key] if it is a string, else NULL. Borrowed. */
const char *jx_str(const json_t *obj, const char *key);

/* obj[key] if it is a string, else fallback. Borrowed. */
const char *jx_str_or(const json_t *obj, const char *key, const char *fallback);

/*
 * obj[key] as an integer: returns 0 and sets *out, JX_MISSING when the key
 * is absent or null, -1 (not logged) when it is present but not an integer.
 */
#define JX_MISSING 1
int jx_int(const json_t *obj, const char *key, int64_t *out);

/*
 * Serialize compactly with sorted keys, as one line without a newline.
 * Returns an owned string (free()); aborts on allocation failure.
 */
char *jx_dumps(const json_t *j);

/* Write j compactly, sorted, followed by "\n". Returns 0 or -1 (logged). */
int jx_write_line(FILE *f, const json_t *j);

/*
 * Build helpers that take ownership of `value` (a new reference) and abort
 * on allocation failure: jx_set(obj, "k", json_string(s)). value must not
 * be NULL: json_string() returns NULL for invalid UTF-8, so text from
 * outside is validated (or built with json_stringn) before it gets here.
 */
void jx_set(json_t *obj, const char *key, json_t *value);
void jx_append(json_t *arr, json_t *value);

/* json_string() that turns NULL into JSON null. New reference. */
json_t *jx_string_or_null(const char *s);

/*
 * Whether a job spec's file entry (docs/raw-data.md 3) serves role: its
 * "roles" array holds it, or, without "roles", its "role" is it. 1 or 0.
 */
int jx_dep_has_role(const json_t *dep, const char *role);

#endif
