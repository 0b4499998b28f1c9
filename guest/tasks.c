/*
 * The tasks of a job and the raw results they add up to. Each task is a
 * function over struct guest_job run by the task graph (taskgraph.h) with
 * its own limits; package code always runs as uid pyti, under strace when
 * the task is traced (strace itself runs as root with -u pyti, writing its
 * output into a root-only directory the package cannot touch).
 *
 * A few steps need Python's own view of the world -- what is inside an
 * archive, what a distribution installed, its metadata -- and the guest
 * has Python: they are short fixed scripts (below, passed with -I -c) run
 * as pyti under the same limits, printing one "@pyti {json}" line per
 * fact. Their output is parsed as untrusted (strict JSON, bounded lines).
 */
#include "job.h"
#include "buf.h"
#include "chan.h"
#include "fsdiff.h"
#include "jx.h"
#include "junit.h"
#include "log.h"
#include "os.h"
#include "sha256.h"
#include "trace.h"
#include "verdict.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define KIB 1024u
#define MIB (1024u * 1024u)

/* ---- the environment package code sees ---- */

static const char *const pkg_env[] = {
    "PATH=" GUEST_VENV "/bin:/usr/local/bin:/usr/bin:/bin", "HOME=" GUEST_HOME,
    "USER=pyti", "LOGNAME=pyti", "LANG=C.UTF-8", "TMPDIR=/tmp",
    "PYTHONUNBUFFERED=1", "PIP_NO_INDEX=1", "PIP_DISABLE_PIP_VERSION_CHECK=1",
    "PIP_NO_INPUT=1", "PIP_FIND_LINKS=" GUEST_IN,
    /* where coverage keeps its data: the environment works with every
     * coverage the platforms have (bullseye's 5.1 has no --data-file) */
    "COVERAGE_FILE=" GUEST_WORK "/.coverage",
    /* planted tokens: their value showing up anywhere is a leak */
    "AWS_ACCESS_KEY_ID=AKIAPYTICANARYENV000",
    "AWS_SECRET_ACCESS_KEY=pyti-canary-env-aws-secret-000000000000",
    "GITHUB_TOKEN=ghp_pyti-canary-env-github-token",
    "PYPI_TOKEN=pypi-pyti-canary-env-pypi-token",
    "OPENAI_API_KEY=sk-pyti-canary-env-openai", NULL};

/* Writing here is what builds, installs and tests do. */
static const char *const allow_write[] = {
    GUEST_VENV, GUEST_BUILDVENV,      GUEST_WORK, "/tmp",
    "/var/tmp", GUEST_HOME "/.cache", "/dev/shm", NULL};

/* Programs a build or install runs on its own. */
static const char *const exec_ok[] = {"python",
                                      "python3",
                                      "python3.*",
                                      "pip",
                                      "pip3",
                                      "pip3.*",
                                      "cc",
                                      "gcc",
                                      "gcc-*",
                                      "c++",
                                      "g++",
                                      "g++-*",
                                      "cpp",
                                      "cc1",
                                      "cc1plus",
                                      "as",
                                      "ld",
                                      "ld.bfd",
                                      "ld.gold",
                                      "collect2",
                                      "lto-wrapper",
                                      "x86_64-linux-gnu-*",
                                      "uname",
                                      "ldconfig",
                                      "ldconfig.real",
                                      "strip",
                                      "ar",
                                      "ranlib",
                                      "pkg-config",
                                      "lsb_release",
                                      "pytest",
                                      "py.test",
                                      "coverage",
                                      "pycodestyle",
                                      "pyflakes",
                                      NULL};

static char canary_store[64][256];
static const char *canaries[65];

static void
load_canaries(void)
{
	FILE *f = fopen("/usr/lib/pyti/canaries", "r");
	char line[256];
	int n = 0;
	static const char *const fallback[] = {GUEST_HOME "/.ssh/id_rsa",
	                                       GUEST_HOME "/.aws/credentials",
	                                       GUEST_HOME "/.pypirc",
	                                       GUEST_HOME "/.netrc",
	                                       GUEST_HOME "/.gitconfig",
	                                       GUEST_HOME "/.kube/config",
	                                       GUEST_HOME
	                                       "/.docker/config.json",
	                                       NULL};

	if (f) {
		while (n < 64 && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] == '/') {
				snprintf(canary_store[n],
				         sizeof(canary_store[n]), "%s", line);
				canaries[n] = canary_store[n];
				n++;
			}
		}
		fclose(f);
	}
	if (n == 0)
		for (; fallback[n]; n++)
			canaries[n] = fallback[n];
	canaries[n] = NULL;
}

/* ---- helpers ---- */

static struct guest_job *
J(void *arg)
{
	return arg;
}

/* The agent's own long work (hashing the diff, scanning for tokens,
 * parsing a trace) calls this often: the host hears a BEAT at least
 * every few seconds. */
static void
beat(struct guest_job *job)
{
	if (job->beat)
		job->beat(job->beat_arg);
}

static void
beat_cb(void *arg)
{
	beat(arg);
}

/* 1 for the tasks where a detached process is a finding: a legitimate
 * build, install or import never leaves its session. */
static int
detach_is_finding(const char *task)
{
	return !strcmp(task, "build") || !strcmp(task, "install") ||
	       !strcmp(task, "import");
}

static void
set_data(struct guest_job *job, const char *task, const char *key, json_t *v)
{
	json_t *d = json_object_get(job->data, task);

	if (!d) {
		d = json_object();
		jx_set(job->data, task, d);
	}
	jx_set(d, key, v);
}

/* Resource findings from how the last command of a task ended. */
static void
resource_findings(struct guest_job *job, struct guest_task_run *tr)
{
	const char *t = tr->task->name, *log = buf_cstr(&tr->log);

	if (tr->timed_out)
		guest_finding_add(&job->findings, "resource.timeout", NULL, t,
		                  NULL, "%s ran past its time limit of %d s", t,
		                  tr->limits.timeout_ms / 1000);
	if (tr->output_capped)
		guest_finding_add(&job->findings, "resource.output_flood", NULL,
		                  t, NULL, "%s wrote %llu bytes of output%s", t,
		                  (unsigned long long)tr->output_bytes,
		                  tr->output_killed ? "; killed" : "");
	if (tr->signal == SIGXCPU)
		guest_finding_add(&job->findings, "resource.cpu", NULL, t, NULL,
		                  "CPU time limit reached");
	if (tr->signal == SIGXFSZ || strstr(log, "No space left on device") ||
	    strstr(log, "File too large"))
		guest_finding_add(&job->findings, "resource.disk", NULL, t,
		                  NULL,
		                  "file size limit or disk space "
		                  "reached");
	if (strstr(log, "MemoryError") ||
	    strstr(log, "Cannot allocate memory") ||
	    (tr->signal == SIGKILL && !tr->timed_out && !tr->output_killed &&
	     !tr->detached))
		guest_finding_add(&job->findings, "resource.memory", NULL, t,
		                  NULL, "memory limit reached");
	if (strstr(log, "Resource temporarily unavailable") &&
	    (strstr(log, "fork") || strstr(log, "BlockingIOError")))
		guest_finding_add(&job->findings, "resource.fork_bomb", NULL, t,
		                  NULL, "process limit reached");
}

/* Read the DNS stub's log and turn new names into findings. */
static void
dns_findings(struct guest_job *job, const char *task)
{
	FILE *f = fopen(GUEST_PRIV "/dns.log", "r");
	char line[512];

	if (!f)
		return;
	if (fseek(f, job->dns_seen, SEEK_SET) == 0) {
		while (fgets(line, sizeof(line), f)) {
			json_t *e = json_object();

			line[strcspn(line, "\n")] = '\0';
			jx_set(e, "name", guest_jstr(line, strlen(line)));
			if (strstr(line, "pyti-canary") ||
			    strstr(line, "pyticanary"))
				guest_finding_add(
				    &job->findings, "credential.leak", NULL,
				    task, json_incref(e),
				    "canary token in DNS name %s", line);
			guest_finding_add(&job->findings, "network.dns", NULL,
			                  task, e, "DNS query for %s", line);
		}
		job->dns_seen = (int)ftell(f);
	}
	fclose(f);
}

static uint64_t
overlay_free(void)
{
	struct statvfs v;

	if (statvfs("/.pyti/rw", &v) != 0)
		return 0;
	return (uint64_t)v.f_bavail * v.f_frsize;
}

void
guest_job_sample(struct guest_job *job)
{
	uint64_t f = overlay_free();

	if (f && f < job->disk_free_min)
		job->disk_free_min = f;
}

/* Kernel OOM kills so far (/proc/vmstat oom_kill, Linux >= 4.13). */
static long
oom_kills(void)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char line[128];
	long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "oom_kill ", 9))
			n = strtol(line + 9, NULL, 10);
	fclose(f);
	return n;
}

/*
 * Run argv as pyti, traced if `trace` and strace works. The trace file is
 * parsed into findings; its tail becomes a log. Returns as
 * guest_task_exec().
 */
static int
run_pkg(struct guest_job *job, struct guest_task_run *tr,
        const char *const *argv, const char *cwd, int trace)
{
	const char *full[256];
	char out[256];
	struct guest_cmd cmd = {.envp = pkg_env,
	                        .cwd = cwd,
	                        .uid = GUEST_UID,
	                        .gid = GUEST_GID,
	                        .reap_uid = 1,
	                        .detach_check =
	                            detach_is_finding(tr->task->name)};
	int detached = tr->detached;
	int n = 0, r;
	long oom;

	snprintf(out, sizeof(out), GUEST_PRIV "/%s.%d.strace", tr->task->name,
	         tr->commands);
	if (trace && job->strace_ok) {
		full[n++] = "/usr/bin/strace";
		full[n++] = "-f";
		full[n++] = "-qq";
		full[n++] = "-y";
		full[n++] = "-s";
		full[n++] = "256";
		full[n++] = "--seccomp-bpf";
		full[n++] = "-e";
		full[n++] = "signal=SIGXFSZ"; /* see guest/trace.c */
		full[n++] = "-e";
		full[n++] = "trace=" GUEST_TRACE_SYSCALLS;
		full[n++] = "-u";
		full[n++] = "pyti";
		full[n++] = "-o";
		full[n++] = out;
		/* strace needs root for -u; it drops to pyti for argv */
		cmd.drop = 0;
	} else {
		cmd.drop = 1;
	}
	for (int i = 0; argv[i] && n < 255; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	cmd.argv = full;
	oom = oom_kills();
	job->disk_free_before = overlay_free();
	job->disk_free_min = job->disk_free_before;
	r = guest_task_exec(tr, &cmd);
	guest_job_sample(job);
	if (tr->detached > detached) {
		json_t *e = json_object();

		jx_set(e, "pid", json_integer(tr->detached_pid));
		jx_set(e, "cmdline",
		       guest_jstr(tr->detached_cmd, strlen(tr->detached_cmd)));
		guest_finding_add(&job->findings, "process.daemon", NULL,
		                  tr->task->name, e,
		                  "a process of %s detached (new session or "
		                  "reparented): %s; every process of the task "
		                  "was ended",
		                  tr->task->name, tr->detached_cmd);
	}
	if (oom >= 0 && oom_kills() > oom)
		guest_finding_add(&job->findings, "resource.memory", NULL,
		                  tr->task->name, NULL,
		                  "the kernel killed a process of %s: out of "
		                  "memory",
		                  tr->task->name);
	/* a package may fill the disk and clean up after itself: the low
	 * point is what counts */
	if (job->disk_free_before &&
	    (job->disk_free_before - job->disk_free_min > 192 * MIB ||
	     job->disk_free_min < 16 * MIB))
		guest_finding_add(
		    &job->findings, "resource.disk", NULL, tr->task->name, NULL,
		    "%s used %llu MiB of the guest's disk at its "
		    "peak (%llu MiB left)",
		    tr->task->name,
		    (unsigned long long)((job->disk_free_before -
		                          job->disk_free_min) /
		                         MIB),
		    (unsigned long long)(job->disk_free_min / MIB));
	if (trace && job->strace_ok) {
		struct guest_trace_policy pol = {
		    tr->task->name, GUEST_HOME, allow_write, canaries,
		    exec_ok,        53,         beat_cb,     job};

		guest_trace_parse_file(out, &pol, &job->findings, NULL,
		                       64 * MIB);
		unlink(out);
	}
	resource_findings(job, tr);
	dns_findings(job, tr->task->name);
	return r;
}

/* Lines "@pyti {json}" of a helper's output, as a JSON array. */
static json_t *
helper_facts(const struct guest_task_run *tr)
{
	const char *p = buf_cstr(&tr->log);
	json_t *facts = json_array();

	while ((p = strstr(p, "@pyti {")) != NULL) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		json_t *j =
		    json_loadb(p + 6, n - 6, JSON_REJECT_DUPLICATES, NULL);

		if (j && json_is_object(j))
			jx_append(facts, j);
		else
			json_decref(j);
		p += n;
	}
	return facts;
}

