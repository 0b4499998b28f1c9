/*
 * Wheel and sdist filenames. Both are split on dashes and the pieces are
 * handed to the PEP 503, PEP 440 and tags modules; the only logic here is
 * where to split and what packaging accepts in each piece.
 */
#include "distfile.h"
#include "buf.h"
#include "pep440.h"
#include "pep503.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The normalized form of a PEP 440 version in owned memory, or NULL. */
static char *
normalized_version(const char *s, size_t n)
{
	struct pep440_version v;
	struct buf b = BUF_INIT(DISTFILE_MAX_LEN * 2);
	char *ret = NULL;

	if (pep440_parse(&v, s, n) == 0 && pep440_normalize(&v, &b) == 0)
		ret = xmemdup0(b.data ? b.data : "", b.len);
	pep440_release(&v);
	buf_release(&b);
	return ret;
}

static char *
normalized_name(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);

	pep503_normalize_to(d, s, n);
	return d;
}

static int
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* PEP 427's escaped name as packaging checks it: ^[\w\d._]*$ without
 * "__", here ASCII only and not empty. */
static int
valid_wheel_name(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && c != '.')
			return 0;
		if (c == '_' && i + 1 < n && s[i + 1] == '_')
			return 0;
	}
	return 1;
}

int
distfile_wheel_parse(const char *name, size_t len, struct distfile_wheel *out,
                     const char **why)
{
	const char *dash[6], *dummy, *end, *b, *be;
	struct distfile_wheel w;
	size_t ndash = 0;

	if (!why)
		why = &dummy;
	if (len > DISTFILE_MAX_LEN) {
		*why = "filename too long";
		return -1;
	}
	if (!ends_with(name, len, ".whl")) {
		*why = "extension must be '.whl'";
		return -1;
	}
	end = name + len - 4;
	for (const char *p = name; p < end; p++) {
		if (*p != '-')
			continue;
		if (ndash == 6)
			break;
		dash[ndash++] = p;
	}
	if (ndash != 4 && ndash != 5) {
		*why = "wrong number of parts (want 5 or 6 separated by '-')";
		return -1;
	}
	if (!valid_wheel_name(name, (size_t)(dash[0] - name))) {
		*why = "invalid project name";
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.version =
	    normalized_version(dash[0] + 1, (size_t)(dash[1] - dash[0] - 1));
	if (!w.version) {
		*why = "invalid version";
		return -1;
	}
	if (ndash == 5) {
		int64_t num = 0;

		b = dash[1] + 1;
		be = dash[2];
		if (b == be || !isdigit((unsigned char)*b)) {
			*why = "build tag must start with a digit";
			goto fail;
		}
		for (; b < be && isdigit((unsigned char)*b); b++) {
			if (num > (INT64_MAX - (*b - '0')) / 10) {
				*why = "build number too large";
				goto fail;
			}
			num = num * 10 + (*b - '0');
		}
		w.has_build = 1;
		w.build_number = num;
		w.build_suffix = xmemdup0(b, (size_t)(be - b));
	}
	if (tags_parse_set(dash[ndash - 3] + 1,
	                   (size_t)(end - dash[ndash - 3] - 1), &w.tags,
	                   why) < 0)
		goto fail;
	w.name = normalized_name(name, (size_t)(dash[0] - name));
	*out = w;
	return 0;
fail:
	distfile_wheel_release(&w);
	return -1;
}

void
distfile_wheel_release(struct distfile_wheel *w)
{
	free(w->name);
	free(w->version);
	free(w->build_suffix);
	tags_list_release(&w->tags);
	w->name = w->version = w->build_suffix = NULL;
}

static const struct {
	const char *ext;
	enum distfile_format format;
} formats[] = {
    {".tar.gz", DISTFILE_TAR_GZ},
    {".zip", DISTFILE_ZIP},
    {".tar.bz2", DISTFILE_TAR_BZ2},
};

const char *
distfile_format_name(enum distfile_format f)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].format == f)
			return formats[i].ext + 1;
	return "?";
}

/* Whether name_part is spelled as PEP 625 wants: the normalized name
 * with '_' for each separator run. */
static int
pep625_name(const char *s, size_t n, const char *norm)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char want = norm[i] == '-' ? '_' : norm[i];

		if (s[i] != want)
			return 0;
	}
	return norm[i] == '\0';
}

int
distfile_sdist_parse(const char *name, size_t len, const char *project,
                     struct distfile_sdist *out, const char **why)
{
	const char *dummy, *sep = NULL;
	size_t stem = 0, nlen;
	struct distfile_sdist s;
	int found = 0;

	if (!why)
		why = &dummy;
	if (len > DISTFILE_MAX_LEN) {
		*why = "filename too long";
		return -1;
	}
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (ends_with(name, len, formats[i].ext)) {
			s.format = formats[i].format;
			stem = len - strlen(formats[i].ext);
			found = 1;
		}
	}
	if (!found) {
		*why = "extension must be '.tar.gz', '.zip' or '.tar.bz2'";
		return -1;
	}
	if (project) {
		/* pip's _find_name_version_sep: the first dash whose prefix
		 * is the project's name. */
		for (size_t i = 0; i < stem && !sep; i++)
			if (name[i] == '-' &&
			    pep503_equal(name, i, project, strlen(project)))
				sep = name + i;
		if (!sep) {
			*why = "name is not the project's";
			return -1;
		}
	} else {
		for (size_t i = stem; i > 0 && !sep; i--)
			if (name[i - 1] == '-')
				sep = name + i - 1;
		if (!sep) {
			*why = "no '-' between name and version";
			return -1;
		}
	}
	nlen = (size_t)(sep - name);
	if (!pep503_valid(name, nlen)) {
		*why = "invalid project name";
		return -1;
	}
	s.version = normalized_version(sep + 1, stem - nlen - 1);
	if (!s.version) {
		*why = "invalid version";
		return -1;
	}
	s.name = normalized_name(name, nlen);
	s.pep625 = s.format == DISTFILE_TAR_GZ &&
	           pep625_name(name, nlen, s.name) &&
	           strlen(s.version) == stem - nlen - 1 &&
	           !memcmp(s.version, sep + 1, stem - nlen - 1);
	*out = s;
	return 0;
}

void
distfile_sdist_release(struct distfile_sdist *s)
{
	free(s->name);
	free(s->version);
	s->name = s->version = NULL;
}
