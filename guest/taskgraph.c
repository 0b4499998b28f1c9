/*
 * The task graph executor and the limited command runner. Loading checks
 * the declarations once (Kahn's algorithm gives both the order and the
 * cycle check), so a mistake in the task table is an error at start, not
 * a task silently never running. Commands run in their own process group
 * with rlimits set in the child; the parent is the only reader of their
 * output and stops keeping it at the cap, so a flood costs CPU until the
 * hard limit, never memory.
 */
#include "taskgraph.h"
#include "cgroup.h"
#include "log.h"
#include "os.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_DATA 64
#define MAX_TASKS 64
#define NAME_MAX_LEN 32

struct datum {
	char name[NAME_MAX_LEN + 1];
	int producer; /* task index, -1: a job input */
	int available;
};

struct guest_graph {
	const struct guest_task *tasks;
	size_t n;
	struct datum data[MAX_DATA];
	size_t ndata;
	size_t order[MAX_TASKS]; /* task indexes, execution order */
	struct guest_task_run runs[MAX_TASKS]; /* by execution position */
	int disabled[MAX_TASKS]; /* by task index */
	const struct guest_hooks *hooks;
	void *arg;
	int64_t job_deadline; /* monotonic ms, 0: none */
	int shares[MAX_TASKS]; /* by task index: permille of the time left */
	int has_shares;
};

const char *
guest_outcome_name(enum guest_outcome o)
{
	static const char *const names[] = {
	    "ok", "failed", "skipped", "timeout", "error", "not_requested"};

	return (unsigned)o < 6 ? names[o] : "error";
}

static int
valid_name(const char *s, size_t n)
{
	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/*
 * Call fn for each word of a space-separated list. Stops at and returns
 * the first non-zero result of fn, or -1 (logged) for a bad word.
 */
static int
each_word(const char *list, const char *what,
          int (*fn)(struct guest_graph *, const char *, void *),
          struct guest_graph *g, void *ctx)
{
	const char *p = list ? list : "";

	while (*p) {
		char w[NAME_MAX_LEN + 1];
		size_t n = strcspn(p, " ");
		int r;

		if (n == 0) {
			p++;
			continue;
		}
		if (!valid_name(p, n))
			return log_error("bad data name '%.*s' in %s", (int)n,
			                 p, what);
		memcpy(w, p, n);
		w[n] = '\0';
		r = fn(g, w, ctx);
		if (r)
			return r;
		p += n;
	}
	return 0;
}

static int
find_datum(const struct guest_graph *g, const char *name)
{
	for (size_t i = 0; i < g->ndata; i++)
		if (!strcmp(g->data[i].name, name))
			return (int)i;
	return -1;
}

static int
add_datum(struct guest_graph *g, const char *name, int producer)
{
	int i = find_datum(g, name);

	if (i >= 0) {
		const char *prev = g->data[i].producer < 0
		                       ? "the job's inputs"
		                       : g->tasks[g->data[i].producer].name;

		return log_error("data '%s' is produced by both %s and %s",
		                 name, prev,
		                 producer < 0 ? "the job's inputs"
		                              : g->tasks[producer].name);
	}
	if (g->ndata == MAX_DATA)
		return log_error("more than %d data names", MAX_DATA);
	snprintf(g->data[g->ndata].name, sizeof(g->data[0].name), "%s", name);
	g->data[g->ndata].producer = producer;
	g->data[g->ndata].available = producer < 0;
	g->ndata++;
	return 0;
}

static int
add_input(struct guest_graph *g, const char *name, void *ctx)
{
	return add_datum(g, name, -1);
}

static int
add_product(struct guest_graph *g, const char *name, void *ctx)
{
	return add_datum(g, name, *(int *)ctx);
}

static int
check_need(struct guest_graph *g, const char *name, void *ctx)
{
	int t = *(int *)ctx;

	if (find_datum(g, name) < 0)
		return log_error("unknown data '%s' needed by task %s: no task "
		                 "produces it and the job does not provide it",
		                 name, g->tasks[t].name);
	return 0;
}

/* Edge check for Kahn: does task `t` need a datum produced by `u`? */
struct dep_ctx {
	int producer; /* u */
	int found;
};

static int
need_from(struct guest_graph *g, const char *name, void *ctx)
{
	struct dep_ctx *d = ctx;
	int i = find_datum(g, name);

	if (i >= 0 && g->data[i].producer == d->producer)
		d->found = 1;
	return 0;
}

static int
depends(struct guest_graph *g, size_t t, size_t u)
{
	struct dep_ctx d = {(int)u, 0};

	each_word(g->tasks[t].needs, g->tasks[t].name, need_from, g, &d);
	return d.found;
}

/* Log one cycle among the tasks left unordered by Kahn's algorithm. */
static void
log_cycle(struct guest_graph *g, const int *placed)
{
	char text[512];
	size_t len = 0, start = 0, cur;
	int seen[MAX_TASKS] = {0};

	while (placed[start])
		start++;
	/* Walk backwards along "depends on" edges among unplaced tasks
	 * until a task repeats: that task is on a cycle. */
	cur = start;
	while (!seen[cur]) {
		seen[cur] = 1;
		for (size_t u = 0; u < g->n; u++) {
			if (!placed[u] && depends(g, cur, u)) {
				cur = u;
				break;
			}
		}
	}
	start = cur;
	len += (size_t)snprintf(text, sizeof(text), "%s", g->tasks[cur].name);
	do {
		for (size_t u = 0; u < g->n; u++) {
			if (!placed[u] && depends(g, cur, u)) {
				cur = u;
				break;
			}
		}
		if (len < sizeof(text))
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			                        " -> %s", g->tasks[cur].name);
	} while (cur != start);
	log_error("cycle in the task graph: %s (each needs what the next "
	          "produces)",
	          text);
}

