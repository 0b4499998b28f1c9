/*
 * strace output -> findings. One pass over the file: lines are joined when
 * strace split them, the call name and return value are split off, the
 * quoted strings and the sockaddr are pulled out of the arguments, and a
 * small rule per syscall decides what it means. The rules are in
 * check_*() below; the policy (allowed places, canaries, expected
 * programs) comes from the task.
 */
#include "trace.h"
#include "buf.h"
#include "jx.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 16384
#define MAX_STRS 16
#define MAX_PENDING 64
#define PATH_LEN 4096

struct pending {
	long pid;
	char *text; /* owned: the line up to " <unfinished ...>" */
};

struct call {
	long pid;
	char name[32];
	char *strs[MAX_STRS]; /* owned, unescaped quoted strings */
	int nstrs;
	char dirfd_path[PATH_LEN]; /* annotation of the first argument */
	const char *args; /* borrowed: inside the joined line */
	long ret;
	char err[32]; /* errno name, "" on success */
	char ret_path[PATH_LEN]; /* -y annotation of the returned fd */
};

struct parser {
	const struct guest_trace_policy *pol;
	struct guest_findings *f;
	struct guest_trace_stats *st;
	struct pending pend[MAX_PENDING];
	int seen_first_exec;
	int fork_failed;
	int fsize_hit;
};

/* ---- small string tools ---- */

static int
starts_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* Collapse "//", "." and ".." lexically, in place. path is absolute. */
static void
normalize(char *path)
{
	char out[PATH_LEN];
	size_t o = 0;
	const char *p = path;

	while (*p) {
		const char *s;
		size_t n;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		if (o + n + 2 >= sizeof(out))
			break;
		out[o++] = '/';
		memcpy(out + o, s, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	memcpy(path, out, o + 1);
}

/* Absolute, normalized form of p relative to dir. When p is relative
 * and dir unknown (""), p is left relative: the caller decides. */
static void
absolute(const char *dir, const char *p, char out[PATH_LEN])
{
	if (p[0] != '/' && dir[0] != '/') {
		snprintf(out, PATH_LEN, "%s", p);
		return;
	}
	if (p[0] == '/')
		snprintf(out, PATH_LEN, "%s", p);
	else
		snprintf(out, PATH_LEN, "%s/%s", dir, p);
	normalize(out);
}

/*
 * Read a quoted string starting at *pp (which points at '"'), unescaping
 * strace's escapes. Returns an owned string and advances *pp past the
 * closing quote (and a "..." continuation marker), or NULL if unclosed.
 */
static char *
read_quoted(const char **pp)
{
	const char *p = *pp + 1;
	struct buf b = BUF_INIT(PATH_LEN);

	while (*p && *p != '"') {
		int c = (unsigned char)*p++;

		if (c == '\\' && *p) {
			int e = (unsigned char)*p++;

			switch (e) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'v':
				c = '\v';
				break;
			case 'f':
				c = '\f';
				break;
			case 'x': {
				int v = 0, k;

				for (k = 0;
				     k < 2 &&
				     strchr("0123456789abcdefABCDEF", *p) && *p;
				     k++, p++)
					v = v * 16 +
					    (*p <= '9' ? *p - '0'
					               : (*p | 32) - 'a' + 10);
				c = v;
				break;
			}
			default:
				if (e >= '0' && e <= '7') {
					int v = e - '0', k;

					for (k = 0;
					     k < 2 && *p >= '0' && *p <= '7';
					     k++, p++)
						v = v * 8 + (*p - '0');
					c = v & 0xff;
				} else {
					c = e;
				}
			}
		}
		buf_addc(&b, (char)c);
	}
	if (*p != '"') {
		buf_release(&b);
		return NULL;
	}
	p++;
	if (!strncmp(p, "...", 3))
		p += 3;
	*pp = p;
	if (!b.data)
		return xstrdup("");
	return buf_detach(&b, NULL);
}

/* Copy an fd annotation "<...>" starting at p ('<') into out. */
static void
read_annotation(const char *p, char out[PATH_LEN])
{
	const char *e = strchr(p + 1, '>');
	size_t n;

	out[0] = '\0';
	if (!e)
		return;
	n = (size_t)(e - p - 1);
	if (n >= PATH_LEN)
		n = PATH_LEN - 1;
	memcpy(out, p + 1, n);
	out[n] = '\0';
}

static void
call_release(struct call *c)
{
	for (int i = 0; i < c->nstrs; i++)
		free(c->strs[i]);
	c->nstrs = 0;
}

/*
 * Split "name(args) = ret ERR (text)" into c. Returns 0, or -1 if the line
 * is not a complete call (signals, exits, garbage).
 */
static int
split_call(char *line, struct call *c)
{
	char *open = strchr(line, '('), *eq, *p;
	size_t n;

	if (!open || open == line)
		return -1;
	n = (size_t)(open - line);
	if (n >= sizeof(c->name))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((line[i] >= 'a' && line[i] <= 'z') ||
		      (line[i] >= '0' && line[i] <= '9') || line[i] == '_'))
			return -1;
	memcpy(c->name, line, n);
	c->name[n] = '\0';
	/* the last ") = " ends the arguments: strings come before it */
	eq = NULL;
	for (p = strstr(open, ") = "); p; p = strstr(p + 1, ") = "))
		eq = p;
	if (!eq) {
		/* strace pads the return of resumed lines with spaces */
		for (p = strstr(open, ")"); p; p = strstr(p + 1, ")")) {
			char *q = p + 1;

			while (*q == ' ')
				q++;
			if (*q == '=' && q[1] == ' ')
				eq = p;
		}
		if (!eq)
			return -1;
	}
	*eq = '\0';
	c->args = open + 1;
	p = eq + 1;
	while (*p == ' ')
		p++;
	if (*p != '=')
		return -1;
	p++;
	while (*p == ' ')
		p++;
	c->ret = strtol(p, &p, 0);
	c->ret_path[0] = '\0';
	if (*p == '<')
		read_annotation(p, c->ret_path);
	c->err[0] = '\0';
	if (c->ret == -1) {
		const char *e = strchr(p, 'E');

		if (e) {
			size_t k =
			    strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

			if (k >= sizeof(c->err))
				k = sizeof(c->err) - 1;
			memcpy(c->err, e, k);
			c->err[k] = '\0';
		}
	}
	/* strings and the first argument's annotation */
	c->dirfd_path[0] = '\0';
	p = strchr(c->args, '<');
	if (p && (p == c->args || !strchr(",\"", c->args[0])) &&
	    (size_t)(p - c->args) < 16 &&
	    !memchr(c->args, ',', (size_t)(p - c->args)))
		read_annotation(p, c->dirfd_path);
	for (const char *q = c->args; *q && c->nstrs < MAX_STRS;) {
		if (*q == '"') {
			char *s = read_quoted(&q);

			if (!s)
				break;
			c->strs[c->nstrs++] = s;
			continue;
		}
		if (*q == '<') { /* skip annotations: they may hold quotes */
			const char *e = strchr(q, '>');

			if (!e)
				break;
			q = e + 1;
			continue;
		}
		q++;
	}
	return 0;
}

