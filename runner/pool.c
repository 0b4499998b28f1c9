/*
 * The VM pool over libvirt: domain XML, the boot -> HELO -> save cycle
 * that makes each slot's clean state, and the per-job restore. Domains
 * are transient (virDomainCreateXML / virDomainRestoreFlags): nothing is
 * left defined in libvirt when the runner goes away, and a stale domain
 * of ours found at start is destroyed.
 */
#include "pool.h"
#include "buf.h"
#include "chan.h"
#include "esc.h"
#include "jx.h"
#include "log.h"
#include "os.h"
#include "xalloc.h"

#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CMDLINE                                                        \
	"root=/dev/vda ro console=ttyS0 init=/usr/lib/pyti/init quiet"

struct run_vm {
	struct run_pool *pool;
	int index;
	char *name; /* domain name */
	char *save; /* save image path */
	char *sock; /* channel socket path */
	char *xml; /* the domain XML */
	virDomainPtr dom; /* the running domain, or NULL */
};

struct run_pool {
	struct run_pool_config cfg; /* strings point to the owned copies */
	char *own_uri, *own_name, *own_platform, *own_image_dir, *own_state_dir;
	pthread_mutex_t conn_lock; /* conn, old, nold */
	virConnectPtr conn; /* the live connection (see pool_conn) */
	virConnectPtr *old; /* replaced connections, closed at the end:
			       another slot may still hold one */
	size_t nold;
	int local; /* the URI names this host: QEMU can be killed */
	char *kernel, *initrd, *rootfs, *cmdline, *python;
	struct run_vm *vms;
};

/* libvirt reports errors to stderr by default; we report them ourselves. */
static void
quiet_errors(void *arg, virErrorPtr err)
{
}

static int
virt_error(const char *what, const char *subject)
{
	return log_error("cannot %s '%s': %s", what, subject,
	                 virGetLastErrorMessage());
}

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
pathf(const char *fmt, ...)
{
	struct buf b = BUF_INIT(4096);
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b, NULL);
}

/* Append s with the markup characters escaped (esc.h). */
static void
xml_esc(struct buf *b, const char *s)
{
	esc_markup(b, s, strlen(s));
}

static char *
domain_xml(const struct run_pool *p, const struct run_vm *vm,
           const char *console)
{
	struct buf b = BUF_INIT(0);

	buf_addf(&b, "<domain type='%s'>\n  <name>",
	         p->cfg.kvm ? "kvm" : "qemu");
	xml_esc(&b, vm->name);
	buf_addf(&b,
	         "</name>\n  <memory unit='MiB'>%llu</memory>\n"
	         "  <vcpu placement='static'>%d</vcpu>\n"
	         "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n"
	         "    <kernel>",
	         (unsigned long long)p->cfg.memory_mib, p->cfg.vcpus);
	xml_esc(&b, p->kernel);
	buf_adds(&b, "</kernel>\n    <initrd>");
	xml_esc(&b, p->initrd);
	buf_adds(&b, "</initrd>\n    <cmdline>");
	xml_esc(&b, p->cmdline);
	buf_adds(
	    &b, "</cmdline>\n  </os>\n  <features><acpi/></features>\n"
	        "  <clock offset='utc'/>\n"
	        "  <on_poweroff>destroy</on_poweroff>\n"
	        "  <on_reboot>destroy</on_reboot>\n"
	        /* preserve: the crashed state stays visible to run_vm_check */
	        "  <on_crash>preserve</on_crash>\n"
	        "  <devices>\n"
	        "    <disk type='file' device='disk'>\n"
	        "      <driver name='qemu' type='raw'/>\n      <source file='");
	xml_esc(&b, p->rootfs);
	buf_adds(&b, "'/>\n      <target dev='vda' bus='virtio'/>\n"
	             "      <readonly/>\n    </disk>\n"
	             "    <controller type='usb' model='none'/>\n"
	             "    <serial type='pty'>\n      <log file='");
	xml_esc(&b, console);
	buf_adds(&b, "' append='off'/>\n      <target port='0'/>\n"
	             "    </serial>\n"
	             "    <channel type='unix'>\n      <source mode='bind' "
	             "path='");
	xml_esc(&b, vm->sock);
	buf_adds(&b, "'/>\n      <target type='virtio' "
	             "name='org.pyti.agent.0'/>\n    </channel>\n"
	             "    <memballoon model='none'/>\n"
	             "    <panic model='isa'/>\n"
	             "  </devices>\n</domain>\n");
	return buf_detach(&b, NULL);
}

