/*
 * Core metadata parsing: a line scanner with email.parser's compat32 rules
 * for where headers end, then a table that maps fields to packaging's
 * RawMetadata keys for the JSON form. The input is untrusted (it comes
 * from archives and from the index), so everything is bounded, nothing is
 * assumed to be UTF-8, and a malformed line is a note, not a failure.
 */
#include "metadata.h"
#include "buf.h"
#include "jx.h"
#include "log.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void add_error(struct meta *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_error(struct meta *m, const char *fmt, ...)
{
	struct buf b = BUF_INIT(0);
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	XGROW(m->errors, m->nerrors + 1, m->errors_alloc);
	m->errors[m->nerrors++] = buf_detach(&b, NULL);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int cp, min;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * An owned copy of n bytes at s as valid UTF-8 without NUL: each bad byte
 * becomes U+FFFD. *bad counts the replacements.
 */
static char *
utf8_copy(const char *s, size_t n, size_t *bad)
{
	struct buf b = BUF_INIT(0);
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k = utf8_seq(u + i, n - i);

		if (k) {
			buf_add(&b, u + i, k);
			i += k;
		} else {
			buf_adds(&b, "\xef\xbf\xbd");
			(*bad)++;
			i++;
		}
	}
	return buf_detach(&b, NULL);
}

/* email.feedparser's headerRE for a field name: printable ASCII but ':'. */
static size_t
field_name_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '!' && s[i] <= '~' && s[i] != ':')
		i++;
	return i < n && s[i] == ':' ? i : (size_t)-1;
}

/* Drop the continuation prefix of a Description line: "       |" (the
 * spec) or 8 spaces (old setuptools), else the leading blanks. */
static void
add_description_line(struct buf *v, const char *s, size_t n)
{
	if (n >= 8 && !memcmp(s, "       |", 8)) {
		s += 8;
		n -= 8;
	} else if (n >= 8 && !memcmp(s, "        ", 8)) {
		s += 8;
		n -= 8;
	} else {
		while (n && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
	}
	buf_addc(v, '\n');
	buf_add(v, s, n);
}

static void
finish_field(struct meta *m, struct buf *name, struct buf *value)
{
	struct meta_field *f;
	size_t bad = 0;

	if (!name->len)
		return;
	f = &m->fields[m->nfields++];
	f->name = buf_detach(name, NULL);
	f->value = utf8_copy(value->data ? value->data : "", value->len, &bad);
	if (bad)
		add_error(m, "field '%s': %zu bytes of invalid UTF-8 replaced",
		          f->name, bad);
	buf_reset(value);
}

int
meta_parse(struct meta *m, const char *data, size_t len)
{
	struct buf name = BUF_INIT(0), value = BUF_INIT(0);
	size_t pos = 0, lineno = 0;
	int in_description = 0, ret = -1;

	memset(m, 0, sizeof(*m));
	if (len > META_MAX_BYTES)
		return log_error("metadata of %zu bytes exceeds the %u byte "
		                 "limit",
		                 len, META_MAX_BYTES);
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) {
		add_error(m, "byte order mark ignored");
		pos = 3;
	}
	while (pos < len) {
		const char *line = data + pos, *nl;
		size_t n, full, k;

		nl = memchr(line, '\n', len - pos);
		full = nl ? (size_t)(nl - line) + 1 : len - pos;
		n = nl ? (size_t)(nl - line) : len - pos;
		if (n && line[n - 1] == '\r')
			n--;
		lineno++;
		if (n == 0) {
			pos += full;
			break; /* the header/body separator */
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (!name.len) {
				add_error(m,
				          "line %zu: continuation line "
				          "without a field ignored",
				          lineno);
			} else if (in_description) {
				add_description_line(&value, line, n);
			} else {
				buf_add(&value, line, n);
			}
			pos += full;
			continue;
		}
		k = field_name_len(line, n);
		if (k == (size_t)-1) {
			add_error(m,
			          "line %zu: not a 'Field: value' header; "
			          "the body starts here",
			          lineno);
			break;
		}
		finish_field(m, &name, &value);
		pos += full;
		if (k == 0) {
			add_error(m, "line %zu: empty field name ignored",
			          lineno);
			continue;
		}
		if (k > META_NAME_MAX) {
			add_error(m,
			          "line %zu: field name longer than %d "
			          "bytes ignored",
			          lineno, META_NAME_MAX);
			continue;
		}
		if (m->nfields == META_MAX_FIELDS) {
			log_error("metadata has more than %d fields",
			          META_MAX_FIELDS);
			goto out;
		}
		XGROW(m->fields, m->nfields + 1, m->fields_alloc);
		buf_add(&name, line, k);
		k++;
		while (k < n && (line[k] == ' ' || line[k] == '\t'))
			k++;
		buf_add(&value, line + k, n - k);
		in_description = !strcasecmp(name.data, "Description");
	}
	finish_field(m, &name, &value);
	if (pos < len) {
		size_t bad = 0;

		m->body = utf8_copy(data + pos, len - pos, &bad);
		if (bad)
			add_error(m,
			          "body: %zu bytes of invalid UTF-8 "
			          "replaced",
			          bad);
	}
	ret = 0;
out:
	buf_release(&name);
	buf_release(&value);
	return ret;
}

