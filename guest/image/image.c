/*
 * pyti-image: builds and finds the guest images, one per platform. A
 * platform is a config section ("[platform debian-12]": suite, python,
 * packages); its image is a directory <images dir>/<platform>/ holding
 * rootfs.img, vmlinuz, initrd.img, image.json and recipe.sha256.
 *
 * The build has two steps: guest/image/recipe.sh (mmdebstrap, slow) makes
 * base.img, then guest/image/inject.sh (debugfs, cheap) copies it to
 * rootfs.img with the agent and /etc/pyti/platform.json. Each step is
 * cached by a hash of what went into it, so rebuilding an unchanged
 * platform does nothing and a new agent costs only the cheap step:
 *
 *   base hash   = sha256(suite, packages, recipe.sh)
 *   recipe hash = sha256(base hash, inject.sh, init, platform, python,
 *                        sha256 of the agent or "none")
 *
 * The guest init goes in with the agent (cheap step), so changing it does
 * not cost an mmdebstrap run either.
 *
 * Child processes are started with posix_spawn and an argv, never a shell
 * command line built from strings.
 */
#include "cfg.h"
#include "cli.h"
#include "jx.h"
#include "log.h"
#include "os.h"
#include "sha256.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define HASH_HEX (SHA256_HEX_LEN + 1)
#define PLATFORM_PREFIX "platform "

/* Used when the config names no platform at all (a fresh checkout). */
static const char builtin_platforms[] =
    "[platform debian-11]\nsuite = bullseye\npython = 3.9\n"
    "[platform debian-12]\nsuite = bookworm\npython = 3.11\n"
    "[platform debian-13]\nsuite = trixie\npython = 3.13\n";

/*
 * What every image holds: the interpreter and the tools the agent runs,
 * a kernel, and gcc + headers so sdists with C extensions can be built.
 */
static const char default_packages[] =
    "python3 python3-pip python3-venv python3-setuptools python3-wheel "
    "python3-pytest python3-coverage python3-pycodestyle python3-pyflakes "
    "strace linux-image-amd64 initramfs-tools mount kmod "
    "gcc libc6-dev python3-dev";

/* no_timer_check: under TCG on a loaded host the kernel's check of the
 * IO-APIC timer can miss its ticks and panic ("IO-APIC + timer doesn't
 * work"), seen with load ~20 on 2 cores; the emulated timer is fine. */
static const char kernel_cmdline[] =
    "root=/dev/vda ro console=ttyS0 init=/usr/lib/pyti/init quiet "
    "panic=-1 unknown_nmi_panic=1 no_timer_check";

struct paths {
	char *top; /* the tree pyti-image runs from (bin/..) */
	char *images; /* the image dir */
	char *recipe; /* guest/image/recipe.sh: the base step */
	char *inject; /* guest/image/inject.sh: the agent step */
	char *init; /* guest/image/init */
	char *agent; /* bin/pyti-agent; may not exist */
	char *mirror; /* the Debian archive: [images] mirror, else the
	                 machine's own apt sources (apt_archive()) */
};

struct platform {
	const char *name; /* "debian-12", borrowed from the cfg */
	const char *section; /* "platform debian-12" */
	const char *suite;
	const char *python;
	char *packages; /* owned: packages + extra-packages */
	char *dir; /* owned: <images>/<name> */
	char base_hash[HASH_HEX];
	char recipe_hash[HASH_HEX];
	char agent_hash[HASH_HEX]; /* "" when there is no agent */
};

static char *
path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s", a, b);
	return p;
}

/* A path from the config: absolute as is, relative to the tree top. */
static char *
resolve(const char *top, const char *p)
{
	return p[0] == '/' ? xstrdup(p) : path_join(top, p);
}

/* sha256 of a file into out. Returns 0, 1 when it does not exist, -1. */
static int
hash_file(const char *path, char out[HASH_HEX])
{
	unsigned char buf[65536];
	struct sha256 ctx;
	ssize_t n;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return log_error("cannot open '%s': %s", path, strerror(errno));
	}
	sha256_init(&ctx);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("cannot read '%s': %s", path,
			          strerror(errno));
			goto out;
		}
		sha256_update(&ctx, buf, (size_t)n);
	}
	sha256_final_hex(&ctx, out);
	ret = 0;
out:
	close(fd);
	return ret;
}

static void
hash_text(const char *text, char out[HASH_HEX])
{
	sha256_hex(text, strlen(text), out);
}

/* Read a small text file (a stored hash) into out; "" when absent. */
static void
read_small(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "re");

	out[0] = '\0';
	if (!f)
		return;
	if (!fgets(out, (int)size, f))
		out[0] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	fclose(f);
}

