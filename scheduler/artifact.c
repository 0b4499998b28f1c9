/*
 * Whether a first stage's returned wheel may stand in for the second
 * stage's build. Everything about it came from a guest once: the runner
 * hashed and stored the bytes itself, and here the store's file is hashed
 * again before a job is made from it, so a file damaged or replaced since
 * is never delivered (the runner would refuse it as a host error anyway,
 * and the second stage would not run).
 */
#include "artifact.h"
#include "buf.h"
#include "cas.h"
#include "distfile.h"
#include "pep503.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The runner's cap on an artifact (common/chan.h's CHAN_ARTIFACT_MAX). */
#define ARTIFACT_MAX (64ll << 20)

static int unusable(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
unusable(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return SCHED_ARTIFACT_UNUSABLE;
}

/* sha256 of the file at path (fd open), into hex; -1 on a read error. */
static int
hash_fd(int fd, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 h;
	char chunk[65536];

	sha256_init(&h);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		sha256_update(&h, chunk, (size_t)n);
	}
	sha256_final_hex(&h, hex);
	return 0;
}

int
sched_artifact_check(const char *store, const char *project, const char *name,
                     const char *sha256, int64_t size, char *why, size_t whylen)
{
	struct distfile_wheel w;
	struct buf path = BUF_INIT(0);
	char norm[DISTFILE_MAX_LEN + 1], hex[SHA256_HEX_LEN + 1];
	struct stat st;
	const char *bad = NULL;
	int fd = -1, ret = SCHED_ARTIFACT_UNUSABLE;

	if (!name || !sha256 || !sha256_is_hex(sha256) || size < 0 ||
	    size > ARTIFACT_MAX)
		return unusable(why, whylen, "no stored artifact");
	if (strchr(name, '/') || name[0] == '.' ||
	    distfile_wheel_parse(name, strlen(name), &w, &bad))
		return unusable(why, whylen,
		                "'%.200s' is not a wheel filename: %s", name,
		                bad ? bad : "a path");
	if (strlen(project) > DISTFILE_MAX_LEN) {
		distfile_wheel_release(&w);
		return unusable(why, whylen, "project name too long");
	}
	pep503_normalize_to(norm, project, strlen(project));
	if (strcmp(w.name, norm) != 0) {
		distfile_wheel_release(&w);
		return unusable(why, whylen,
		                "'%.200s' is not a wheel of '%.200s'", name,
		                project);
	}
	distfile_wheel_release(&w);
	if (!store)
		return unusable(why, whylen, "no store on this host");
	cas_path(store, sha256, &path);
	fd = open(buf_cstr(&path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		unusable(why, whylen, "'%.300s' is not in this host's store",
		         buf_cstr(&path));
		goto out;
	}
	if (st.st_size != size) {
		unusable(why, whylen,
		         "'%.300s' in the store does not have the artifact's "
		         "size",
		         buf_cstr(&path));
		goto out;
	}
	if (hash_fd(fd, hex) || strcasecmp(hex, sha256) != 0) {
		unusable(why, whylen,
		         "'%.300s' in the store does not match its sha256",
		         buf_cstr(&path));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	return ret;
}
