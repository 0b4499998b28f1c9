/*
 * The configuration parser. A configuration is small (tens of entries), so
 * it is a flat array searched linearly; order of first appearance is kept
 * so sections can be listed in file order.
 */
#include "cfg.h"
#include "buf.h"
#include "log.h"
#include "num.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CFG_MAX_FILE (1 << 20)

struct cfg_entry {
	char *section;
	char *key;
	char *value;
};

struct cfg {
	struct cfg_entry *entries;
	size_t n, alloc;
};

struct cfg *
cfg_new(void)
{
	return xcalloc(1, sizeof(struct cfg));
}

void
cfg_free(struct cfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].section);
		free(c->entries[i].key);
		free(c->entries[i].value);
	}
	free(c->entries);
	free(c);
}

static struct cfg_entry *
find(const struct cfg *c, const char *section, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->entries[i].section, section) &&
		    !strcmp(c->entries[i].key, key))
			return &c->entries[i];
	return NULL;
}

void
cfg_set(struct cfg *c, const char *section, const char *key, const char *value)
{
	struct cfg_entry *e = find(c, section, key);

	if (e) {
		free(e->value);
		e->value = xstrdup(value);
		return;
	}
	XGROW(c->entries, c->n + 1, c->alloc);
	e = &c->entries[c->n++];
	e->section = xstrdup(section);
	e->key = xstrdup(key);
	e->value = xstrdup(value);
}

static int
is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s &&
	       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int
valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!is_name_char(*s))
			return 0;
	return 1;
}

/* Parse "[name]" or "[name arg]" into section. */
static int
parse_header(char *line, const char *name, int lineno, struct buf *section)
{
	char *end = strchr(line, ']');
	char *arg;

	if (!end || *trim(end + 1))
		return log_error("%s:%d: malformed section header", name,
		                 lineno);
	*end = '\0';
	line = trim(line + 1);
	arg = strpbrk(line, " \t");
	if (arg) {
		*arg++ = '\0';
		arg = trim(arg);
	}
	if (!valid_name(line) || (arg && !valid_name(arg)))
		return log_error("%s:%d: invalid section name '%s'", name,
		                 lineno, line);
	buf_reset(section);
	buf_adds(section, line);
	if (arg && *arg)
		buf_addf(section, " %s", arg);
	return 0;
}

static int
parse_value(char *v, const char *name, int lineno)
{
	size_t len = strlen(v);

	if (*v != '"')
		return 0;
	if (len < 2 || v[len - 1] != '"')
		return log_error("%s:%d: unterminated quoted value", name,
		                 lineno);
	memmove(v, v + 1, len - 2);
	v[len - 2] = '\0';
	return 0;
}

int
cfg_load_string(struct cfg *c, const char *name, const char *text)
{
	struct buf section = BUF_INIT(256);
	struct cfg *seen = cfg_new(); /* keys set by this file */
	const char *p = text;
	int lineno = 0, ret = -1;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *copy = xmemdup0(p, len), *line = trim(copy), *eq, *key,
		     *val;

		lineno++;
		p += len + (nl ? 1 : 0);
		if (!*line || *line == '#' || *line == ';') {
			free(copy);
			continue;
		}
		if (*line == '[') {
			int r = parse_header(line, name, lineno, &section);

			free(copy);
			if (r)
				goto out;
			continue;
		}
		eq = strchr(line, '=');
		if (!eq) {
			free(copy);
			log_error("%s:%d: expected 'key = value'", name,
			          lineno);
			goto out;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (!valid_name(key)) {
			log_error("%s:%d: invalid key '%s'", name, lineno, key);
			free(copy);
			goto out;
		}
		if (!section.len) {
			log_error("%s:%d: key '%s' outside any [section]", name,
			          lineno, key);
			free(copy);
			goto out;
		}
		if (find(seen, buf_cstr(&section), key)) {
			log_error("%s:%d: '%s' set twice in [%s]", name, lineno,
			          key, buf_cstr(&section));
			free(copy);
			goto out;
		}
		if (parse_value(val, name, lineno)) {
			free(copy);
			goto out;
		}
		cfg_set(seen, buf_cstr(&section), key, "");
		cfg_set(c, buf_cstr(&section), key, val);
		free(copy);
	}
	ret = 0;
out:
	cfg_free(seen);
	buf_release(&section);
	return ret;
}

