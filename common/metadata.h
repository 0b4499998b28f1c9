/*
 * Core metadata (METADATA in a wheel, PKG-INFO in an sdist, the PEP 658
 * `.metadata` file of the index): RFC 822 style "Name: value" headers, then
 * an empty line and the body, which is the long description.
 *
 * Parsing follows Python's email.parser in its compat32 policy, which is
 * what pip, packaging and Warehouse use, with these choices (see
 * docs/packaging-standards.md):
 *   - headers end at the first empty line, or at the first line that is
 *     neither a header nor a continuation (a line without a colon, say),
 *     which then starts the body (email's MissingHeaderBodySeparator);
 *   - folded values are unfolded: each line break before a continuation
 *     line is removed (RFC 5322), except in the Description header, whose
 *     lines are kept and lose the 8-space or "       |" continuation prefix
 *     the core metadata spec describes;
 *   - bytes that are not UTF-8 (and NUL) become U+FFFD, noted in errors;
 *   - a body that is not empty is the description, even when a Description
 *     header exists too (noted in errors).
 *
 * Everything is bounded: META_MAX_BYTES of input, META_MAX_FIELDS headers,
 * META_NAME_MAX bytes of field name.
 *
 *	struct meta m;
 *	if (meta_parse(&m, data, len) < 0)
 *		return -1;
 *	for (size_t i = 0; (v = meta_next(&m, "Requires-Dist", &i)); )
 *		...;
 *	meta_release(&m);
 */
#ifndef PYTI_METADATA_H
#define PYTI_METADATA_H

#include <jansson.h>
#include <stddef.h>

#define META_MAX_BYTES (16u << 20)
#define META_MAX_FIELDS 10000
#define META_NAME_MAX 128

/* One header as written: name with its original case, value unfolded. */
struct meta_field {
	char *name; /* owned */
	char *value; /* owned, valid UTF-8 without NUL */
};

struct meta {
	struct meta_field *fields; /* in input order */
	size_t nfields, fields_alloc;
	char *body; /* owned; valid UTF-8; NULL when there is no body */
	char **errors; /* owned; what was odd about the input, in order */
	size_t nerrors, errors_alloc;
};

/*
 * Parse len bytes of core metadata into m (initialized here; release it
 * with meta_release() whatever the result). Malformed lines do not fail
 * the parse: they are skipped or end the headers, and a message for each
 * goes to m->errors. Returns 0, or -1 (logged) when the input exceeds
 * META_MAX_BYTES or META_MAX_FIELDS.
 */
int meta_parse(struct meta *m, const char *data, size_t len);

/* Free everything m holds. */
void meta_release(struct meta *m);

/*
 * The value of the first field called name (ASCII case-insensitive), or
 * NULL. Borrowed: lives as long as m.
 */
const char *meta_get(const struct meta *m, const char *name);

/*
 * Iterate over every field called name: start with *pos = 0; each call
 * returns the next value (borrowed) and advances *pos, NULL at the end.
 */
const char *meta_next(const struct meta *m, const char *name, size_t *pos);

/* One address of an Author-email / Maintainer-email list. */
struct meta_addr {
	char *name; /* owned; display name, "" when none */
	char *email; /* owned; the address as written, "" when none */
};

/*
 * Split an RFC 822 address list the way Python's email.utils.getaddresses
 * does for the common forms: `"Doe, Jane" <j@x.org>, bob@y.org (Bob)`.
 * Commas inside quotes, angle brackets and parentheses do not split;
 * quotes and backslash escapes around display names are removed; empty
 * items are dropped. Returns the number of addresses and sets *out to an
 * owned array (meta_addrs_free(); NULL when zero).
 */
size_t meta_addresses(const char *value, struct meta_addr **out);

/* Free an array from meta_addresses(). NULL is fine. */
void meta_addrs_free(struct meta_addr *a, size_t n);

/*
 * The metadata as one JSON object (a new reference), keys as in
 * packaging.metadata.RawMetadata: lowercase with '_' ("requires_dist"),
 * multiple-use fields as lists ("classifiers", "requires_dist",
 * "platforms", "dynamic", ...), keywords split on commas, project_urls an
 * object {label: url}, "author_addresses" / "maintainer_addresses" the
 * parsed address lists ([{"name", "email"}]), "description" the body (or
 * the Description header), "unparsed" {Field: [values]} for unknown fields
 * and single-use fields given more than once, "errors" the parse notes.
 * Absent fields are absent keys.
 */
json_t *meta_to_json(const struct meta *m);

#endif