void
meta_release(struct meta *m)
{
	for (size_t i = 0; i < m->nfields; i++) {
		free(m->fields[i].name);
		free(m->fields[i].value);
	}
	for (size_t i = 0; i < m->nerrors; i++)
		free(m->errors[i]);
	free(m->fields);
	free(m->errors);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

const char *
meta_next(const struct meta *m, const char *name, size_t *pos)
{
	for (; *pos < m->nfields; (*pos)++)
		if (!strcasecmp(m->fields[*pos].name, name))
			return m->fields[(*pos)++].value;
	return NULL;
}

const char *
meta_get(const struct meta *m, const char *name)
{
	size_t pos = 0;

	return meta_next(m, name, &pos);
}

/* Trim blanks at both ends of [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
{
	while (*n &&
	       (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
	              (*s)[*n - 1] == '\r' || (*s)[*n - 1] == '\n'))
		(*n)--;
}

/* The display name in s: quotes and backslash escapes removed, blanks
 * trimmed. Owned. */
static char *
unquote(const char *s, size_t n)
{
	struct buf b = BUF_INIT(0);
	int quoted = 0;

	trim(&s, &n);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			quoted = !quoted;
			continue;
		}
		if (s[i] == '\\' && quoted && i + 1 < n)
			i++;
		buf_addc(&b, s[i]);
	}
	buf_addc(&b, '\0'); /* make sure data is allocated */
	b.len--;
	return buf_detach(&b, NULL);
}

/*
 * One item of an address list: "Name <email>", "email (Name)" or "email".
 * Returns 1 when it held an address or a name, 0 when empty.
 */
static int
parse_address(const char *s, size_t n, struct meta_addr *out)
{
	const char *lt = NULL, *gt = NULL, *lp = NULL, *rp = NULL;
	int quoted = 0, depth = 0;

	trim(&s, &n);
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
		} else if (s[i] == '"' && !depth) {
			quoted = !quoted;
		} else if (quoted) {
			continue;
		} else if (s[i] == '(') {
			if (!depth++ && !lp)
				lp = s + i;
		} else if (s[i] == ')' && depth) {
			if (!--depth && !rp)
				rp = s + i;
		} else if (!depth && s[i] == '<' && !lt) {
			lt = s + i;
		} else if (!depth && s[i] == '>' && lt && !gt) {
			gt = s + i;
		}
	}
	if (lt) {
		const char *e = lt + 1;
		size_t en = (size_t)((gt ? gt : s + n) - e);

		trim(&e, &en);
		out->email = xmemdup0(e, en);
		out->name = unquote(s, (size_t)(lt - s));
	} else if (lp && rp) {
		struct buf b = BUF_INIT(0);
		const char *e;
		size_t en;

		buf_add(&b, s, (size_t)(lp - s));
		buf_add(&b, rp + 1, (size_t)(s + n - rp - 1));
		e = buf_cstr(&b);
		en = b.len;
		trim(&e, &en);
		out->email = xmemdup0(e, en);
		buf_release(&b);
		out->name = unquote(lp + 1, (size_t)(rp - lp - 1));
	} else {
		out->email = xmemdup0(s, n);
		out->name = xstrdup("");
	}
	if (!*out->email && !*out->name) {
		free(out->email);
		free(out->name);
		return 0;
	}
	return 1;
}