static const char *const python3 = GUEST_VENV "/bin/python3";

/* ---- unpack: check the archive, extract an sdist ---- */

static const char unpack_py[] =
    "import json,os,sys,tarfile,zipfile,stat\n"
    "def say(**k): print('@pyti '+json.dumps(k),flush=True)\n"
    "path,dest,cap=sys.argv[1],sys.argv[2],int(sys.argv[3])\n"
    "def bad(n):\n"
    " return n.startswith('/') or n.startswith('\\\\') or '..' in "
    "n.replace('\\\\','/').split('/')\n"
    "total=0;members=0;comp=os.path.getsize(path);tops=set();bomb=False\n"
    "try:\n"
    " if path.endswith('.whl') or path.endswith('.zip'):\n"
    "  z=zipfile.ZipFile(path)\n"
    "  for i in z.infolist():\n"
    "   members+=1;total+=i.file_size\n"
    "   if bad(i.filename): "
    "say(finding='archive.path_traversal',member=i.filename)\n"
    "   if stat.S_ISLNK(i.external_attr>>16): "
    "say(finding='archive.symlink',member=i.filename)\n"
    "   if i.compress_size and i.file_size>100*i.compress_size and "
    "i.file_size>(8<<20): bomb=True\n"
    "  if total>cap or bomb: say(finding='archive.bomb',bytes=total)\n"
    "  if path.endswith('.zip') and total<=cap and not bomb:\n"
    "   for i in z.infolist():\n"
    "    if bad(i.filename) or stat.S_ISLNK(i.external_attr>>16): continue\n"
    "    z.extract(i,dest);tops.add(i.filename.split('/')[0])\n"
    " else:\n"
    "  t=tarfile.open(path)\n"
    "  safe=[]\n"
    "  for m in t:\n"
    "   members+=1;total+=m.size\n"
    "   if total>cap or (total>(64<<20) and total>100*comp):\n"
    "    say(finding='archive.bomb',bytes=total);bomb=True;break\n"
    "   if bad(m.name): "
    "say(finding='archive.path_traversal',member=m.name);continue\n"
    "   if m.issym() or m.islnk():\n"
    "    "
    "tgt=os.path.normpath(os.path.join(os.path.dirname(m.name),m.linkname)) if "
    "m.issym() else m.linkname\n"
    "    if m.linkname.startswith('/') or tgt.startswith('..') or "
    "bad(m.linkname if m.islnk() else tgt):\n"
    "     say(finding='archive.symlink',member=m.name,target=m.linkname)\n"
    "    continue\n"
    "   if not (m.isfile() or m.isdir()): continue\n"
    "   safe.append(m);tops.add(m.name.split('/')[0])\n"
    "  if not bomb:\n"
    "   for m in safe:\n"
    "    m.mode=(m.mode|0o600)&0o755\n"
    "    t.extract(m,dest,set_attrs=False) if sys.version_info<(3,12) else "
    "t.extract(m,dest,set_attrs=False,filter='fully_trusted')\n"
    "except Exception as e:\n"
    " say(finding='archive.invalid',error=str(e)[:300]);sys.exit(3)\n"
    "if members and comp and total>100*comp and total>(64<<20): "
    "say(finding='archive.bomb',bytes=total)\n"
    "say(members=members,bytes=total,tops=sorted(tops)[:8])\n";

/* Check (and for an sdist, extract into GUEST_SRC) the delivered file
 * name; *bad / *invalid say what the archive was. A single top directory
 * becomes job->src_dir. Returns the helper's exit status. */
static int
unpack_one(struct guest_job *job, struct guest_task_run *tr, const char *file,
           int extract_tree, int *bad, int *invalid)
{
	char dist[GUEST_PATH_LEN], cap[32];
	const char *argv[] = {"/usr/bin/python3", "-I", "-c", unpack_py, dist,
	                      GUEST_SRC,          cap,  NULL};
	json_t *facts, *v;
	size_t i;
	int r;

	snprintf(dist, sizeof(dist), GUEST_IN "/%s", file);
	snprintf(cap, sizeof(cap), "%u", 1024u * MIB);
	r = run_pkg(job, tr, argv, GUEST_WORK, 0);
	facts = helper_facts(tr);
	json_array_foreach(facts, i, v) {
		const char *kind = jx_str(v, "finding");
		const char *member = jx_str(v, "member");

		if (kind && !strncmp(kind, "archive.", 8)) {
			if (!strcmp(kind, "archive.invalid"))
				*invalid = 1;
			else
				*bad = 1;
			guest_finding_add(&job->findings, kind, NULL, "unpack",
			                  json_incref(v), "%s%s%s", kind,
			                  member ? ": " : "",
			                  member ? member : "");
		} else if (json_object_get(v, "members")) {
			json_t *tops = json_object_get(v, "tops");

			if (extract_tree == 1) {
				set_data(
				    job, "unpack", "members",
				    json_incref(json_object_get(v, "members")));
				set_data(
				    job, "unpack", "bytes",
				    json_incref(json_object_get(v, "bytes")));
			}
			if (extract_tree && json_array_size(tops) == 1 &&
			    json_is_string(json_array_get(tops, 0)) &&
			    chan_name_valid(
			        json_string_value(json_array_get(tops, 0))))
				snprintf(
				    job->src_dir, sizeof(job->src_dir),
				    GUEST_SRC "/%s",
				    json_string_value(json_array_get(tops, 0)));
		}
	}
	json_decref(facts);
	return r;
}

static enum guest_outcome
task_unpack(struct guest_task_run *tr, void *arg)
{
	struct guest_job *job = J(arg);
	int r, bad = 0, invalid = 0;

	if (job->dist_refused) {
		guest_task_reason(tr,
		                  "pip does not accept '%s': not a wheel "
		                  "(.whl) or an sdist archive (.tar.gz, .zip, "
		                  ".tar.bz2, .tar.xz, ...)",
		                  job->dist);
		return GUEST_FAILED;
	}
	r = unpack_one(job, tr, job->dist, job->is_wheel ? 0 : 1, &bad,
	               &invalid);
	if (tr->timed_out)
		return GUEST_TIMEOUT;
	if (r != 0 || invalid) {
		guest_task_reason(tr, "the archive cannot be read");
		return GUEST_FAILED;
	}
	if (bad) {
		guest_task_reason(tr, "the archive is refused: see findings");
		return GUEST_FAILED;
	}
	if (!job->is_wheel && !job->src_dir[0]) {
		guest_task_reason(tr, "the sdist has no single top directory");
		return GUEST_FAILED;
	}
	if (job->is_wheel && job->tests_source[0]) {
		/* the release's sdist, for its tests: its archive findings
		 * are the release's, but a bad one only costs the tests */
		int tbad = 0, tinvalid = 0;

		r = unpack_one(job, tr, job->tests_source, 2, &tbad, &tinvalid);
		set_data(job, "unpack", "tests_source",
		         json_string(job->tests_source));
		if (r != 0 || tbad || tinvalid || !job->src_dir[0]) {
			job->src_dir[0] = '\0';
			set_data(job, "unpack", "tests_source_error",
			         json_string("the tests source cannot be "
			                     "unpacked: see findings"));
		}
		if (tr->timed_out)
			return GUEST_TIMEOUT;
	}
	guest_task_produce(tr, "unpacked");
	return GUEST_OK;
}

/* ---- build: sdist -> wheel ---- */

static int
find_wheel(char out[GUEST_PATH_LEN])
{
	DIR *d = opendir(GUEST_WHEELS);
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 4 && !strcmp(de->d_name + n - 4, ".whl") &&
		    chan_name_valid(de->d_name)) {
			snprintf(out, GUEST_PATH_LEN, GUEST_WHEELS "/%s",
			         de->d_name);
			found = 1;
			break;
		}
	}
	closedir(d);
	return found;
}

/* Why a pip run failed when a delivered dependency was missing, or what
 * the build needed that no platform has: a reason that puts the cause
 * where it lies. 1 if one was found. */
static int
explain_pip_failure(struct guest_job *job, struct guest_task_run *tr,
                    const char *what_for)
{
	const char *log = buf_cstr(&tr->log), *need;
	char what[160];

	if (guest_pip_missing(log, what, sizeof(what))) {
		set_data(job, tr->task->name, "missing",
		         guest_jstr(what, strlen(what)));
		guest_task_reason(tr,
		                  "the %s dependency %s was not delivered "
		                  "with the job",
		                  what_for, what);
		return 1;
	}
	if (!strcmp(tr->task->name, "build") &&
	    (need = guest_build_needs(log, what, sizeof(what))) != NULL) {
		json_t *o = json_object();

		jx_set(o, "kind", json_string(need));
		jx_set(o, "what", guest_jstr(what, strlen(what)));
		set_data(job, "build", "needs", o);
		guest_task_reason(
		    tr,
		    "the build needs %s %s, which the platform does not have",
		    !strcmp(need, "rust")         ? "a Rust toolchain:"
		    : !strcmp(need, "header")     ? "the C header"
		    : !strcmp(need, "library")    ? "the system library"
		    : !strcmp(need, "pkg-config") ? "the pkg-config module"
		    : !strcmp(need, "fortran")    ? "a Fortran compiler:"
		                                  : "the program",
		    what);
		return 1;
	}
	return 0;
}

/* The first stage of a two-stage job ("stage": "build"): the built
 * wheel's name, size, sha256 and core metadata, for the scheduler to
 * resolve its Requires-Dist. The session then hands the wheel itself
 * back in an ARTF frame (built.artifact, or built.artifact_error). */
static const char built_py[] =
    "import json,sys,zipfile\n"
    "z=zipfile.ZipFile(sys.argv[1])\n"
    "m=[n for n in z.namelist() if n.count('/')==1 and "
    "n.endswith('.dist-info/METADATA')]\n"
    "t=z.read(m[0])[:262144].decode('utf-8','replace') if len(m)==1 else "
    "None\n"
    "print('@pyti '+json.dumps({'metadata':t}),flush=True)\n";