/* ---- rules ---- */

static json_t *
ev_path(const char *syscall, long pid, const char *path, const char *err)
{
	json_t *e = json_object();

	jx_set(e, "syscall", json_string(syscall));
	jx_set(e, "pid", json_integer(pid));
	jx_set(e, "path", guest_jstr(path, strlen(path)));
	if (err && err[0])
		jx_set(e, "errno", json_string(err));
	return e;
}

static int
in_list(const char *path, const char *const *list)
{
	for (; list && *list; list++)
		if (starts_dir(path, *list))
			return 1;
	return 0;
}

static int
is_channel(const char *path)
{
	return !strncmp(path, "/dev/vport", 10) ||
	       starts_dir(path, "/dev/virtio-ports") ||
	       !strncmp(path, "/dev/hvc", 8) ||
	       starts_dir(path, "/sys/class/virtio-ports") ||
	       !strncmp(path, "/dev/ttyS", 9);
}

static int
is_sensitive(const char *path)
{
	return !strcmp(path, "/etc/shadow") || !strcmp(path, "/etc/gshadow") ||
	       starts_dir(path, "/etc/sudoers") || starts_dir(path, "/root") ||
	       starts_dir(path, "/etc/ssh") || !strcmp(path, "/proc/kcore");
}

/* A call the kernel refused for lack of permission: the package tried.
 * Other errors (ENOENT, EEXIST...) are not attempts worth a finding. */
static int
refused(const struct call *c)
{
	return c->ret < 0 &&
	       (!strcmp(c->err, "EACCES") || !strcmp(c->err, "EPERM") ||
	        !strcmp(c->err, "EROFS"));
}

