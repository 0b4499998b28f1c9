/*
 * Strict JSON parsing and compact, deterministic output. Output is
 * key-sorted so dumps and results can be compared byte for byte.
 */
#include "jx.h"
#include "buf.h"
#include "log.h"
#include "os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

json_t *
jx_parse(const char *data, size_t len, const char *what)
{
	json_error_t err;
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);

	if (!j)
		log_error("cannot parse %s: line %d column %d: %s", what,
		          err.line, err.column, err.text);
	return j;
}

json_t *
jx_load_file(const char *path, size_t max)
{
	struct buf b = BUF_INIT(max);
	char what[1100];
	json_t *j = NULL;

	if (os_read_file(path, &b) == 0) {
		snprintf(what, sizeof(what), "'%s'", path);
		j = jx_parse(buf_cstr(&b), b.len, what);
	}
	buf_release(&b);
	return j;
}

const char *
jx_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
jx_str_or(const json_t *obj, const char *key, const char *fallback)
{
	const char *s = jx_str(obj, key);

	return s ? s : fallback;
}

int
jx_int(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return JX_MISSING;
	if (!json_is_integer(v))
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

char *
jx_dumps(const json_t *j)
{
	char *s =
	    json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!s) {
		fprintf(stderr, "fatal: out of memory serializing JSON\n");
		abort();
	}
	return s;
}

int
jx_write_line(FILE *f, const json_t *j)
{
	char *s = jx_dumps(j);
	int r = fputs(s, f) < 0 || putc('\n', f) == EOF;

	free(s);
	if (r)
		return log_error("cannot write JSON: %s", strerror(errno));
	return 0;
}

static void
die_json(void)
{
	fprintf(stderr, "fatal: out of memory building JSON\n");
	abort();
}

void
jx_set(json_t *obj, const char *key, json_t *value)
{
	if (!value || json_object_set_new(obj, key, value))
		die_json();
}

void
jx_append(json_t *arr, json_t *value)
{
	if (!value || json_array_append_new(arr, value))
		die_json();
}

json_t *
jx_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int
jx_dep_has_role(const json_t *dep, const char *role)
{
	const json_t *roles = json_object_get(dep, "roles"), *r;
	const char *one = jx_str(dep, "role");
	size_t i;

	if (!json_is_array(roles))
		return one && strcmp(one, role) == 0;
	json_array_foreach(roles, i, r) {
		if (json_is_string(r) &&
		    strcmp(json_string_value(r), role) == 0)
			return 1;
	}
	return 0;
}
