/*
 * The runner's settings: [runner], [database], [images] and the
 * [platform NAME] sections of pyti.conf, with their defaults, read once at
 * start (docs/runner.md lists every key).
 */
#ifndef PYTI_RUN_SETTINGS_H
#define PYTI_RUN_SETTINGS_H

#include <stdint.h>

struct cfg;

struct run_platform {
	char *name;
	char *python; /* [platform NAME] python ("3.11"), or NULL */
	int vms;
	int vcpus;
	uint64_t memory_mib;
};

struct run_settings {
	char *name; /* runner name (claimed_by, domain names) */
	char *conninfo; /* [database] conninfo */
	char *uri; /* libvirt URI */
	char *image_dir; /* [images] dir, $PYTI_IMAGE_DIR */
	char *state_dir; /* save images, sockets, console logs */
	char *spool_dir;
	char *store; /* content-addressed files of queued jobs */
	char *accel; /* auto, kvm or tcg */
	char *kvm_probe; /* command: exit 0 when KVM really works */
	int64_t lease_s, heartbeat_s, rescue_s, poll_ms;
	int64_t job_timeout_ms, silence_ms, hello_ms, boot_ms, frame_ms;
	int64_t max_in;
	int64_t release_delay_s; /* run_after after a failure, doubling */
	int infra_retries;
	int finish_on_stop; /* on-stop = finish (else return) */
	int boot_per_job; /* reset = boot (else restore) */
	struct run_platform *platforms;
	int nplatforms;
};

/*
 * Fill s from c. Platforms are the [platform NAME] sections, or only the
 * `only` ones when nonly > 0 (a name without a section gets defaults).
 * Returns 0, or -1 (logged) for an invalid value.
 */
int run_settings_load(const struct cfg *c, const char *const *only, int nonly,
                      struct run_settings *s);
void run_settings_release(struct run_settings *s);

/* Whether VMs should use KVM: accel, or the probe when accel = auto. */
int run_settings_kvm(const struct run_settings *s);

#endif
