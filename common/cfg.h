/*
 * The configuration file: one file serves every program, each reading its
 * own section, and command-line options override it.
 *
 *	# comment
 *	[crawler]
 *	index = https://pypi.org/simple/
 *	max-in-flight = 64
 *
 *	[platform debian-12]
 *	python = 3.11
 *
 * Keys and section names are [A-Za-z0-9_.-]; a section header may carry
 * one argument after a space ("[platform debian-12]", looked up as section
 * "platform debian-12"). Values run to the end of the line with surrounding
 * space removed; a value may be quoted with "..." to keep spaces. A key
 * set twice in one section is an error, as is a line that is none of these;
 * errors are reported as "file:line: message".
 *
 * The file is found, in order: the --config option, $PYTI_CONFIG,
 * /etc/pyti/pyti.conf. A missing file at the default path is not an error
 * (built-in defaults apply); a missing file that was asked for is.
 */
#ifndef PYTI_CFG_H
#define PYTI_CFG_H

#include <stdint.h>

struct cfg;

#define CFG_DEFAULT_PATH "/etc/pyti/pyti.conf"

/* A new, empty configuration. Free with cfg_free(). */
struct cfg *cfg_new(void);

/* Free a configuration; cfg_free(NULL) is a no-op. */
void cfg_free(struct cfg *c);

/*
 * Parse the file at path into c; values it sets replace earlier ones.
 * Returns 0, or -1 with a "path:line: reason" message logged.
 */
int cfg_load_file(struct cfg *c, const char *path);

/* Parse text (named `name` in messages). As cfg_load_file(). */
int cfg_load_string(struct cfg *c, const char *name, const char *text);

/*
 * Load the configuration a program should use: `path` if not NULL (must
 * exist), else $PYTI_CONFIG (must exist), else CFG_DEFAULT_PATH if it
 * exists. Returns a new cfg, or NULL (logged) on error.
 */
struct cfg *cfg_load_default(const char *path);

/*
 * Set one value, as a command-line override: "section.key=value" (the
 * section part may contain spaces: "platform debian-12.python=3.11").
 * Returns 0, or -1 (logged) when the text has no '=' or no section.
 */
int cfg_set_override(struct cfg *c, const char *assignment);

/* Set section/key to value (copied), replacing any earlier value. */
void cfg_set(struct cfg *c, const char *section, const char *key,
             const char *value);

/*
 * The value of section/key, or def if unset. Borrowed: valid until c is
 * changed or freed.
 */
const char *cfg_get(const struct cfg *c, const char *section, const char *key,
                    const char *def);

/*
 * Typed getters: store the value (or def when unset) in *out. An invalid
 * or out-of-range value is an error naming the section, key and value.
 * Returns 0 or -1 (logged).
 */
int cfg_get_int(const struct cfg *c, const char *section, const char *key,
                int64_t def, int64_t min, int64_t max, int64_t *out);
int cfg_get_bool(const struct cfg *c, const char *section, const char *key,
                 int def, int *out);
int cfg_get_size(const struct cfg *c, const char *section, const char *key,
                 uint64_t def, uint64_t *out);
int cfg_get_duration_ms(const struct cfg *c, const char *section,
                        const char *key, uint64_t def, uint64_t *out);

/*
 * Iterate over section names that start with prefix (e.g. "platform "),
 * in file order: call fn for each; stops and returns fn's value when it is
 * non-zero, else returns 0.
 */
int cfg_each_section(const struct cfg *c, const char *prefix,
                     int (*fn)(const char *section, void *arg), void *arg);

#endif
