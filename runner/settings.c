/*
 * Reading the runner's part of pyti.conf. Relative paths are relative to
 * the working directory (development trees, tests); a production install
 * sets absolute ones.
 */
#include "settings.h"
#include "cfg.h"
#include "log.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

static char *
str(const struct cfg *c, const char *sec, const char *key, const char *def)
{
	return xstrdup(cfg_get(c, sec, key, def));
}

static int
dur_s(const struct cfg *c, const char *key, uint64_t def_ms, int64_t *out)
{
	uint64_t ms;

	if (cfg_get_duration_ms(c, "runner", key, def_ms, &ms))
		return -1;
	*out = (int64_t)ms;
	return 0;
}

struct collect {
	struct run_settings *s;
	const struct cfg *c;
	int err;
};

/* [runner] KEY is A (the default) or B: *is_b says which; else -1
 * (logged). */
static int
either(const struct cfg *c, const char *key, const char *a, const char *b,
       int *is_b)
{
	const char *v = cfg_get(c, "runner", key, a);

	if (strcmp(v, a) && strcmp(v, b))
		return log_error("[runner] %s must be %s or %s, not '%s'", key,
		                 a, b, v);
	*is_b = strcmp(v, b) == 0;
	return 0;
}

static int
add_platform(struct run_settings *s, const struct cfg *c, const char *name)
{
	char sec[256];
	struct run_platform *p;
	int64_t vms, vcpus;
	uint64_t mem;

	snprintf(sec, sizeof(sec), "platform %s", name);
	if (cfg_get_int(c, sec, "vms", 1, 1, 64, &vms) ||
	    cfg_get_int(c, sec, "vcpus", 1, 1, 64, &vcpus) ||
	    cfg_get_size(c, sec, "memory", 1024ull << 20, &mem))
		return -1;
	if (mem < (128ull << 20))
		return log_error("[%s] memory must be at least 128M", sec);
	s->platforms = xreallocarray(s->platforms, (size_t)s->nplatforms + 1,
	                             sizeof(*s->platforms));
	p = &s->platforms[s->nplatforms++];
	p->name = xstrdup(name);
	p->python = cfg_get(c, sec, "python", NULL)
	                ? xstrdup(cfg_get(c, sec, "python", NULL))
	                : NULL;
	p->vms = (int)vms;
	p->vcpus = (int)vcpus;
	p->memory_mib = mem >> 20;
	return 0;
}

static int
each_platform(const char *section, void *arg)
{
	struct collect *k = arg;

	if (add_platform(k->s, k->c, section + strlen("platform ")))
		return -1;
	return 0;
}

int
run_settings_load(const struct cfg *c, const char *const *only, int nonly,
                  struct run_settings *s)
{
	char host[256] = "runner";
	const char *img = getenv("PYTI_IMAGE_DIR");
	struct collect k = {s, c, 0};
	int64_t n;
	uint64_t u;
	int i;

	memset(s, 0, sizeof(*s));
	gethostname(host, sizeof(host) - 1);
	host[strcspn(host, ".")] = '\0';
	s->name = str(c, "runner", "name", host);
	s->conninfo = str(c, "database", "conninfo", "dbname=pyti");
	s->uri = str(c, "runner", "uri", "qemu:///system");
	s->image_dir =
	    img && *img ? xstrdup(img) : str(c, "images", "dir", "var/images");
	s->state_dir = str(c, "runner", "state-dir", "var/lib/pyti-run");
	s->spool_dir = str(c, "runner", "spool", "var/spool/pyti-run");
	s->store = str(c, "runner", "store", "var/store");
	s->accel = str(c, "runner", "accel", "auto");
	s->kvm_probe = str(c, "runner", "kvm-probe", "");
	if (dur_s(c, "lease", 300000, &s->lease_s) ||
	    dur_s(c, "heartbeat", 0, &s->heartbeat_s) ||
	    dur_s(c, "rescue-interval", 0, &s->rescue_s) ||
	    dur_s(c, "poll", 1000, &s->poll_ms) ||
	    dur_s(c, "job-timeout", 120 * 60000, &s->job_timeout_ms) ||
	    dur_s(c, "frame-timeout", 60000, &s->frame_ms) ||
	    dur_s(c, "release-delay", 30000, &s->release_delay_s) ||
	    dur_s(c, "silence-timeout", 60000, &s->silence_ms) ||
	    dur_s(c, "hello-timeout", 30000, &s->hello_ms) ||
	    dur_s(c, "boot-timeout", 300000, &s->boot_ms) ||
	    cfg_get_int(c, "runner", "infra-retries", 2, 0, 10, &n) ||
	    cfg_get_size(c, "runner", "max-guest-bytes", 128u << 20, &u))
		return -1;
	s->lease_s /= 1000;
	s->release_delay_s /= 1000;
	if (s->lease_s < 2)
		return log_error("[runner] lease must be at least 2s");
	s->heartbeat_s =
	    s->heartbeat_s ? s->heartbeat_s / 1000 : s->lease_s / 3;
	if (s->heartbeat_s < 1)
		s->heartbeat_s = 1;
	s->rescue_s = s->rescue_s ? s->rescue_s / 1000 : s->lease_s / 2;
	if (s->rescue_s < 1)
		s->rescue_s = 1;
	s->infra_retries = (int)n;
	s->max_in = (int64_t)u;
	if (either(c, "on-stop", "return", "finish", &s->finish_on_stop) ||
	    either(c, "reset", "restore", "boot", &s->boot_per_job))
		return -1;
	if (strcmp(s->accel, "auto") && strcmp(s->accel, "kvm") &&
	    strcmp(s->accel, "tcg"))
		return log_error("[runner] accel must be auto, kvm or tcg, "
		                 "not '%s'",
		                 s->accel);
	if (nonly > 0) {
		for (i = 0; i < nonly; i++)
			if (add_platform(s, c, only[i]))
				return -1;
	} else if (cfg_each_section(c, "platform ", each_platform, &k)) {
		return -1;
	}
	return 0;
}

void
run_settings_release(struct run_settings *s)
{
	int i;

	for (i = 0; i < s->nplatforms; i++) {
		free(s->platforms[i].name);
		free(s->platforms[i].python);
	}
	free(s->platforms);
	free(s->name);
	free(s->conninfo);
	free(s->uri);
	free(s->image_dir);
	free(s->state_dir);
	free(s->spool_dir);
	free(s->store);
	free(s->accel);
	free(s->kvm_probe);
	memset(s, 0, sizeof(*s));
}

int
run_settings_kvm(const struct run_settings *s)
{
	char word[16] = "";
	FILE *f;

	if (strcmp(s->accel, "kvm") == 0)
		return 1;
	if (strcmp(s->accel, "tcg") == 0 || !s->kvm_probe[0] ||
	    access("/dev/kvm", R_OK | W_OK))
		return 0;
	/*
	 * The probe (tests/helper/kvm-probe) boots a kernel under KVM with
	 * its own timeout and prints "kvm" or "tcg": /dev/kvm existing is
	 * not enough, a guest may hang under it.
	 */
	f = popen(s->kvm_probe, "r");
	if (!f)
		return 0;
	if (!fgets(word, sizeof(word), f))
		word[0] = '\0';
	pclose(f);
	if (strncmp(word, "kvm", 3) == 0) {
		log_info("KVM probe passed: using KVM");
		return 1;
	}
	log_info("KVM probe says no: using TCG (software emulation)");
	return 0;
}