static int
read_image(struct run_pool *p)
{
	char *dir = realpath(p->cfg.image_dir, NULL), *rel;
	char *meta = NULL;
	const char *s;
	json_t *j = NULL;
	int ret = -1;
	struct stat st;

	/* libvirt resolves paths in its own working directory: absolute. */
	rel = pathf("%s/%s", dir ? dir : p->cfg.image_dir, p->cfg.platform);
	free(dir);
	dir = rel;
	meta = pathf("%s/image.json", dir);
	p->kernel = pathf("%s/vmlinuz", dir);
	p->initrd = pathf("%s/initrd.img", dir);
	p->rootfs = pathf("%s/rootfs.img", dir);
	if (stat(p->kernel, &st) || stat(p->initrd, &st) ||
	    stat(p->rootfs, &st)) {
		log_error("no image for platform '%s' in '%s' (run pyti-image "
		          "build %s)",
		          p->cfg.platform, dir, p->cfg.platform);
		goto out;
	}
	j = jx_load_file(meta, 1 << 16);
	if (!j)
		goto out;
	s = jx_str(j, "cmdline");
	p->cmdline = xstrdup(s ? s : DEFAULT_CMDLINE);
	/* An NMI panics the guest: tests use it, and it is a crash anyway. */
	if (!strstr(p->cmdline, "unknown_nmi_panic")) {
		char *c = pathf("%s unknown_nmi_panic=1", p->cmdline);

		free(p->cmdline);
		p->cmdline = c;
	}
	s = jx_str(j, "python");
	p->python = xstrdup(s ? s : "");
	ret = 0;
out:
	json_decref(j);
	free(dir);
	free(meta);
	return ret;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 40 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789_.-") == n;
}

/* libvirt's keepalive needs an event loop: one thread for the process. */
static void *
event_loop(void *arg)
{
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			usleep(100000);
	return NULL;
}

static void
libvirt_init(void)
{
	pthread_t t;

	virInitialize();
	if (virEventRegisterDefaultImpl() == 0 &&
	    pthread_create(&t, NULL, event_loop, NULL) == 0)
		pthread_detach(t);
	else
		log_warn("no libvirt event loop: no keepalive");
}

/* Open a connection with keepalive: a libvirtd that stops answering is
 * noticed within ~15 s (5 s interval, 3 missed), not at the next call's
 * TCP timeout. */
static virConnectPtr
open_conn(const char *uri)
{
	virConnectPtr c = virConnectOpen(uri);

	if (!c)
		return NULL;
	if (virConnectSetKeepAlive(c, 5, 3) < 0)
		log_warn("libvirt at '%s': no keepalive: %s", uri,
		         virGetLastErrorMessage());
	return c;
}

/* The pool's live connection, with a reference the caller drops with
 * virConnectClose(). NULL when there is none (logged by the health check). */
static virConnectPtr
pool_conn(struct run_pool *p)
{
	virConnectPtr c;

	pthread_mutex_lock(&p->conn_lock);
	c = p->conn;
	if (c)
		virConnectRef(c);
	pthread_mutex_unlock(&p->conn_lock);
	return c;
}

int
run_pool_health(struct run_pool *p)
{
	int ret = 0;

	pthread_mutex_lock(&p->conn_lock);
	if (p->conn && virConnectIsAlive(p->conn) == 1) {
		unsigned long v;

		/* a round trip: a daemon that hangs fails here */
		if (virConnectGetLibVersion(p->conn, &v) == 0)
			goto out;
	}
	if (p->conn) {
		log_warn("libvirt connection to '%s' is broken (%s): "
		         "reconnecting",
		         p->cfg.uri, virGetLastErrorMessage());
		p->old = xreallocarray(p->old, p->nold + 1, sizeof(*p->old));
		p->old[p->nold++] = p->conn;
		p->conn = NULL;
	}
	p->conn = open_conn(p->cfg.uri);
	if (!p->conn) {
		ret = -1;
		goto out;
	}
	log_info("reconnected to libvirt at '%s'", p->cfg.uri);
out:
	pthread_mutex_unlock(&p->conn_lock);
	return ret;
}

/* 1 if the URI is a QEMU driver on this host (its QEMU processes are
 * ours to see in /proc). */
static int
uri_is_local(const char *uri)
{
	return strncmp(uri, "qemu:///", 8) == 0;
}

/*
 * The last resort when libvirt cannot destroy a domain (libvirtd down or
 * wedged): find its QEMU process by the "-name guest=NAME," libvirt gives
 * it and SIGKILL it. Only for a local URI. Returns the number killed.
 */