static int
file_exists(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	struct stat st;
	int ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);

	free(p);
	return ok;
}

/*
 * The URI of a Debian archive in one apt sources file, or NULL: the first
 * whose path ends in "/debian" (not debian-security, not a third-party
 * repository). One-line ("deb [opts] URI suite ...") and deb822
 * ("URIs: ...") files are both read.
 */
static char *
apt_archive_in(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024], *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *tok, *save = NULL, *t = line;
		int deb822 = !strncmp(line, "URIs:", 5), words = 0, inopt = 0;

		if (deb822)
			t = line + 5;
		else if (strncmp(line, "deb ", 4))
			continue;
		for (tok = strtok_r(t, " \t\r\n", &save); tok && !found;
		     tok = strtok_r(NULL, " \t\r\n", &save)) {
			size_t n = strlen(tok);

			if (inopt ||
			    tok[0] == '[') { /* [options], maybe spaced */
				inopt = tok[n - 1] != ']';
				continue;
			}
			if (!deb822 && words++ == 0)
				continue; /* "deb" */
			while (n > 1 && tok[n - 1] == '/')
				tok[--n] = '\0';
			if (strstr(tok, "://") && n > 7 &&
			    !strcmp(tok + n - 7, "/debian"))
				found = xstrdup(tok);
			if (!deb822)
				break; /* one-line: only the URI after deb */
		}
	}
	fclose(f);
	return found;
}

/* The Debian archive the machine's own apt uses (sources.list, then
 * sources.list.d/ in name order), or NULL. Owned: free(). */
static char *
apt_archive(void)
{
	const char *dir = "/etc/apt/sources.list.d";
	char *found = apt_archive_in("/etc/apt/sources.list");
	struct dirent **names = NULL;
	int n = found ? 0 : scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *e = strrchr(names[i]->d_name, '.');

		if (!found && e &&
		    (!strcmp(e, ".list") || !strcmp(e, ".sources"))) {
			char *path = path_join(dir, names[i]->d_name);

			found = apt_archive_in(path);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	return found;
}

static int
paths_init(struct paths *p, const struct cfg *c)
{
	char exe[PATH_MAX], *slash, *up;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *env;

	if (n < 0)
		return log_error("cannot find my own path: %s",
		                 strerror(errno));
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	up = path_join(exe, "..");
	p->top = realpath(up, NULL);
	free(up);
	if (!p->top)
		return log_error("cannot resolve '%s/..': %s", exe,
		                 strerror(errno));
	env = getenv("PYTI_IMAGE_DIR");
	p->images = resolve(
	    p->top,
	    env && *env ? env : cfg_get(c, "images", "dir", "var/images"));
	p->recipe = resolve(
	    p->top, cfg_get(c, "images", "recipe", "guest/image/recipe.sh"));
	p->inject = resolve(
	    p->top, cfg_get(c, "images", "inject", "guest/image/inject.sh"));
	p->init =
	    resolve(p->top, cfg_get(c, "images", "init", "guest/image/init"));
	env = getenv("PYTI_AGENT");
	p->agent = env && *env ? xstrdup(env)
	                       : resolve(p->top, cfg_get(c, "images", "agent",
	                                                 "bin/pyti-agent"));
	env = cfg_get(c, "images", "mirror", NULL);
	p->mirror = env && *env ? xstrdup(env) : apt_archive();
	if (!p->mirror)
		return log_error(
		    "no Debian archive in the apt sources "
		    "(/etc/apt/sources.list, sources.list.d/): set "
		    "[images] mirror");
	return 0;
}

static void
paths_release(struct paths *p)
{
	free(p->top);
	free(p->images);
	free(p->recipe);
	free(p->inject);
	free(p->init);
	free(p->agent);
	free(p->mirror);
}

static void
platform_release(struct platform *pl)
{
	free(pl->packages);
	free(pl->dir);
}

/* Suite and package names: what apt accepts, nothing a shell would read. */
static int
valid_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("+-.:=~", *s)))
			return 0;
	return 1;
}

static int
valid_packages(const char *list)
{
	int words = 0;

	for (const char *s = list; *s; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("+-.:=~", *s)))
			return 0;
		if (s == list || s[-1] == ' ' || s[-1] == '\t')
			words++;
	}
	return words > 0;
}

/*
 * Fill pl from the config section and hash its inputs. Returns 0, or -1
 * (logged) for an unknown platform or an invalid section.
 */
