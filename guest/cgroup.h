/*
 * One cgroup (v2) per task, so "every process the task started" is exact:
 * a process that calls setsid(), double-forks or changes its process
 * group stays in its task's cgroup, and the agent kills the whole cgroup
 * when the task's command is done or a descendant detaches.
 *
 * guest_cg_init() mounts the cgroup2 hierarchy if it is not mounted and
 * makes the agent's parent directory; a kernel without cgroup2 (or a
 * host where the directory cannot be written) leaves it unusable, and
 * the command runner falls back to killing the process group and every
 * process of the package's uid (guest_cmd.reap_uid), which is exact too
 * as long as nothing else runs as that uid (docs/guest.md).
 *
 * The child joins its cgroup with guest_cg_join() between fork and exec
 * (async-signal-safe: open, write, close).
 */
#ifndef PYTI_GUEST_CGROUP_H
#define PYTI_GUEST_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

#define GUEST_CG_PATH_LEN 256

/* Use root (e.g. "/sys/fs/cgroup") for the agent's cgroups, mounting
 * cgroup2 there if mount is set and nothing is mounted; make the
 * directory root/dir. Returns 0 when cgroups are usable, else -1
 * (logged at info: the fallback is used). */
int guest_cg_init(const char *root, const char *dir, int mount);

/* 1 after a successful guest_cg_init(). */
int guest_cg_usable(void);

/* Make a new, empty cgroup for one command; its path in out. 0 or -1. */
int guest_cg_create(char out[GUEST_CG_PATH_LEN]);

/* In the child: move the calling process into cg. 0 or -1. */
int guest_cg_join(const char *cg);

/* The pids in cg (at most max). Returns how many, or -1. */
int guest_cg_pids(const char *cg, pid_t *pids, int max);

/* SIGKILL every process in cg (cgroup.kill where the kernel has it,
 * else freeze, kill each, thaw), waiting at most timeout_ms for it to
 * empty. Returns the number of processes still there (0: all gone). */
int guest_cg_kill(const char *cg, int timeout_ms);

/* Kill what is left and remove cg. */
void guest_cg_remove(const char *cg);

#endif