size_t
meta_addresses(const char *value, struct meta_addr **out)
{
	struct meta_addr *a = NULL;
	size_t n = 0, alloc = 0, start = 0;
	int quoted = 0, angle = 0, depth = 0;

	for (size_t i = 0;; i++) {
		char c = value[i];

		if (c == '\\' && value[i + 1]) {
			i++;
			continue;
		}
		if (c == '"' && !depth)
			quoted = !quoted;
		else if (!quoted && c == '(')
			depth++;
		else if (!quoted && c == ')' && depth)
			depth--;
		else if (!quoted && !depth && c == '<')
			angle = 1;
		else if (!quoted && !depth && c == '>')
			angle = 0;
		if (c && (c != ',' || quoted || depth || angle))
			continue;
		XGROW(a, n + 1, alloc);
		if (parse_address(value + start, i - start, &a[n]))
			n++;
		if (!c)
			break;
		start = i + 1;
	}
	if (!n) {
		free(a);
		a = NULL;
	}
	*out = a;
	return n;
}

void
meta_addrs_free(struct meta_addr *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].email);
	}
	free(a);
}

enum kind { STR, LIST, KEYWORDS, URLS };

static const struct {
	const char *field;
	const char *key;
	enum kind kind;
} known[] = {
    {"Metadata-Version", "metadata_version", STR},
    {"Name", "name", STR},
    {"Version", "version", STR},
    {"Dynamic", "dynamic", LIST},
    {"Platform", "platforms", LIST},
    {"Supported-Platform", "supported_platforms", LIST},
    {"Summary", "summary", STR},
    {"Description", "description", STR},
    {"Description-Content-Type", "description_content_type", STR},
    {"Keywords", "keywords", KEYWORDS},
    {"Home-page", "home_page", STR},
    {"Download-URL", "download_url", STR},
    {"Author", "author", STR},
    {"Author-email", "author_email", STR},
    {"Maintainer", "maintainer", STR},
    {"Maintainer-email", "maintainer_email", STR},
    {"License", "license", STR},
    {"License-Expression", "license_expression", STR},
    {"License-File", "license_files", LIST},
    {"Classifier", "classifiers", LIST},
    {"Requires-Dist", "requires_dist", LIST},
    {"Requires-Python", "requires_python", STR},
    {"Requires-External", "requires_external", LIST},
    {"Project-URL", "project_urls", URLS},
    {"Provides-Extra", "provides_extra", LIST},
    {"Provides-Dist", "provides_dist", LIST},
    {"Obsoletes-Dist", "obsoletes_dist", LIST},
    {"Requires", "requires", LIST},
    {"Provides", "provides", LIST},
    {"Obsoletes", "obsoletes", LIST},
    {"Import-Name", "import_names", LIST},
    {"Import-Namespace", "import_namespaces", LIST},
};

#define NKNOWN (sizeof(known) / sizeof(known[0]))

static int
known_index(const char *field)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (!strcasecmp(field, known[i].field))
			return (int)i;
	return -1;
}

/* Append every value of field to unparsed[first spelling of field]. */
static void
add_unparsed(json_t *unparsed, const struct meta *m, const char *field)
{
	json_t *list = json_object_get(unparsed, field);
	size_t pos = 0;
	const char *v;

	if (!list) {
		list = json_array();
		jx_set(unparsed, field, list);
	}
	while ((v = meta_next(m, field, &pos)))
		jx_append(list, json_string(v));
}