struct guest_graph *
guest_graph_new(const struct guest_task *tasks, size_t n, const char *inputs)
{
	struct guest_graph *g = xcalloc(1, sizeof(*g));
	int placed[MAX_TASKS] = {0};
	size_t done = 0;

	g->tasks = tasks;
	g->n = n;
	if (n > MAX_TASKS) {
		log_error("more than %d tasks", MAX_TASKS);
		goto fail;
	}
	if (each_word(inputs, "the job's inputs", add_input, g, NULL))
		goto fail;
	for (size_t t = 0; t < n; t++) {
		int ti = (int)t;

		if (!tasks[t].name ||
		    !valid_name(tasks[t].name, strlen(tasks[t].name)) ||
		    !tasks[t].run) {
			log_error("task %zu has a bad name or no run function",
			          t);
			goto fail;
		}
		for (size_t u = 0; u < t; u++) {
			if (!strcmp(tasks[u].name, tasks[t].name)) {
				log_error("two tasks are called '%s'",
				          tasks[t].name);
				goto fail;
			}
		}
		if (each_word(tasks[t].produces, tasks[t].name, add_product, g,
		              &ti))
			goto fail;
	}
	for (size_t t = 0; t < n; t++) {
		int ti = (int)t;

		if (each_word(tasks[t].needs, tasks[t].name, check_need, g,
		              &ti))
			goto fail;
	}
	/* Kahn's algorithm; among ready tasks the first declared goes
	 * first, so the order is the table's wherever the needs allow. */
	while (done < n) {
		size_t t;

		for (t = 0; t < n; t++) {
			int ready = !placed[t];

			for (size_t u = 0; ready && u < n; u++)
				if (!placed[u] && depends(g, t, u))
					ready = 0;
			if (ready)
				break;
		}
		if (t == n) {
			log_cycle(g, placed);
			goto fail;
		}
		placed[t] = 1;
		g->order[done] = t;
		g->runs[done].task = &tasks[t];
		g->runs[done].limits = tasks[t].limits;
		g->runs[done].exit_status = -1;
		g->runs[done].graph = g;
		buf_init(&g->runs[done].log, tasks[t].limits.output_cap);
		done++;
	}
	return g;
fail:
	free(g);
	return NULL;
}

void
guest_graph_free(struct guest_graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		buf_release(&g->runs[i].log);
	free(g);
}

size_t
guest_graph_count(const struct guest_graph *g)
{
	return g->n;
}

struct guest_task_run *
guest_graph_task(struct guest_graph *g, size_t i)
{
	return i < g->n ? &g->runs[i] : NULL;
}

struct guest_task_run *
guest_graph_find(struct guest_graph *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->runs[i].task->name, name))
			return &g->runs[i];
	return NULL;
}

