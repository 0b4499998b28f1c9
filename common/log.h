/*
 * Logging: one line per event on stderr, "prog: level: message". Messages
 * are lowercase, without a full stop, and name what failed first with the
 * subject quoted: log_error("cannot open '%s': %s", path, strerror(errno)).
 *
 * The error convention of pyti (git's error()): a function that fails logs
 * the reason where it happened and returns -1; callers only propagate. So
 * log_error() returns -1 and `return log_error(...)` is the idiom.
 */
#ifndef PYTI_LOG_H
#define PYTI_LOG_H

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/* Set the program name shown on every line (borrowed; must outlive use). */
void log_set_prog(const char *prog);

/* Show events at this level and more severe. Default LOG_INFO. */
void log_set_level(enum log_level level);

/* The current level. */
enum log_level log_get_level(void);

/*
 * Parse "error", "warn", "info" or "debug" into *out. Returns 0, or -1
 * (logged) for anything else.
 */
int log_parse_level(const char *s, enum log_level *out);

/* Prefix every line with an ISO 8601 UTC timestamp (daemons). Default off. */
void log_set_timestamps(int on);

/* Log at the given level. log_error() always returns -1. */
int log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log an error and exit(1): for unrecoverable setup failures in main(). */
void log_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