static int
platform_load(struct platform *pl, const struct cfg *c, const struct paths *p,
              const char *name)
{
	char section[256], buf[1024], sub[HASH_HEX], init[HASH_HEX];
	char inject[HASH_HEX];
	const char *pk, *extra;
	int r;

	memset(pl, 0, sizeof(*pl));
	snprintf(section, sizeof(section), PLATFORM_PREFIX "%s", name);
	pl->suite = cfg_get(c, section, "suite", NULL);
	pl->python = cfg_get(c, section, "python", NULL);
	if (!pl->suite && !pl->python)
		return log_error("unknown platform '%s' (no [%s] in the "
		                 "config)",
		                 name, section);
	if (!pl->suite || !valid_word(pl->suite))
		return log_error("[%s]: missing or invalid 'suite'", section);
	if (!pl->python || !valid_word(pl->python))
		return log_error("[%s]: missing or invalid 'python'", section);
	for (const char *s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '.' || *s == '_') ||
		    name[0] == '.')
			return log_error("invalid platform name '%s'", name);
	pk = cfg_get(c, section, "packages", default_packages);
	extra = cfg_get(c, section, "extra-packages", "");
	if (!valid_packages(pk) || (*extra && !valid_packages(extra)))
		return log_error("[%s]: invalid package list", section);
	snprintf(buf, sizeof(buf), "%s %s", pk, extra);
	pl->packages = xstrdup(buf);
	pl->name = name;
	pl->dir = path_join(p->images, name);

	if (hash_file(p->recipe, sub))
		return log_error("cannot read the recipe '%s'", p->recipe);
	if (hash_file(p->init, init))
		return log_error("cannot read the guest init '%s'", p->init);
	snprintf(buf, sizeof(buf),
	         "pyti-image base 2\nsuite=%s\npackages=%s\nrecipe=%s\n",
	         pl->suite, pl->packages, sub);
	hash_text(buf, pl->base_hash);
	if (hash_file(p->inject, inject))
		return log_error("cannot read the inject step '%s'", p->inject);
	r = hash_file(p->agent, pl->agent_hash);
	if (r < 0)
		return -1;
	if (r > 0)
		pl->agent_hash[0] = '\0';
	snprintf(buf, sizeof(buf),
	         "pyti-image 1\nbase=%s\ninject=%s\ninit=%s\nplatform=%s\n"
	         "python=%s\nagent=%s\n",
	         pl->base_hash, inject, init, name, pl->python,
	         *pl->agent_hash ? pl->agent_hash : "none");
	hash_text(buf, pl->recipe_hash);
	return 0;
}

/* The state of a platform's image: "built", "stale" or "missing". */
static const char *
platform_state(const struct platform *pl)
{
	char *f = path_join(pl->dir, "recipe.sha256");
	char have[HASH_HEX + 2];
	static const char *const parts[] = {"rootfs.img", "vmlinuz",
	                                    "initrd.img", "image.json"};

	read_small(f, have, sizeof(have));
	free(f);
	if (!*have)
		return "missing";
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!file_exists(pl->dir, parts[i]))
			return "missing";
	return strcmp(have, pl->recipe_hash) ? "stale" : "built";
}

/* Run `sh SCRIPT [STEP] DIR`; returns 0 or -1 (logged). */
static int
run_script(const char *script, const char *step, const char *dir)
{
	char *sc = xstrdup(script), *s = xstrdup(step ? step : dir);
	char *d = step ? xstrdup(dir) : NULL;
	char *argv[] = {"/bin/sh", sc, s, d, NULL};
	pid_t pid;
	int st, err;

	err = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
	free(sc);
	free(s);
	free(d);
	if (err)
		return log_error("cannot run '%s': %s", script, strerror(err));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return log_error("waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		return log_error("'%s' killed by signal %d", script,
		                 WTERMSIG(st));
	return log_error("'%s' failed (exit %d)", script, WEXITSTATUS(st));
}