int
guest_graph_disable(struct guest_graph *g, const char *name)
{
	for (size_t t = 0; t < g->n; t++) {
		if (!strcmp(g->tasks[t].name, name)) {
			g->disabled[t] = 1;
			return 0;
		}
	}
	return log_error("no task called '%s'", name);
}

int
guest_graph_set_limits(struct guest_graph *g, const char *name,
                       const struct guest_limits *l)
{
	struct guest_task_run *tr = guest_graph_find(g, name);

	if (!tr)
		return log_error("no task called '%s'", name);
	tr->limits = *l;
	buf_release(&tr->log);
	buf_init(&tr->log, l->output_cap);
	return 0;
}

int
guest_graph_has(const struct guest_graph *g, const char *datum)
{
	int i = find_datum(g, datum);

	return i >= 0 && g->data[i].available;
}

int
guest_task_produce(struct guest_task_run *tr, const char *datum)
{
	struct guest_graph *g = tr->graph;
	int i = find_datum(g, datum);

	if (i < 0 || g->data[i].producer < 0 ||
	    &g->tasks[g->data[i].producer] != tr->task)
		return log_error("task %s does not declare that it produces "
		                 "'%s'",
		                 tr->task->name, datum);
	g->data[i].available = 1;
	return 0;
}

void
guest_task_reason(struct guest_task_run *tr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tr->reason, sizeof(tr->reason), fmt, ap);
	va_end(ap);
}

/* The first need of the task that is not available, as a skip reason;
 * 0 if all are there. */
struct missing_ctx {
	struct guest_task_run *tr;
	int missing;
	int not_requested; /* ... because its producer was not requested */
};

static int
producer_not_requested(struct guest_graph *g, int task)
{
	for (size_t k = 0; k < g->n; k++)
		if (g->runs[k].task == &g->tasks[task])
			return g->runs[k].outcome == GUEST_NOT_REQUESTED;
	return 0;
}

static int
need_missing(struct guest_graph *g, const char *name, void *ctx)
{
	struct missing_ctx *m = ctx;
	int i = find_datum(g, name);

	if (g->data[i].available)
		return 0;
	if (g->data[i].producer < 0)
		guest_task_reason(m->tr,
		                  "needs %s, which the job did not "
		                  "provide",
		                  name);
	else if (producer_not_requested(g, g->data[i].producer)) {
		guest_task_reason(m->tr,
		                  "not requested: needs %s, which %s was not "
		                  "requested to produce",
		                  name, g->tasks[g->data[i].producer].name);
		m->not_requested = 1;
	} else
		guest_task_reason(m->tr, "needs %s, which %s did not produce",
		                  name, g->tasks[g->data[i].producer].name);
	m->missing = 1;
	return 1;
}

/* The task's share of the time left before the job's deadline, among the
 * tasks still to run: what earlier tasks did not use rolls over. At least
 * a minute (a Python start under TCG on a loaded host takes seconds),
 * never past the task's own limit. */
static void
fit_share(struct guest_graph *g, size_t pos, struct guest_task_run *tr)
{
	int64_t now = os_mono_ms(), left = g->job_deadline - now, sum = 0, t;

	for (size_t k = pos; k < g->n; k++)
		if (!g->disabled[g->order[k]])
			sum += g->shares[g->order[k]];
	if (sum <= 0 || left <= 0)
		return;
	t = left * g->shares[g->order[pos]] / sum;
	if (t < 60000)
		t = left < 60000 ? left : 60000;
	if (!tr->deadline || now + t < tr->deadline) {
		tr->deadline = now + t;
		tr->limits.timeout_ms = (int)t;
	}
}