int
cfg_load_file(struct cfg *c, const char *path)
{
	struct buf text = BUF_INIT(CFG_MAX_FILE);
	char chunk[4096];
	FILE *f = fopen(path, "r");
	size_t n;
	int ret = -1;

	if (!f)
		return log_error("cannot open config '%s': %s", path,
		                 strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&text, chunk, n)) {
			log_error("config '%s' is larger than %d bytes", path,
			          CFG_MAX_FILE);
			goto out;
		}
	}
	if (ferror(f)) {
		log_error("cannot read config '%s': %s", path, strerror(errno));
		goto out;
	}
	if (memchr(buf_cstr(&text), '\0', text.len)) {
		log_error("config '%s' contains a NUL byte", path);
		goto out;
	}
	ret = cfg_load_string(c, path, buf_cstr(&text));
out:
	fclose(f);
	buf_release(&text);
	return ret;
}

struct cfg *
cfg_load_default(const char *path)
{
	struct cfg *c = cfg_new();
	const char *env = getenv("PYTI_CONFIG");

	if (!path && env && *env)
		path = env;
	if (!path && access(CFG_DEFAULT_PATH, F_OK) == 0)
		path = CFG_DEFAULT_PATH;
	if (path && cfg_load_file(c, path)) {
		cfg_free(c);
		return NULL;
	}
	return c;
}

int
cfg_set_override(struct cfg *c, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	const char *dot;
	char *lhs;
	int ret = -1;

	if (!eq)
		return log_error("override '%s' is not section.key=value",
		                 assignment);
	lhs = xmemdup0(assignment, (size_t)(eq - assignment));
	dot = strrchr(lhs, '.');
	if (!dot || dot == lhs || !dot[1]) {
		log_error("override '%s' is not section.key=value", assignment);
	} else {
		char *section = xmemdup0(lhs, (size_t)(dot - lhs));

		cfg_set(c, section, dot + 1, eq + 1);
		free(section);
		ret = 0;
	}
	free(lhs);
	return ret;
}

const char *
cfg_get(const struct cfg *c, const char *section, const char *key,
        const char *def)
{
	const struct cfg_entry *e = c ? find(c, section, key) : NULL;

	return e ? e->value : def;
}

int
cfg_get_int(const struct cfg *c, const char *section, const char *key,
            int64_t def, int64_t min, int64_t max, int64_t *out)
{
	const char *v = cfg_get(c, section, key, NULL);

	if (!v) {
		*out = def;
		return 0;
	}
	if (num_parse_i64(v, min, max, out))
		return log_error("[%s] %s: '%s' is not an integer in "
		                 "[%lld, %lld]",
		                 section, key, v, (long long)min,
		                 (long long)max);
	return 0;
}

int
cfg_get_bool(const struct cfg *c, const char *section, const char *key, int def,
             int *out)
{
	const char *v = cfg_get(c, section, key, NULL);

	if (!v)
		*out = def;
	else if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
	         !strcmp(v, "1") || !strcasecmp(v, "on"))
		*out = 1;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	         !strcmp(v, "0") || !strcasecmp(v, "off"))
		*out = 0;
	else
		return log_error("[%s] %s: '%s' is not a boolean", section, key,
		                 v);
	return 0;
}

int
cfg_get_size(const struct cfg *c, const char *section, const char *key,
             uint64_t def, uint64_t *out)
{
	const char *v = cfg_get(c, section, key, NULL);

	if (!v) {
		*out = def;
		return 0;
	}
	if (num_parse_size(v, out))
		return log_error("[%s] %s: '%s' is not a size (like 64M)",
		                 section, key, v);
	return 0;
}

int
cfg_get_duration_ms(const struct cfg *c, const char *section, const char *key,
                    uint64_t def, uint64_t *out)
{
	const char *v = cfg_get(c, section, key, NULL);

	if (!v) {
		*out = def;
		return 0;
	}
	if (num_parse_duration_ms(v, out))
		return log_error("[%s] %s: '%s' is not a duration (like 30s)",
		                 section, key, v);
	return 0;
}

int
cfg_each_section(const struct cfg *c, const char *prefix,
                 int (*fn)(const char *section, void *arg), void *arg)
{
	size_t plen = strlen(prefix);

	for (size_t i = 0; i < c->n; i++) {
		const char *s = c->entries[i].section;
		int dup = 0, r;

		if (strncmp(s, prefix, plen))
			continue;
		for (size_t j = 0; j < i && !dup; j++)
			dup = !strcmp(c->entries[j].section, s);
		if (dup)
			continue;
		r = fn(s, arg);
		if (r)
			return r;
	}
	return 0;
}
