/*
 * Range-checked integer parsing: what atoi() and strtol() should have been.
 * The whole string must be a number; no sign for unsigned, no spaces, no
 * trailing text.
 */
#ifndef PYTI_NUM_H
#define PYTI_NUM_H

#include <stdint.h>

/*
 * Parse decimal s into *out if it lies in [min, max]. Returns 0, or -1
 * without logging (the caller knows what the number was for).
 */
int num_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int num_parse_u64(const char *s, uint64_t max, uint64_t *out);

/*
 * Parse a size with an optional K, M or G suffix (powers of 1024) into
 * bytes, e.g. "64M". Returns 0, or -1 without logging.
 */
int num_parse_size(const char *s, uint64_t *out);

/*
 * Parse a duration with an optional ms, s, m or h suffix (no suffix:
 * seconds) into milliseconds, e.g. "90s", "250ms". Returns 0 or -1.
 */
int num_parse_duration_ms(const char *s, uint64_t *out);

#endif