int
guest_graph_run(struct guest_graph *g, const struct guest_hooks *hooks,
                void *hook_arg, void *task_arg)
{
	void *arg = hook_arg;

	int bad = 0;

	g->hooks = hooks;
	g->arg = arg;
	for (size_t i = 0; i < g->n; i++) {
		struct guest_task_run *tr = &g->runs[i];
		struct missing_ctx m = {tr, 0, 0};
		enum guest_outcome o;

		if (g->disabled[g->order[i]]) {
			tr->outcome = GUEST_NOT_REQUESTED;
			guest_task_reason(tr, "not requested");
			continue;
		}
		each_word(tr->task->needs, tr->task->name, need_missing, g, &m);
		if (m.missing) {
			tr->outcome = m.not_requested ? GUEST_NOT_REQUESTED
			                              : GUEST_SKIPPED;
			continue;
		}
		if (g->job_deadline && os_mono_ms() >= g->job_deadline) {
			tr->outcome = GUEST_SKIPPED;
			guest_task_reason(tr, "no time left before the job's "
			                      "deadline");
			continue;
		}
		tr->started_ms = os_wall_ms();
		tr->deadline = tr->limits.timeout_ms
		                   ? os_mono_ms() + tr->limits.timeout_ms
		                   : 0;
		if (g->job_deadline && g->has_shares)
			fit_share(g, i, tr);
		if (g->job_deadline &&
		    (!tr->deadline || tr->deadline > g->job_deadline))
			tr->deadline = g->job_deadline;
		if (hooks && hooks->started)
			hooks->started(tr, arg);
		o = tr->task->run(tr, task_arg);
		if (tr->timed_out && o != GUEST_ERROR)
			o = GUEST_TIMEOUT;
		if (o == GUEST_TIMEOUT && !tr->reason[0])
			guest_task_reason(tr, "time limit of %d s",
			                  tr->limits.timeout_ms / 1000);
		tr->outcome = o;
		tr->ended_ms = os_wall_ms();
		if (o != GUEST_OK && o != GUEST_SKIPPED &&
		    o != GUEST_NOT_REQUESTED)
			bad++;
		if (hooks && hooks->ended)
			hooks->ended(tr, arg);
	}
	return bad;
}

void
guest_task_credit(struct guest_task_run *tr, int64_t ms)
{
	int64_t cap = tr->graph ? tr->graph->job_deadline : 0;

	if (!tr->deadline || ms <= 0)
		return;
	tr->deadline += ms;
	if (cap && tr->deadline > cap)
		tr->deadline = cap;
}

void
guest_graph_set_shares(struct guest_graph *g, const int *permille)
{
	for (size_t t = 0; t < g->n; t++)
		g->shares[t] = permille[t];
	g->has_shares = 1;
}

int
guest_graph_has_enabled(const struct guest_graph *g, const char *name)
{
	for (size_t t = 0; t < g->n; t++)
		if (!strcmp(g->tasks[t].name, name))
			return !g->disabled[t];
	return 0;
}

void
guest_graph_set_deadline(struct guest_graph *g, int64_t mono_ms)
{
	g->job_deadline = mono_ms;
}

/* ---- running one command under limits ---- */

static void
set_limit(int resource, uint64_t v)
{
	struct rlimit rl;

	if (!v)
		return;
	rl.rlim_cur = (rlim_t)v;
	rl.rlim_max = (rlim_t)v;
	/* RLIMIT_CPU: a soft limit below the hard one sends SIGXCPU first,
	 * so the signal says which limit it was. */
	if (resource == RLIMIT_CPU)
		rl.rlim_max = (rlim_t)v + 2;
	setrlimit(resource, &rl);
}

/* In the child: never returns. Only async-signal-safe calls. */
static void
child(const struct guest_task_run *tr, const struct guest_cmd *cmd, int out,
      const char *cg)
{
	static const char fail_start[] = "pyti-agent: cannot start command\n";
	int devnull = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	/* a cgroup that cannot be joined leaves the group and uid kills,
	 * and the uid scan for detached processes (find_detached) */
	if (cg[0])
		(void)guest_cg_join(cg);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (devnull >= 0) {
		dup2(devnull, 0);
		if (devnull > 2)
			close(devnull);
	}
	dup2(out, 1);
	dup2(out, 2);
	if (out > 2)
		close(out);
	/* Close every other fd: the channel device above all (it is also
	 * O_CLOEXEC; this is the second lock). */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	if (cmd->cwd && chdir(cmd->cwd) < 0)
		_exit(126);
	set_limit(RLIMIT_AS, tr->limits.as);
	set_limit(RLIMIT_FSIZE, tr->limits.fsize);
	set_limit(RLIMIT_CPU, tr->limits.cpu);
	set_limit(RLIMIT_NOFILE, tr->limits.nofile);
	if (cmd->drop) {
		if (setgroups(0, NULL) < 0 || setgid(cmd->gid) < 0 ||
		    setuid(cmd->uid) < 0)
			_exit(126);
	}
	/* NPROC after the uid change: it counts the new uid's processes,
	 * and root is exempt from it anyway. */
	set_limit(RLIMIT_NPROC, tr->limits.nproc);
	{
		/* execve's prototype predates const: copy the pointers'
		 * bits rather than cast the qualifier away. */
		static const char *const empty[] = {NULL};
		const char *const *ce = cmd->envp ? cmd->envp : empty;
		char *const *av, *const *ev;

		memcpy(&av, &cmd->argv, sizeof(av));
		memcpy(&ev, &ce, sizeof(ev));
		execve(cmd->argv[0], av, ev);
	}
	if (write(2, fail_start, sizeof(fail_start) - 1) < 0)
		_exit(127);
	_exit(127);
}