static json_t *
addresses_json(const char *value)
{
	struct meta_addr *a;
	size_t n = meta_addresses(value, &a);
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();

		jx_set(o, "name", json_string(a[i].name));
		jx_set(o, "email", json_string(a[i].email));
		jx_append(list, o);
	}
	meta_addrs_free(a, n);
	return list;
}

static json_t *
keywords_json(const char *value)
{
	json_t *list = json_array();

	for (;;) {
		const char *s = value;
		size_t n = strcspn(value, ",");

		value += n;
		trim(&s, &n);
		jx_append(list, json_stringn(s, n));
		if (!*value++)
			break;
	}
	return list;
}

/* Project-URL "Label, url" pairs as {label: url}; NULL on a duplicate
 * label (packaging then leaves them all unparsed). */
static json_t *
urls_json(const struct meta *m, const char *field)
{
	json_t *urls = json_object();
	size_t pos = 0;
	const char *v;

	while ((v = meta_next(m, field, &pos))) {
		const char *label = v, *url = strchr(v, ',');
		size_t ln = url ? (size_t)(url - v) : strlen(v), un;
		char *key;
		int dup;

		trim(&label, &ln);
		url = url ? url + 1 : "";
		un = strlen(url);
		trim(&url, &un);
		key = xmemdup0(label, ln);
		dup = json_object_get(urls, key) != NULL;
		if (!dup)
			jx_set(urls, key, json_stringn(url, un));
		free(key);
		if (dup) {
			json_decref(urls);
			return NULL;
		}
	}
	return urls;
}

json_t *
meta_to_json(const struct meta *m)
{
	json_t *o = json_object(), *unparsed = json_object();
	size_t count[NKNOWN] = {0};
	const char *first[NKNOWN] = {NULL};

	for (size_t i = 0; i < m->nfields; i++) {
		int k = known_index(m->fields[i].name);

		if (k < 0) {
			size_t pos = 0;

			/* Once per name, under its first spelling. */
			meta_next(m, m->fields[i].name, &pos);
			if (pos == i + 1)
				add_unparsed(unparsed, m, m->fields[i].name);
			continue;
		}
		if (!count[k]++)
			first[k] = m->fields[i].name;
	}
	for (size_t k = 0; k < NKNOWN; k++) {
		const char *v = count[k] ? meta_get(m, known[k].field) : NULL;
		json_t *j = NULL;

		if (!count[k])
			continue;
		switch (known[k].kind) {
		case LIST:
			j = json_array();
			for (size_t pos = 0;
			     (v = meta_next(m, known[k].field, &pos));)
				jx_append(j, json_string(v));
			break;
		case URLS:
			j = urls_json(m, known[k].field);
			break;
		case KEYWORDS:
			if (count[k] == 1)
				j = keywords_json(v);
			break;
		case STR:
			if (count[k] == 1)
				j = json_string(v);
			break;
		}
		if (!j) {
			add_unparsed(unparsed, m, first[k]);
			continue;
		}
		jx_set(o, known[k].key, j);
		if (count[k] == 1 &&
		    (!strcmp(known[k].key, "author_email") ||
		     !strcmp(known[k].key, "maintainer_email"))) {
			char key[32];

			snprintf(key, sizeof(key), "%.*s_addresses",
			         (int)strcspn(known[k].key, "_"), known[k].key);
			jx_set(o, key, addresses_json(v));
		}
	}
	if (m->body && *m->body)
		jx_set(o, "description", json_string(m->body));
	if (json_object_size(unparsed))
		jx_set(o, "unparsed", unparsed);
	else
		json_decref(unparsed);
	if (m->nerrors ||
	    (m->body && *m->body && count[known_index("Description")])) {
		json_t *errors = json_array();

		for (size_t i = 0; i < m->nerrors; i++)
			jx_append(errors, json_string(m->errors[i]));
		if (m->body && *m->body && count[known_index("Description")])
			jx_append(errors,
			          json_string("both a Description field and "
			                      "a body: the body is the "
			                      "description"));
		jx_set(o, "errors", errors);
	}
	return o;
}