static int
write_image_json(const struct platform *pl, double seconds)
{
	char *f = path_join(pl->dir, "image.json");
	char *kv = path_join(pl->dir, "kernel-version");
	char *rootfs = path_join(pl->dir, "rootfs.img");
	char kver[128], *text = NULL, *pk;
	json_t *j = json_object();
	struct stat st;
	int ret = -1;

	read_small(kv, kver, sizeof(kver));
	if (stat(rootfs, &st)) {
		log_error("cannot stat '%s': %s", rootfs, strerror(errno));
		goto out;
	}
	jx_set(j, "format", json_integer(1));
	jx_set(j, "platform", json_string(pl->name));
	jx_set(j, "suite", json_string(pl->suite));
	jx_set(j, "python", json_string(pl->python));
	pk = xstrdup(pl->packages);
	for (size_t n = strlen(pk); n > 0 && pk[n - 1] == ' '; n--)
		pk[n - 1] = '\0';
	jx_set(j, "packages", json_string(pk));
	free(pk);
	jx_set(j, "kernel", json_string("vmlinuz"));
	jx_set(j, "kernel_version", json_string(kver));
	jx_set(j, "initrd", json_string("initrd.img"));
	jx_set(j, "rootfs", json_string("rootfs.img"));
	jx_set(j, "rootfs_size", json_integer((json_int_t)st.st_size));
	jx_set(j, "cmdline", json_string(kernel_cmdline));
	jx_set(j, "recipe_hash", json_string(pl->recipe_hash));
	jx_set(j, "base_hash", json_string(pl->base_hash));
	jx_set(j, "agent_sha256",
	       jx_string_or_null(*pl->agent_hash ? pl->agent_hash : NULL));
	jx_set(j, "built_at", json_integer((json_int_t)time(NULL)));
	jx_set(j, "build_seconds", json_real(seconds));
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text) {
		log_error("cannot encode image.json");
		goto out;
	}
	ret = os_write_atomic(f, text, strlen(text), 0644);
out:
	free(text);
	json_decref(j);
	free(rootfs);
	free(kv);
	free(f);
	return ret;
}

/* Build one platform's image unless it is up to date. Returns 0 or -1. */
static int
build_one(const struct paths *p, struct platform *pl, int force)
{
	char *lockf = NULL, *bh = NULL, *rh = NULL;
	char have[HASH_HEX + 2];
	int64_t t0 = os_mono_ms(), tb;
	int lock = -1, ret = -1;

	if (os_mkdir_p(pl->dir, 0755))
		return -1;
	lockf = path_join(pl->dir, ".lock");
	bh = path_join(pl->dir, "base.sha256");
	rh = path_join(pl->dir, "recipe.sha256");
	lock = open(lockf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0) {
		log_error("cannot open '%s': %s", lockf, strerror(errno));
		goto out;
	}
	if (flock(lock, LOCK_EX | LOCK_NB)) {
		log_info("%s: another build holds '%s', waiting", pl->name,
		         lockf);
		if (flock(lock, LOCK_EX)) {
			log_error("cannot lock '%s': %s", lockf,
			          strerror(errno));
			goto out;
		}
	}
	if (!force && !strcmp(platform_state(pl), "built")) {
		log_info("%s: up to date (%.12s)", pl->name, pl->recipe_hash);
		ret = 0;
		goto out;
	}
	if (!*pl->agent_hash)
		log_warn("%s: no agent at '%s': the image will boot to an "
		         "'agent missing' message",
		         pl->name, p->agent);

	setenv("PYTI_SUITE", pl->suite, 1);
	setenv("PYTI_MIRROR", p->mirror, 1);
	setenv("PYTI_PACKAGES", pl->packages, 1);
	setenv("PYTI_INIT", p->init, 1);
	setenv("PYTI_AGENT", *pl->agent_hash ? p->agent : "", 1);
	setenv("PYTI_PLATFORM", pl->name, 1);
	setenv("PYTI_PYTHON", pl->python, 1);

	read_small(bh, have, sizeof(have));
	if (force || strcmp(have, pl->base_hash) ||
	    !file_exists(pl->dir, "base.img") ||
	    !file_exists(pl->dir, "vmlinuz") ||
	    !file_exists(pl->dir, "initrd.img")) {
		log_info("%s: building base image from '%s' %s", pl->name,
		         p->mirror, pl->suite);
		unlink(rh);
		unlink(bh);
		if (run_script(p->recipe, "base", pl->dir) ||
		    os_write_atomic(bh, pl->base_hash, strlen(pl->base_hash),
		                    0644))
			goto out;
	}
	tb = os_mono_ms();
	if (run_script(p->inject, NULL, pl->dir))
		goto out;
	if (write_image_json(pl, (double)(os_mono_ms() - t0) / 1e3) ||
	    os_write_atomic(rh, pl->recipe_hash, strlen(pl->recipe_hash), 0644))
		goto out;
	log_info("%s: built in %.1f s (base %.1f s, agent %.2f s) in '%s'",
	         pl->name, (double)(os_mono_ms() - t0) / 1e3,
	         (double)(tb - t0) / 1e3, (double)(os_mono_ms() - tb) / 1e3,
	         pl->dir);
	ret = 0;
out:
	if (lock >= 0)
		close(lock);
	free(lockf);
	free(bh);
	free(rh);
	return ret;
}

struct names {
	const char **v;
	size_t n;
};