/* Kill every process of uid from a child running as that uid: kill(-1)
 * reaches exactly the processes the sender may signal, which catches
 * daemons that left the process group with setsid(). */
static void
reap_uid(uid_t uid, gid_t gid)
{
	pid_t p = fork();

	if (p == 0) {
		if (setgroups(0, NULL) < 0 || setgid(gid) < 0 ||
		    setuid(uid) < 0)
			_exit(1);
		kill(-1, SIGKILL);
		_exit(0);
	}
	if (p > 0)
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
}

static void
keep_output(struct guest_task_run *tr, const char *p, size_t n)
{
	tr->output_bytes += n;
	if (tr->output_capped)
		return;
	if (buf_add(&tr->log, p, n) == BUF_FULL) {
		size_t room = tr->log.max - tr->log.len;

		buf_add(&tr->log, p, room);
		tr->output_capped = 1;
	}
}

/* Read /proc/<pid>/stat: ppid, process group, session. 0, or -1 (also
 * for a zombie: it is gone, only its status waits to be reaped). */
static int
proc_stat(pid_t p, pid_t *ppid, pid_t *pgrp, pid_t *sid)
{
	char state;
	char path[64], buf[1024], *e;
	int fd;
	ssize_t n;
	long a, b, c;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* the command name may hold anything, ')' included: the last ')'
	 * ends it */
	e = strrchr(buf, ')');
	if (!e || sscanf(e + 1, " %c %ld %ld %ld", &state, &a, &b, &c) != 4 ||
	    state == 'Z' || state == 'X')
		return -1;
	*ppid = (pid_t)a;
	*pgrp = (pid_t)b;
	*sid = (pid_t)c;
	return 0;
}

