/*
 * The findings of one job: what the package did that a package should not
 * (docs/raw-data.md section 4.2 lists the kinds; they are stable). Every
 * detector -- the strace parser, the filesystem diff, the task limits, the
 * DNS stub -- adds to one struct guest_findings, which dedupes (the same
 * kind and detail in the same task is one finding), caps the list and
 * sanitizes the package-chosen text into valid, bounded UTF-8.
 */
#ifndef PYTI_GUEST_FINDINGS_H
#define PYTI_GUEST_FINDINGS_H

#include <jansson.h>
#include <stddef.h>

#define GUEST_FINDINGS_MAX 500
#define GUEST_EVIDENCE_MAX 1024

struct guest_findings {
	json_t *list; /* owned array of finding objects */
	int dropped; /* findings past GUEST_FINDINGS_MAX */
	int critical; /* findings of severity critical */
};

void guest_findings_init(struct guest_findings *f);
void guest_findings_release(struct guest_findings *f);

/*
 * Add a finding of `kind` found during `task`. evidence is a new reference
 * to a JSON object (or NULL) and is always consumed. severity NULL takes
 * the kind's default. Returns 1 if added, 0 if it was a duplicate or past
 * the cap (counted in dropped).
 */
int guest_finding_add(struct guest_findings *f, const char *kind,
                      const char *severity, const char *task, json_t *evidence,
                      const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Number of findings of `kind` (tests, outcome decisions). */
int guest_findings_count(const struct guest_findings *f, const char *kind);

/*
 * A JSON string of the first n bytes of s (at most GUEST_EVIDENCE_MAX),
 * with bytes that are not valid UTF-8 or are NUL replaced by '?'. New
 * reference, never NULL.
 */
json_t *guest_jstr(const char *s, size_t n);

/*
 * The persistence kind a write to `path` means ("persistence.bashrc",
 * "persistence.crontab", "persistence.autostart",
 * "persistence.sitecustomize"), or NULL. home is the job user's home.
 * .pth files are judged by content, see guest_pth_executable(). pip's
 * own /tmp/pip-build-env-<rand>/site/sitecustomize.py (build isolation)
 * is not persistence.
 */
const char *guest_persistence_kind(const char *path, const char *home);

/* 1 if .pth text has a line Python executes (starts with "import"). */
int guest_pth_executable(const char *text, size_t n);

#endif
