/*
 * The wheel a two-stage job's first stage handed back (the runner's raw
 * document: "artifact": {name, sha256, size}, the bytes hashed by the
 * runner and stored under their sha256). The second stage installs it
 * instead of building the sdist again, but only when this host's store
 * holds exactly those bytes and the name is a wheel of the cell's
 * project; otherwise the second stage builds the sdist, as before.
 */
#ifndef PYTI_SCHED_ARTIFACT_H
#define PYTI_SCHED_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

/* sched_artifact_check()'s answer when the artifact cannot be used. */
#define SCHED_ARTIFACT_UNUSABLE 1

/*
 * May the second stage of project's cell install the wheel name (size
 * bytes, sha256) from the store dir? Checks the name (a valid wheel
 * filename of project, no path), the sha256, and the file in the store:
 * present, a regular file of size bytes whose sha256 is the one given
 * (read and hashed). Returns 0 when it may, SCHED_ARTIFACT_UNUSABLE with
 * the reason in why (not logged), never -1. store may be NULL (no store:
 * unusable).
 */
int sched_artifact_check(const char *store, const char *project,
                         const char *name, const char *sha256, int64_t size,
                         char *why, size_t whylen);

#endif