static int
collect_platform(const char *section, void *arg)
{
	struct names *names = arg;

	names->v = xreallocarray(names->v, names->n + 1, sizeof(*names->v));
	names->v[names->n++] = section + strlen(PLATFORM_PREFIX);
	return 0;
}

static int
collect_any(const char *section, void *arg)
{
	*(int *)arg = 1;
	return 1;
}

static int
cmd_build(const struct cfg *c, const struct paths *p, int argc, char **argv)
{
	struct names all = {0};
	int force = 0, every = 0, failed = 0, named = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			force = 1;
		else if (!strcmp(argv[i], "--all"))
			every = 1;
		else if (argv[i][0] == '-') {
			log_error("unknown option '%s'", argv[i]);
			return 2;
		} else
			named++;
	}
	if (every == (named > 0)) {
		log_error("build: name platforms or give --all");
		return 2;
	}
	if (every)
		cfg_each_section(c, PLATFORM_PREFIX, collect_platform, &all);
	for (size_t i = 0; i < (size_t)argc + all.n; i++) {
		const char *name =
		    i < (size_t)argc ? argv[i] : all.v[i - (size_t)argc];
		struct platform pl;

		if (name[0] == '-')
			continue;
		if (platform_load(&pl, c, p, name) || build_one(p, &pl, force))
			failed = 1;
		platform_release(&pl);
	}
	free(all.v);
	return failed;
}

static int
cmd_list(const struct cfg *c, const struct paths *p)
{
	struct names all = {0};
	int failed = 0;

	cfg_each_section(c, PLATFORM_PREFIX, collect_platform, &all);
	for (size_t i = 0; i < all.n; i++) {
		struct platform pl;

		if (platform_load(&pl, c, p, all.v[i]) == 0)
			printf("%s\t%s\tpython %s\t%s\t%s\n", pl.name, pl.suite,
			       pl.python, platform_state(&pl), pl.dir);
		else
			failed = 1;
		platform_release(&pl);
	}
	free(all.v);
	return failed;
}

static int
cmd_path(const struct cfg *c, const struct paths *p, const char *name)
{
	struct platform pl;
	const char *state;
	int ret = 1;

	if (platform_load(&pl, c, p, name) == 0) {
		state = platform_state(&pl);
		if (!strcmp(state, "missing"))
			log_error("%s: no image in '%s' (run 'pyti-image build "
			          "%s')",
			          name, pl.dir, name);
		else {
			if (!strcmp(state, "stale"))
				log_warn("%s: image is stale (recipe or agent "
				         "changed)",
				         name);
			printf("%s\n", pl.dir);
			ret = 0;
		}
	}
	platform_release(&pl);
	return ret;
}

static int
setup(struct cli *cli)
{
	struct paths *p = cli->ctx;
	int any = 0;

	cfg_each_section(cli->cfg, PLATFORM_PREFIX, collect_any, &any);
	if (!any &&
	    cfg_load_string(cli->cfg, "built-in platforms", builtin_platforms))
		return -1;
	return paths_init(p, cli->cfg);
}

static int
run_build(struct cli *cli, int argc, char **argv)
{
	return cmd_build(cli->cfg, cli->ctx, argc, argv);
}

static int
run_list(struct cli *cli, int argc, char **argv)
{
	return cmd_list(cli->cfg, cli->ctx);
}

static int
run_path(struct cli *cli, int argc, char **argv)
{
	return cmd_path(cli->cfg, cli->ctx, argv[0]);
}

static int
run_mirror(struct cli *cli, int argc, char **argv)
{
	const struct paths *p = cli->ctx;

	printf("%s\n", p->mirror);
	return 0;
}

/* build parses its own --all and --force (raw). */
static const struct cli_cmd cmds[] = {
    {"build", run_build, 0, -1, "PLATFORM...|--all [--force]",
     "build images (cached by recipe hash)", NULL, 1},
    {"list", run_list, 0, 0, "", "platforms and their image state", NULL, 0},
    {"path", run_path, 1, 1, "PLATFORM",
     "the image directory of a built platform", NULL, 0},
    {"mirror", run_mirror, 0, 0, "", "the Debian archive images are built from",
     NULL, 0},
    {0},
};

static const struct cli_prog prog = {
    .name = "pyti-image",
    .about = "Builds and finds the guest images (docs/guest.md).",
    .cmds = cmds,
    .more = "The image dir is $PYTI_IMAGE_DIR, else [images] dir (default "
            "var/images\nbelow the tree); $PYTI_AGENT overrides the agent "
            "binary.\n",
    .setup = setup,
};

int
main(int argc, char **argv)
{
	struct paths p = {0};
	int ret = cli_main(&prog, &p, argc, argv);

	paths_release(&p);
	return ret;
}