static void
proc_cmdline(pid_t p, char *out, size_t outlen)
{
	char path[64];
	int fd;
	ssize_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)p);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, out, outlen - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	while (n > 0 && out[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	out[n] = '\0';
}

/*
 * The first process of the command that detached: another session than
 * the agent's, or (not the command itself) a child of the agent, which
 * is where orphans land (the agent is PID 1 in the guest, a child
 * subreaper elsewhere). Candidates: the command's cgroup, else every
 * process of uid. Returns its pid, or 0.
 */
static pid_t
find_detached(pid_t leader, const char *cg, uid_t uid)
{
	pid_t me = getpid(), my_sid = getsid(0), pids[1024];
	int n = 0;

	if (cg[0])
		n = guest_cg_pids(cg, pids, 1024);
	if (n <= 0 && uid != 0) {
		DIR *d = opendir("/proc");
		struct dirent *de;

		n = 0;
		while (d && (de = readdir(d)) != NULL && n < 1024) {
			char p[300];
			struct stat st;
			long v = strtol(de->d_name, NULL, 10);

			snprintf(p, sizeof(p), "/proc/%s", de->d_name);
			if (v > 0 && stat(p, &st) == 0 && st.st_uid == uid)
				pids[n++] = (pid_t)v;
		}
		if (d)
			closedir(d);
	}
	for (int i = 0; i < n; i++) {
		pid_t ppid, pgrp, sid;

		if (pids[i] == leader ||
		    proc_stat(pids[i], &ppid, &pgrp, &sid) != 0)
			continue;
		if (sid != my_sid || ppid == me)
			return pids[i];
	}
	return 0;
}

/* End everything the command started: its cgroup, its group, its uid. */
static void
end_all(pid_t pid, const struct guest_cmd *cmd, const char *cg)
{
	kill(-pid, SIGKILL);
	if (cg[0])
		guest_cg_kill(cg, 2000);
	if (cmd->reap_uid && cmd->uid != 0)
		reap_uid(cmd->uid, cmd->gid);
}

int
guest_task_exec(struct guest_task_run *tr, const struct guest_cmd *cmd)
{
	char cg[GUEST_CG_PATH_LEN] = "";
	int64_t last_scan = 0;
	const struct guest_hooks *hooks = tr->graph ? tr->graph->hooks : NULL;
	void *arg = tr->graph ? tr->graph->arg : NULL;
	int pfd[2], status = 0, exited = 0, eof = 0, killed = 0;
	int64_t exited_at = 0, last_tick = os_mono_ms();
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return log_error("cannot create a pipe: %s", strerror(errno));
	/* orphans of the command come back to the agent (it is PID 1 in
	 * the guest anyway), where find_detached() sees them */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (guest_cg_usable())
		guest_cg_create(cg);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		guest_cg_remove(cg);
		return log_error("cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(pfd[0]);
		child(tr, cmd, pfd[1], cg);
	}
	/* Both sides set the group, so a kill before the child ran its
	 * setpgid() still finds it. */
	setpgid(pid, pid);
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	tr->commands++;
	tr->lost_status = 0;

	while (!exited || !eof) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		int64_t now = os_mono_ms();
		int wait_ms = 200;

		if (tr->deadline && now >= tr->deadline && !killed) {
			kill(-pid, SIGKILL);
			killed = 1;
			tr->timed_out = 1;
		}
		/* The leader is gone but something still holds the pipe
		 * (a background child): give it a moment, then end it. */
		if (exited && !eof && now - exited_at > 1000 && !killed) {
			end_all(pid, cmd, cg);
			killed = 1;
		}
		if (exited && !eof && now - exited_at > 3000)
			break; /* a setsid() escapee holds the pipe */
		/* A process that detached will outlive the command and
		 * may hold its pipes (pip waits for the build backend's
		 * output to end): note it and end the whole task now. */
		if (cmd->detach_check && !killed && now - last_scan >= 300) {
			pid_t d = find_detached(pid, cg, cmd->uid);

			last_scan = now;
			if (d > 0) {
				tr->detached++;
				tr->detached_pid = (long)d;
				proc_cmdline(d, tr->detached_cmd,
				             sizeof(tr->detached_cmd));
				end_all(pid, cmd, cg);
				killed = 1;
			}
		}
		if (hooks && hooks->tick && now - last_tick >= 250) {
			hooks->tick(arg);
			last_tick = now;
		}
		if (!eof) {
			int r = poll(&p, 1, wait_ms);

			if (r > 0) {
				char chunk[65536];
				ssize_t n = read(pfd[0], chunk, sizeof(chunk));

				if (n > 0) {
					keep_output(tr, chunk, (size_t)n);
					if (tr->limits.output_kill &&
					    tr->output_bytes >
					        tr->limits.output_kill &&
					    !killed) {
						kill(-pid, SIGKILL);
						killed = 1;
						tr->output_killed = 1;
					}
				} else if (n == 0 || (errno != EAGAIN &&
				                      errno != EINTR)) {
					eof = 1;
				}
			}
		} else {
			struct timespec ts = {0, 20 * 1000000};

			nanosleep(&ts, NULL);
		}
		if (!exited) {
			/* Reap any child: as PID 1 the agent also inherits
			 * orphans, which must not stay zombies. */
			pid_t w;

			while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
				if (w == pid) {
					exited = 1;
					exited_at = os_mono_ms();
					break;
				}
			}
			if (w < 0 && errno == ECHILD) {
				/* someone else reaped it: the status is
				 * lost, which is not a success */
				exited = 1;
				exited_at = os_mono_ms();
				tr->lost_status = 1;
			}
		}
	}
	close(pfd[0]);
	/* Whatever is left of the command goes now. */
	end_all(pid, cmd, cg);
	guest_cg_remove(cg);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (tr->lost_status) {
		log_warn("the exit status of %s was lost (ECHILD)",
		         cmd->argv[0]);
		tr->signal = 0;
		tr->exit_status = -1;
		return 255;
	}
	if (WIFSIGNALED(status)) {
		tr->signal = WTERMSIG(status);
		tr->exit_status = -1;
		return 128 + tr->signal;
	}
	tr->signal = 0;
	tr->exit_status = WEXITSTATUS(status);
	return tr->exit_status;
}