static int
kill_qemu(const char *name)
{
	char want[128], path[64], argv[65536];
	struct dirent *e;
	DIR *d = opendir("/proc");
	int killed = 0;

	if (!d)
		return 0;
	snprintf(want, sizeof(want), "guest=%s,", name);
	while ((e = readdir(d))) {
		ssize_t n;
		size_t off;
		int fd, is_qemu = 0;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, argv, sizeof(argv) - 1);
		close(fd);
		if (n <= 0)
			continue;
		argv[n] = '\0';
		is_qemu = strstr(argv, "qemu") != NULL;
		for (off = 0; is_qemu && off < (size_t)n;
		     off += strlen(argv + off) + 1) {
			if (strncmp(argv + off, want, strlen(want)) == 0 ||
			    strcmp(argv + off, want) == 0) {
				pid_t pid = (pid_t)atol(e->d_name);

				log_warn("killing QEMU process %ld of '%s': "
				         "libvirt could not destroy it",
				         (long)pid, name);
				if (kill(pid, SIGKILL) == 0)
					killed++;
				break;
			}
		}
	}
	closedir(d);
	return killed;
}

struct run_pool *
run_pool_new(const struct run_pool_config *cfg)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct run_pool *p;
	int i;

	if (!valid_name(cfg->name) || !valid_name(cfg->platform)) {
		log_error("runner name '%s' and platform '%s' must be 1..40 "
		          "characters of [A-Za-z0-9_.-]",
		          cfg->name, cfg->platform);
		return NULL;
	}
	if (cfg->vms < 1 || cfg->vms > 64) {
		log_error("platform '%s': vms = %d is not in 1..64",
		          cfg->platform, cfg->vms);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->conn_lock, NULL);
	p->cfg = *cfg;
	p->cfg.uri = p->own_uri = xstrdup(cfg->uri);
	p->cfg.name = p->own_name = xstrdup(cfg->name);
	p->cfg.platform = p->own_platform = xstrdup(cfg->platform);
	p->cfg.image_dir = p->own_image_dir = xstrdup(cfg->image_dir);
	p->cfg.state_dir = p->own_state_dir = xstrdup(cfg->state_dir);
	if (read_image(p))
		goto fail;
	if (mkdir(cfg->state_dir, 0755) && errno != EEXIST) {
		log_error("cannot create '%s': %s", cfg->state_dir,
		          strerror(errno));
		goto fail;
	}
	{
		char *abs = realpath(cfg->state_dir, NULL);

		if (!abs) {
			log_error("cannot resolve '%s': %s", cfg->state_dir,
			          strerror(errno));
			goto fail;
		}
		free(p->own_state_dir);
		p->cfg.state_dir = p->own_state_dir = abs;
	}
	pthread_once(&once, libvirt_init);
	virSetErrorFunc(NULL, quiet_errors);
	p->local = uri_is_local(cfg->uri);
	p->conn = open_conn(cfg->uri);
	if (!p->conn) {
		virt_error("connect to libvirt at", cfg->uri);
		goto fail;
	}
	p->vms = xcalloc((size_t)cfg->vms, sizeof(*p->vms));
	for (i = 0; i < cfg->vms; i++) {
		struct run_vm *vm = &p->vms[i];
		char *console;

		vm->pool = p;
		vm->index = i;
		vm->name = pathf("pyti-%s-%s-%d", cfg->name, cfg->platform, i);
		vm->save = pathf("%s/%s.save", p->cfg.state_dir, vm->name);
		vm->sock = pathf("%s/%s.sock", p->cfg.state_dir, vm->name);
		console =
		    pathf("%s/%s.console.log", p->cfg.state_dir, vm->name);
		if (strlen(vm->sock) >=
		    sizeof(((struct sockaddr_un *)0)->sun_path)) {
			log_error("socket path '%s' is too long", vm->sock);
			free(console);
			goto fail;
		}
		vm->xml = domain_xml(p, vm, console);
		free(console);
	}
	return p;
fail:
	run_pool_free(p);
	return NULL;
}

