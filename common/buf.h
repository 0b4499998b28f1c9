/*
 * A growable byte buffer that knows its maximum size (curl's dynbuf). Every
 * size that comes from outside -- an HTTP body, guest output, a log line, an
 * archive member -- goes through a buf with a max, so a hostile peer cannot
 * make pyti allocate without bound. The contents are always NUL-terminated
 * (the NUL is not counted in len), so text can be used as a C string.
 *
 *	struct buf b;
 *	buf_init(&b, 1 << 20);
 *	if (buf_add(&b, data, n) == BUF_FULL)
 *		return log_error("page '%s' exceeds %zu bytes", url, b.max);
 *	...
 *	buf_release(&b);
 */
#ifndef PYTI_BUF_H
#define PYTI_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* owned; NULL until the first byte, see buf_cstr() */
	size_t len; /* bytes held, excluding the terminating NUL */
	size_t alloc; /* bytes allocated */
	size_t max; /* most bytes it may ever hold; 0 means no limit */
};

/* Returned by the adding functions when the data would pass max. */
#define BUF_FULL 1

#define BUF_INIT(maxsize)                                                      \
	{                                                                      \
		NULL, 0, 0, (maxsize)                                          \
	}

/* Initialize an empty buffer holding at most max bytes (0: unlimited). */
void buf_init(struct buf *b, size_t max);

/* Free the contents; the buffer is empty and reusable with the same max. */
void buf_release(struct buf *b);

/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);

/*
 * Append n bytes. Returns 0, or BUF_FULL if len + n would exceed max, in
 * which case nothing is appended.
 */
int buf_add(struct buf *b, const void *data, size_t n);

/* Append a C string / one byte. As buf_add. */
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);

/* Append printf-formatted text. As buf_add (nothing appended if full). */
int buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);

/* Shorten to n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);

/* The contents as a C string; "" when empty. Borrowed: valid until the
 * buffer next changes. */
const char *buf_cstr(const struct buf *b);

/*
 * Take the contents: returns an owned, NUL-terminated string (free()), and
 * stores its length in *len if len is not NULL. The buffer is left empty.
 */
char *buf_detach(struct buf *b, size_t *len);

#endif