static void
report_built(struct guest_job *job, struct guest_task_run *tr)
{
	const char *argv[] = {"/usr/bin/python3", "-I",       "-c",
	                      built_py,           job->wheel, NULL};
	json_t *o = json_object(), *facts;
	char hex[65] = "";
	struct stat st;

	jx_set(o, "wheel", json_string(strrchr(job->wheel, '/') + 1));
	if (stat(job->wheel, &st) == 0)
		jx_set(o, "size", json_integer((json_int_t)st.st_size));
	if (guest_file_sha256(job->wheel, (size_t)256 << 20, hex) == 0)
		jx_set(o, "sha256", json_string(hex));
	run_pkg(job, tr, argv, "/tmp", 0);
	facts = helper_facts(tr);
	{
		json_t *last =
		    json_array_get(facts, json_array_size(facts) - 1);
		const char *m = jx_str(last, "metadata");

		/* the helper's JSON is valid UTF-8 without NUL; capped at
		 * 256 KiB by it */
		json_t *ms = m ? json_string(m) : NULL;

		jx_set(o, "metadata", ms ? ms : json_null());
	}
	json_decref(facts);
	jx_set(job->sections, "built", o);
}

static enum guest_outcome
task_build(struct guest_task_run *tr, void *arg)
{
	struct guest_job *job = J(arg);
	/* As pip builds: in an isolated environment made from the
	 * delivered build dependencies (PIP_NO_INDEX, PIP_FIND_LINKS reach
	 * the inner pip too), through PEP 517 even without a pyproject.toml
	 * (setuptools' legacy backend with the delivered setuptools and
	 * wheel, what the scheduler resolved; pip 23.0 would otherwise run
	 * `setup.py bdist_wheel` with the frontend venv's own setuptools,
	 * which knows no bdist_wheel of wheel 0.46: certifi's build failed
	 * so). A job that delivers none (written by hand) builds against
	 * the image's setuptools and wheel instead. */
	static const char buildpy[] = GUEST_BUILDVENV "/bin/python3";
	const char *iso[] = {python3,        "-m",           "pip",
	                     "wheel",        "-v",           "--no-index",
	                     "--use-pep517", "--no-deps",    "--find-links",
	                     GUEST_IN,       "-w",           GUEST_WHEELS,
	                     job->src_dir,   NULL};
	const char *noiso[] = {
	    python3,        "-m",         "pip",       "wheel",
	    "-v",           "--no-index", "--no-deps", "--no-build-isolation",
	    "--find-links", GUEST_IN,     "-w",        GUEST_WHEELS,
	    job->src_dir,   NULL};
	int r;

	/* The build frontend's venv (pip and setuptools from the image's
	 * wheels, no system site-packages), made when a job first needs an
	 * isolated build: making it at boot delayed the agent's HELO past
	 * the runner's limit on a loaded TCG host. Made before the snapshot:
	 * it is the agent's doing, not the package's, and so is its time
	 * (minutes under TCG on a loaded host): credited back to the build's
	 * limit. */
	if (!job->is_wheel && job->build_deps && access(buildpy, X_OK) != 0) {
		const char *bv[] = {"/usr/bin/python3", "-m", "venv",
		                    GUEST_BUILDVENV, NULL};
		int64_t t0 = os_mono_ms();

		if (run_pkg(job, tr, bv, GUEST_HOME, 0) != 0)
			log_warn("no build venv: the isolated build runs from "
			         "the job venv");
		if (!tr->timed_out)
			guest_task_credit(tr, os_mono_ms() - t0);
		set_data(job, "build", "buildvenv_ms",
		         json_integer(os_mono_ms() - t0));
	}
	/* the filesystem diff starts before the first package code */
	job->before = guest_fsnap_take(GUEST_UPPER, 200000);
	if (job->is_wheel) {
		snprintf(job->wheel, sizeof(job->wheel), GUEST_IN "/%s",
		         job->dist);
		guest_task_produce(tr, "wheel");
		guest_task_reason(tr, "not applicable: the distribution is a "
		                      "wheel");
		return GUEST_SKIPPED;
	}
	set_data(job, "build", "isolation", json_boolean(job->build_deps > 0));
	/* pip of the build venv when it exists: with the job venv's
	 * system site-packages, Debian's setuptools would stay on sys.path
	 * inside the isolated environment, ahead of the delivered one */
	if (job->build_deps && access(buildpy, X_OK) == 0) {
		iso[0] = buildpy;
		set_data(job, "build", "frontend", json_string("buildvenv"));
	}
	r = run_pkg(job, tr, job->build_deps ? iso : noiso, GUEST_WORK, 1);
	if (tr->timed_out)
		return GUEST_TIMEOUT;
	if (tr->detached) {
		guest_task_reason(tr, "a process of the build detached "
		                      "(process.daemon): the build was ended");
		return GUEST_FAILED;
	}
	if (r != 0 || !find_wheel(job->wheel)) {
		if (explain_pip_failure(job, tr, "build"))
			return json_object_get(
			           json_object_get(job->data, "build"),
			           "missing")
			           ? GUEST_ERROR
			           : GUEST_FAILED;
		if (r)
			guest_task_reason(tr, "pip wheel: exit status %d", r);
		else
			guest_task_reason(tr, "pip wheel made no wheel");
		return GUEST_FAILED;
	}
	set_data(job, "build", "wheel",
	         json_string(strrchr(job->wheel, '/') + 1));
	if (json_is_string(json_object_get(job->spec, "stage")) &&
	    !strcmp(json_string_value(json_object_get(job->spec, "stage")),
	            "build"))
		report_built(job, tr);
	guest_task_produce(tr, "wheel");
	return GUEST_OK;
}

/* ---- install ---- */

static const char info_py[] =
    "import json,sys,os,sysconfig\n"
    "from importlib import metadata as md\n"
    "def say(**k): print('@pyti '+json.dumps(k),flush=True)\n"
    "d=md.distribution(sys.argv[1])\n"
    "sp=sysconfig.get_paths()['purelib']\n"
    "tops=set();files=[]\n"
    "for f in (d.files or []):\n"
    " p=f.parts\n"
    " if not p or p[0]=='..' or p[0].endswith('.dist-info') or "
    "p[0]=='__pycache__': continue\n"
    " files.append(str(d.locate_file(f)))\n"
    " n=p[0]\n"
    " if len(p)==1:\n"
    "  if not (n.endswith('.py') or n.endswith('.so')): continue\n"
    "  n=n.split('.')[0]\n"
    " if n.isidentifier(): tops.add(n)\n"
    "m=d.metadata\n"
    "meta={k:m.get(k) for k in "
    "('Name','Version','Summary','License','Requires-Python','Author-email','"
    "Home-page','Description-Content-Type','License-Expression')}\n"
    "meta['Classifiers']=m.get_all('Classifier') or []\n"
    "meta['Project-URLs']=m.get_all('Project-URL') or []\n"
    "meta['description_len']=len(m.get_payload() or m.get('Description') or "
    "'')\n"
    "say(name=d.metadata['Name'],version=d.version,site_packages=sp,top_level="
    "sorted(tops)[:32],files=files[:5000],metadata=meta,"
    "in_venv=os.path.realpath(str(d.locate_file('')))==os.path.realpath(sp))"
    "\n";

static void
wheel_name(const char *wheel, char *out, size_t n)
{
	const char *base = strrchr(wheel, '/');
	size_t k;

	base = base ? base + 1 : wheel;
	k = strcspn(base, "-");
	snprintf(out, n, "%.*s", (int)k, base);
}

static enum guest_outcome
task_install(struct guest_task_run *tr, void *arg)
{
	struct guest_job *job = J(arg);
	const char *argv[] = {
	    python3,      "-m",           "pip",    "install",  "-v",
	    "--no-index", "--find-links", GUEST_IN, job->wheel, NULL};
	const char *rargv[] = {
	    python3,        "-m",         "pip",       "install",
	    "-v",           "--no-index", "--no-deps", "--force-reinstall",
	    "--find-links", GUEST_IN,     job->wheel,  NULL};
	const char *iargv[] = {python3, "-I", "-c", info_py, job->name, NULL};
	json_t *facts, *info;
	int r;

	wheel_name(job->wheel, job->name, sizeof(job->name));
	r = run_pkg(job, tr, argv, GUEST_WORK, 1);
	if (tr->timed_out)
		return GUEST_TIMEOUT;
	if (tr->detached) {
		guest_task_reason(tr, "a process of the install detached "
		                      "(process.daemon): the install was "
		                      "ended");
		return GUEST_FAILED;
	}
	if (r != 0) {
		if (explain_pip_failure(job, tr, "runtime"))
			return GUEST_ERROR;
		guest_task_reason(tr, "pip install: exit status %d", r);
		return GUEST_FAILED;
	}
	r = run_pkg(job, tr, iargv, "/tmp", 0);
	facts = helper_facts(tr);
	info = json_array_get(facts, json_array_size(facts) - 1);
	if (r == 0 && info && json_is_false(json_object_get(info, "in_venv"))) {
		/*
		 * The image already holds this very version (Debian's pip,
		 * setuptools, six...) and the venv sees system packages, so
		 * pip kept the system copy. Install the delivered file over
		 * it: the job is about that file, not the image's.
		 */
		json_decref(facts);
		r = run_pkg(job, tr, rargv, GUEST_WORK, 1);
		if (tr->timed_out)
			return GUEST_TIMEOUT;
		if (r != 0) {
			guest_task_reason(tr,
			                  "pip install --force-reinstall: "
			                  "exit status %d",
			                  r);
			return GUEST_FAILED;
		}
		r = run_pkg(job, tr, iargv, "/tmp", 0);
		facts = helper_facts(tr);
		info = json_array_get(facts, json_array_size(facts) - 1);
	}
	if (r != 0 || !info || !jx_str(info, "site_packages")) {
		json_decref(facts);
		guest_task_reason(tr, "installed, but its metadata cannot be "
		                      "read");
		return GUEST_FAILED;
	}
	job->info = json_incref(info);
	json_decref(facts);
	snprintf(job->site_packages, sizeof(job->site_packages), "%s",
	         jx_str(info, "site_packages"));
	{
		json_t *tops = json_object_get(info, "top_level"), *t;
		size_t i;

		json_array_foreach(tops, i, t) {
			if (job->ntop < GUEST_MAX_TOP && json_is_string(t) &&
			    strlen(json_string_value(t)) < 128)
				snprintf(job->top[job->ntop++], 129, "%s",
				         json_string_value(t));
		}
		set_data(job, "install", "top_level", json_incref(tops));
	}
	set_data(job, "install", "site_packages",
	         json_string(job->site_packages));
	set_data(job, "install", "files",
	         json_integer((json_int_t)json_array_size(
	             json_object_get(info, "files"))));
	guest_task_produce(tr, "installed");
	return GUEST_OK;
}

/* ---- fs_diff ---- */

struct diff_acc {
	struct guest_job *job;
	json_t *outside;
	int added, modified, deleted, dropped;
	struct guest_task_run *tr;
};

/* Before each entry of the diff: a heartbeat, and the task's own time
 * limit (the diff runs in the agent, not as a command). */
static int
diff_more(void *arg)
{
	struct diff_acc *a = arg;

	beat(a->job);
	return !a->tr->deadline || os_mono_ms() < a->tr->deadline;
}

static int
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