void
run_vm_stop(struct run_vm *vm)
{
	virDomainPtr d = vm->dom;
	virConnectPtr c = NULL;
	int failed = 0;

	if (!d) {
		c = pool_conn(vm->pool);
		d = c ? virDomainLookupByName(c, vm->name) : NULL;
		if (!d && (!c || virGetLastErrorCode() != VIR_ERR_NO_DOMAIN))
			failed = 1; /* libvirt cannot tell: assume it runs */
	}
	if (d) {
		if (virDomainDestroy(d) < 0 &&
		    virGetLastErrorCode() != VIR_ERR_NO_DOMAIN &&
		    virGetLastErrorCode() != VIR_ERR_OPERATION_INVALID) {
			log_warn("cannot destroy '%s': %s", vm->name,
			         virGetLastErrorMessage());
			failed = 1;
		}
		virDomainFree(d);
	}
	if (c)
		virConnectClose(c);
	vm->dom = NULL;
	if (failed && vm->pool->local)
		kill_qemu(vm->name);
}

void
run_pool_free(struct run_pool *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; p->vms && i < p->cfg.vms; i++) {
		if (p->conn)
			run_vm_stop(&p->vms[i]);
		free(p->vms[i].name);
		free(p->vms[i].save);
		free(p->vms[i].sock);
		free(p->vms[i].xml);
	}
	free(p->vms);
	if (p->conn)
		virConnectClose(p->conn);
	for (i = 0; i < (int)p->nold; i++)
		virConnectClose(p->old[i]);
	free(p->old);
	pthread_mutex_destroy(&p->conn_lock);
	free(p->own_uri);
	free(p->own_name);
	free(p->own_platform);
	free(p->own_image_dir);
	free(p->own_state_dir);
	free(p->kernel);
	free(p->initrd);
	free(p->rootfs);
	free(p->cmdline);
	free(p->python);
	free(p);
}

int
run_pool_size(const struct run_pool *p)
{
	return p->cfg.vms;
}

struct run_vm *
run_pool_vm(struct run_pool *p, int i)
{
	return &p->vms[i];
}

const char *
run_pool_platform(const struct run_pool *p)
{
	return p->cfg.platform;
}

const char *
run_pool_python(const struct run_pool *p)
{
	return p->python;
}

const char *
run_vm_name(const struct run_vm *vm)
{
	return vm->name;
}

/* Connect to the channel socket, retrying while QEMU sets it up. */
static int
connect_sock(const char *path, int timeout_ms)
{
	int64_t deadline = os_mono_ms() + timeout_ms;
	struct sockaddr_un sa;
	int fd, err;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return log_error("cannot create a socket: %s",
			                 strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		err = errno;
		close(fd);
		if ((err != ENOENT && err != ECONNREFUSED) ||
		    os_mono_ms() >= deadline)
			return log_error("cannot connect to '%s': %s", path,
			                 strerror(err));
		usleep(20000);
	}
}

int
run_vm_hello(int fd, struct run_vm *vm, const char *platform, int timeout_ms,
             enum run_infra *infra)
{
	static unsigned counter;
	int64_t deadline = os_mono_ms() + timeout_ms;
	struct chan c;
	struct chan_frame f = CHAN_FRAME_INIT;
	char nonce[64];
	json_t *hello = NULL, *reply = NULL;
	char *text;
	int ret = -1, r;

	*infra = RUN_INFRA_PROTOCOL;
	chan_init(&c, fd, CHAN_FROM_GUEST);
	snprintf(nonce, sizeof(nonce), "h%ld-%u-%lld", (long)getpid(),
	         __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED),
	         (long long)os_mono_ms());
	hello = json_pack("{s:i,s:s,s:I}", "version", CHAN_VERSION, "nonce",
	                  nonce, "time_ms", (json_int_t)os_wall_ms());
	text = jx_dumps(hello);
	r = chan_write(&c, CHAN_HELO, text, strlen(text), timeout_ms);
	free(text);
	if (r)
		goto out;
	for (;;) {
		int64_t left = deadline - os_mono_ms();
		const char *n, *plat;
		int64_t version = 0;

		if (left <= 0) {
			*infra = RUN_INFRA_AGENT_SILENT;
			log_error("no HELO from the agent in %d ms",
			          timeout_ms);
			goto out;
		}
		r = chan_read(&c, &f, (int)(left < 1000 ? left : 1000));
		if (r == CHAN_TIMEOUT) {
			/* A guest that panics or powers off while booting
			 * fails now, not at the end of the timeout. */
			enum run_infra st =
			    vm ? run_vm_check(vm) : RUN_INFRA_NONE;

			if (st != RUN_INFRA_NONE) {
				*infra = st;
				log_error("'%s' stopped before the agent's "
				          "HELO (%s)",
				          vm->name, run_infra_name(st));
				goto out;
			}
			continue;
		}
		if (r == CHAN_EOF) {
			*infra = RUN_INFRA_VM_DIED;
			log_error("channel closed before the agent's HELO");
			goto out;
		}
		if (r)
			goto out;
		if (f.type != CHAN_HELO) {
			log_error("agent sent %s before HELO",
			          chan_type_code(f.type));
			goto out;
		}
		json_decref(reply);
		reply = jx_parse(f.payload.data, f.payload.len, "agent HELO");
		if (!reply)
			goto out;
		n = jx_str(reply, "nonce");
		if (!n || strcmp(n, nonce) != 0)
			continue; /* a reply to an older hello: harmless */
		if (jx_int(reply, "version", &version) ||
		    version != CHAN_VERSION) {
			log_error("agent speaks protocol version %lld, not %d",
			          (long long)version, CHAN_VERSION);
			goto out;
		}
		plat = jx_str(reply, "platform");
		if (platform && (!plat || strcmp(plat, platform) != 0)) {
			log_error("agent runs platform '%s', expected '%s'",
			          plat ? plat : "?", platform);
			goto out;
		}
		break;
	}
	*infra = RUN_INFRA_NONE;
	ret = 0;
