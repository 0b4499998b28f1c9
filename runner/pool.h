/*
 * The VM pool of one platform: a fixed number of slots, each one libvirt
 * domain with a read-only root disk, direct kernel boot, no NIC, no
 * graphics or USB, fixed memory and vCPUs, a panic device, and one
 * virtio-serial channel to the agent (docs/runner.md, vm-design).
 *
 * The snapshot cycle: each slot boots once, waits for the agent's HELO,
 * and is saved (virDomainSaveFlags) with the agent waiting for a job; the
 * save image is the slot's clean state. Per job the slot is restored from
 * it (virDomainRestoreFlags, a fresh QEMU), used once, and destroyed.
 * A save image is tied to its domain's name and UUID, so each slot has its
 * own. Images are kept in the state directory and reused across runner
 * restarts while the domain XML (and so the image files) are unchanged.
 *
 * Thread safety: a pool is set up by one thread; afterwards each slot is
 * driven by one thread at a time (the libvirt connection is thread-safe,
 * and replaced under a lock when it breaks: keepalive, reconnect). A
 * domain libvirt cannot destroy has its QEMU process killed (local URIs).
 * A slot's save image is replaced only by a successor that was restored
 * to a working agent.
 */
#ifndef PYTI_RUN_POOL_H
#define PYTI_RUN_POOL_H

#include <stdint.h>

#include "classify.h"

struct run_pool;
struct run_vm;

struct run_pool_config {
	const char *uri; /* libvirt URI, e.g. qemu:///system */
	const char *name; /* runner name: part of every domain name */
	const char *platform; /* e.g. debian-12 */
	const char *image_dir; /* holds <platform>/{rootfs.img,...} */
	const char *state_dir; /* save images, sockets, console logs */
	int vms; /* pool size */
	int vcpus;
	uint64_t memory_mib;
	int kvm; /* domain type kvm (1) or qemu/TCG (0) */
	int boot_timeout_ms; /* boot until the agent's HELO */
	int boot_per_job; /* reset = cold boot, no save image (the
				   naive design; benchmarks compare it) */
};

/*
 * Open the connection and read the platform's image.json. Nothing is
 * started yet. Returns a new pool (free with run_pool_free()), or NULL
 * (logged). The config strings are copied.
 */
struct run_pool *run_pool_new(const struct run_pool_config *cfg);

/* Destroy every domain of the pool still running and free it. */
void run_pool_free(struct run_pool *p);

/*
 * Make every slot's clean state: reuse a save image whose domain XML
 * matches, else boot, wait for HELO, save. Returns 0, or -1 (logged) when
 * a slot could not be prepared.
 */
int run_pool_prepare(struct run_pool *p);

/*
 * Check the libvirt connection (alive, answers a call) and reconnect when
 * it broke (libvirtd restarted). Thread-safe. Returns 0, or -1 (logged)
 * when libvirt cannot be reached.
 */
int run_pool_health(struct run_pool *p);

/* Number of slots, and slot i (0 <= i < n). Borrowed from the pool. */
int run_pool_size(const struct run_pool *p);
struct run_vm *run_pool_vm(struct run_pool *p, int i);

/* The platform and the python version the image carries. Borrowed. */
const char *run_pool_platform(const struct run_pool *p);
const char *run_pool_python(const struct run_pool *p);

/* The slot's domain name (borrowed). */
const char *run_vm_name(const struct run_vm *vm);

/*
 * Reset a slot to its clean state and connect to its agent: destroy
 * whatever runs, restore the save image (re-made by a fresh boot if the
 * restore fails), connect to the channel socket. With boot_per_job the
 * slot is cold-booted instead, up to the agent's HELO. Returns the
 * connected socket fd (the caller closes it), or -1 (logged). *ms gets
 * the time the reset took.
 */
int run_vm_reset(struct run_vm *vm, int64_t *ms);

/* Destroy the slot's domain if it runs; when libvirt cannot, kill its
 * QEMU process (local URIs). Never fails loudly. */
void run_vm_stop(struct run_vm *vm);

/*
 * How the slot's domain is doing: RUN_INFRA_NONE while it runs,
 * RUN_INFRA_VM_CRASHED after a panic, RUN_INFRA_VM_DIED when it is gone.
 */
enum run_infra run_vm_check(struct run_vm *vm);

/* Inject an NMI into the running domain (tests: a panic on demand with
 * unknown_nmi_panic=1). Returns 0 or -1 (logged). */
int run_vm_inject_nmi(struct run_vm *vm);

/*
 * The HELO exchange on a connected channel fd: send a hello with a new
 * nonce and the host time, wait up to timeout_ms for the agent's reply
 * with that nonce, check its protocol version and platform. Returns 0, or
 * -1 (logged) with *infra set (protocol error, agent silent, or -- when
 * vm is not NULL, its state is checked every second -- VM crashed/died).
 */
int run_vm_hello(int fd, struct run_vm *vm, const char *platform,
                 int timeout_ms, enum run_infra *infra);

#endif
