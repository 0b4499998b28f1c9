/*
 * Parsing JSON from the guest with a memory bound. jansson allocates a
 * node per value: an 8 MiB RSLT of "{},{},..." is ~2.8 million objects,
 * ~650 MiB. run_gjson_parse() first counts values and nesting in one pass
 * over the text, without allocating, and refuses what passes the bounds;
 * only then does jansson parse it, once.
 */
#ifndef PYTI_RUN_GJSON_H
#define PYTI_RUN_GJSON_H

#include <jansson.h>
#include <stddef.h>

/*
 * Count the values (objects, arrays, strings, keys, scalars) of JSON text
 * and its deepest nesting. An upper bound for valid JSON; invalid JSON
 * gets some count (the parser refuses it afterwards).
 */
void run_gjson_measure(const char *data, size_t len, size_t *nodes,
                       size_t *depth);

/*
 * Parse len bytes of untrusted JSON with at most max_nodes values and
 * max_depth levels (jx_parse's strictness otherwise). Returns a new
 * reference, or NULL with why filled ("... has 2800000 values, more than
 * 200000") and the error logged.
 */
json_t *run_gjson_parse(const char *data, size_t len, const char *what,
                        size_t max_nodes, size_t max_depth, char *why,
                        size_t whylen);

#endif