out:
	chan_frame_release(&f);
	json_decref(hello);
	json_decref(reply);
	return ret;
}

/* Does the save image on disk belong to this exact domain XML? */
static int
save_is_current(const struct run_vm *vm)
{
	char *xmlpath = pathf("%s.xml", vm->save);
	struct buf have = BUF_INIT(1 << 20);
	struct stat s_save, s_img;
	char chunk[4096];
	FILE *f;
	size_t n;
	int ok = 0;

	if (stat(vm->save, &s_save) || stat(vm->pool->rootfs, &s_img))
		goto out;
	/* An image rebuilt after the save invalidates it. */
	if (s_img.st_mtime >= s_save.st_mtime)
		goto out;
	f = fopen(xmlpath, "r");
	if (!f)
		goto out;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&have, chunk, n))
			break;
	fclose(f);
	ok = strcmp(buf_cstr(&have), vm->xml) == 0;
out:
	buf_release(&have);
	free(xmlpath);
	return ok;
}

/* Create the slot's domain from its XML. 0 or -1 (logged). */
static int
create(struct run_vm *vm)
{
	virConnectPtr c = pool_conn(vm->pool);

	vm->dom = c ? virDomainCreateXML(c, vm->xml, 0) : NULL;
	if (c)
		virConnectClose(c);
	if (!vm->dom)
		return virt_error("start domain", vm->name);
	return 0;
}

/* Restore the slot's domain from the save image at path. 0 or -1. */
static int
restore_from(struct run_vm *vm, const char *path)
{
	virConnectPtr c = pool_conn(vm->pool);
	int ret = -1;

	if (!c)
		return log_error("cannot restore '%s': no libvirt connection",
		                 vm->name);
	if (virDomainRestoreFlags(c, path, NULL, VIR_DOMAIN_SAVE_RUNNING)) {
		virt_error("restore domain", vm->name);
		goto out;
	}
	vm->dom = virDomainLookupByName(c, vm->name);
	if (!vm->dom) {
		virt_error("find restored domain", vm->name);
		goto out;
	}
	ret = 0;
out:
	virConnectClose(c);
	return ret;
}

/*
 * Boot the slot, wait for HELO, save its clean state to a new image, and
 * prove the new image works (restore it, HELO) before it replaces the
 * old one: a failed boot or save -- libvirtd restarted, a disk full --
 * leaves the slot's working image in place.
 */
