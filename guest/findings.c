/*
 * Findings: a capped, deduplicated JSON list. Dedupe matters because a
 * loop that retries connect() a thousand times is one finding, not a
 * thousand, and the list goes to the host over a capped channel.
 */
#include "findings.h"
#include "buf.h"
#include "jx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *kind;
	const char *severity;
} kinds[] = {
    {"network.connect", "critical"},
    {"network.dns", "critical"},
    {"network.listen", "warning"},
    {"file.write_outside", "critical"},
    {"file.delete_outside", "critical"},
    {"file.read_sensitive", "warning"},
    {"credential.read", "critical"},
    {"credential.leak", "critical"},
    {"process.exec", "warning"},
    {"process.privilege", "critical"},
    {"persistence.pth", "critical"},
    {"persistence.sitecustomize", "critical"},
    {"persistence.bashrc", "critical"},
    {"persistence.crontab", "critical"},
    {"persistence.autostart", "critical"},
    {"resource.fork_bomb", "critical"},
    {"resource.memory", "warning"},
    {"resource.disk", "warning"},
    {"resource.cpu", "warning"},
    {"resource.output_flood", "warning"},
    {"resource.timeout", "warning"},
    {"archive.path_traversal", "critical"},
    {"archive.symlink", "critical"},
    {"archive.bomb", "critical"},
    {"archive.invalid", "warning"},
    {"channel.forgery", "critical"},
    {"process.daemon", "critical"},
    {"trace.truncated", "warning"},
};

void
guest_findings_init(struct guest_findings *f)
{
	f->list = json_array();
	f->dropped = 0;
	f->critical = 0;
}

void
guest_findings_release(struct guest_findings *f)
{
	json_decref(f->list);
	f->list = NULL;
}

json_t *
guest_jstr(const char *s, size_t n)
{
	struct buf b = BUF_INIT(0);
	json_t *j;

	if (n > GUEST_EVIDENCE_MAX)
		n = GUEST_EVIDENCE_MAX;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80         ? 1
		             : (c >> 5) == 6  ? 2
		             : (c >> 4) == 14 ? 3
		             : (c >> 3) == 30 ? 4
		                              : 0;
		size_t k;

		if (c == 0 || len == 0 || i + len > n) {
			buf_addc(&b, '?');
			i++;
			continue;
		}
		for (k = 1; k < len; k++)
			if (((unsigned char)s[i + k] >> 6) != 2)
				break;
		if (k < len) {
			buf_addc(&b, '?');
			i++;
			continue;
		}
		buf_add(&b, s + i, len);
		i += len;
	}
	j = json_stringn(buf_cstr(&b), b.len);
	if (!j) /* overlong forms and surrogates jansson refuses */
		j = json_string("?");
	buf_release(&b);
	return j;
}

int
guest_finding_add(struct guest_findings *f, const char *kind,
                  const char *severity, const char *task, json_t *evidence,
                  const char *fmt, ...)
{
	char detail[GUEST_EVIDENCE_MAX];
	size_t i;
	json_t *v, *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!severity) {
		severity = "warning";
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (!strcmp(kinds[i].kind, kind))
				severity = kinds[i].severity;
	}
	json_array_foreach(f->list, i, v) {
		const char *d = jx_str(v, "detail");

		if (!strcmp(jx_str(v, "kind"), kind) &&
		    !strcmp(jx_str(v, "task"), task) && d &&
		    !strncmp(d, detail, GUEST_EVIDENCE_MAX - 1)) {
			json_decref(evidence);
			return 0;
		}
	}
	if (json_array_size(f->list) >= GUEST_FINDINGS_MAX) {
		f->dropped++;
		json_decref(evidence);
		return 0;
	}
	o = json_object();
	jx_set(o, "kind", json_string(kind));
	jx_set(o, "severity", json_string(severity));
	jx_set(o, "task", json_string(task));
	jx_set(o, "detail", guest_jstr(detail, strlen(detail)));
	jx_set(o, "evidence", evidence ? evidence : json_object());
	jx_append(f->list, o);
	if (!strcmp(severity, "critical"))
		f->critical++;
	return 1;
}

int
guest_findings_count(const struct guest_findings *f, const char *kind)
{
	size_t i;
	json_t *v;
	int n = 0;

	json_array_foreach(f->list, i, v) {
		if (!strcmp(jx_str(v, "kind"), kind))
			n++;
	}
	return n;
}

static int
has_prefix_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

const char *
guest_persistence_kind(const char *path, const char *home)
{
	static const char *const rc[] = {
	    ".bashrc",      ".profile", ".bash_profile", ".bash_login",
	    ".bash_logout", ".zshrc",   ".zprofile",     ".zshenv"};
	const char *base = strrchr(path, '/');
	char p[4096];

	base = base ? base + 1 : path;
	/* pip's own: build isolation puts a sitecustomize.py that sets up
	 * the isolated sys.path in /tmp/pip-build-env-<rand>/site/; it only
	 * lives as long as the build */
	if (!strncmp(path, "/tmp/pip-build-env-", 19) &&
	    strchr(path + 19, '/') &&
	    !strcmp(strchr(path + 19, '/'), "/site/sitecustomize.py"))
		return NULL;
	if (!strcmp(base, "sitecustomize.py") ||
	    !strcmp(base, "usercustomize.py"))
		return "persistence.sitecustomize";
	for (size_t i = 0; i < sizeof(rc) / sizeof(rc[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", home, rc[i]);
		if (!strcmp(path, p))
			return "persistence.bashrc";
	}
	if (!strcmp(path, "/etc/profile") ||
	    has_prefix_dir(path, "/etc/profile.d") ||
	    !strcmp(path, "/etc/bash.bashrc") ||
	    !strcmp(path, "/etc/environment"))
		return "persistence.bashrc";
	if (has_prefix_dir(path, "/var/spool/cron") ||
	    !strncmp(path, "/etc/cron", 9) || !strcmp(path, "/etc/anacrontab"))
		return "persistence.crontab";
	snprintf(p, sizeof(p), "%s/.config/autostart", home);
	if (has_prefix_dir(path, p))
		return "persistence.autostart";
	snprintf(p, sizeof(p), "%s/.config/systemd", home);
	if (has_prefix_dir(path, p) || has_prefix_dir(path, "/etc/systemd") ||
	    has_prefix_dir(path, "/etc/init.d") ||
	    has_prefix_dir(path, "/lib/systemd") ||
	    has_prefix_dir(path, "/usr/lib/systemd") ||
	    !strcmp(path, "/etc/rc.local"))
		return "persistence.autostart";
	return NULL;
}

int
guest_pth_executable(const char *text, size_t n)
{
	const char *p = text, *end = text + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		/* site.py: lines starting with "import" (then space or tab)
		 * are executed */
		if (len >= 7 && !strncmp(p, "import", 6) &&
		    (p[6] == ' ' || p[6] == '\t'))
			return 1;
		p += len + 1;
	}
	return 0;
}
