/*
 * The agent's side of the host <-> guest protocol (docs/raw-data.md):
 * boot-time setup (loopback, the logging DNS stub on 127.0.0.1:53, the
 * job venv), then one virtio-serial session after another until a job has
 * run. Only ever called as PID 1 of a pyti guest.
 */
#ifndef PYTI_GUEST_SESSION_H
#define PYTI_GUEST_SESSION_H

/*
 * Serve the host forever. Returns -1 (logged) only when the channel
 * device cannot be found or opened.
 */
int guest_session_serve(void);

#endif