static void
check_write(struct parser *ps, const struct call *c, const char *path,
            int is_delete)
{
	const char *home = ps->pol->home;
	const char *pk, *verb;
	int tried = c->ret < 0;
	json_t *e;

	/* A relative path of a call that carries no directory (mkdir,
	 * unlink, rename: the cwd is not traced) cannot be placed; it is
	 * inside the command's cwd unless it climbs with "..", which the
	 * filesystem diff sees anyway. */
	if (path[0] != '/')
		return;
	/* deleting a startup file is not persistence: it is judged as any
	 * other deletion below */
	pk = is_delete ? NULL : guest_persistence_kind(path, home);
	/* a failed write counts when the kernel refused it, or, under a
	 * persistence location, whatever the error: a cron entry aimed at
	 * an /etc/cron.d the image does not have (ENOENT) is as much an
	 * attempt */
	if (tried && !pk && !refused(c))
		return;
	if (!pk &&
	    (in_list(path, ps->pol->allow) || starts_dir(path, "/proc/self") ||
	     !strcmp(path, "/dev/null") || !strcmp(path, "/dev/tty")))
		return;
	verb = is_delete ? (tried ? "tried to delete" : "deleted")
	                 : (tried ? "tried to write" : "wrote");
	e = ev_path(c->name, c->pid, path, c->err);
	if (tried)
		jx_set(e, "attempted", json_true());
	guest_finding_add(ps->f,
	                  pk          ? pk
	                  : is_delete ? "file.delete_outside"
	                              : "file.write_outside",
	                  NULL, ps->pol->task, e, "%s %s%s%s", verb, path,
	                  tried ? ": " : "", tried ? c->err : "");
}

static void
check_open(struct parser *ps, const struct call *c, const char *rel,
           const char *flags)
{
	char path[PATH_LEN];
	int write =
	    flags && (strstr(flags, "O_WRONLY") || strstr(flags, "O_RDWR") ||
	              strstr(flags, "O_CREAT") || strstr(flags, "O_TRUNC"));

	if (c->ret >= 0 && c->ret_path[0] == '/')
		snprintf(path, sizeof(path), "%s", c->ret_path);
	else
		absolute(c->dirfd_path, rel, path);
	if (!strcmp(c->name, "creat"))
		write = 1;
	if (is_channel(path)) {
		guest_finding_add(ps->f, "channel.forgery", NULL, ps->pol->task,
		                  ev_path(c->name, c->pid, path, c->err),
		                  "opened the agent's channel device %s%s%s",
		                  path, c->err[0] ? ": " : "", c->err);
		return;
	}
	if (in_list(path, ps->pol->canaries)) {
		guest_finding_add(ps->f, "credential.read", NULL, ps->pol->task,
		                  ev_path(c->name, c->pid, path, c->err),
		                  "opened canary credential %s", path);
		return;
	}
	if (!write && is_sensitive(path)) {
		guest_finding_add(
		    ps->f, "file.read_sensitive", NULL, ps->pol->task,
		    ev_path(c->name, c->pid, path, c->err), "opened %s%s%s",
		    path, c->err[0] ? ": " : "", c->err);
		return;
	}
	if (write && c->ret >= 0)
		ps->st->writes++;
	if (write)
		check_write(ps, c, path, 0);
}

/* Parse the sockaddr in c->args: family, address text, port. 0 if inet. */
static int
sockaddr_of(const struct call *c, char *family, size_t fl, char *addr,
            size_t al, int *port)
{
	const char *a = c->args, *p;

	if ((p = strstr(a, "sin6_port=htons(")) != NULL) {
		const char *q = strstr(a, "inet_pton(AF_INET6, \"");

		snprintf(family, fl, "inet6");
		*port = atoi(p + 16);
		if (q) {
			q += 21;
			snprintf(addr, al, "%.*s", (int)strcspn(q, "\""), q);
		} else {
			snprintf(addr, al, "?");
		}
		return 0;
	}
	if ((p = strstr(a, "sin_port=htons(")) != NULL) {
		const char *q = strstr(a, "sin_addr=inet_addr(\"");

		snprintf(family, fl, "inet");
		*port = atoi(p + 15);
		if (q) {
			q += 20;
			snprintf(addr, al, "%.*s", (int)strcspn(q, "\""), q);
		} else {
			snprintf(addr, al, "?");
		}
		return 0;
	}
	return -1;
}

