/*
 * Per-task cgroups (cgroup.h). Everything here is a few small files under
 * the cgroup2 mount; every read is bounded and every wait has a limit.
 */
#include "cgroup.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static char cg_base[GUEST_CG_PATH_LEN];
static unsigned cg_seq;

static int
is_cgroup2(const char *p)
{
	struct statfs s;

	return statfs(p, &s) == 0 &&
	       (unsigned long)s.f_type == (unsigned long)CGROUP2_SUPER_MAGIC;
}

int
guest_cg_init(const char *root, const char *dir, int do_mount)
{
	char p[GUEST_CG_PATH_LEN];

	cg_base[0] = '\0';
	if (!is_cgroup2(root) && do_mount &&
	    mount("cgroup2", root, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          NULL) != 0)
		log_info("cgroup2 cannot be mounted on %s: %s", root,
		         strerror(errno));
	if (!is_cgroup2(root)) {
		log_info("no cgroup2 at %s: tasks are ended by process group "
		         "and uid",
		         root);
		return -1;
	}
	if (snprintf(p, sizeof(p), "%s/%s", root, dir) >= (int)sizeof(p) ||
	    (mkdir(p, 0755) != 0 && errno != EEXIST)) {
		log_info("cannot make cgroup %s: %s", p, strerror(errno));
		return -1;
	}
	memcpy(cg_base, p, sizeof(cg_base));
	return 0;
}

int
guest_cg_usable(void)
{
	return cg_base[0] != '\0';
}

int
guest_cg_create(char out[GUEST_CG_PATH_LEN])
{
	if (!cg_base[0])
		return -1;
	for (int tries = 0; tries < 8; tries++) {
		if (snprintf(out, GUEST_CG_PATH_LEN, "%s/t%d-%u", cg_base,
		             (int)getpid(), ++cg_seq) >= GUEST_CG_PATH_LEN)
			return -1;
		if (mkdir(out, 0755) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	log_warn("cannot make a task cgroup under %s: %s", cg_base,
	         strerror(errno));
	out[0] = '\0';
	return -1;
}

static int
write_file(const char *dir, const char *name, const char *text)
{
	char p[GUEST_CG_PATH_LEN + 32];
	size_t n = strlen(dir), k = strlen(name), t = strlen(text);
	int fd, ok;

	/* no snprintf: this runs in a forked child too */
	if (n + 1 + k + 1 > sizeof(p))
		return -1;
	memcpy(p, dir, n);
	p[n] = '/';
	memcpy(p + n + 1, name, k + 1);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, text, t) == (ssize_t)t;
	close(fd);
	return ok ? 0 : -1;
}

int
guest_cg_join(const char *cg)
{
	return write_file(cg, "cgroup.procs", "0\n");
}

int
guest_cg_pids(const char *cg, pid_t *pids, int max)
{
	char p[GUEST_CG_PATH_LEN + 32], buf[8192];
	int fd, n = 0;
	ssize_t len;

	snprintf(p, sizeof(p), "%s/cgroup.procs", cg);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	for (char *s = buf, *e; *s && n < max; s = e) {
		long v = strtol(s, &e, 10);

		if (e == s)
			break;
		if (v > 0)
			pids[n++] = (pid_t)v;
		while (*e == '\n')
			e++;
	}
	return n;
}

int
guest_cg_kill(const char *cg, int timeout_ms)
{
	pid_t pids[1024];
	int n = 0, frozen = 0;
	struct timespec ts = {0, 10 * 1000000};

	if (!cg || !cg[0])
		return 0;
	if (write_file(cg, "cgroup.kill", "1") != 0)
		frozen = write_file(cg, "cgroup.freeze", "1") == 0;
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		n = guest_cg_pids(cg, pids, 1024);
		if (n <= 0)
			break;
		/* a frozen process still dies of SIGKILL; freezing stops
		 * forks between the read and the kills */
		for (int i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		nanosleep(&ts, NULL);
	}
	if (frozen)
		write_file(cg, "cgroup.freeze", "0");
	return n < 0 ? 0 : n;
}

void
guest_cg_remove(const char *cg)
{
	if (!cg || !cg[0])
		return;
	guest_cg_kill(cg, 2000);
	/* the last exits may still be on their way: rmdir is EBUSY until
	 * the cgroup is empty */
	for (int i = 0; i < 100 && rmdir(cg) != 0 && errno == EBUSY; i++) {
		struct timespec ts = {0, 10 * 1000000};

		nanosleep(&ts, NULL);
	}
}