static int
make_clean_state(struct run_vm *vm)
{
	struct run_pool *p = vm->pool;
	char *tmp = pathf("%s.new", vm->save);
	char *xmlpath = pathf("%s.xml", vm->save);
	char *xmltmp = pathf("%s.xml.new", vm->save);
	int64_t t0 = os_mono_ms(), t1;
	enum run_infra infra;
	FILE *f;
	int fd = -1, ret = -1;

	run_vm_stop(vm);
	if (create(vm))
		goto out;
	fd = connect_sock(vm->sock, 10000);
	if (fd < 0)
		goto out;
	if (run_vm_hello(fd, vm, p->cfg.platform, p->cfg.boot_timeout_ms,
	                 &infra)) {
		log_error("'%s' did not boot to a working agent (%s); see "
		          "'%s/%s.console.log'",
		          vm->name, run_infra_name(infra), p->cfg.state_dir,
		          vm->name);
		goto out;
	}
	close(fd);
	fd = -1;
	t1 = os_mono_ms();
	unlink(tmp);
	if (virDomainSaveFlags(vm->dom, tmp, NULL, VIR_DOMAIN_SAVE_RUNNING)) {
		virt_error("save domain", vm->name);
		goto out;
	}
	virDomainFree(vm->dom);
	vm->dom = NULL; /* a saved transient domain is gone */
	/* The successor must work before it replaces anything. */
	if (restore_from(vm, tmp))
		goto out;
	fd = connect_sock(vm->sock, 10000);
	if (fd < 0 || run_vm_hello(fd, vm, p->cfg.platform,
	                           p->cfg.boot_timeout_ms, &infra)) {
		log_error("'%s': the new save image does not come back to a "
		          "working agent",
		          vm->name);
		goto out;
	}
	run_vm_stop(vm);
	f = fopen(xmltmp, "w");
	if (!f || fputs(vm->xml, f) == EOF || fclose(f)) {
		log_error("cannot write '%s': %s", xmltmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, vm->save) || rename(xmltmp, xmlpath)) {
		log_error("cannot rename '%s': %s", tmp, strerror(errno));
		goto out;
	}
	log_info("'%s' booted in %lld ms, saved and checked in %lld ms",
	         vm->name, (long long)(t1 - t0),
	         (long long)(os_mono_ms() - t1));
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	run_vm_stop(vm);
	unlink(tmp);
	unlink(xmltmp);
	free(tmp);
	free(xmlpath);
	free(xmltmp);
	return ret;
}

int
run_pool_prepare(struct run_pool *p)
{
	int i;

	if (p->cfg.boot_per_job)
		return 0;
	for (i = 0; i < p->cfg.vms; i++) {
		struct run_vm *vm = &p->vms[i];

		run_vm_stop(vm); /* a leftover of an earlier runner */
		if (save_is_current(vm)) {
			log_info("'%s': reusing its saved clean state",
			         vm->name);
			continue;
		}
		if (make_clean_state(vm))
			return -1;
	}
	return 0;
}

int
run_vm_reset(struct run_vm *vm, int64_t *ms)
{
	int64_t t0 = os_mono_ms();
	int fd;

	run_vm_stop(vm);
	if (run_pool_health(vm->pool))
		return log_error("'%s': libvirt is unreachable", vm->name);
	if (vm->pool->cfg.boot_per_job) {
		enum run_infra infra;

		if (create(vm))
			return -1;
		fd = connect_sock(vm->sock, 10000);
		if (fd >= 0 &&
		    run_vm_hello(fd, vm, vm->pool->cfg.platform,
		                 vm->pool->cfg.boot_timeout_ms, &infra)) {
			close(fd);
			fd = -1;
		}
		if (fd < 0)
			run_vm_stop(vm);
		else
			*ms = os_mono_ms() - t0;
		return fd;
	}
	if (restore_from(vm, vm->save)) {
		/* libvirt itself failing is not the image's fault: keep the
		 * image. A damaged or stale image: make a new one, once. */
		if (run_pool_health(vm->pool))
			return -1;
		log_warn("'%s': rebuilding its clean state", vm->name);
		if (make_clean_state(vm) || restore_from(vm, vm->save))
			return -1;
	}
	fd = connect_sock(vm->sock, 10000);
	if (fd < 0) {
		run_vm_stop(vm);
		return -1;
	}
	*ms = os_mono_ms() - t0;
	return fd;
}

enum run_infra
run_vm_check(struct run_vm *vm)
{
	int state, reason;

	if (!vm->dom)
		return RUN_INFRA_VM_DIED;
	if (virDomainGetState(vm->dom, &state, &reason, 0)) {
		virConnectPtr c = virDomainGetConnect(vm->dom);

		/* libvirtd gone is not the VM gone: QEMU runs on without it
		 * and the channel is QEMU's, so the job goes on; the stop
		 * afterwards kills QEMU if libvirt still cannot. */
		if (virGetLastErrorCode() != VIR_ERR_NO_DOMAIN &&
		    (!c || virConnectIsAlive(c) != 1))
			return RUN_INFRA_NONE;
		return RUN_INFRA_VM_DIED; /* transient and gone: destroyed */
	}
	return run_classify_domain(state, reason);
}

int
run_vm_inject_nmi(struct run_vm *vm)
{
	if (!vm->dom || virDomainInjectNMI(vm->dom, 0))
		return virt_error("inject an NMI into", vm->name);
	return 0;
}