static void
scan_for_tokens(struct guest_job *job, const char *path)
{
	char up[GUEST_PATH_LEN + 32], chunk[65536 + 16];
	int fd;
	ssize_t n;
	size_t total = 0, keep = 0;

	snprintf(up, sizeof(up), GUEST_UPPER "%s", path);
	fd = open(up, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	while (total < 8 * MIB &&
	       (n = read(fd, chunk + keep, sizeof(chunk) - 1 - keep)) > 0) {
		size_t len = keep + (size_t)n;

		chunk[len] = '\0';
		if (memmem(chunk, len, "pyti-canary", 11) ||
		    memmem(chunk, len, "PYTICANARY", 10)) {
			guest_finding_add(&job->findings, "credential.leak",
			                  NULL, "install", NULL,
			                  "canary token written to %s", path);
			break;
		}
		total += (size_t)n;
		if (total % (4 * MIB) < (size_t)n)
			beat(job);
		keep = len < 16 ? len : 16;
		memmove(chunk, chunk + len - keep, keep);
	}
	close(fd);
}

static void
on_change(const char *path, enum guest_fschange c, const char *sha, void *arg)
{
	struct diff_acc *a = arg;
	struct guest_job *job = a->job;
	const char *pk = guest_persistence_kind(path, GUEST_HOME);
	size_t n = strlen(path);
	int allowed = 0;

	if (c == GUEST_FS_ADDED)
		a->added++;
	else if (c == GUEST_FS_DELETED)
		a->deleted++;
	else
		a->modified++;
	for (int i = 0; allow_write[i]; i++)
		if (under(path, allow_write[i]))
			allowed = 1;
	if (pk && c != GUEST_FS_DELETED)
		guest_finding_add(&job->findings, pk, NULL, "install", NULL,
		                  "%s %s", guest_fschange_name(c), path);
	if (n > 4 && !strcmp(path + n - 4, ".pth") && c != GUEST_FS_DELETED) {
		char up[GUEST_PATH_LEN + 32], text[65536];
		int fd;
		ssize_t k = 0;

		snprintf(up, sizeof(up), GUEST_UPPER "%s", path);
		fd = open(up, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0) {
			k = read(fd, text, sizeof(text));
			close(fd);
		}
		if (k > 0 && guest_pth_executable(text, (size_t)k))
			guest_finding_add(&job->findings, "persistence.pth",
			                  NULL, "install", NULL,
			                  "%s runs code at every interpreter "
			                  "start",
			                  path);
	}
	if (c != GUEST_FS_DELETED && sha[0])
		scan_for_tokens(job, path);
	if (allowed || !strncmp(path, "/.pyti", 6))
		return;
	if (!pk)
		guest_finding_add(&job->findings,
		                  c == GUEST_FS_DELETED ? "file.delete_outside"
		                                        : "file.write_outside",
		                  NULL, "install", NULL, "%s %s",
		                  guest_fschange_name(c), path);
	if (json_array_size(a->outside) < 200) {
		json_t *o = json_object();

		jx_set(o, "path", guest_jstr(path, strlen(path)));
		jx_set(o, "change", json_string(guest_fschange_name(c)));
		if (sha[0])
			jx_set(o, "sha256", json_string(sha));
		jx_append(a->outside, o);
	} else {
		a->dropped++;
	}
}

static enum guest_outcome
task_fs_diff(struct guest_task_run *tr, void *arg)
{
	struct guest_job *job = J(arg);
	struct diff_acc a = {job, json_array(), 0, 0, 0, 0, tr};
	json_t *o;
	int stopped = 0;

	if (guest_fsdiff_bounded(job->before, GUEST_UPPER, GUEST_LOWER,
	                         on_change, &a, diff_more, &stopped) < 0) {
		json_decref(a.outside);
		guest_task_reason(tr, "cannot read the overlay's upper "
		                      "directory");
		return GUEST_ERROR;
	}
	o = json_object();
	jx_set(o, "added", json_integer(a.added));
	jx_set(o, "modified", json_integer(a.modified));
	jx_set(o, "deleted", json_integer(a.deleted));
	jx_set(o, "outside", a.outside);
	jx_set(o, "outside_dropped", json_integer(a.dropped));
	jx_set(o, "complete", json_boolean(!stopped));
	jx_set(job->sections, "fs_diff", o);
	if (stopped) {
		/* what was seen stays: the findings so far, the counts */
		tr->timed_out = 1;
		guest_task_reason(tr,
		                  "the diff passed its time limit of %d s; "
		                  "the changes after that are not counted",
		                  tr->limits.timeout_ms / 1000);
		return GUEST_TIMEOUT;
	}
	guest_task_produce(tr, "fs_diff");
	return GUEST_OK;
}

/* ---- import ---- */

static const char import_py[] =
    "import json,sys,importlib\n"
    "for m in sys.argv[1:]:\n"
    " try:\n"
    "  importlib.import_module(m);ok,err=True,None\n"
    " except BaseException as e:\n"
    "  ok,err=False,(type(e).__name__+': '+str(e))[:300]\n"
    " print('@pyti '+json.dumps({'name':m,'ok':ok,'error':err}),flush=True)\n";

static enum guest_outcome
task_import(struct guest_task_run *tr, void *arg)
{
	struct guest_job *job = J(arg);
	const char *argv[GUEST_MAX_TOP + 8];
	json_t *facts, *v, *mods = json_array();
	size_t i;
	int n = 0, failed = 0, seen = 0;

	if (job->ntop == 0) {
		json_decref(mods);
		guest_task_produce(tr, "imported");
		guest_task_reason(tr, "the distribution installs no "
		                      "top-level module");
		return GUEST_OK;
	}
	argv[n++] = python3;
	argv[n++] = "-c";
	argv[n++] = import_py;
	for (int k = 0; k < job->ntop; k++)
		argv[n++] = job->top[k];
	argv[n] = NULL;
	run_pkg(job, tr, argv, "/tmp", 1);
	facts = helper_facts(tr);
	json_array_foreach(facts, i, v) {
		if (!jx_str(v, "name"))
			continue;
		seen++;
		if (!json_is_true(json_object_get(v, "ok")))
			failed++;
		jx_append(mods, json_incref(v));
	}
	json_decref(facts);
	set_data(job, "import", "modules", mods);
	if (tr->timed_out)
		return GUEST_TIMEOUT;
	if (failed || seen < job->ntop) {
		guest_task_reason(tr, "%d of %d modules failed to import",
		                  failed + (job->ntop - seen), job->ntop);
		return GUEST_FAILED;
	}
	guest_task_produce(tr, "imported");
	return GUEST_OK;
}

/* ---- tests (+ coverage data) ---- */

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The pytest configuration file in dir, in pytest's own order of
 * precedence (pytest.ini, .pytest.ini, pyproject.toml with
 * [tool.pytest.ini_options], tox.ini with [pytest], setup.cfg with
 * [tool:pytest]), into out. 1 if there is one; *testpaths set when it
 * names testpaths, *pyfiles when it names python_files (its own test
 * file pattern). */
static int
pytest_config(const char *dir, char out[GUEST_PATH_LEN + 32], int *testpaths,
              int *pyfiles)
{
	static const struct {
		const char *file, *section;
	} cf[] = {{"pytest.ini", NULL},
	          {".pytest.ini", NULL},
	          {"pyproject.toml", "[tool.pytest.ini_options]"},
	          {"tox.ini", "[pytest]"},
	          {"setup.cfg", "[tool:pytest]"}};

	*testpaths = *pyfiles = 0;
	for (size_t i = 0; i < sizeof(cf) / sizeof(cf[0]); i++) {
		char p[GUEST_PATH_LEN + 32], text[256 * 1024];
		int fd;
		ssize_t n;

		snprintf(p, sizeof(p), "%s/%s", dir, cf[i].file);
		fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (n < 0)
			continue;
		text[n] = '\0';
		if (cf[i].section && !strstr(text, cf[i].section))
			continue;
		snprintf(out, GUEST_PATH_LEN + 32, "%s", p);
		*testpaths = strstr(text, "testpaths") != NULL;
		*pyfiles = strstr(text, "python_files") != NULL;
		return 1;
	}
	return 0;
}

/* 1 if the sdist entry must not be copied next to the tests: the
 * package's own sources (they would shadow the installed distribution)
 * and build by-products. */
static int
testrun_excluded(const struct guest_job *job, const char *e)
{
	static const char *const skip[] = {"src",  "build",       "dist",
	                                   ".git", ".tox",        ".eggs",
	                                   ".nox", "__pycache__", NULL};
	size_t n = strlen(e);

	for (int i = 0; skip[i]; i++)
		if (!strcmp(e, skip[i]))
			return 1;
	if (n > 9 && !strcmp(e + n - 9, ".egg-info"))
		return 1;
	if (!strcmp(e, "tests") || !strcmp(e, "test") || !strcmp(e, "testing"))
		return 0;
	for (int k = 0; k < job->ntop; k++) {
		size_t t = strlen(job->top[k]);

		if (!strcmp(e, job->top[k]) ||
		    (n == t + 3 && !strncmp(e, job->top[k], t) &&
		     !strcmp(e + t, ".py")))
			return 1;
	}
	return 0;
}

/* Copy the sdist (all but testrun_excluded()) into GUEST_TESTRUN: the
 * tests with their conftest files and configuration, run against the
 * installed distribution. */
static void
copy_testrun(struct guest_job *job, struct guest_task_run *tr)
{
	static char names[200][256];
	const char *argv[208];
	DIR *d = opendir(job->src_dir);
	struct dirent *de;
	int n = 0, k = 0;

	if (!d)
		return;
	argv[n++] = "/bin/cp";
	argv[n++] = "-r";
	argv[n++] = "--";
	while ((de = readdir(d)) != NULL && k < 200) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    strlen(de->d_name) >= 256 ||
		    testrun_excluded(job, de->d_name))
			continue;
		snprintf(names[k], sizeof(names[k]), "%s", de->d_name);
		argv[n++] = names[k++];
	}
	closedir(d);
	argv[n++] = GUEST_TESTRUN "/";
	argv[n] = NULL;
	if (k)
		run_pkg(job, tr, argv, job->src_dir, 0);
}

/*
 * In the testrun, each top-level package or module the copy left out
 * becomes a link to the installed one, so tests that open the sources
 * by their path (tabulate's `python tabulate/__init__.py`) find them,
 * and an import from the rootdir still gets the installed code. The
 * links made are kept in job->toplinks, removed by unlink_tops().
 */
static void
link_tops(struct guest_job *job, struct guest_task_run *tr)
{
	job->ntoplinks = 0;
	for (int k = 0; k < job->ntop; k++) {
		const char *t = job->top[k];
		char target[GUEST_PATH_LEN + 160];
		char *link = job->toplinks[job->ntoplinks];
		const char *ln[] = {"/bin/ln", "-s", "--", target, link, NULL};
		struct stat st;

		if (!t[0] || t[0] == '.' || strchr(t, '/'))
			continue;
		for (int py = 0; py < 2; py++) {
			snprintf(target, sizeof(target), "%s/%s%s",
			         job->site_packages, t, py ? ".py" : "");
			snprintf(link, sizeof(job->toplinks[0]),
			         GUEST_TESTRUN "/%s%s", t, py ? ".py" : "");
			if (stat(target, &st) == 0 &&
			    lstat(link, &st) < 0 && errno == ENOENT &&
			    run_pkg(job, tr, ln, GUEST_WORK, 0) == 0) {
				job->ntoplinks++;
				break;
			}
		}
	}
}

static void
unlink_tops(struct guest_job *job, struct guest_task_run *tr)
{
	for (int k = 0; k < job->ntoplinks; k++) {
		const char *rm[] = {"/bin/rm", "-f", "--", job->toplinks[k],
		                    NULL};

		run_pkg(job, tr, rm, GUEST_WORK, 0);
	}
	job->ntoplinks = 0;
}