static void
check_net(struct parser *ps, const struct call *c)
{
	char fam[8], addr[64];
	int port = 0, stub;
	json_t *e;

	if (sockaddr_of(c, fam, sizeof(fam), addr, sizeof(addr), &port))
		return;
	ps->st->connects++;
	stub = port == ps->pol->dns_stub_port &&
	       (!strcmp(addr, "127.0.0.1") || !strcmp(addr, "::1"));
	e = json_object();
	jx_set(e, "syscall", json_string(c->name));
	jx_set(e, "pid", json_integer(c->pid));
	jx_set(e, "family", json_string(fam));
	jx_set(e, "address", guest_jstr(addr, strlen(addr)));
	jx_set(e, "port", json_integer(port));
	if (c->err[0])
		jx_set(e, "errno", json_string(c->err));
	if (!strcmp(c->name, "bind")) {
		/* port 0 is an ephemeral port: probes (has_ipv6) and
		 * outgoing sockets, not a listener */
		if (port == 0) {
			json_decref(e);
			return;
		}
		guest_finding_add(ps->f, "network.listen", NULL, ps->pol->task,
		                  e, "bind to %s port %d", addr, port);
		return;
	}
	if (stub) {
		/* the stub logs the names; the attempt itself is the
		 * resolver doing its job for a name the stub will show */
		json_decref(e);
		return;
	}
	if (port == 53) {
		guest_finding_add(ps->f, "network.dns", NULL, ps->pol->task, e,
		                  "DNS query to %s port 53", addr);
		return;
	}
	guest_finding_add(ps->f, "network.connect", NULL, ps->pol->task, e,
	                  "%s to %s port %d (%s)%s%s", c->name, addr, port, fam,
	                  c->err[0] ? ": " : "", c->err);
}

static int
exec_expected(const struct parser *ps, const char *base)
{
	for (const char *const *p = ps->pol->exec_ok; p && *p; p++) {
		size_t n = strlen(*p);

		if (n && (*p)[n - 1] == '*' ? !strncmp(base, *p, n - 1)
		                            : !strcmp(base, *p))
			return 1;
	}
	return 0;
}

