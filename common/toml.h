/*
 * A TOML 1.0 reader: enough of a parser to read what projects write in
 * pyproject.toml ([build-system] requires, [dependency-groups]) without a
 * library (Debian ships no C TOML library), and strict like Python's
 * tomllib, which it is tested against (tests/t/t0530-toml.sh):
 *
 *   - every TOML 1.0 form: bare, quoted and dotted keys; basic, literal
 *     and multi-line strings with every escape; decimal, hex, octal and
 *     binary integers (64-bit); floats with exponents, inf and nan;
 *     booleans; offset and local date-times, dates and times; arrays;
 *     inline tables; [tables] and [[arrays of tables]];
 *   - every rule about definitions: a key or table defined twice, a table
 *     reopened after dotted keys made it, a value extended after it was
 *     closed (inline tables, static arrays) are errors;
 *   - invalid UTF-8, control characters and bare CR are errors.
 *
 * The result is JSON (jansson): tables are objects, arrays arrays,
 * strings strings, integers integers, floats reals, booleans true/false,
 * and date-times strings in Python's isoformat() ("1979-05-27T07:32:00
 * +00:00" without the space; fractions cut to microseconds as tomllib
 * does). toml_parse_tagged() gives every value as {"type", "value"}, the
 * way toml-test (a public conformance suite) writes its expectations.
 *
 * Bounded: TOML_MAX_DEPTH nested arrays and inline tables, the caller's
 * input length (read it through a struct buf with a max).
 */
#ifndef PYTI_TOML_H
#define PYTI_TOML_H

#include <jansson.h>
#include <stddef.h>

#define TOML_MAX_DEPTH 64

/* Where and why a document was refused. */
struct toml_error {
	int line; /* 1-based */
	int col; /* 1-based, in bytes */
	char msg[160];
};

/*
 * Parse len bytes (no NUL needed; a NUL byte is an error). Returns a new
 * JSON object, or NULL without logging and with *err (if not NULL)
 * filled.
 */
json_t *toml_parse(const char *data, size_t len, struct toml_error *err);

/* As toml_parse(), with every value tagged as toml-test does:
 * {"type": "string"|"integer"|"float"|"bool"|"datetime"|
 * "datetime-local"|"date-local"|"time-local", "value": text}. */
json_t *toml_parse_tagged(const char *data, size_t len, struct toml_error *err);

#endif