/* Install the deps of role "test" (pytest plugins, test requirements). */
static void
install_test_deps(struct guest_job *job, struct guest_task_run *tr)
{
	static char paths[256][GUEST_PATH_LEN / 16];
	json_t *d, *o;
	const char *argv[280];
	int n = 0, first, r, k = 0;
	size_t i;

	o = json_object();
	jx_set(o, "delivered", json_integer(job->test_deps));
	if (json_is_array(json_object_get(job->spec, "test_unresolved")))
		jx_set(o, "unresolved",
		       json_deep_copy(
		           json_object_get(job->spec, "test_unresolved")));
	set_data(job, "tests", "test_deps", o);
	if (!job->test_deps)
		return;
	argv[n++] = python3;
	argv[n++] = "-m";
	argv[n++] = "pip";
	argv[n++] = "install";
	argv[n++] = "--no-index";
	argv[n++] = "--find-links";
	argv[n++] = GUEST_IN;
	first = n++; /* "--no-deps" on the second try, else a no-op */
	argv[first] = "--no-warn-script-location";
	json_array_foreach(json_object_get(job->spec, "deps"), i, d) {
		if (k >= 256 || !jx_dep_has_role(d, "test"))
			continue;
		snprintf(paths[k], sizeof(paths[0]), GUEST_IN "/%s",
		         jx_str(d, "name"));
		argv[n++] = paths[k++];
	}
	argv[n] = NULL;
	r = run_pkg(job, tr, argv, GUEST_WORK, 0);
	if (r != 0 && !tr->timed_out) {
		char what[160];

		if (guest_pip_missing(buf_cstr(&tr->log), what, sizeof(what)))
			jx_set(o, "missing", guest_jstr(what, strlen(what)));
		argv[first] = "--no-deps";
		r = run_pkg(job, tr, argv, GUEST_WORK, 0);
	}
	jx_set(o, "installed", json_boolean(r == 0));
}

/*
 * The start of argv for `python3 -m MODULE ...`: under `coverage run
 * [--source=SOURCE] -m` when source is not NULL (an empty source: no
 * --source). Returns the count of argv filled; the module comes next.
 */
static int
python_m(const char **argv, const char *source)
{
	static char src_arg[GUEST_PATH_LEN + 16];
	int n = 0;

	argv[n++] = python3;
	argv[n++] = "-m";
	if (source) {
		argv[n++] = "coverage";
		argv[n++] = "run";
		if (source[0]) {
			snprintf(src_arg, sizeof(src_arg), "--source=%s",
			         source);
			argv[n++] = src_arg;
		}
		argv[n++] = "-m";
	}
	return n;
}

/*
 * pytest collected nothing: run `python -m unittest discover -s start`
 * (its default pattern test*.py takes what pytest's test_*.py does not,
 * such as decorator's tests/test.py), under coverage when source is
 * given. 1 with *status and *t when it ran at least one test, else 0
 * (no summary, no test, or out of time).
 */
static int
unittest_fallback(struct guest_job *job, struct guest_task_run *tr,
                  const char *source, const char *start, int *status,
                  struct guest_unittest_totals *t)
{
	char init[GUEST_PATH_LEN + 80];
	const char *argv[16];
	size_t from = tr->log.len;
	int n;

	n = python_m(argv, source);
	argv[n++] = "unittest";
	argv[n++] = "discover";
	argv[n++] = "-s";
	argv[n++] = start;
	/* a tests package (tests/__init__.py) imports as tests.test_x
	 * from the rootdir, so its relative imports work */
	snprintf(init, sizeof(init), "%s/__init__.py", start);
	if (strcmp(start, GUEST_TESTRUN) && access(init, F_OK) == 0) {
		argv[n++] = "-t";
		argv[n++] = GUEST_TESTRUN;
	}
	argv[n] = NULL;
	*status = run_pkg(job, tr, argv, GUEST_TESTRUN, 0);
	if (tr->timed_out || tr->log.len <= from)
		return 0;
	if (guest_unittest_summary(buf_cstr(&tr->log) + from,
	                           tr->log.len - from, t) < 0)
		return 0;
	if (t->not_tests)
		set_data(job, "tests", "unittest_not_tests",
		         json_integer(t->not_tests));
	return t->tests > 0;
}

static enum guest_outcome
run_tests(struct guest_task_run *tr, struct guest_job *job);

/* The tests, with the installed tops linked into the testrun meanwhile. */
static enum guest_outcome
task_tests(struct guest_task_run *tr, void *arg)
{
	struct guest_job *job = J(arg);
	enum guest_outcome o;

	install_test_deps(job, tr);
	if (job->src_dir[0])
		copy_testrun(job, tr);
	link_tops(job, tr);
	o = run_tests(tr, job);
	unlink_tops(job, tr);
	return o;
}

static enum guest_outcome
run_tests(struct guest_task_run *tr, struct guest_job *job)
{
	static const char *const names[] = {"tests", "test", "testing", NULL};
	char dir[GUEST_PATH_LEN + 64] = "", source[GUEST_PATH_LEN] = "";
	char layout[300] = "", cfg[GUEST_PATH_LEN + 32] = "";
	char copied[GUEST_PATH_LEN + 64] = "", link[GUEST_PATH_LEN + 64] = "";
	static char files[50][GUEST_PATH_LEN / 8];
	const char *where = NULL;
	const char *argv[96];
	struct buf xml = BUF_INIT(16 * MIB);
	struct guest_pytest_verdict v;
	int n = 0, n0, r, cov, nfiles = 0, testpaths = 0, pyfiles = 0, has_cfg;
	int root_conftest, ut = 0, ut_r = 0;
	struct guest_unittest_totals ut_totals;
	size_t from;
	json_int_t junit_tests = -1;

	has_cfg = pytest_config(GUEST_TESTRUN, cfg, &testpaths, &pyfiles);
	/* 1. tests/, test/, testing/ at the top of the sdist */
	for (int i = 0; names[i] && !dir[0]; i++) {
		snprintf(dir, sizeof(dir), GUEST_TESTRUN "/%s", names[i]);
		if (is_dir(dir)) {
			snprintf(layout, sizeof(layout), "%s", names[i]);
			where = "sdist";
		} else {
			dir[0] = '\0';
		}
	}
	/* 2. inside the installed package; 3. inside the sdist's package
	 * (pkg/tests, src/pkg/tests): copied into the installed package,
	 * so they import it as it is installed. With a root conftest.py,
	 * reached through a link in the rootdir (guest_inpkg_tests()). */
	root_conftest = access(GUEST_TESTRUN "/conftest.py", F_OK) == 0;
	for (int k = 0; k < job->ntop && !dir[0]; k++) {
		for (int i = 0; names[i] && !dir[0]; i++) {
			char p[GUEST_PATH_LEN + 64], q[GUEST_PATH_LEN + 64];

			snprintf(p, sizeof(p), "%s/%s/%s", job->site_packages,
			         job->top[k], names[i]);
			if (is_dir(p)) {
				snprintf(layout, sizeof(layout), "%s/%s",
				         job->top[k], names[i]);
				where = "installed";
			} else if (job->src_dir[0]) {
				for (int s = 0; s < 2 && !where; s++) {
					const char *cp[] = {"/bin/cp", "-r", "--",
					                    q,         p,    NULL};

					snprintf(q, sizeof(q), "%s/%s%s/%s",
					         job->src_dir, s ? "src/" : "",
					         job->top[k], names[i]);
					if (!is_dir(q))
						continue;
					run_pkg(job, tr, cp, GUEST_WORK, 0);
					if (!is_dir(p))
						continue;
					snprintf(copied, sizeof(copied), "%s",
					         p);
					snprintf(layout, sizeof(layout),
					         "%s%s/%s", s ? "src/" : "",
					         job->top[k], names[i]);
					where = "sdist";
				}
			}
			if (!where)
				continue;
			if (guest_inpkg_tests(GUEST_TESTRUN,
			                      job->site_packages, job->top[k],
			                      names[i], root_conftest, dir, link,
			                      sizeof(dir)) < 0) {
				where = NULL;
				continue;
			}
			if (link[0]) {
				char target[GUEST_PATH_LEN + 64];
				const char *ln[] = {"/bin/ln", "-s", "--",
				                    target,    link, NULL};

				snprintf(target, sizeof(target), "%s/%s",
				         job->site_packages, job->top[k]);
				run_pkg(job, tr, ln, GUEST_WORK, 0);
				if (!is_dir(dir)) {
					dir[0] = link[0] = '\0';
					where = NULL;
				}
			}
		}
	}
	/* 4. test_*.py / *_test.py at the top of the sdist */
	if (!dir[0]) {
		DIR *d = opendir(GUEST_TESTRUN);
		struct dirent *de;

		while (d && (de = readdir(d)) != NULL && nfiles < 50) {
			size_t len = strlen(de->d_name);

			if (len < 8 || len >= sizeof(files[0]) - 32 ||
			    strcmp(de->d_name + len - 3, ".py") ||
			    (strncmp(de->d_name, "test_", 5) &&
			     strcmp(de->d_name + len - 8, "_test.py")))
				continue;
			snprintf(files[nfiles++], sizeof(files[0]),
			         GUEST_TESTRUN "/%s", de->d_name);
		}
		if (d)
			closedir(d);
		if (nfiles) {
			snprintf(layout, sizeof(layout), "test_*.py");
			where = "sdist";
		}
	}
	/* 5. only the configuration's testpaths */
	if (!dir[0] && !nfiles && has_cfg && testpaths) {
		snprintf(layout, sizeof(layout), "testpaths");
		where = "sdist";
	}
	/* 6. the configuration's own test file pattern (python_files, say
	 * chardet's top-level test.py): pytest from the rootdir, as the
	 * maintainers run it, the pattern deciding; a suite found in the
	 * sdist's top-level layout goes with it */
	if (has_cfg && pyfiles && !testpaths && !copied[0] && !link[0] &&
	    (!where || !strcmp(where, "sdist"))) {
		snprintf(layout, sizeof(layout), "python_files");
		where = "sdist";
		dir[0] = '\0';
		nfiles = 0;
	}
	/* 7. none of those: pytest from the rootdir, as a maintainer
	 * types it, for the layouts no list holds (flit_core's
	 * tests_core/); nothing collected is no_tests below */
	if (!where && job->src_dir[0]) {
		snprintf(layout, sizeof(layout), "rootdir");
		where = "sdist";
	}
	if (!where) {
		job->no_tests = 1;
		guest_task_reason(tr, "no test suite found (tests/, test/, "
		                      "testing/, <pkg>/tests, src/<pkg>/tests, "
		                      "test_*.py, testpaths, python_files), and "
		                      "no sdist to look further");
		return GUEST_SKIPPED;
	}
	set_data(job, "tests", "layout", json_string(layout));
	set_data(job, "tests", "source", json_string(where));
	if (has_cfg)
		set_data(job, "tests", "config",
		         json_string(strrchr(cfg, '/') + 1));
	cov = access("/usr/lib/python3/dist-packages/coverage/__init__.py",
	             F_OK) == 0;
	for (int k = 0; cov && k < job->ntop && k < 8; k++)
		snprintf(source + strlen(source), sizeof(source) - strlen(source),
		         "%s%s", k ? "," : "", job->top[k]);
	n = python_m(argv, cov ? source : NULL);
	n0 = n;
	argv[n++] = "pytest";
	argv[n++] = "-q";
	argv[n++] = "-p";
	argv[n++] = "no:cacheprovider";
	if (has_cfg) {
		argv[n++] = "-c";
		argv[n++] = cfg;
	}
	argv[n++] = "--rootdir=" GUEST_TESTRUN;
	argv[n++] = "--junitxml=" GUEST_WORK "/junit.xml";
	argv[n++] = "-o";
	argv[n++] = "junit_family=xunit1";
	if (dir[0])
		argv[n++] = dir;
	for (int i = 0; i < nfiles; i++)
		argv[n++] = files[i];
	argv[n] = NULL;
	from = tr->log.len;
	r = run_pkg(job, tr, argv, GUEST_TESTRUN, 0);
	if (cov && r != 0 && !tr->timed_out &&
	    guest_coverage_refused(buf_cstr(&tr->log) + from,
	                           tr->log.len - from)) {
		/* the platform's coverage.py (pyti's measurement) refused the
		 * project's configuration before any test ran: the same
		 * run without it, never the package's failure */
		const char *plain[sizeof(argv) / sizeof(*argv)];
		int m = python_m(plain, NULL);

		for (int i = n0; i <= n; i++) /* the NULL too */
			plain[m + i - n0] = argv[i];
		set_data(job, "tests", "coverage",
		         json_string("not measured: the platform's coverage.py "
		                     "refused the project's configuration"));
		cov = 0;
		from = tr->log.len;
		r = run_pkg(job, tr, plain, GUEST_TESTRUN, 0);
	}
	/* a suite of the sdist's own top level only: in-package tests
	 * stay pytest's (their imports are the installed package's) */
	if (r == 5 && !tr->timed_out && !strcmp(where, "sdist") && !copied[0] &&
	    !link[0])
		ut = unittest_fallback(job, tr, cov ? source : NULL,
		                       dir[0] ? dir : GUEST_TESTRUN, &ut_r,
		                       &ut_totals);
	if (link[0]) {
		const char *rm[] = {"/bin/rm", "-f", "--", link, NULL};

		run_pkg(job, tr, rm, GUEST_WORK, 0);
	}
	if (copied[0]) {
		/* the installed package gets back to what it installed:
		 * uninstall judges its leftovers */
		const char *rm[] = {"/bin/rm", "-rf", "--", copied, NULL};

		run_pkg(job, tr, rm, GUEST_WORK, 0);
	}
	{
		FILE *f = fopen(GUEST_WORK "/junit.xml", "rb");
		char chunk[65536];
		size_t k;

		if (f) {
			while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
				if (buf_add(&xml, chunk, k) == BUF_FULL)
					break;
			fclose(f);
		}
	}
	if (xml.len) {
		json_t *t = guest_junit_parse(buf_cstr(&xml), xml.len);

		if (t) {
			junit_tests = json_integer_value(json_object_get(
			    json_object_get(t, "totals"), "tests"));
			jx_set(t, "runner", json_string("pytest"));
			jx_set(t, "layout", json_string(layout));
			jx_set(t, "source", json_string(where));
			jx_set(job->sections, "tests", t);
			guest_task_produce(tr, "junit");
		}
	}
	buf_release(&xml);
	if (ut) {
		json_t *t = json_object(), *tot = json_object();

		jx_set(tot, "tests", json_integer(ut_totals.tests));
		jx_set(tot, "passed",
		       json_integer(ut_totals.tests - ut_totals.failed -
		                    ut_totals.errors - ut_totals.skipped));
		jx_set(tot, "failed", json_integer(ut_totals.failed));
		jx_set(tot, "errors", json_integer(ut_totals.errors));
		jx_set(tot, "skipped", json_integer(ut_totals.skipped));
		jx_set(tot, "duration_ms",
		       json_integer((json_int_t)(ut_totals.seconds * 1000)));
		jx_set(t, "totals", tot);
		jx_set(t, "cases", json_array());
		jx_set(t, "cases_dropped", json_integer(0));
		jx_set(t, "runner", json_string("unittest"));
		jx_set(t, "layout", json_string(layout));
		jx_set(t, "source", json_string(where));
		jx_set(job->sections, "tests", t);
	}
	if (cov && access(GUEST_WORK "/.coverage", F_OK) == 0)
		guest_task_produce(tr, "coverage_data");
	if (tr->timed_out)
		return GUEST_TIMEOUT;
	if (ut) {
		/* pytest found nothing, unittest ran the suite: its verdict */
		set_data(job, "tests", "exit_status", json_integer(ut_r));
		job->tests_outcome = ut_r == 0 ? "passed" : "tests_failed";
		if (ut_r == 0)
			return GUEST_OK;
		guest_task_reason(tr,
		                  "unittest: %ld of %ld tests failed, %ld "
		                  "errors (pytest collected none; the suite "
		                  "is unittest's)",
		                  ut_totals.failed, ut_totals.tests,
		                  ut_totals.errors);
		return GUEST_FAILED;
	}
	/* 2: collection errors; 1, 3, 4 with no test run: a conftest or
	 * a plugin it names did not import */
	if ((r == 2 || ((r == 1 || r == 3 || r == 4) && junit_tests <= 0)) &&
	    tr->log.len > from) {
		const char *own[GUEST_MAX_TOP];
		char what[256];

		for (int k = 0; k < job->ntop; k++)
			own[k] = job->top[k];
		if (guest_pytest_missing_modules(buf_cstr(&tr->log) + from,
		                                 tr->log.len - from, own,
		                                 job->ntop, what,
		                                 sizeof(what))) {
			/* a test dependency the job lacks: no verdict */
			job->tests_outcome = "tests_deps_missing";
			set_data(job, "tests", "exit_status", json_integer(r));
			set_data(job, "tests", "missing",
			         guest_jstr(what, strlen(what)));
			guest_task_reason(tr,
			                  "pytest could not collect the tests: "
			                  "no module named %s (a test dependency "
			                  "the job did not deliver, not the "
			                  "package's failure)",
			                  what);
			return GUEST_ERROR;
		}
	}
	v = guest_pytest_verdict(r);
	job->tests_outcome = v.outcome;
	set_data(job, "tests", "exit_status", json_integer(r));
	if (r == 0)
		return GUEST_OK;
	if (r == 5) {
		job->no_tests = 1;
		guest_task_reason(tr, "%s%s, nor did unittest discovery",
		                  strcmp(layout, "rootdir")
		                      ? ""
		                      : "no test suite found (tests/, test/, "
		                        "testing/, <pkg>/tests, "
		                        "src/<pkg>/tests, test_*.py, "
		                        "testpaths, python_files): from the "
		                        "rootdir, ",
		                  v.meaning);
		return GUEST_OK;
	}
	guest_task_reason(tr, "pytest: exit status %d: %s", r, v.meaning);
	return v.package_fault ? GUEST_FAILED : GUEST_ERROR;
}