static void
check_exec(struct parser *ps, const struct call *c)
{
	static const char *const danger[] = {
	    "sh",      "bash",    "dash",   "zsh",  "ksh",    "csh",
	    "fish",    "busybox", "curl",   "wget", "nc",     "ncat",
	    "netcat",  "socat",   "telnet", "ssh",  "scp",    "crontab",
	    "at",      "nohup",   "sudo",   "su",   "pkexec", "base64",
	    "openssl", "xclip",   "xsel",   NULL};
	char path[PATH_LEN];
	const char *base, *sev;
	json_t *e, *argv;

	if (c->nstrs < 1)
		return;
	if (!ps->seen_first_exec) {
		ps->seen_first_exec = 1;
		return;
	}
	ps->st->execs++;
	absolute(c->dirfd_path, c->strs[0], path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (exec_expected(ps, base))
		return;
	sev = "warning";
	for (int i = 0; danger[i]; i++)
		if (!strcmp(base, danger[i]))
			sev = "critical";
	/* execvp() walks PATH (pip's build environment under /tmp and the
	 * venv under $HOME come first): a program that is not there is a
	 * lookup, not an execution, unless it is one that matters */
	if (!strcmp(c->err, "ENOENT") && !strcmp(sev, "warning"))
		return;
	if (starts_dir(path, "/tmp") || starts_dir(path, "/var/tmp") ||
	    starts_dir(path, "/dev/shm") || starts_dir(path, ps->pol->home))
		sev = "critical";
	e = ev_path(c->name, c->pid, path, c->err);
	argv = json_array();
	for (int i = 1; i < c->nstrs; i++)
		jx_append(argv, guest_jstr(c->strs[i], strlen(c->strs[i])));
	jx_set(e, "argv", argv);
	if (!strcmp(base, "crontab"))
		guest_finding_add(ps->f, "persistence.crontab", NULL,
		                  ps->pol->task, json_incref(e), "ran crontab");
	if (!strcmp(base, "sudo") || !strcmp(base, "su") ||
	    !strcmp(base, "pkexec"))
		guest_finding_add(ps->f, "process.privilege", NULL,
		                  ps->pol->task, json_incref(e), "ran %s",
		                  base);
	/* a canary token on a command line is a leak in progress */
	for (int i = 1; i < c->nstrs; i++) {
		if (strstr(c->strs[i], "pyti-canary") ||
		    strstr(c->strs[i], "PYTICANARY")) {
			guest_finding_add(ps->f, "credential.leak", NULL,
			                  ps->pol->task, json_incref(e),
			                  "canary token on the command line "
			                  "of %s",
			                  path);
			break;
		}
	}
	guest_finding_add(ps->f, "process.exec", sev, ps->pol->task, e,
	                  "executed %s%s%s", path, c->err[0] ? ": " : "",
	                  c->err);
}

static void
handle_call(struct parser *ps, struct call *c)
{
	const char *n = c->name;
	char path[PATH_LEN];

	ps->st->calls++;
	if (!strcmp(n, "execve") || !strcmp(n, "execveat")) {
		check_exec(ps, c);
	} else if (!strcmp(n, "open") || !strcmp(n, "openat") ||
	           !strcmp(n, "openat2") || !strcmp(n, "creat")) {
		if (c->nstrs >= 1)
			check_open(ps, c, c->strs[0],
			           strstr(c->args, "O_") ? strrchr(c->args, '"')
			                                 : NULL);
	} else if (!strcmp(n, "unlink") || !strcmp(n, "unlinkat") ||
	           !strcmp(n, "rmdir")) {
		if (c->nstrs >= 1 && (c->ret == 0 || c->ret == -1)) {
			absolute(c->dirfd_path, c->strs[0], path);
			check_write(ps, c, path, 1);
		}
	} else if (!strncmp(n, "rename", 6)) {
		if (c->nstrs >= 2 && (c->ret == 0 || c->ret == -1)) {
			/* renameat(olddirfd, old, newdirfd, new): only the
			 * first dirfd is known; good enough for absolute
			 * paths, which is what escapes use */
			absolute(c->dirfd_path, c->strs[0], path);
			check_write(ps, c, path, 1);
			absolute(c->dirfd_path, c->strs[1], path);
			check_write(ps, c, path, 0);
		}
	} else if (!strcmp(n, "mkdir") || !strcmp(n, "mkdirat") ||
	           !strcmp(n, "chmod") || !strcmp(n, "fchmodat") ||
	           !strcmp(n, "truncate")) {
		if (c->nstrs >= 1 && (c->ret == 0 || c->ret == -1)) {
			absolute(c->dirfd_path, c->strs[0], path);
			check_write(ps, c, path, 0);
		}
	} else if (!strcmp(n, "symlink") || !strcmp(n, "symlinkat") ||
	           !strcmp(n, "link") || !strcmp(n, "linkat")) {
		if (c->nstrs >= 2 && (c->ret == 0 || c->ret == -1)) {
			absolute(c->dirfd_path, c->strs[c->nstrs - 1], path);
			check_write(ps, c, path, 0);
		}
	} else if (!strcmp(n, "connect") || !strcmp(n, "sendto") ||
	           !strcmp(n, "sendmsg") || !strcmp(n, "bind")) {
		check_net(ps, c);
	} else if (!strncmp(n, "clone", 5) || !strcmp(n, "fork") ||
	           !strcmp(n, "vfork")) {
		if (c->ret == -1 && !strcmp(c->err, "EAGAIN") &&
		    !ps->fork_failed) {
			ps->fork_failed = 1;
			guest_finding_add(ps->f, "resource.fork_bomb", NULL,
			                  ps->pol->task, NULL,
			                  "%s failed with EAGAIN: the process "
			                  "limit was reached",
			                  n);
		}
	} else if (!strcmp(n, "ptrace")) {
		guest_finding_add(ps->f, "process.privilege", NULL,
		                  ps->pol->task, NULL, "called ptrace");
	}
}

static struct pending *
pending_for(struct parser *ps, long pid, int create)
{
	struct pending *free_slot = NULL;

	for (int i = 0; i < MAX_PENDING; i++) {
		if (ps->pend[i].text && ps->pend[i].pid == pid)
			return &ps->pend[i];
		if (!ps->pend[i].text && !free_slot)
			free_slot = &ps->pend[i];
	}
	if (!create)
		return NULL;
	if (!free_slot) { /* too many: forget the first */
		free_slot = &ps->pend[0];
		free(free_slot->text);
		free_slot->text = NULL;
	}
	free_slot->pid = pid;
	return free_slot;
}

static void
parse_line(struct parser *ps, const char *line)
{
	char *end, *joined = NULL;
	const char *rest;
	struct call c;
	long pid;

	memset(&c, 0, sizeof(c));
	ps->st->lines++;
	pid = strtol(line, &end, 10);
	if (end == line || *end != ' ')
		return;
	rest = end;
	while (*rest == ' ')
		rest++;
	/* "--- SIGXFSZ {...} ---": a write went past RLIMIT_FSIZE. Python
	 * ignores the signal and a package may swallow the EFBIG, so the
	 * trace (ptrace sees ignored signals too) is the one sure witness. */
	if (!strncmp(rest, "--- SIGXFSZ ", 12)) {
		if (!ps->fsize_hit) {
			ps->fsize_hit = 1;
			guest_finding_add(ps->f, "resource.disk", NULL,
			                  ps->pol->task, NULL,
			                  "a write went past the file size limit "
			                  "(SIGXFSZ to pid %ld)",
			                  pid);
		}
		return;
	}
	if (!strncmp(rest, "<... ", 5)) {
		struct pending *p = pending_for(ps, pid, 0);
		const char *r = strstr(rest, " resumed>");

		if (!p || !r)
			return;
		{
			size_t a = strlen(p->text), b = strlen(r + 9);

			joined = xmalloc(a + b + 1);
			memcpy(joined, p->text, a);
			memcpy(joined + a, r + 9, b + 1);
		}
		free(p->text);
		p->text = NULL;
	} else {
		const char *u = strstr(rest, " <unfinished ...>");

		if (u) {
			struct pending *p = pending_for(ps, pid, 1);

			free(p->text);
			p->text = xstrndup(rest, (size_t)(u - rest));
			return;
		}
		joined = xstrdup(rest);
	}
	c.pid = pid;
	if (split_call(joined, &c) == 0)
		handle_call(ps, &c);
	call_release(&c);
	free(joined);
}

int
guest_trace_parse_text(const char *text, size_t len,
                       const struct guest_trace_policy *pol,
                       struct guest_findings *f,
                       struct guest_trace_stats *stats)
{
	struct guest_trace_stats local;
	struct parser ps;
	const char *p = text, *end = text + len;
	char *line = xmalloc(LINE_MAX_LEN + 1);

	memset(&ps, 0, sizeof(ps));
	memset(&local, 0, sizeof(local));
	ps.pol = pol;
	ps.f = f;
	ps.st = stats ? stats : &local;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t keep = n > LINE_MAX_LEN ? LINE_MAX_LEN : n;

		/* NUL bytes cannot come from strace's escaping; cut there */
		memcpy(line, p, keep);
		line[keep] = '\0';
		parse_line(&ps, line);
		/* a large trace takes a while under TCG: say we are alive */
		if (pol->tick && ps.st->lines % 8192 == 0)
			pol->tick(pol->tick_arg);
		p += n + 1;
	}
	for (int i = 0; i < MAX_PENDING; i++)
		free(ps.pend[i].text);
	free(line);
	return 0;
}

