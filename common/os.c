/*
 * The operating-system helpers of os.h. Reads go through the caller's
 * bounded buffer; writes that must survive a crash follow the one safe
 * order (write, fsync, rename, fsync the directory).
 */
#include "os.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t
os_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
os_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
os_read_file(const char *path, struct buf *b)
{
	char chunk[65536];
	size_t start = b->len;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return log_error("cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_add(b, chunk, (size_t)n)) {
			close(fd);
			buf_truncate(b, start);
			return log_error("'%s' is larger than %zu bytes", path,
			                 b->max);
		}
	}
	if (n < 0) {
		int err = errno;

		close(fd);
		buf_truncate(b, start);
		errno = err;
		return log_error("cannot read '%s': %s", path, strerror(err));
	}
	close(fd);
	return 0;
}

int
os_mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	struct stat st;
	size_t i, n = strlen(p);
	int ret = 0;

	/* "a/b/" is "a/b": mode goes to the last component. */
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	for (i = 1; i <= n && !ret; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, i == n ? mode : 0755) && errno != EEXIST)
			ret = log_error("cannot create '%s': %s", p,
			                strerror(errno));
		if (i < n)
			p[i] = '/';
	}
	if (!ret && (stat(p, &st) || !S_ISDIR(st.st_mode)))
		ret = log_error("cannot create '%s': %s", p,
		                "a file that is not a directory is in the way");
	free(p);
	return ret;
}

int
os_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (fd < 0 || fsync(fd)) {
		err = errno;
		if (fd >= 0)
			close(fd);
		errno = err;
		return log_error("cannot sync directory '%s': %s", dir,
		                 strerror(err));
	}
	close(fd);
	return 0;
}

/* The directory of path ("." when it has no slash), owned. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xmemdup0(path, (size_t)(slash - path));
}

int
os_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	size_t tlen = strlen(path) + 32, off = 0;
	char *tmp = xmalloc(tlen), *dir = NULL;
	const char *p = data;
	int fd, ret = -1;

	snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		log_error("cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			log_error("cannot write '%s': %s", tmp,
			          strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd)) {
		log_error("cannot sync '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		log_error("cannot close '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		log_error("cannot rename '%s' to '%s': %s", tmp, path,
		          strerror(errno));
		goto out;
	}
	dir = dir_of(path);
	ret = os_sync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	if (ret && !dir)
		unlink(tmp);
	free(dir);
	free(tmp);
	return ret;
}