static enum guest_outcome
task_coverage(struct guest_task_run *tr, void *arg)
{
	struct guest_job *job = J(arg);
	const char *argv[] = {python3, "-m", "coverage",
	                      "json",  "-o", GUEST_WORK "/coverage.json",
	                      NULL};
	json_t *j, *out, *files, *f;
	const char *path;
	int r;

	r = run_pkg(job, tr, argv, GUEST_TESTRUN, 0);
	if (r != 0) {
		guest_task_reason(tr, "coverage json: exit status %d", r);
		return tr->timed_out ? GUEST_TIMEOUT : GUEST_FAILED;
	}
	j = jx_load_file(GUEST_WORK "/coverage.json", 32 * MIB);
	if (!j) {
		guest_task_reason(tr, "coverage.json cannot be read");
		return GUEST_FAILED;
	}
	out = json_object();
	{
		json_t *t = json_object_get(j, "totals");
		json_t *pc = json_object_get(t, "percent_covered");

		jx_set(
		    out, "percent",
		    json_real(json_is_number(pc) ? json_number_value(pc) : 0));
		jx_set(out, "lines",
		       json_incref(json_object_get(t, "num_statements")
		                       ?: json_null()));
		jx_set(out, "covered",
		       json_incref(json_object_get(t, "covered_lines")
		                       ?: json_null()));
	}
	files = json_array();
	json_object_foreach(json_object_get(j, "files"), path, f) {
		json_t *s = json_object_get(f, "summary"), *o;

		if (json_array_size(files) >= 500)
			break;
		o = json_object();
		jx_set(o, "path", guest_jstr(path, strlen(path)));
		jx_set(o, "lines",
		       json_incref(json_object_get(s, "num_statements")
		                       ?: json_null()));
		jx_set(o, "covered",
		       json_incref(json_object_get(s, "covered_lines")
		                       ?: json_null()));
		jx_append(files, o);
	}
	jx_set(out, "files", files);
	json_decref(j);
	jx_set(job->sections, "coverage", out);
	guest_task_produce(tr, "coverage");
	return GUEST_OK;
}

/* ---- lint ---- */

static long
count_lines(const char *dir, int depth)
{
	DIR *d;
	struct dirent *de;
	long n = 0;

	if (depth > 32 || !(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)) != NULL) {
		char p[GUEST_PATH_LEN];
		struct stat st;
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "__pycache__"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			n += count_lines(p, depth + 1);
		} else if (S_ISREG(st.st_mode) && len > 3 &&
		           !strcmp(de->d_name + len - 3, ".py")) {
			FILE *f = fopen(p, "r");
			int c;

			if (!f)
				continue;
			while ((c = getc(f)) != EOF)
				n += c == '\n';
			fclose(f);
		}
	}
	closedir(d);
	return n;
}

/* Count "path:line:col: CODE" lines of a checker's output by code. */
static int
count_messages(const char *text, json_t *codes)
{
	int n = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *c = memmem(p, len, ": ", 2);

		if (c && memchr(p, ':', (size_t)(c - p))) {
			char code[8];
			size_t k = strspn(c + 2, "EWFCN0123456789");

			n++;
			if (k >= 2 && k < sizeof(code)) {
				json_t *v;

				memcpy(code, c + 2, k);
				code[k] = '\0';
				v = json_object_get(codes, code);
				jx_set(codes, code,
				       json_integer(
				           v ? json_integer_value(v) + 1 : 1));
			}
		}
		p += len + (nl ? 1 : 0);
	}
	return n;
}

static enum guest_outcome
task_lint(struct guest_task_run *tr, void *arg)
{
	struct guest_job *job = J(arg);
	char paths[GUEST_MAX_TOP][GUEST_PATH_LEN];
	const char *argv[GUEST_MAX_TOP + 8];
	json_t *out = json_object(), *codes = json_object();
	json_t *fcodes = json_object();
	long lines = 0;
	int np = 0, style = 0, flakes = 0;
	size_t mark;

	for (int k = 0; k < job->ntop; k++) {
		char p[GUEST_PATH_LEN];

		snprintf(p, sizeof(p), "%s/%s", job->site_packages,
		         job->top[k]);
		if (is_dir(p)) {
			lines += count_lines(p, 0);
		} else {
			snprintf(p, sizeof(p), "%s/%s.py", job->site_packages,
			         job->top[k]);
			if (access(p, R_OK) != 0)
				continue;
			{
				FILE *f = fopen(p, "r");
				int c;

				while (f && (c = getc(f)) != EOF)
					lines += c == '\n';
				if (f)
					fclose(f);
			}
		}
		snprintf(paths[np++], GUEST_PATH_LEN, "%s", p);
	}
	if (np == 0) {
		json_decref(out);
		json_decref(codes);
		json_decref(fcodes);
		guest_task_reason(tr, "no Python sources to lint");
		return GUEST_SKIPPED;
	}
	for (int pass = 0; pass < 2; pass++) {
		int n = 0;

		argv[n++] = "/usr/bin/python3";
		argv[n++] = "-m";
		argv[n++] = pass == 0 ? "pycodestyle" : "pyflakes";
		for (int k = 0; k < np; k++)
			argv[n++] = paths[k];
		argv[n] = NULL;
		mark = tr->log.len;
		run_pkg(job, tr, argv, "/tmp", 0);
		if (pass == 0)
			style =
			    count_messages(buf_cstr(&tr->log) + mark, codes);
		else
			flakes =
			    count_messages(buf_cstr(&tr->log) + mark, fcodes);
	}
	jx_set(out, "lines", json_integer(lines));
	jx_set(out, "pycodestyle", json_integer(style));
	jx_set(out, "pyflakes", json_integer(flakes));
	jx_set(out, "pycodestyle_per_kloc",
	       json_real(lines ? style * 1000.0 / (double)lines : 0));
	jx_set(out, "pyflakes_per_kloc",
	       json_real(lines ? flakes * 1000.0 / (double)lines : 0));
	jx_set(out, "codes", codes);
	jx_set(out, "pyflakes_messages", fcodes);
	jx_set(job->sections, "lint", out);
	guest_task_produce(tr, "lint");
	return tr->timed_out ? GUEST_TIMEOUT : GUEST_OK;
}