int
guest_trace_parse_file(const char *path, const struct guest_trace_policy *pol,
                       struct guest_findings *f,
                       struct guest_trace_stats *stats, size_t max_bytes)
{
	FILE *fp = fopen(path, "rb");
	struct buf b = BUF_INIT(max_bytes);
	char chunk[65536];
	size_t n;
	int truncated = 0;
	struct stat st;
	uint64_t total = 0;

	if (!fp)
		return log_error("cannot open '%s': %s", path, strerror(errno));
	if (fstat(fileno(fp), &st) == 0 && st.st_size > 0)
		total = (uint64_t)st.st_size;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (buf_add(&b, chunk, n) == BUF_FULL) {
			buf_add(&b, chunk, b.max - b.len);
			truncated = 1;
			break;
		}
	}
	fclose(fp);
	if (truncated) {
		json_t *e = json_object();

		jx_set(e, "bytes", json_integer((json_int_t)total));
		jx_set(e, "parsed", json_integer((json_int_t)b.len));
		guest_finding_add(f, "trace.truncated", NULL, pol->task, e,
		                  "the %s trace is %llu bytes; only the first "
		                  "%llu were read: what the package did after "
		                  "that is not in the findings",
		                  pol->task, (unsigned long long)total,
		                  (unsigned long long)b.len);
	}
	guest_trace_parse_text(buf_cstr(&b), b.len, pol, f, stats);
	if (stats)
		stats->truncated = truncated;
	buf_release(&b);
	return 0;
}
