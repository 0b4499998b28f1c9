/*
 * Logging to stderr, one event per line. The whole line is formatted into
 * one buffer and written with a single write(2), so lines from concurrent
 * processes (a runner and its children) do not interleave mid-line.
 * Control characters in messages are escaped: messages often quote
 * untrusted text (index pages, guest output) and must not forge lines.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "pyti";
static enum log_level log_level = LOG_INFO;
static int log_timestamps;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void
log_set_prog(const char *prog)
{
	const char *slash = strrchr(prog, '/');

	log_prog = slash ? slash + 1 : prog;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

void
log_set_timestamps(int on)
{
	log_timestamps = on;
}

int
log_parse_level(const char *s, enum log_level *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return log_error("unknown log level '%s' (error, warn, info, debug)",
	                 s);
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	char msg[2048], line[4200];
	size_t n = 0;
	int len;

	if (level > log_level)
		return;
	if (log_timestamps) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n += strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	len = snprintf(line + n, sizeof(line) - n, "%s: %s: ", log_prog,
	               level_names[level]);
	if (len > 0)
		n += (size_t)len;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (const unsigned char *p = (const unsigned char *)msg;
	     *p && n + 5 < sizeof(line); p++) {
		if (*p < 0x20 || *p == 0x7f) {
			n += (size_t)snprintf(line + n, sizeof(line) - n,
			                      "\\x%02x", *p);
		} else {
			line[n++] = (char)*p;
		}
	}
	line[n++] = '\n';
	for (size_t off = 0; off < n;) {
		ssize_t w = write(STDERR_FILENO, line + off, n - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

int
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERROR, fmt, ap);
	va_end(ap);
	return -1;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARN, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
log_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