/* ---- metadata checks ---- */

static void
check(json_t *checks, int *score, const char *name, int ok, const char *detail)
{
	json_t *o = json_object();

	jx_set(o, "name", json_string(name));
	jx_set(o, "ok", json_boolean(ok));
	if (detail)
		jx_set(o, "detail", json_string(detail));
	jx_append(checks, o);
	*score += ok;
}

static int
nonempty(const json_t *m, const char *k, size_t min)
{
	const char *v = jx_str(m, k);

	return v && strlen(v) >= min && strcmp(v, "UNKNOWN");
}

static enum guest_outcome
task_metadata(struct guest_task_run *tr, void *arg)
{
	struct guest_job *job = J(arg);
	json_t *m = json_object_get(job->info, "metadata");
	json_t *out = json_object(), *checks = json_array(), *v;
	json_t *cls = json_object_get(m, "Classifiers");
	json_t *urls = json_object_get(m, "Project-URLs");
	int score = 0, lic_cls = 0, sane_urls = json_array_size(urls) > 0;
	size_t i;
	int64_t dlen = 0;

	json_array_foreach(cls, i, v) {
		if (json_is_string(v) &&
		    !strncmp(json_string_value(v), "License ::", 10))
			lic_cls = 1;
	}
	json_array_foreach(urls, i, v) {
		const char *u = json_is_string(v)
		                    ? strchr(json_string_value(v), ',')
		                    : NULL;

		if (!u || (strncmp(u + 1 + strspn(u + 1, " "), "https://", 8) &&
		           strncmp(u + 1 + strspn(u + 1, " "), "http://", 7)))
			sane_urls = 0;
	}
	jx_int(m, "description_len", &dlen);
	check(checks, &score, "name", nonempty(m, "Name", 1), NULL);
	check(checks, &score, "version", nonempty(m, "Version", 1), NULL);
	check(checks, &score, "summary",
	      nonempty(m, "Summary", 10) && strlen(jx_str(m, "Summary")) <= 200,
	      "10 to 200 characters");
	check(checks, &score, "description", dlen >= 100,
	      "at least 100 characters");
	check(checks, &score, "description_type",
	      nonempty(m, "Description-Content-Type", 5), NULL);
	check(checks, &score, "license",
	      nonempty(m, "License", 2) ||
	          nonempty(m, "License-Expression", 2) || lic_cls,
	      "License, License-Expression or a License classifier");
	check(checks, &score, "classifiers", json_array_size(cls) >= 3,
	      "at least 3 classifiers");
	check(checks, &score, "requires_python",
	      nonempty(m, "Requires-Python", 2), NULL);
	check(checks, &score, "project_urls",
	      sane_urls || (nonempty(m, "Home-page", 8) &&
	                    !strncmp(jx_str(m, "Home-page"), "http", 4)),
	      "http(s) project URLs");
	check(checks, &score, "author_email",
	      nonempty(m, "Author-email", 3) &&
	          strchr(jx_str(m, "Author-email"), '@'),
	      NULL);
	jx_set(out, "score", json_integer(score));
	jx_set(out, "max_score",
	       json_integer((json_int_t)json_array_size(checks)));
	jx_set(out, "checks", checks);
	jx_set(job->sections, "metadata", out);
	if (tr->deadline && os_mono_ms() > tr->deadline) {
		tr->timed_out = 1;
		return GUEST_TIMEOUT;
	}
	guest_task_produce(tr, "metadata");
	return GUEST_OK;
}

/* ---- uninstall ---- */

static enum guest_outcome
task_uninstall(struct guest_task_run *tr, void *arg)
{
	struct guest_job *job = J(arg);
	const char *argv[] = {python3, "-m",      "pip", "uninstall",
	                      "-y",    job->name, NULL};
	json_t *out = json_object(), *left = json_array(), *files, *f;
	size_t i;
	int r, dropped = 0;

	r = run_pkg(job, tr, argv, "/tmp", 0);
	files = json_object_get(job->info, "files");
	json_array_foreach(files, i, f) {
		struct stat st;
		const char *p = json_string_value(f);

		if (!p || lstat(p, &st) != 0)
			continue;
		if (json_array_size(left) < 500)
			jx_append(left, guest_jstr(p, strlen(p)));
		else
			dropped++;
	}
	for (int k = 0; k < job->ntop; k++) {
		char p[GUEST_PATH_LEN];

		snprintf(p, sizeof(p), "%s/%s", job->site_packages,
		         job->top[k]);
		if (is_dir(p) && json_array_size(left) < 500)
			jx_append(left, guest_jstr(p, strlen(p)));
	}
	jx_set(out, "exit_status", json_integer(r));
	jx_set(out, "leftovers", left);
	jx_set(out, "leftovers_dropped", json_integer(dropped));
	jx_set(job->sections, "uninstall", out);
	if (tr->timed_out)
		return GUEST_TIMEOUT;
	if (r != 0) {
		guest_task_reason(tr, "pip uninstall: exit status %d", r);
		return GUEST_FAILED;
	}
	guest_task_produce(tr, "uninstalled");
	return GUEST_OK;
}

/* ---- the table ---- */

#define LIM(t, as_mb)                                                          \
	{                                                                      \
		.timeout_ms = (t)*1000, .output_cap = 1 * MIB,                 \
		.output_kill = 64 * MIB, .as = (uint64_t)(as_mb)*MIB,          \
		.nproc = 256, .fsize = 256 * MIB, .cpu = (t), .nofile = 1024   \
	}

static const struct guest_task tasks[] = {
    {"unpack", "dist", "unpacked", LIM(300, 900), task_unpack},
    {"build", "unpacked", "wheel", LIM(1200, 900), task_build},
    {"install", "wheel", "installed", LIM(1200, 900), task_install},
    {"fs_diff", "installed", "fs_diff", LIM(300, 0), task_fs_diff},
    {"import", "installed", "imported", LIM(300, 900), task_import},
    {"tests", "installed", "junit coverage_data", LIM(1800, 900), task_tests},
    {"coverage", "coverage_data", "coverage", LIM(300, 900), task_coverage},
    {"lint", "installed", "lint", LIM(600, 900), task_lint},
    {"metadata", "installed", "metadata", LIM(10, 0), task_metadata},
    {"uninstall", "installed", "uninstalled", LIM(300, 900), task_uninstall},
};

#define NTASKS (sizeof(tasks) / sizeof(tasks[0]))

/* Shares of a job deadline that cannot hold every task's own limit
 * (permille, in the order of tasks[]): tests and build the largest. */
static const int share[NTASKS] = {20, 300, 120, 20, 40, 330, 30, 60, 10, 70};

/* ---- the job ---- */

int
guest_job_in_guest(void)
{
	struct stat st;

	return getpid() == 1 && stat(GUEST_UPPER, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

static int
check_file_entry(const json_t *f, char *err, size_t errlen)
{
	const char *name = jx_str(f, "name"), *sha = jx_str(f, "sha256");
	int64_t size;

	if (!name || !chan_name_valid(name)) {
		snprintf(err, errlen, "a file with a missing or invalid name");
		return -1;
	}
	if (!sha || !sha256_is_hex(sha)) {
		snprintf(err, errlen, "file '%s' has no valid sha256", name);
		return -1;
	}
	if (jx_int(f, "size", &size) != 0 || size < 0 || size > 64 * MIB) {
		snprintf(err, errlen, "file '%s' has no valid size", name);
		return -1;
	}
	return 0;
}

int
guest_job_init(struct guest_job *job, json_t *spec, char *err, size_t errlen)
{
	const char *id = jx_str(spec, "job_id");
	json_t *dist = json_object_get(spec, "dist");
	json_t *deps = json_object_get(spec, "deps"), *d;
	size_t i, n;
	int64_t version = 0;

	memset(job, 0, sizeof(*job));
	job->spec = spec;
	job->data = json_object();
	job->sections = json_object();
	job->logs = json_array();
	guest_findings_init(&job->findings);
	job->strace_ok = access("/usr/bin/strace", X_OK) == 0;
	if (!json_is_object(spec) || jx_int(spec, "version", &version) != 0 ||
	    version != 1) {
		snprintf(err, errlen, "job spec is not version 1");
		return -1;
	}
	if (!id || strlen(id) == 0 || strlen(id) > 64 ||
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	               "0123456789._:-") != strlen(id)) {
		snprintf(err, errlen, "missing or invalid job_id");
		return -1;
	}
	snprintf(job->job_id, sizeof(job->job_id), "%s", id);
	if (!json_is_object(dist) || check_file_entry(dist, err, errlen))
		return -1;
	snprintf(job->dist, sizeof(job->dist), "%s", jx_str(dist, "name"));
	/* a file pip refuses is the package's invalid_dist (unpack says
	 * why), never an error of the job */
	job->is_wheel = guest_dist_kind(job->dist) == GUEST_DIST_WHEEL;
	job->dist_refused = guest_dist_kind(job->dist) == GUEST_DIST_OTHER;
	(void)n;
	if (deps && (!json_is_array(deps) || json_array_size(deps) > 256)) {
		snprintf(err, errlen, "deps must be an array of at most 256");
		return -1;
	}
	json_array_foreach(deps, i, d) {
		const char *role = jx_str(d, "role");

		if (check_file_entry(d, err, errlen))
			return -1;
		if (!role)
			continue;
		if (jx_dep_has_role(d, "build"))
			job->build_deps++;
		if (jx_dep_has_role(d, "test"))
			job->test_deps++;
		if (!strcmp(role, "tests_source") && job->is_wheel &&
		         guest_dist_kind(jx_str(d, "name")) == GUEST_DIST_SDIST)
			snprintf(job->tests_source, sizeof(job->tests_source),
			         "%s", jx_str(d, "name"));
	}
	return 0;
}

void
guest_job_release(struct guest_job *job)
{
	json_decref(job->spec);
	json_decref(job->info);
	json_decref(job->data);
	json_decref(job->sections);
	json_decref(job->logs);
	guest_findings_release(&job->findings);
	guest_fsnap_free(job->before);
	guest_graph_free(job->graph);
	memset(job, 0, sizeof(*job));
}

static int
mkdir_owned(const char *p, mode_t mode, uid_t uid)
{
	if (mkdir(p, mode) != 0 && errno != EEXIST)
		return log_error("cannot create '%s': %s", p, strerror(errno));
	if (chown(p, uid, uid) != 0)
		return log_error("cannot chown '%s': %s", p, strerror(errno));
	return 0;
}

int
guest_job_prepare(struct guest_job *job)
{
	struct guest_task_run tr;
	struct guest_cmd cmd;
	const char *venv[] = {
	    "/usr/bin/python3",       "-m",       "venv", "--without-pip",
	    "--system-site-packages", GUEST_VENV, NULL};

	if (mkdir_owned(GUEST_PRIV, 0700, 0) ||
	    mkdir_owned(GUEST_WORK, 0755, GUEST_UID) ||
	    mkdir_owned(GUEST_IN, 0755, 0) ||
	    mkdir_owned(GUEST_SRC, 0755, GUEST_UID) ||
	    mkdir_owned(GUEST_WHEELS, 0755, GUEST_UID) ||
	    mkdir_owned(GUEST_TESTRUN, 0755, GUEST_UID))
		return -1;
	load_canaries();
	/* the venv is the agent's doing, not the package's: made before
	 * the snapshot the filesystem diff starts from */
	memset(&tr, 0, sizeof(tr));
	memset(&cmd, 0, sizeof(cmd));
	tr.limits.timeout_ms = 120000;
	tr.limits.output_cap = 64 * KIB;
	buf_init(&tr.log, 64 * KIB);
	tr.exit_status = -1;
	tr.task = NULL;
	cmd.argv = venv;
	cmd.envp = pkg_env;
	cmd.cwd = GUEST_HOME;
	cmd.uid = GUEST_UID;
	cmd.gid = GUEST_GID;
	cmd.drop = 1;
	tr.deadline = os_mono_ms() + tr.limits.timeout_ms;
	if (guest_task_exec(&tr, &cmd) != 0) {
		log_error("cannot create the venv: %s", buf_cstr(&tr.log));
		buf_release(&tr.log);
		return -1;
	}
	buf_release(&tr.log);
	return 0;
}

int
guest_job_run(struct guest_job *job, const struct guest_hooks *hooks, void *arg)
{
	json_t *only = json_object_get(job->spec, "tasks");
	json_t *limits = json_object_get(job->spec, "limits");
	json_t *stage_tasks;
	int64_t t = 0;

	job->graph = guest_graph_new(tasks, NTASKS, "dist");
	if (!job->graph)
		return -1;
	stage_tasks = json_pack("[ss]", "unpack", "build");
	/* the first stage of a two-stage job builds and reports the wheel */
	if (!json_is_array(only) &&
	    json_is_string(json_object_get(job->spec, "stage")) &&
	    !strcmp(json_string_value(json_object_get(job->spec, "stage")),
	            "build"))
		only = stage_tasks;
	if (json_is_array(only)) {
		for (size_t i = 0; i < NTASKS; i++) {
			json_t *v;
			size_t k;
			int wanted = 0;

			json_array_foreach(only, k, v) {
				if (json_is_string(v) &&
				    !strcmp(json_string_value(v),
				            tasks[i].name))
					wanted = 1;
			}
			if (!wanted)
				guest_graph_disable(job->graph, tasks[i].name);
		}
	}
	/* The host may lower the time limits, never raise them. */
	if (jx_int(limits, "task_timeout_s", &t) == 0 && t > 0) {
		for (size_t i = 0; i < NTASKS; i++) {
			struct guest_task_run *tr =
			    guest_graph_find(job->graph, tasks[i].name);
			struct guest_limits l = tr->limits;

			if (t * 1000 < l.timeout_ms) {
				l.timeout_ms = (int)(t * 1000);
				l.cpu = (uint64_t)t;
				guest_graph_set_limits(job->graph,
				                       tasks[i].name, &l);
			}
		}
	}
	/* One deadline: the host gives up deadline_s after JOB_; keep a
	 * reserve for the results and logs, share the rest. */
	if (jx_int(job->spec, "deadline_s", &t) == 0 && t > 0 &&
	    t < 7 * 24 * 3600) {
		int64_t now = os_mono_ms(), end, budget;
		int tmo[NTASKS], on[NTASKS];

		if (!job->t_job_mono)
			job->t_job_mono = now;
		end = job->t_job_mono + t * 1000 - (30000 + t * 50);
		budget = end - now;
		for (size_t i = 0; i < NTASKS; i++) {
			struct guest_task_run *tr =
			    guest_graph_find(job->graph, tasks[i].name);

			tmo[i] = tr->limits.timeout_ms;
			on[i] =
			    guest_graph_has_enabled(job->graph, tasks[i].name);
		}
		/* the plan at the start, reported; enforced per task when it
		 * starts, with what earlier tasks left (taskgraph.h) */
		guest_fit_deadline(budget, tmo, share, on, NTASKS);
		guest_graph_set_deadline(job->graph, end > now ? end : now);
		guest_graph_set_shares(job->graph, share);
		{
			json_t *o = json_object(), *lim = json_object();

			for (size_t i = 0; i < NTASKS; i++)
				if (on[i])
					jx_set(lim, tasks[i].name,
					       json_integer(tmo[i] / 1000));
			jx_set(o, "deadline_s", json_integer(t));
			jx_set(o, "budget_ms",
			       json_integer(budget > 0 ? budget : 0));
			jx_set(o, "planned_limits_s", lim);
			jx_set(job->sections, "deadline", o);
		}
	}
	guest_graph_run(job->graph, hooks, arg, job);
	json_decref(stage_tasks);
	return 0;
}

/* 1 if a resource limit stopped something in task. */
static int
resource_hit(const struct guest_job *job, const char *task)
{
	static const char *const kinds[] = {"resource.memory", "resource.disk",
	                                    "resource.fork_bomb",
	                                    "resource.cpu", NULL};
	size_t i;
	json_t *v;

	json_array_foreach(job->findings.list, i, v) {
		const char *t = jx_str(v, "task"), *k = jx_str(v, "kind");

		for (int j = 0; kinds[j]; j++)
			if (t && k && !strcmp(t, task) && !strcmp(k, kinds[j]))
				return 1;
	}
	return 0;
}

/* The package outcome from the tasks that ran (docs/raw-data.md 4.3). */
static const char *
package_outcome(struct guest_job *job, char *reason, size_t n)
{
	static const struct {
		const char *task, *outcome;
	} steps[] = {{"unpack", "invalid_dist"},
	             {"build", "build_failed"},
	             {"install", "install_failed"},
	             {"import", "import_failed"}};
	struct guest_task_run *tr;
	int ran = 0;

	for (size_t i = 0; i < 4; i++) {
		json_t *d = json_object_get(job->data, steps[i].task);

		tr = guest_graph_find(job->graph, steps[i].task);
		if (tr->outcome == GUEST_NOT_REQUESTED)
			continue;
		if (tr->outcome == GUEST_OK ||
		    (tr->outcome == GUEST_SKIPPED &&
		     !strncmp(tr->reason, "not applicable", 14))) {
			ran = 1;
			continue;
		}
		if (tr->outcome == GUEST_SKIPPED) {
			snprintf(reason, n, "%s skipped: %s", steps[i].task,
			         tr->reason);
			if (strstr(tr->reason, "deadline"))
				return "resource_exceeded";
			return steps[i].outcome;
		}
		snprintf(reason, n, "%s %s: %s", steps[i].task,
		         guest_outcome_name(tr->outcome), tr->reason);
		if (tr->outcome == GUEST_ERROR && json_object_get(d, "missing"))
			return "deps_missing";
		if (tr->timed_out || tr->output_killed ||
		    tr->signal == SIGXCPU || tr->signal == SIGXFSZ ||
		    resource_hit(job, steps[i].task))
			return "resource_exceeded";
		return steps[i].outcome;
	}
	tr = guest_graph_find(job->graph, "tests");
	if (tr->outcome == GUEST_NOT_REQUESTED) {
		if (!ran) {
			snprintf(reason, n, "no task was requested");
			return "not_requested";
		}
		/* what was asked was done: a subset that passed */
		snprintf(reason, n,
		         "every requested task did its work; the "
		         "tests were not requested");
		return "passed";
	}
	if (job->no_tests) {
		snprintf(reason, n, "%s",
		         tr->reason[0] ? tr->reason : "no tests");
		return "no_tests";
	}
	snprintf(reason, n, "%s", tr->reason);
	if (tr->outcome == GUEST_TIMEOUT ||
	    (tr->outcome == GUEST_SKIPPED && strstr(tr->reason, "deadline")))
		return "tests_timeout";
	if (tr->outcome == GUEST_SKIPPED)
		return "no_tests";
	if (job->tests_outcome && strcmp(job->tests_outcome, "passed"))
		return job->tests_outcome;
	if (tr->outcome != GUEST_OK)
		return "tests_failed";
	snprintf(reason, n, "tests passed");
	return "passed";
}

json_t *
guest_job_results(struct guest_job *job)
{
	json_t *r = json_object(), *ts = json_array(), *timing = json_object();
	char reason[512] = "";
	const char *key;
	json_t *v;
	size_t ntasks = job->graph ? guest_graph_count(job->graph) : 0;

	jx_set(r, "schema_version", json_integer(1));
	jx_set(r, "job_id", json_string(job->job_id));
	jx_set(r, "agent", json_string("pyti-agent 1"));
	jx_set(r, "platform", json_string(job->platform));
	jx_set(r, "python", json_string(job->python));
	{
		json_t *d = json_object();

		jx_set(d, "name", json_string(job->dist));
		jx_set(d, "kind",
		       json_string(job->is_wheel ? "wheel" : "sdist"));
		jx_set(d, "sha256",
		       json_incref(
		           json_object_get(json_object_get(job->spec, "dist"),
		                           "sha256")
		               ?: json_null()));
		jx_set(r, "dist", d);
	}
	for (size_t i = 0; i < ntasks; i++) {
		struct guest_task_run *tr = guest_graph_task(job->graph, i);
		json_t *t = json_object(), *logs = json_array();
		json_t *data = json_object_get(job->data, tr->task->name);

		jx_set(t, "name", json_string(tr->task->name));
		jx_set(t, "outcome",
		       json_string(guest_outcome_name(tr->outcome)));
		jx_set(t, "reason", guest_jstr(tr->reason, strlen(tr->reason)));
		jx_set(t, "started_ms", json_integer(tr->started_ms));
		jx_set(t, "ended_ms", json_integer(tr->ended_ms));
		jx_set(t, "duration_ms",
		       json_integer(tr->ended_ms - tr->started_ms));
		jx_set(t, "exit_status",
		       tr->commands && tr->exit_status >= 0
		           ? json_integer(tr->exit_status)
		           : json_null());
		jx_set(t, "signal",
		       tr->signal ? json_integer(tr->signal) : json_null());
		if (tr->log.len) {
			json_t *l = json_object();
			char name[64];

			snprintf(name, sizeof(name), "%s.log", tr->task->name);
			jx_set(l, "name", json_string(name));
			jx_set(l, "bytes",
			       json_integer((json_int_t)tr->log.len));
			jx_set(l, "truncated", json_boolean(tr->output_capped));
			jx_append(logs, l);
		}
		jx_set(t, "logs", logs);
		jx_set(t, "data", data ? json_incref(data) : json_object());
		jx_append(ts, t);
		if (tr->started_ms &&
		    (!job->t_first || tr->started_ms < job->t_first))
			job->t_first = tr->started_ms;
		if (tr->ended_ms > job->t_last)
			job->t_last = tr->ended_ms;
	}
	jx_set(r, "tasks", ts);
	jx_set(r, "outcome",
	       json_string(job->graph
	                       ? package_outcome(job, reason, sizeof(reason))
	                       : "invalid_dist"));
	jx_set(r, "outcome_reason", guest_jstr(reason, strlen(reason)));
	jx_set(r, "findings", json_incref(job->findings.list));
	jx_set(r, "findings_dropped", json_integer(job->findings.dropped));
	jx_set(r, "hostile", json_boolean(job->findings.critical > 0));
	json_object_foreach(job->sections, key, v)
		jx_set(r, key, json_incref(v));
	job->t_ready = os_wall_ms();
	jx_set(timing, "job_received_ms", json_integer(job->t_job));
	jx_set(timing, "files_received_ms", json_integer(job->t_files));
	jx_set(timing, "first_task_started_ms", json_integer(job->t_first));
	jx_set(timing, "last_task_ended_ms", json_integer(job->t_last));
	jx_set(timing, "results_ready_ms", json_integer(job->t_ready));
	jx_set(r, "timing", timing);
	return r;
}
